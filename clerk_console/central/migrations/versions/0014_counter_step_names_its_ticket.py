"""counter step names the ticket it finishes: safe to send again

A "finish and call next" whose answer was lost, sent again, finished the ticket the first
request had called: a ticket nobody saw. Now the request says which ticket it finishes
(`p_expect`); sent again, it finds that ticket finished and answers what the first request
did (the ticket it called), or refuses with `not_at_hand` when the counter holds another.
The SQLite path does the same in Python (queue.py).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD = "clerk_counter_step(integer, text, timestamptz, timestamptz, text, boolean)"
NEW = "clerk_counter_step(integer, text, timestamptz, timestamptz, text, boolean, text)"

STEP = """
CREATE OR REPLACE FUNCTION clerk_counter_step(
    p_counter integer, p_username text, p_now timestamptz, p_due_before timestamptz,
    p_finish text, p_call boolean, p_expect text
) RETURNS SETOF ticket LANGUAGE plpgsql AS $$
DECLARE
    c counter%ROWTYPE;
    t ticket%ROWTYPE;
    cur ticket%ROWTYPE;
    done ticket%ROWTYPE;
    lines text[];
    picked integer;
BEGIN
    SELECT * INTO c FROM counter WHERE number = p_counter FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown_counter' USING ERRCODE = 'CC404',
            DETAIL = format('no counter %s', p_counter);
    END IF;
    IF p_finish IS NOT NULL AND p_expect IS NOT NULL THEN
        -- The request names the ticket it finishes: a request sent again after its answer
        -- was lost finds it finished already, and answers what it did then.
        SELECT * INTO cur FROM ticket WHERE id = c.current_ticket;
        IF cur.id IS NULL OR cur.number <> p_expect THEN
            SELECT * INTO done FROM ticket
                WHERE number = p_expect AND day = (p_now AT TIME ZONE 'UTC')::date
                  AND status = 'finished' AND counter = p_counter;
            IF done.id IS NOT NULL THEN
                IF NOT p_call THEN
                    RETURN NEXT done;
                    RETURN;
                END IF;
                IF cur.id IS NOT NULL AND cur.called_at = done.finished_at THEN
                    RETURN NEXT cur;
                    RETURN;
                END IF;
            END IF;
            RAISE EXCEPTION 'not_at_hand' USING ERRCODE = 'CC409',
                DETAIL = format('counter %s holds %s, not %s', p_counter,
                                coalesce(cur.number, 'no ticket'), p_expect);
        END IF;
    END IF;
    IF p_finish IS NOT NULL THEN
        IF c.current_ticket IS NULL THEN
            RAISE EXCEPTION 'no_current_ticket' USING ERRCODE = 'CC409',
                DETAIL = format('counter %s has no ticket at hand', p_counter);
        END IF;
        UPDATE ticket SET status = 'finished', outcome = p_finish, finished_at = p_now
            WHERE id = c.current_ticket RETURNING * INTO t;
        c.current_ticket := NULL;
        PERFORM clerk_write(t, c, 'finished', p_username, p_now,
                            json_build_object('outcome', p_finish)::text);
        IF NOT p_call THEN
            RETURN NEXT t;
            RETURN;
        END IF;
    END IF;
    IF c.status <> 'open' THEN
        RAISE EXCEPTION 'counter_%', c.status USING ERRCODE = 'CC409',
            DETAIL = format('counter %s is %s', p_counter, c.status);
    END IF;
    IF c.current_ticket IS NOT NULL THEN
        RAISE EXCEPTION 'counter_busy' USING ERRCODE = 'CC409',
            DETAIL = format('counter %s has a ticket at hand; finish it first', p_counter);
    END IF;
    lines := string_to_array(c.lines, ',');
    -- queue._claim: urgent tickets of the counter's lines first, then line by line.
    SELECT id INTO picked FROM ticket
        WHERE day = (p_now AT TIME ZONE 'UTC')::date AND status = 'waiting'
          AND (target_counter IS NULL OR target_counter = p_counter)
          AND line = ANY (lines)
          AND (priority OR appointment_at IS NOT NULL)
          AND (priority OR appointment_at <= p_due_before)
        ORDER BY array_position(lines, line::text), issued_at, id
        LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF picked IS NULL THEN
        FOR i IN 1 .. coalesce(array_length(lines, 1), 0) LOOP
            SELECT id INTO picked FROM ticket
                WHERE day = (p_now AT TIME ZONE 'UTC')::date AND status = 'waiting'
                  AND (target_counter IS NULL OR target_counter = p_counter)
                  AND line = lines[i]
                ORDER BY issued_at, id
                LIMIT 1 FOR UPDATE SKIP LOCKED;
            EXIT WHEN picked IS NOT NULL;
        END LOOP;
    END IF;
    IF picked IS NULL THEN
        RAISE EXCEPTION 'nothing_waiting' USING ERRCODE = 'CC409',
            DETAIL = format('no ticket waiting for counter %s', p_counter);
    END IF;
    UPDATE ticket SET status = 'called', counter = p_counter, served_by = p_username,
                      called_at = p_now, target_counter = NULL
        WHERE id = picked RETURNING * INTO t;
    c.current_ticket := t.id;
    PERFORM clerk_write(t, c, 'called', p_username, p_now, '{}');
    RETURN NEXT t;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {OLD}")
    op.execute(STEP)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {NEW}")
    # The function as migration 0004 made it.
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("0004_counter_step_function_on_postgresql.py")
    spec = importlib.util.spec_from_file_location("clerk_migration_0004", path)
    assert spec is not None and spec.loader is not None
    earlier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(earlier)
    op.execute(earlier.STEP)
