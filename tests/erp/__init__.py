"""The ERP store: repositories, the unit of work and the schema's limits."""
