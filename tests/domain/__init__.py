"""Pure rules: money, payment status, idempotency keys, intake, Amazon's answers, decisions."""
