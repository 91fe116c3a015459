"""the ticket's and the counter's JSON views as PL/pgSQL functions

`clerk_ticket_view` and `clerk_counter_view` (migration 0004) were SQL functions taking a
row: called from the PL/pgSQL of a counter step (twice a step, in clerk_write), each call
was planned anew and cost about 80 µs. The same body as PL/pgSQL is planned once a
connection and costs about 17 µs. What they answer is unchanged
(queue.ticket_view and queue.counter_view, field for field).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TICKET_VIEW = """
CREATE OR REPLACE FUNCTION clerk_ticket_view(t ticket) RETURNS json
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    -- queue.ticket_view, field for field.
    RETURN json_build_object(
        'id', t.id, 'number', t.number, 'line', t.line, 'status', t.status,
        'priority', t.priority, 'appointment_at', clerk_iso(t.appointment_at),
        'target_counter', t.target_counter, 'issued_at', clerk_iso(t.issued_at),
        'called_at', clerk_iso(t.called_at), 'finished_at', clerk_iso(t.finished_at),
        'counter', t.counter, 'served_by', t.served_by, 'recalls', t.recalls,
        'outcome', t.outcome, 'walk_in', t.walk_in);
END $$;
"""

COUNTER_VIEW = """
CREATE OR REPLACE FUNCTION clerk_counter_view(c counter) RETURNS json
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    -- queue.counter_view, field for field.
    RETURN json_build_object(
        'number', c.number, 'name', c.name, 'lines', string_to_array(c.lines, ','),
        'status', c.status, 'clerk', c.clerk, 'current_ticket', c.current_ticket,
        'updated_at', clerk_iso(c.updated_at));
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(TICKET_VIEW)
    op.execute(COUNTER_VIEW)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # CREATE OR REPLACE cannot change a function's language: drop and make 0004's again
    # (the functions that call them look them up by name when they run).
    op.execute("DROP FUNCTION clerk_ticket_view(ticket)")
    op.execute("DROP FUNCTION clerk_counter_view(counter)")
    earlier = _migration("0004_counter_step_function_on_postgresql.py")
    op.execute(earlier.TICKET_VIEW)
    op.execute(earlier.COUNTER_VIEW)


def _migration(name: str) -> ModuleType:
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"clerk_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
