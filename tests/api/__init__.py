"""The ERP interface over real HTTP: the API on uvicorn, the sandbox and the sweeper."""
