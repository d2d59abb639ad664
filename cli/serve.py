"""`amazon-payments serve`: every deployment of the module, served from this process."""

from __future__ import annotations


def serve() -> None:
    """Serve every deployment of the module from this process, without a worker."""
    from deployments.serve import main

    main()
