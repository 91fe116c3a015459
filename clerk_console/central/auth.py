"""Staff login and who may do what.

Five wrong PINs lock a user for 15 minutes. A login to a counter holds it; nobody else may
log in to that counter until the holder logs out or a supervisor takes it over (recorded).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, delete, select

from clerk_console.central.errors import conflict, forbidden, unauthorized
from clerk_console.central.models import CentralModel, StaffRow, TokenRow
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
    PinHasher,
    new_token,
    token_digest,
)

COUNTER_ROLES = ("clerk", "supervisor")


def login(
    s: Session,
    hasher: PinHasher,
    username: str,
    pin: str,
    counter_no: int | None,
    now: datetime,
    lifetime: timedelta,
) -> tuple[str, dict[str, Any]]:
    """Check the PIN and open a login; (token, who and where)."""
    staff = s.exec(select(StaffRow).where(StaffRow.username == username).with_for_update()).first()
    # Same answer for an unknown user and a wrong PIN: no list of usernames by guessing.
    if staff is None:
        raise unauthorized("bad_credentials", "unknown user or wrong PIN")
    if staff.locked_until is not None and aware(staff.locked_until) > now:
        raise forbidden(
            "locked", f"too many wrong PINs; locked until {aware(staff.locked_until):%H:%M} UTC"
        )
    if not hasher.verify(staff.pin_hash, pin):
        # Counted by `count_failure` in its own transaction: this one is rolled back.
        raise unauthorized("bad_credentials", "unknown user or wrong PIN")
    staff.failed_attempts, staff.locked_until = 0, None
    s.add(staff)
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


def count_failure(s: Session, username: str, now: datetime) -> None:
    """One more wrong PIN; the fifth locks the user for 15 minutes."""
    staff = s.exec(select(StaffRow).where(StaffRow.username == username).with_for_update()).first()
    if staff is None:
        return
    staff.failed_attempts += 1
    if staff.failed_attempts >= MAX_FAILED_PINS:
        staff.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        staff.failed_attempts = 0
    s.add(staff)


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
    """End a login and free its counter."""
    s.exec(delete(TokenRow).where(col(TokenRow.token_hash) == token_digest(token)))
    if actor.counter is not None:
        counter = get_counter(s, actor.counter, lock=True)
        if counter.clerk == actor.username:
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
