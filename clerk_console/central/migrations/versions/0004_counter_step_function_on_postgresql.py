"""counter step as one PostgreSQL function

Finishing the ticket at hand and calling the next are the hall's hot path. As separate
statements they cost about ten round trips a call; as one function, one. The function does
what `clerk_console.central.queue` does on SQLite, step for step (lock the counter, finish,
claim by the same two kinds of step, record the event and the feed rows), and the queue
tests run on both backends. Errors are raised with SQLSTATE CC400/CC404/CC409 and the
platform's error code as the message.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ISO = """
CREATE OR REPLACE FUNCTION clerk_iso(ts timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    -- As Python's datetime.isoformat() of a UTC time: the fraction only when there is one.
    SELECT CASE WHEN ts IS NULL THEN NULL
        WHEN date_part('microseconds', ts)::bigint % 1000000 = 0
            THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00'
        ELSE to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00' END
$$;
"""

TICKET_VIEW = """
CREATE OR REPLACE FUNCTION clerk_ticket_view(t ticket) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    -- queue.ticket_view, field for field.
    SELECT json_build_object(
        'id', t.id, 'number', t.number, 'line', t.line, 'status', t.status,
        'priority', t.priority, 'appointment_at', clerk_iso(t.appointment_at),
        'target_counter', t.target_counter, 'issued_at', clerk_iso(t.issued_at),
        'called_at', clerk_iso(t.called_at), 'finished_at', clerk_iso(t.finished_at),
        'counter', t.counter, 'served_by', t.served_by, 'recalls', t.recalls,
        'outcome', t.outcome, 'walk_in', t.walk_in)
$$;
"""

COUNTER_VIEW = """
CREATE OR REPLACE FUNCTION clerk_counter_view(c counter) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    -- queue.counter_view, field for field.
    SELECT json_build_object(
        'number', c.number, 'name', c.name, 'lines', string_to_array(c.lines, ','),
        'status', c.status, 'clerk', c.clerk, 'current_ticket', c.current_ticket,
        'updated_at', clerk_iso(c.updated_at))
$$;
"""

WRITE = """
CREATE OR REPLACE FUNCTION clerk_write(
    t ticket, c counter, p_kind text, p_username text, p_now timestamptz, p_detail text
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- queue._write with a counter: the event, the counter's ticket at hand, the feed rows.
    INSERT INTO ticket_event (ticket_id, at, kind, counter, username, detail_json)
        VALUES (t.id, p_now, p_kind, c.number, p_username, p_detail);
    UPDATE counter SET current_ticket = c.current_ticket, updated_at = p_now
        WHERE number = c.number;
    c.updated_at := p_now;
    INSERT INTO change (at, topic, payload_json) VALUES
        (p_now, 'ticket',
         json_build_object('event', p_kind, 'ticket', clerk_ticket_view(t))::text),
        (p_now, 'counter', clerk_counter_view(c)::text);
END $$;
"""

STEP = """
CREATE OR REPLACE FUNCTION clerk_counter_step(
    p_counter integer, p_username text, p_now timestamptz, p_due_before timestamptz,
    p_finish text, p_call boolean
) RETURNS SETOF ticket LANGUAGE plpgsql AS $$
DECLARE
    c counter%ROWTYPE;
    t ticket%ROWTYPE;
    lines text[];
    picked integer;
BEGIN
    SELECT * INTO c FROM counter WHERE number = p_counter FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown_counter' USING ERRCODE = 'CC404',
            DETAIL = format('no counter %s', p_counter);
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
        return  # SQLite runs the same steps in Python
    for sql in (ISO, TICKET_VIEW, COUNTER_VIEW, WRITE, STEP):
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS clerk_counter_step")
    op.execute("DROP FUNCTION IF EXISTS clerk_write")
    op.execute("DROP FUNCTION IF EXISTS clerk_counter_view")
    op.execute("DROP FUNCTION IF EXISTS clerk_ticket_view")
    op.execute("DROP FUNCTION IF EXISTS clerk_iso")
