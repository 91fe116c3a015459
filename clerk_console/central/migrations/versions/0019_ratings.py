"""ratings (好差评) and their follow-ups (差评整改), with each step recorded

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reasons_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=True),
        sa.Column("clerk", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("items_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("departments_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service", "ref"),
    )
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index("ix_rating_day", ["day", "counter"], unique=False)

    op.create_table(
        "rating_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("detail_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["rating.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rating_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_event_rating_id"), ["rating_id"], unique=False)

    op.create_table(
        "rating_follow_up",
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("appealed", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["rating.id"],
        ),
        sa.PrimaryKeyConstraint("rating_id"),
    )
    with op.batch_alter_table("rating_follow_up", schema=None) as batch_op:
        batch_op.create_index("ix_rating_follow_up_open", ["status", "due_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rating_follow_up", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_follow_up_open")

    op.drop_table("rating_follow_up")
    with op.batch_alter_table("rating_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_event_rating_id"))

    op.drop_table("rating_event")
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_day")

    op.drop_table("rating")
