"""case submissions: each sending of a case by its idempotency key

A case taken up again after a one-time supplement notice is sent a second time under a new
key; the first sending's key keeps answering what it stored. Existing cases get the
submission their own key made.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_submission",
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("case_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("body_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_number"], ["intake_case.number"]),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    with op.batch_alter_table("case_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_submission_case_number"), ["case_number"], unique=False
        )
    conn = op.get_bind()
    cases = conn.execute(
        sa.text("SELECT number, idempotency_key, status, data_json, received_at FROM intake_case")
    )
    for number, key, status, data_json, received_at in cases:
        body = f"{number}\n{status}\n{data_json}".encode()
        conn.execute(
            sa.text(
                "INSERT INTO case_submission "
                "(idempotency_key, case_number, status, body_sha256, received_at) "
                "VALUES (:key, :number, :status, :sha, :at)"
            ),
            {
                "key": key,
                "number": number,
                "status": status,
                "sha": hashlib.sha256(body).hexdigest(),
                "at": received_at,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("case_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_submission_case_number"))
    op.drop_table("case_submission")
