"""The HTTP API the ERP and the webshop use (FastAPI): it records requests and returns.

The work with Amazon is done by the flows (a deployment run is started when a Prefect API is
configured) or by the sweeper; see `services.documents`.
"""
