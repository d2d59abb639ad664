"""The ERP store: SQLAlchemy schema, the unit of work with its repositories, Alembic migrations.
The only place that runs SQL.
"""
