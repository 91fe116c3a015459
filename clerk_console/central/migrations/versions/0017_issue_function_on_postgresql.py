"""issuing a ticket and reading its slip as one PostgreSQL function

A kiosk's press cost about thirteen statements over two sessions (the key, the line, the
number, the ticket, the event and the feed, the key record, the ticket again, the count
ahead, the pace, the open counters, the hall's name, two commits): on PostgreSQL the issue
path spent most of its time in round trips and in building those statements. The function
does what `clerk_console.central.queue.issue_ticket` and the slip's reads do on SQLite,
step for step, and answers the slip's facts as one JSON value. A key already used answers
its ticket (`replayed`); the same key sent twice at once makes the second wait for the
first and fail on the key's primary key, and the platform then reads it again.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SIGNATURE = "clerk_issue(text, date, timestamptz, boolean, timestamptz, text, text, integer, text)"

ISSUE = """
CREATE OR REPLACE FUNCTION clerk_issue(
    p_line text, p_day date, p_now timestamptz, p_priority boolean,
    p_appointment_at timestamptz, p_detail text, p_username text, p_counter integer,
    p_key text
) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    t ticket%ROWTYPE;
    v_view json;
    v_seq integer;
    v_replayed boolean := false;
    v_ahead bigint;
    v_seen integer;
    v_pace double precision;
    v_open_counters bigint;
    v_hall text;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT ticket.* INTO t FROM ticket_issue JOIN ticket ON ticket.id = ticket_issue.ticket_id
            WHERE ticket_issue.idempotency_key = p_key;
        v_replayed := FOUND;
    END IF;
    IF NOT v_replayed THEN
        PERFORM 1 FROM line WHERE prefix = p_line;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown_line' USING ERRCODE = 'CC404',
                DETAIL = format('no line %L', p_line);
        END IF;
    END IF;
    -- The slip's facts, read before the line's counter row is taken: kiosks of one line
    -- take turns for the numbering and the writes only. As queue.recent_service and
    -- open_counters_for read them: the last twenty served, the open counters of the line.
    SELECT avg(extract(epoch FROM r.finished_at - r.called_at)) INTO v_pace FROM (
        SELECT called_at, finished_at FROM ticket
        WHERE day = p_day AND status = 'finished'
        ORDER BY finished_at DESC LIMIT 20) r;
    SELECT count(*) INTO v_open_counters FROM counter
        WHERE status = 'open' AND coalesce(t.line, p_line) = ANY (string_to_array(lines, ','));
    v_hall := coalesce((SELECT value FROM platform_meta WHERE key = 'hall_name'), '');
    IF NOT v_replayed THEN
        -- People ahead (queue.waiting_ahead): those waiting now, counted before the turn
        -- (a range of ix_ticket_waiting); those numbered since are added below.
        -- One statement, so one snapshot: the count and the last number it includes.
        SELECT coalesce((SELECT last FROM line_day_counter
                         WHERE line = p_line AND day = p_day), 0),
               (SELECT count(*) FROM ticket
                WHERE day = p_day AND status = 'waiting' AND line = p_line
                  AND issued_at <= p_now)
            INTO v_seen, v_ahead;
        -- queue._next_number: the line's counter row for the day, never a count of rows.
        INSERT INTO line_day_counter (line, day, last) VALUES (p_line, p_day, 1)
            ON CONFLICT (line, day) DO UPDATE SET last = line_day_counter.last + 1
            RETURNING last INTO v_seq;
        IF v_seq > 9999 THEN
            RAISE EXCEPTION 'line_full' USING ERRCODE = 'CC409',
                DETAIL = format('line %s has given out all 9999 numbers today', p_line);
        END IF;
        INSERT INTO ticket (number, line, day, seq, status, priority, appointment_at,
                            issued_at, recalls, walk_in)
            VALUES (p_line || CASE WHEN v_seq < 1000 THEN lpad(v_seq::text, 3, '0')
                                   ELSE v_seq::text END,
                    p_line, p_day, v_seq, 'waiting', p_priority, p_appointment_at,
                    p_now, 0, false)
            RETURNING * INTO t;
        v_view := clerk_ticket_view(t);
        -- queue._write without a counter: the event and the ticket's feed row.
        INSERT INTO ticket_event (ticket_id, at, kind, counter, username, detail_json)
            VALUES (t.id, p_now, 'issued', p_counter, p_username, p_detail);
        INSERT INTO change (at, topic, payload_json) VALUES
            (p_now, 'ticket', json_build_object('event', 'issued', 'ticket', v_view)::text);
        IF p_key IS NOT NULL THEN
            INSERT INTO ticket_issue (idempotency_key, ticket_id, issued_at)
                VALUES (p_key, t.id, p_now);
        END IF;
        -- Numbered in this line between that count and the turn (each held the turn
        -- before this one, so all are there to read): the few numbers between, by the
        -- day's unique numbers.
        IF v_seq > v_seen + 1 THEN
            v_ahead := v_ahead + (SELECT count(*) FROM ticket
                WHERE day = p_day AND number = ANY (ARRAY(
                    SELECT p_line || CASE WHEN n < 1000 THEN lpad(n::text, 3, '0')
                                          ELSE n::text END
                    FROM generate_series(v_seen + 1, v_seq - 1) n))
                  AND status = 'waiting' AND line = p_line AND issued_at <= p_now);
        END IF;
    ELSE
        v_view := clerk_ticket_view(t);
        -- A row comparison in ix_ticket_waiting's own order: a range of that index.
        SELECT count(*) INTO v_ahead FROM ticket w
            WHERE w.day = t.day AND w.status = 'waiting' AND w.line = t.line
              AND (w.issued_at, w.id) < (t.issued_at, t.id);
    END IF;
    RETURN json_build_object(
        'ticket', v_view, 'replayed', v_replayed, 'waiting_ahead', v_ahead,
        'pace_seconds', v_pace, 'open_counters', v_open_counters, 'hall_name', v_hall);
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ISSUE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
