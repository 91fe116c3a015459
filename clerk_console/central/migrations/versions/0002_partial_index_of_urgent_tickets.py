"""partial index of urgent tickets

The first step of a call looks for green-channel tickets and appointments; the old index on
(day, status, priority) could not answer "priority OR an appointment", so every waiting
ticket of the day was read.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

URGENT = "priority OR appointment_at IS NOT NULL"


def upgrade() -> None:
    op.drop_index("ix_ticket_urgent", table_name="ticket")
    op.create_index(
        "ix_ticket_urgent",
        "ticket",
        ["day", "status", "line", "issued_at"],
        postgresql_where=sa.text(URGENT),
        sqlite_where=sa.text(URGENT),
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_urgent", table_name="ticket")
    op.create_index("ix_ticket_urgent", "ticket", ["day", "status", "priority"])
