"""Serve every deployment of the module from one process, without a worker."""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import RunnerDeployment


def deployments() -> list[RunnerDeployment]:
    """The module's deployments; later issues add their flows here and in prefect.yaml."""
    return []


def main() -> None:
    serve(*deployments())


if __name__ == "__main__":
    main()
