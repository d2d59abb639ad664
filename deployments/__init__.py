"""How the flows run: `make run` (deployments.run), the serve entrypoint that reads prefect.yaml,
`make cluster`, and what is applied to a Prefect server as code (alerts, Amazon's quota limits).
"""
