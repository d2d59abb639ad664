"""Thin Prefect tasks around the use cases of services/: names, retries on I/O, artifacts."""
