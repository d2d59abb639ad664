"""How the flows run: `make run` (deployments.run) and the serve entrypoint that reads
prefect.yaml.
"""
