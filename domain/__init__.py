"""Pure rules: money, documents, the payment status table, intake, Amazon's answers and recorded
calls, the settlement model and parsers. No I/O, no Prefect, no httpx, no SQLAlchemy.
"""
