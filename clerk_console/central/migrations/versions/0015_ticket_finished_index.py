"""ticket slips estimate by the recent pace: an index on the day's finished tickets

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ticket_finished", "ticket", ["day", "status", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_finished", table_name="ticket")
