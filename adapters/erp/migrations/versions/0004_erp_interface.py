"""erp interface: the document's configured type, its payment method, requests from the ERP

`type_name` is the document type the ERP sees (from the settings; `doc_type` stays the fixed
kind the logic runs on). `payment_method` is the ERP's payment method of the document (empty:
the module's own, as for every document stored before). `note_status` holds a credit note's own
payment status when it is not read off its refund (a refusal). `cancel_requested_at` is the
ERP's cancellation request, carried out by a flow run or the sweeper.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 02:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("type_name", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("payment_method", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("note_status", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_documents_type_name"), ["type_name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_type_name"))
        batch_op.drop_column("cancel_requested_at")
        batch_op.drop_column("note_status")
        batch_op.drop_column("payment_method")
        batch_op.drop_column("type_name")
