"""The tests: unit tests of the domain, adapter tests, flows under a Prefect test server, and
end-to-end runs against the sandbox over loopback HTTP, on SQLite and PostgreSQL."""
