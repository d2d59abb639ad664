"""call outcomes: when the outcome of an Amazon call was applied to its document

A mutating call whose outcome is not applied (the process died between Amazon's answer and our
commit) is repeated exactly as recorded, with its key, before anything new is sent. Calls of
earlier versions that were answered count as applied.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 23:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("amazon_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_amazon_calls_applied_at"), ["applied_at"], unique=False
        )
    op.execute("UPDATE amazon_calls SET applied_at = COALESCE(answered_at, created_at)")


def downgrade() -> None:
    with op.batch_alter_table("amazon_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_amazon_calls_applied_at"))
        batch_op.drop_column("applied_at")
