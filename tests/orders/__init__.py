"""The order processes against the sandbox: use cases, flows, crash points, late answers."""
