"""the reports' and the board's columns: a case's ticket and items, a rating's items and
departments, a ticket's promised wait, a counter's printer, acknowledged alerts; existing
cases and ratings are filled in from their stored JSON

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_ack",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "case_item",
        sa.Column("case_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_number"],
            ["intake_case.number"],
        ),
        sa.PrimaryKeyConstraint("case_number", "item"),
    )
    with op.batch_alter_table("case_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_item_item"), ["item"], unique=False)

    op.create_table(
        "rating_department",
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["rating.id"],
        ),
        sa.PrimaryKeyConstraint("rating_id", "department"),
    )
    op.create_table(
        "rating_item",
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["rating.id"],
        ),
        sa.PrimaryKeyConstraint("rating_id", "item"),
    )
    with op.batch_alter_table("counter", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "printer_state",
                sqlmodel.sql.sqltypes.AutoString(),
                nullable=False,
                server_default="ok",
            )
        )
        batch_op.add_column(
            sa.Column(
                "printer_message",
                sqlmodel.sql.sqltypes.AutoString(),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("printer_since", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.create_index("ix_handoff_decided", ["decided_at"], unique=False)

    with op.batch_alter_table("intake_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_case_received", ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_intake_case_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("estimated_wait_seconds", sa.Integer(), nullable=True))

    _fill_in()


def _case_items(data: dict[str, Any]) -> list[str]:
    # As central.handoffs.case_items was at this revision: the promised items, else the chosen.
    promised = (data.get("decision") or {}).get("promised") or {}
    if promised:
        return list(promised)
    return list((data.get("selection") or {}).get("items") or [])


def _fill_in() -> None:
    bind = op.get_bind()
    for rating_id, items, departments in bind.execute(
        sa.text("SELECT id, items_json, departments_json FROM rating")
    ).all():
        for item in dict.fromkeys(json.loads(items)):
            bind.execute(
                sa.text("INSERT INTO rating_item (rating_id, item) VALUES (:r, :i)"),
                {"r": rating_id, "i": item},
            )
        for department in dict.fromkeys(json.loads(departments)):
            bind.execute(
                sa.text("INSERT INTO rating_department (rating_id, department) VALUES (:r, :d)"),
                {"r": rating_id, "d": department},
            )
    for number, counter, received_at, data_json in bind.execute(
        sa.text("SELECT number, counter, received_at, data_json FROM intake_case")
    ).all():
        data = json.loads(data_json)
        for item in dict.fromkeys(_case_items(data)):
            bind.execute(
                sa.text("INSERT INTO case_item (case_number, item) VALUES (:c, :i)"),
                {"c": number, "i": item},
            )
        if data.get("ticket"):
            # The ticket's day is the platform clock's (UTC) date of the morning it was issued.
            if isinstance(received_at, datetime):
                moment = received_at.astimezone(UTC) if received_at.tzinfo else received_at
                day = moment.date().isoformat()
            else:
                day = str(received_at)[:10]
            bind.execute(
                sa.text(
                    "UPDATE intake_case SET ticket_id = (SELECT id FROM ticket WHERE "
                    "number = :t AND day = :d AND counter = :n) WHERE number = :c"
                ),
                {"t": data["ticket"], "d": day, "n": counter, "c": number},
            )


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("estimated_wait_seconds")

    with op.batch_alter_table("intake_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_case_ticket_id"))
        batch_op.drop_index("ix_case_received")
        batch_op.drop_column("ticket_id")

    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.drop_index("ix_handoff_decided")

    with op.batch_alter_table("counter", schema=None) as batch_op:
        batch_op.drop_column("printer_since")
        batch_op.drop_column("printer_message")
        batch_op.drop_column("printer_state")

    op.drop_table("rating_item")
    op.drop_table("rating_department")
    with op.batch_alter_table("case_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_item_item"))

    op.drop_table("case_item")
    op.drop_table("alert_ack")
