"""Pure rules: money, documents, the payment status table, intake, Amazon's answers and recorded
calls, the order use cases' decisions (`next_step`), the sweeper's poll backoff (`polling`),
the settlement model and parsers. No I/O, no Prefect, no httpx, no SQLAlchemy.
"""
