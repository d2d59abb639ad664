"""settlement posting: payment groups, clearing bookings, review amounts, import attempts

Payments become one row per (report, document, account, transaction kind, transaction); the
document and report may be empty (clearing bookings, payments entered by hand). Rows added to
existing tables get server defaults so that a store with data migrates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:24:13.854417
"""

from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_cursors",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_settlement_cursors")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transaction_kind", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("transaction_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("amazon_order_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("row_count", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.alter_column("document_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("settlement_report_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("source_line", existing_type=sa.INTEGER(), nullable=True)
        batch_op.drop_constraint(batch_op.f("uq_payments_settlement_report_id"), type_="unique")
        batch_op.create_index(
            batch_op.f("ix_payments_settlement_report_id"), ["settlement_report_id"], unique=False
        )
        batch_op.create_unique_constraint(
            "uq_payments_settlement_group",
            [
                "settlement_report_id",
                "document_id",
                "account",
                "transaction_kind",
                "transaction_id",
            ],
        )

    with op.batch_alter_table("settlement_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))

    with op.batch_alter_table("settlement_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("document_number", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_settlement_review_settlement_report_id"),
            ["settlement_report_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("settlement_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_review_settlement_report_id"))
        batch_op.drop_column("document_number")
        batch_op.drop_column("currency")
        batch_op.drop_column("amount_minor")

    with op.batch_alter_table("settlement_reports", schema=None) as batch_op:
        batch_op.drop_column("content_sha256")
        batch_op.drop_column("attempts")

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint("uq_payments_settlement_group", type_="unique")
        batch_op.drop_index(batch_op.f("ix_payments_settlement_report_id"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_payments_settlement_report_id"),
            ["settlement_report_id", "source_line", "account"],
        )
        batch_op.alter_column("source_line", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("settlement_report_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("document_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("row_count")
        batch_op.drop_column("amazon_order_id")
        batch_op.drop_column("transaction_id")
        batch_op.drop_column("transaction_kind")

    op.drop_table("settlement_cursors")
