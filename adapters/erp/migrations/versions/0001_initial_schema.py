"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 15:12:51.998928
"""

from alembic import op
import sqlalchemy as sa


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("doc_type", sa.String(length=16), nullable=False),
        sa.Column("refers_to", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("customer_email", sa.String(length=200), nullable=False),
        sa.Column("payment_status", sa.String(length=32), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("captured_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("dunning_lock", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_documents_number")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_documents_payment_status"), ["payment_status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_documents_refers_to"), ["refers_to"], unique=False)

    op.create_table(
        "finance_accounts",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_finance_accounts")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("message_id", name=op.f("uq_notifications_message_id")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_object_id"), ["object_id"], unique=False)

    op.create_table(
        "settlement_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.String(length=32), nullable=False),
        sa.Column("report_format", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("validation", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_reports")),
        sa.UniqueConstraint("settlement_id", name=op.f("uq_settlement_reports_settlement_id")),
    )
    with op.batch_alter_table("settlement_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settlement_reports_status"), ["status"], unique=False)

    op.create_table(
        "amazon_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("operation", sa.String(length=48), nullable=False),
        sa.Column("idempotency_key", sa.String(length=32), nullable=True),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_amazon_calls_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amazon_calls")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_amazon_calls_idempotency_key")),
    )
    with op.batch_alter_table("amazon_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_amazon_calls_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "amazon_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("amazon_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_amazon_refs_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amazon_refs")),
        sa.UniqueConstraint("amazon_id", name=op.f("uq_amazon_refs_amazon_id")),
    )
    with op.batch_alter_table("amazon_refs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_amazon_refs_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "document_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_items_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_items")),
        sa.UniqueConstraint("document_id", "position", name=op.f("uq_document_items_document_id")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("settlement_report_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account"],
            ["finance_accounts.code"],
            name=op.f("fk_payments_account_finance_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_payments_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_report_id"],
            ["settlement_reports.id"],
            name=op.f("fk_payments_settlement_report_id_settlement_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "settlement_report_id",
            "source_line",
            "account",
            name=op.f("uq_payments_settlement_report_id"),
        ),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_document_id"), ["document_id"], unique=False)

    op.create_table(
        "settlement_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_report_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["settlement_report_id"],
            ["settlement_reports.id"],
            name=op.f("fk_settlement_review_settlement_report_id_settlement_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_review")),
    )
    op.create_table(
        "status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_status_events_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
    )
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_events_document_id"), ["document_id"], unique=False
        )




def downgrade() -> None:

    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_events_document_id"))

    op.drop_table("status_events")
    op.drop_table("settlement_review")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_document_id"))

    op.drop_table("payments")
    op.drop_table("document_items")
    with op.batch_alter_table("amazon_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_amazon_refs_document_id"))

    op.drop_table("amazon_refs")
    with op.batch_alter_table("amazon_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_amazon_calls_document_id"))

    op.drop_table("amazon_calls")
    with op.batch_alter_table("settlement_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_reports_status"))

    op.drop_table("settlement_reports")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_object_id"))

    op.drop_table("notifications")
    op.drop_table("finance_accounts")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_refers_to"))
        batch_op.drop_index(batch_op.f("ix_documents_payment_status"))

    op.drop_table("documents")

