"""the day's finished tickets' index only holds finished tickets on PostgreSQL

ix_ticket_finished (day, status, finished_at) serves the slip's pace. On a morning whose day
PostgreSQL's statistics did not know yet, its planner took this index for counting a line's
waiting tickets (it matches `day` and `status` as well as ix_ticket_waiting does, by its
estimate of one row) and read every waiting ticket of the hall. As a partial index of
finished tickets it can serve nothing else.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

COLUMNS = ["day", "status", "finished_at"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_ticket_finished", table_name="ticket")
    op.create_index(
        "ix_ticket_finished",
        "ticket",
        COLUMNS,
        postgresql_where=sa.text("status = 'finished'"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_ticket_finished", table_name="ticket")
    op.create_index("ix_ticket_finished", "ticket", COLUMNS)
