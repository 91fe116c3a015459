"""console tags: each console's store marks its case numbers with letters of its own

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_tag",
        sa.Column("tag", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("console_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tag"),
    )
    op.create_index("ix_console_tag_console_id", "console_tag", ["console_id"])


def downgrade() -> None:
    op.drop_index("ix_console_tag_console_id", table_name="console_tag")
    op.drop_table("console_tag")
