"""Console tags: the letters each console's store puts in its case numbers.

A tag is given to a store (by its random console id) at its first login and to no other
store ever, so numbers made at two consoles without the network cannot collide. A store
found sharing numbers with another (a copied disk) asks for a new tag (`renew`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from clerk_console.central.errors import conflict
from clerk_console.central.models import ConsoleTag
from clerk_console.domain.case_number import MAX_CONSOLE_TAG


def console_tag(
    s: Session,
    console_id: str,
    username: str,
    counter: int | None,
    now: datetime,
    *,
    renew: bool = False,
) -> int:
    """The tag of the store `console_id`: its newest, or a new one if it has none (or
    `renew`). Two new tags taken at once conflict on the primary key: the caller retries."""
    if not renew:
        newest = s.exec(
            select(ConsoleTag.tag)
            .where(ConsoleTag.console_id == console_id)
            .order_by(col(ConsoleTag.tag).desc())
            .limit(1)
        ).first()
        if newest is not None:
            return newest
    highest = s.exec(select(func.max(ConsoleTag.tag))).one()
    tag = (highest or 0) + 1
    if tag > MAX_CONSOLE_TAG:
        raise conflict("no_console_tags", "every console mark A–ZZZ has been given out")
    s.add(
        ConsoleTag(tag=tag, console_id=console_id, username=username, counter=counter, given_at=now)
    )
    s.flush()
    return tag
