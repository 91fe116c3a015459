"""Staff login and who may do what.

Five wrong PINs lock a user for 15 minutes. A login to a counter holds it; nobody else may
log in to that counter until the holder logs out or a supervisor takes it over (recorded).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, select

from clerk_console.central.errors import conflict, forbidden, unauthorized
from clerk_console.central.models import CentralModel, LoginAttemptRow, StaffRow, TokenRow
from clerk_console.central.queue import (
    Actor,
    _counter_changed,
    aware,
    emit,
    get_counter,
)
from clerk_console.central.security import (
    LOCK_MINUTES,
    MAX_FAILED_PINS,
    new_token,
    token_digest,
)

COUNTER_ROLES = ("clerk", "supervisor")


def reserve_attempt(s: Session, username: str, now: datetime) -> datetime | None:
    """Count a login attempt before its PIN is checked, in one conditional statement: however
    many arrive at once, no more than MAX_FAILED_PINS are ever checked. None when this one
    may go on; else the time the name stays locked until, or `IN_FLIGHT` when the attempts
    are all being checked right now (it is worth waiting for them). Any name typed counts,
    staff or not, so a lock says nothing about which names exist."""
    s.execute(_insert_attempt(s).values(username=username, failures=0).on_conflict_do_nothing())
    reserved = s.execute(
        update(LoginAttemptRow)
        .where(
            col(LoginAttemptRow.username) == username,
            col(LoginAttemptRow.failures) < MAX_FAILED_PINS,
            or_(
                col(LoginAttemptRow.locked_until).is_(None),
                col(LoginAttemptRow.locked_until) <= now,
            ),
        )
        .values(failures=LoginAttemptRow.failures + 1, locked_until=None)
    )
    if reserved.rowcount == 1:  # type: ignore[attr-defined]
        return None
    row = s.get(LoginAttemptRow, username)
    until = aware(row.locked_until) if row is not None and row.locked_until else None
    return until if until is not None and until > now else IN_FLIGHT


IN_FLIGHT = datetime.min.replace(tzinfo=UTC)
"""`reserve_attempt`: every attempt left is being checked at this moment (five kiosks
logging in at once, or a guesser); they settle within a PIN check's time."""


def settle_attempt(s: Session, username: str, ok: bool, now: datetime) -> datetime | None:
    """After the PIN was checked: a right one clears the count; the wrong one that used the
    last attempt locks the name for LOCK_MINUTES. Until when it is now locked, if it is."""
    if ok:
        s.exec(delete(LoginAttemptRow).where(col(LoginAttemptRow.username) == username))
        return None
    until = now + timedelta(minutes=LOCK_MINUTES)
    locked = s.execute(
        update(LoginAttemptRow)
        .where(
            col(LoginAttemptRow.username) == username,
            col(LoginAttemptRow.failures) >= MAX_FAILED_PINS,
        )
        .values(failures=0, locked_until=until)
    )
    return until if locked.rowcount == 1 else None  # type: ignore[attr-defined]


def unlock(s: Session, username: str, actor: Actor, now: datetime) -> bool:
    """A supervisor lifts a lock (recorded on the change feed); whether there was one."""
    row = s.get(LoginAttemptRow, username)
    locked = row is not None and row.locked_until is not None and aware(row.locked_until) > now
    s.exec(delete(LoginAttemptRow).where(col(LoginAttemptRow.username) == username))
    emit(s, "unlock", {"username": username, "by": actor.username, "was_locked": locked}, now)
    return locked


def _insert_attempt(s: Session) -> Any:
    """INSERT for the login_attempt table in the database's own dialect (ON CONFLICT)."""
    if s.get_bind().dialect.name == "postgresql":
        return pg_insert(LoginAttemptRow)
    return sqlite_insert(LoginAttemptRow)


def open_login(
    s: Session,
    username: str,
    counter_no: int | None,
    now: datetime,
    lifetime: timedelta,
) -> tuple[str, dict[str, Any]]:
    """A login for a member of staff whose PIN was checked; (token, who and where)."""
    staff = s.exec(select(StaffRow).where(StaffRow.username == username)).one()
    if counter_no is not None:
        if staff.role not in COUNTER_ROLES:
            raise forbidden("no_counter_for_role", f"a {staff.role} does not sit at a counter")
        counter = get_counter(s, counter_no, lock=True)
        if counter.clerk not in (None, staff.username):
            raise conflict(
                "counter_held",
                f"counter {counter_no} is held by {counter.clerk}; a supervisor can take it over",
            )
        counter.clerk = staff.username
        if counter.status == "closed":
            counter.status = "open"
        _counter_changed(s, counter, now)
    token = new_token()
    s.add(
        TokenRow(
            token_hash=token_digest(token),
            username=staff.username,
            counter=counter_no,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token, {
        "username": staff.username,
        "name": staff.name,
        "role": staff.role,
        "department": staff.department,
        "counter": counter_no,
        "expires_at": (now + lifetime).isoformat(),
    }


_TOKEN = CentralModel.metadata.tables["auth_token"]
_STAFF = CentralModel.metadata.tables["staff"]
# One indexed join, built once: every request of a counter starts here.
_WHO = (
    sql_select(
        _TOKEN.c.expires_at,
        _TOKEN.c.counter,
        _STAFF.c.username,
        _STAFF.c.role,
        _STAFF.c.department,
    )
    .join_from(_TOKEN, _STAFF, _TOKEN.c.username == _STAFF.c.username)
    .where(_TOKEN.c.token_hash == bindparam("digest"))
)


def actor_for(s: Session, token: str, now: datetime) -> Actor:
    """Who a bearer token belongs to, or 401."""
    row = s.execute(_WHO, {"digest": token_digest(token)}).first()
    if row is None:
        raise unauthorized("not_logged_in", "log in first")
    if aware(row.expires_at) <= now:
        raise unauthorized("login_expired", "the login has expired; log in again")
    return Actor(row.username, row.role, row.department, row.counter)


def logout(s: Session, token: str, actor: Actor, now: datetime) -> None:
    """End a login and free its counter, unless the same person holds it under a newer
    login (a logout made at a console while the platform was away, told to it after they
    logged in there again)."""
    s.exec(delete(TokenRow).where(col(TokenRow.token_hash) == token_digest(token)))
    if actor.counter is not None:
        counter = get_counter(s, actor.counter, lock=True)
        still = s.exec(
            select(TokenRow.token_hash).where(
                TokenRow.username == actor.username,
                TokenRow.counter == actor.counter,
                col(TokenRow.expires_at) > now,
            )
        ).first()
        if counter.clerk == actor.username and still is None:
            counter.clerk = None
            if counter.current_ticket is None:
                counter.status = "closed"
            _counter_changed(s, counter, now)


def take_over(s: Session, counter_no: int, actor: Actor, now: datetime) -> str | None:
    """A supervisor frees a counter held by someone else; returns who held it."""
    counter = get_counter(s, counter_no, lock=True)
    holder = counter.clerk
    if holder is not None:
        s.exec(
            delete(TokenRow).where(
                col(TokenRow.username) == holder, col(TokenRow.counter) == counter_no
            )
        )
    counter.clerk = None
    _counter_changed(s, counter, now)
    emit(s, "takeover", {"counter": counter_no, "by": actor.username, "released": holder}, now)
    return holder


def require(actor: Actor, *roles: str) -> None:
    """403 unless the actor has one of `roles`."""
    if actor.role not in roles:
        raise forbidden("role_forbidden", f"a {actor.role} may not do this")
