"""The console's local store: one SQLite file in WAL mode with `synchronous=FULL`, so an
acknowledged write survives a power cut. Every write transaction starts with `BEGIN
IMMEDIATE`, taking the write lock up front instead of failing half-way."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, create_engine, event, func, update
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, col, select

from clerk_console.domain.audit import (
    GENESIS,
    AuditFields,
    ChainBreak,
    check_anchors,
    entry_hash,
    verify_chain,
)
from clerk_console.domain.intake import Intake
from clerk_console.domain.search import HitKind, SearchKey
from clerk_console.private import private_database, private_folder
from clerk_console.store.migrations import migrate
from clerk_console.store.models import (
    Attachment,
    AuditEntry,
    CaseMaterial,
    CaseRecord,
    CaseSequence,
    CatalogCache,
    ConsoleMeta,
    OfflineLogin,
    OutboxRow,
    PrintJob,
)

STORE_FILE = "console.db"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(path: Path) -> Engine:
    """A SQLAlchemy engine on `path` with the store's pragmas and immediate transactions."""
    # hide_parameters: an error's text never carries an applicant's numbers or a draft.
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred).
        dbapi.isolation_level = None
        dbapi.execute("PRAGMA journal_mode=WAL")
        dbapi.execute("PRAGMA synchronous=FULL")
        dbapi.execute("PRAGMA foreign_keys=ON")
        dbapi.execute("PRAGMA busy_timeout=5000")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# LIMIT 1: without it the ORM reads the whole log to give the first row, and every entry
# appended costs more than the last (a console's log grows all its life).
_NEWEST_AUDIT = select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(1)


def _append_audit(
    s: Session,
    actor: str,
    action: str,
    subject: str,
    detail: Mapping[str, Any] | None = None,
    counter: int | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry, chained to the previous one, in the caller's transaction (which
    holds the write lock: BEGIN IMMEDIATE), so a change and its entry commit together."""
    stamp = (at or _utcnow()).isoformat()
    last = s.exec(_NEWEST_AUDIT).first()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    fields = AuditFields(seq, stamp, actor, counter, action, subject, dict(detail or {}))
    row = AuditEntry(
        seq=seq,
        at=stamp,
        actor=actor,
        counter=counter,
        action=action,
        subject=subject,
        detail_json=json.dumps(fields.detail, ensure_ascii=False, sort_keys=True),
        prev_hash=prev,
        hash=entry_hash(prev, fields),
    )
    s.add(row)
    return row


@dataclass(frozen=True)
class CachedCatalog:
    """A catalog as the store keeps it."""

    version: str
    source: str
    sources: dict[str, str]
    search_keys: list[SearchKey]


class LocalStore:
    """Opens (creating and migrating) the store file and offers its operations."""

    def __init__(self, path: Path) -> None:
        private_folder(path.parent)
        self.path = path
        self.engine = make_engine(path)
        raw = self.engine.raw_connection()
        try:
            dbapi = raw.driver_connection
            assert isinstance(dbapi, sqlite3.Connection)
            migrate(dbapi)
        finally:
            raw.close()
        private_database(path)

    @classmethod
    def open(cls, data_dir: Path) -> LocalStore:
        """The store in a data directory, checked: a file whose pages are broken raises
        `sqlite3.DatabaseError` here, at the start, rather than in the middle of an intake."""
        store = cls(data_dir / STORE_FILE)
        try:
            with store.engine.connect() as conn:
                verdict = conn.exec_driver_sql("PRAGMA quick_check").scalar()
        except Exception:
            store.close()
            raise
        if verdict != "ok":
            store.close()
            raise sqlite3.DatabaseError(f"database disk image is malformed: {verdict}")
        return store

    def close(self) -> None:
        """Release the file."""
        self.engine.dispose()

    def session(self) -> Session:
        """A session; use it as a context manager and commit inside `session.begin()`."""
        return Session(self.engine, expire_on_commit=False)

    # --- audit ------------------------------------------------------------------------

    def append_audit(
        self,
        actor: str,
        action: str,
        subject: str,
        detail: Mapping[str, Any] | None = None,
        counter: int | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one entry, chained to the previous one, in its own transaction."""
        with self.session() as s, s.begin():
            return _append_audit(s, actor, action, subject, detail, counter, at)

    def audit_entries(self) -> list[AuditEntry]:
        """The whole log in order."""
        with self.session() as s:
            return list(s.exec(select(AuditEntry).order_by(col(AuditEntry.seq))))

    def console_id(self) -> str:
        """This console's id, made at random on first use: the platform keeps its audit
        anchors under it."""
        with self.session() as s, s.begin():
            row = s.get(ConsoleMeta, "console_id")
            if row is None:
                row = ConsoleMeta(key="console_id", value=uuid.uuid4().hex)
                s.add(row)
            return row.value

    def console_tag(self) -> int | None:
        """This console's tag for case numbers, as the platform gave it (None: not yet)."""
        with self.session() as s:
            row = s.get(ConsoleMeta, "console_tag")
            return int(row.value) if row is not None else None

    def set_console_tag(self, tag: int) -> None:
        """Keep the tag the platform gave this console's store."""
        with self.session() as s, s.begin():
            row = s.get(ConsoleMeta, "console_tag") or ConsoleMeta(key="console_tag", value="")
            row.value = str(tag)
            s.add(row)

    # --- logins while the platform is away ------------------------------------------------

    def remember_login(
        self, username: str, name: str, role: str, department: str | None, pin: str
    ) -> None:
        """The platform checked this PIN: keep a verifier of it (slow on purpose: thread)."""
        verifier = _PIN_VERIFIER.hash(pin)
        now = _utcnow()
        with self.session() as s, s.begin():
            row = s.get(OfflineLogin, username) or OfflineLogin(
                username=username, name=name, role=role, pin_hash="", verified_at=now
            )
            row.name, row.role, row.department = name, role, department
            row.pin_hash, row.verified_at = verifier, now
            row.failures, row.locked_until = 0, None
            s.add(row)

    def check_offline_login(
        self, username: str, pin: str, counter: int, now: datetime, max_age: timedelta
    ) -> OfflineCheck:
        """A login while the platform is away: only for who logged in here with the platform
        within `max_age`; five wrong PINs lock the name here for 15 minutes, as on the
        platform. Recorded in the audit log either way."""
        with self.session() as s:
            row = s.get(OfflineLogin, username)
        if row is None or now - _aware(row.verified_at) > max_age:
            return OfflineCheck("unknown")
        if row.locked_until is not None and _aware(row.locked_until) > now:
            return OfflineCheck("locked", until=_aware(row.locked_until))
        right: bool
        try:
            right = _PIN_VERIFIER.verify(row.pin_hash, pin)
        except (VerificationError, InvalidHashError):
            right = False
        with self.session() as s, s.begin():
            row = s.get(OfflineLogin, username)
            assert row is not None
            if right:
                row.failures, row.locked_until = 0, None
                detail: dict[str, Any] = {"role": row.role}
                _append_audit(s, username, "login.offline", username, detail, counter, now)
            else:
                row.failures += 1
                if row.failures >= OFFLINE_MAX_FAILED:
                    row.failures, row.locked_until = 0, now + OFFLINE_LOCK
                detail = {"locked": row.locked_until is not None}
                _append_audit(s, username, "login.offline_refused", username, detail, counter, now)
            s.add(row)
            if right:
                return OfflineCheck("ok", name=row.name, role=row.role, department=row.department)
            if row.locked_until is not None:
                return OfflineCheck("locked", until=_aware(row.locked_until))
            return OfflineCheck("wrong", left=OFFLINE_MAX_FAILED - row.failures)

    def record_login_confirmed(self, username: str, counter: int | None) -> None:
        """The platform has checked a login made here while it was away."""
        with self.session() as s, s.begin():
            _append_audit(s, username, "login.confirmed", username, {}, counter)

    def queue_logout(self, token: str, username: str, counter: int | None) -> None:
        """A logout while the platform is away (or the login expired): done here at once;
        the platform is told when it answers again (the outbox), so it frees the counter."""
        now = _utcnow()
        with self.session() as s, s.begin():
            s.add(
                OutboxRow(
                    kind="logout",
                    idempotency_key=f"logout-{uuid.uuid4().hex}",
                    payload_json=_dumps({"token": token, "username": username}),
                    created_at=now,
                )
            )
            _append_audit(s, username, "logout.local", username, {}, counter, now)

    def start_offline_visit(
        self, counter: int, clerk: str, ticket: str | None, line: str, started: datetime
    ) -> str:
        """Someone served here while the platform is away (a typed or scanned ticket, or a
        walk-in with None): kept at once, so a restart still knows; sent when it is finished
        and the platform answers. Its key."""
        key = f"visit-{uuid.uuid4().hex}"
        visit = {"ticket": ticket, "line": line, "started_at": started.isoformat()}
        payload = {"counter": counter, "visit": {**visit, "finished_at": None, "outcome": None}}
        with self.session() as s, s.begin():
            s.add(
                OutboxRow(
                    kind="visit",
                    idempotency_key=key,
                    payload_json=_dumps(payload),
                    created_at=started,
                )
            )
            _append_audit(s, clerk, "visit.offline", ticket or line, visit, counter, started)
        return key

    def finish_offline_visit(self, key: str, outcome: str, finished: datetime, clerk: str) -> None:
        """The visit served offline ends with `outcome`: now it may be sent."""
        with self.session() as s, s.begin():
            row = s.exec(select(OutboxRow).where(OutboxRow.idempotency_key == key)).one()
            payload = json.loads(row.payload_json)
            payload["visit"] |= {"finished_at": finished.isoformat(), "outcome": outcome}
            row.payload_json = _dumps(payload)
            s.add(row)
            counter = int(payload["counter"])
            detail = {"outcome": outcome}
            subject = payload["visit"]["ticket"] or payload["visit"]["line"]
            _append_audit(s, clerk, "visit.offline_finished", subject, detail, counter, finished)

    def open_offline_visit(self, counter: int) -> tuple[str, dict[str, Any]] | None:
        """A visit served offline at `counter` and not finished yet (after a restart)."""
        with self.session() as s:
            rows = s.exec(
                select(OutboxRow).where(OutboxRow.kind == "visit", col(OutboxRow.sent_at).is_(None))
            )
            for row in rows:
                payload = json.loads(row.payload_json)
                if payload["counter"] == counter and payload["visit"]["finished_at"] is None:
                    return row.idempotency_key, dict(payload["visit"])
        return None

    def feed_cursor(self) -> int | None:
        """How far this console has read the platform's change feed (None: not yet)."""
        with self.session() as s:
            row = s.get(ConsoleMeta, "feed_cursor")
            return int(row.value) if row is not None else None

    def set_feed_cursor(self, cursor: int) -> None:
        with self.session() as s, s.begin():
            row = s.get(ConsoleMeta, "feed_cursor") or ConsoleMeta(key="feed_cursor", value="")
            row.value = str(cursor)
            s.add(row)

    def keep_platform_view(self, number: str, view: Mapping[str, Any], at: datetime) -> bool:
        """The platform's view of one of this console's cases, kept (the platform's state
        wins: it is where departments decide). False if the case is not this console's."""
        with self.session() as s, s.begin():
            case = s.exec(select(CaseRecord).where(CaseRecord.case_number == number)).first()
            if case is None:
                return False
            case.platform_json, case.platform_at = _dumps(dict(view)), at
            s.add(case)
            return True

    def find_local_cases(self, query: str) -> list[dict[str, Any]]:
        """This console's cases by whole case number, ID number, credit code or mobile, as
        the platform last showed them (or as decided here, if it never has), newest first;
        each with "as_of": when that view was taken (None: never)."""
        wanted = query.strip().upper()
        if not wanted:
            return []
        with self.session() as s:
            rows = list(
                s.exec(
                    select(CaseRecord)
                    .where(col(CaseRecord.case_number).is_not(None))
                    .order_by(col(CaseRecord.created_at).desc())
                )
            )
        found = []
        for case in rows:
            people = json.loads(case.applicant_json)
            person = people.get("applicant", people) if isinstance(people, dict) else {}
            keys = {str(person.get(k, "")).upper() for k in ("id_number", "credit_code", "mobile")}
            if wanted != (case.case_number or "") and wanted not in keys - {""}:
                continue
            if case.platform_json:
                view = json.loads(case.platform_json)
                view["as_of"] = _aware(case.platform_at).isoformat() if case.platform_at else None
            else:
                view = {
                    "number": case.case_number,
                    "applicant": {"name": str(person.get("name", ""))},
                    "status": case.status,
                    "progress": "",
                    "received_at": _aware(case.created_at).isoformat(),
                    "handoffs": [],
                    "delivery": None,
                    "as_of": None,
                }
            found.append(view)
        return found

    def audit_head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest audit entry; None for an empty log."""
        with self.session() as s:
            last = s.exec(_NEWEST_AUDIT).first()
            return None if last is None else (last.seq, last.hash)

    def anchored_seq(self) -> int:
        """The newest audit entry the platform holds the hash of (0: none yet)."""
        with self.session() as s:
            row = s.get(ConsoleMeta, "anchored_seq")
            return int(row.value) if row is not None else 0

    def set_anchored(self, seq: int) -> None:
        """The platform now holds the hash of entry `seq`."""
        with self.session() as s, s.begin():
            row = s.get(ConsoleMeta, "anchored_seq") or ConsoleMeta(key="anchored_seq", value="0")
            row.value = str(seq)
            s.add(row)

    def verify_audit(
        self, anchors: Sequence[tuple[int, str]] = ()
    ) -> tuple[int, ChainBreak | None]:
        """(entries checked, first break or None): the chain itself, then against the
        `anchors` the platform holds (see `check_anchors`)."""
        rows = self.audit_entries()
        anchored = check_anchors(
            {r.seq: r.hash for r in rows}, rows[-1].seq if rows else 0, anchors
        )
        chain = (
            (
                AuditFields(
                    r.seq, r.at, r.actor, r.counter, r.action, r.subject, json.loads(r.detail_json)
                ),
                r.prev_hash,
                r.hash,
            )
            for r in rows
        )
        return len(rows), verify_chain(chain) or anchored

    # --- catalog cache ------------------------------------------------------------------

    def cache_catalog(
        self,
        version: str,
        source: str,
        sources: Mapping[str, str],
        search_keys: Sequence[SearchKey],
    ) -> None:
        """Keep this catalog version as the one in use. Older versions go, except those an
        open draft still works with (it reopens with the checklist it started with)."""
        keys = [
            [k.kind.value, k.code, k.name, k.department, k.pinyin, k.initials, k.keywords]
            for k in search_keys
        ]
        with self.session() as s, s.begin():
            pinned = _draft_catalogs(s)
            for old in s.exec(select(CatalogCache)):
                if old.version == version or old.version not in pinned:
                    s.delete(old)
            s.flush()
            s.add(
                CatalogCache(
                    version=version,
                    fetched_at=_utcnow(),
                    source=source,
                    sources_json=json.dumps(dict(sources), ensure_ascii=False),
                    search_keys_json=json.dumps(keys, ensure_ascii=False),
                )
            )

    def cached_catalog(self, version: str | None = None) -> CachedCatalog | None:
        """The catalog in use (the latest cached), or the cached `version` if it is kept."""
        with self.session() as s:
            query = select(CatalogCache)
            if version is None:
                query = query.order_by(col(CatalogCache.fetched_at).desc())
            else:
                query = query.where(CatalogCache.version == version)
            row = s.exec(query).first()
        if row is None:
            return None
        keys = [
            SearchKey(HitKind(k[0]), k[1], k[2], k[3], k[4], k[5], k[6])
            for k in json.loads(row.search_keys_json)
        ]
        return CachedCatalog(row.version, row.source, json.loads(row.sources_json), keys)

    # --- case numbers -------------------------------------------------------------------

    def next_case_sequence(self, day: date, counter: int) -> int:
        """The next case sequence of `counter` on `day`, taken in one transaction."""
        with self.session() as s, s.begin():
            row = s.get(CaseSequence, (day, counter))
            if row is None:
                row = CaseSequence(day=day, counter=counter, last=0)
            row.last += 1
            s.add(row)
            return row.last

    # --- intake drafts ---------------------------------------------------------------------

    def save_draft(
        self, intake: Intake, hall: str, what: str, detail: Mapping[str, Any] | None = None
    ) -> None:
        """Save the intake as it now is, with an audit entry saying what changed (`what`,
        e.g. "intake.material"), in one transaction: after this returns, a crash or a power
        cut loses nothing."""
        data = intake.to_data()
        now = _utcnow()
        with self.session() as s, s.begin():
            case = s.exec(select(CaseRecord).where(CaseRecord.draft_key == intake.key)).first()
            if case is None and intake.continues:
                # A supplement notice this console gave, taken up again: the same record
                # (its scans stay attached), a draft again under the new intake's key.
                case = s.exec(
                    select(CaseRecord).where(CaseRecord.case_number == intake.continues)
                ).first()
                if case is not None:
                    case.draft_key, case.status = intake.key, "draft"
            if case is None:
                case = CaseRecord(
                    draft_key=intake.key,
                    hall=hall,
                    counter=intake.counter,
                    created_at=now,
                    updated_at=now,
                )
            case.clerk, case.step, case.ticket = intake.clerk, intake.step.value, intake.ticket
            case.extra_json = _dumps(
                {
                    "shared": data["shared"],
                    "continues": data["continues"],
                    "history": data["history"],
                    "catalog": data["catalog"],
                }
            )
            case.applicant_json = _dumps({"applicant": data["applicant"], "agent": data["agent"]})
            case.selection_json = _dumps(data["selection"])
            case.answers_json = _dumps(data["answers"])
            case.form_json = _dumps(data["form"])
            case.updated_at = now
            s.add(case)
            s.flush()
            assert case.id is not None
            rows = {
                m.material_code: m
                for m in s.exec(select(CaseMaterial).where(CaseMaterial.case_id == case.id))
            }
            for code, record in data["records"].items():
                row = rows.get(code) or CaseMaterial(
                    case_id=case.id, material_code=code, updated_at=now
                )
                if code not in rows or _record_of(row) != record:
                    for name, value in record.items():
                        setattr(row, name, _column(name, value))
                    row.updated_at = now
                    s.add(row)
            _append_audit(s, intake.clerk, what, intake.key, detail, intake.counter, now)

    def save_step(self, key: str, step: str) -> None:
        """Only where a draft stands (a step change): one small write, no audit entry
        (moving between steps changes nothing of the application)."""
        with self.session() as s, s.begin():
            case = s.exec(select(CaseRecord).where(CaseRecord.draft_key == key)).first()
            if case is not None and case.status == "draft":
                case.step = step
                s.add(case)

    def close_intake(
        self,
        intake: Intake,
        hall: str,
        number: str,
        password: str,
        status: str,
        decision: Mapping[str, Any],
        prints: Sequence[NewPrint] = (),
    ) -> None:
        """The intake ends (accepted, deferred, supplement notice, rejected): the case, its
        outbox row (to send to the platform, keyed by the draft's key), its print jobs and
        the audit entry are written in one transaction, so none exists without the others."""
        self.save_draft(intake, hall, "intake.step", {"step": intake.step.value})
        now = _utcnow()
        data = intake.to_data()
        payload = {
            "number": number,
            "status": status,
            "taken_by": intake.clerk,
            "data": {
                "applicant": data["applicant"],
                "agent": data["agent"],
                "selection": data["selection"],
                "answers": data["answers"],
                "materials": data["records"],
                "form": data["form"],
                # The password goes with the decision: the platform's "accepted" message
                # gives it to the applicant with the case number.
                "decision": {**dict(decision), "query_password": password},
                "ticket": intake.ticket,
                # Taken up again after a supplement notice: the case it continues, and
                # the decisions it had before (its trail).
                "continues": data["continues"],
                "history": data["history"],
            },
        }
        with self.session() as s, s.begin():
            case = s.exec(select(CaseRecord).where(CaseRecord.draft_key == intake.key)).one()
            if case.status != "draft":
                raise ValueError(f"intake {intake.key} is already {case.status}")
            case.status, case.case_number, case.query_password = status, number, password
            case.decision_json = _dumps(dict(decision))
            case.updated_at = now
            s.add(case)
            s.add(
                OutboxRow(
                    kind="case",
                    idempotency_key=intake.key,
                    payload_json=_dumps(payload),
                    created_at=now,
                )
            )
            detail = {"number": number, "status": status}
            _append_audit(s, intake.clerk, f"case.{status}", intake.key, detail, intake.counter)
            for job in prints:
                s.add(job.row(now))
            # Each scanned file goes to the platform after the case, with the case number.
            query = select(Attachment).where(Attachment.case_id == case.id)
            for file in s.exec(query.order_by(col(Attachment.id))):
                s.add(
                    OutboxRow(
                        kind="file",
                        idempotency_key=f"{intake.key}:{file.sha256}",
                        payload_json=_dumps(
                            {
                                "case": number,
                                "sha256": file.sha256,
                                "material": file.material_code,
                                "file_name": file.file_name,
                                "mime": file.mime,
                                "pages": file.pages,
                            }
                        ),
                        created_at=now,
                    )
                )

    def renumber_case(
        self,
        old: str,
        new: str,
        correct: Callable[[dict[str, Any]], dict[str, Any]],
        actor: str,
        counter: int | None,
    ) -> int:
        """The case `old` is now `new` (its number was found taken on the platform): its
        record, its outbox rows and its waiting print jobs say `new`; each document already
        printed is queued again as corrected by `correct` (it names both numbers). Audited,
        in one transaction. How many corrected documents were queued."""

        whole = re.compile(re.escape(old) + r"(?!\d)")  # not the start of a longer number

        def swapped(text: str) -> str:
            return whole.sub(new, text)

        now = _utcnow()
        with self.session() as s, s.begin():
            case = s.exec(select(CaseRecord).where(CaseRecord.case_number == old)).one()
            case.case_number, case.updated_at = new, now
            case.decision_json = swapped(case.decision_json)
            s.add(case)
            for row in s.exec(select(OutboxRow).where(col(OutboxRow.sent_at).is_(None))):
                if old in row.payload_json:
                    row.payload_json = swapped(row.payload_json)
                    s.add(row)
            corrected = 0
            for job in list(s.exec(select(PrintJob).where(PrintJob.subject == old))):
                job.subject = new
                if job.status in ("queued", "failed"):
                    job.payload_json, job.updated_at = swapped(job.payload_json), now
                elif not job.is_copy:  # printed (or printing): the paper says `old`
                    document = correct(json.loads(swapped(job.payload_json)))
                    s.add(
                        PrintJob(
                            document=job.document,
                            printer=job.printer,
                            payload_json=_dumps(document),
                            subject=new,
                            is_copy=True,
                            copy_of=job.id,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    corrected += 1
                s.add(job)
            detail = {"from": old, "to": new, "corrected_prints": corrected}
            _append_audit(s, actor, "case.renumbered", case.draft_key, detail, counter, now)
            return corrected

    def discard_draft(self, intake: Intake) -> None:
        """An intake given up before a decision: it no longer reopens."""
        with self.session() as s, s.begin():
            case = s.exec(select(CaseRecord).where(CaseRecord.draft_key == intake.key)).first()
            if case is None or case.status != "draft":
                return
            case.status, case.updated_at = "discarded", _utcnow()
            s.add(case)
            _append_audit(s, intake.clerk, "intake.discarded", intake.key, {}, intake.counter)

    def pending_outbox(self) -> list[OutboxRow]:
        """What is still to be sent to the platform, oldest first."""
        with self.session() as s:
            query = select(OutboxRow).where(col(OutboxRow.sent_at).is_(None))
            return list(s.exec(query.order_by(col(OutboxRow.id))))

    def outbox_depth(self) -> int:
        """How many cases and scans are still to send (a logout told late is not work)."""
        with self.session() as s:
            query = select(func.count()).select_from(OutboxRow)
            query = query.where(col(OutboxRow.sent_at).is_(None), OutboxRow.kind != "logout")
            return int(s.exec(query).one())

    def platform_down_since(self) -> datetime | None:
        """Since when this console has not reached the platform (None: it has)."""
        with self.session() as s:
            row = s.get(ConsoleMeta, "platform_down_since")
            return datetime.fromisoformat(row.value) if row is not None else None

    def set_platform_down_since(self, moment: datetime | None) -> None:
        """Keep (or, with None, clear) the time the platform stopped answering."""
        with self.session() as s, s.begin():
            row = s.get(ConsoleMeta, "platform_down_since")
            if moment is None:
                if row is not None:
                    s.delete(row)
                return
            row = row or ConsoleMeta(key="platform_down_since", value="")
            row.value = moment.isoformat()
            s.add(row)

    def outbox_payload(self, row_id: int) -> str:
        """An outbox row's payload as it now stands (JSON)."""
        with self.session() as s:
            row = s.get(OutboxRow, row_id)
            assert row is not None
            return row.payload_json

    def outbox_payloads(self, row_ids: Sequence[int]) -> dict[int, str]:
        """Outbox rows' payloads as they now stand (JSON), by row id, in one read."""
        with self.session() as s:
            query = select(OutboxRow.id, OutboxRow.payload_json)
            rows = s.exec(query.where(col(OutboxRow.id).in_(list(row_ids))))
            return {int(row_id): payload for row_id, payload in rows if row_id is not None}

    def outbox_sent(self, *row_ids: int) -> None:
        """The platform acknowledged these rows (one transaction for a batch of them)."""
        with self.session() as s, s.begin():
            s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id).in_(row_ids))
                .values(sent_at=_utcnow(), attempts=OutboxRow.attempts + 1, last_error=None)
            )

    def outbox_failed(self, row_id: int | Sequence[int], error: str) -> None:
        """A try to send this row (or these, sent together) failed; it stays queued with
        the reason."""
        ids = [row_id] if isinstance(row_id, int) else list(row_id)
        with self.session() as s, s.begin():
            s.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id).in_(ids))
                .values(attempts=OutboxRow.attempts + 1, last_error=error)
            )

    # --- the print spool ------------------------------------------------------------------

    def queue_print(self, job: NewPrint) -> int:
        """Queue one document for a printer; its job id."""
        with self.session() as s, s.begin():
            row = job.row(_utcnow())
            s.add(row)
            s.flush()
            assert row.id is not None
            return row.id

    def recover_printing(self) -> int:
        """Jobs left `printing` by a console that stopped mid-job go back to the queue (the
        receipt may come out twice; it is never lost). How many."""
        with self.session() as s, s.begin():
            rows = list(s.exec(select(PrintJob).where(PrintJob.status == "printing")))
            for row in rows:
                row.status = "queued"
                s.add(row)
            return len(rows)

    def claim_print_job(self, printer: str, now: datetime) -> PrintJob | None:
        """The oldest job queued for `printer`, marked printing, if it is due: jobs of one
        printer come out in the order they were queued, so a job waiting for its retry holds
        back the ones behind it."""
        with self.session() as s, s.begin():
            query = select(PrintJob).where(PrintJob.printer == printer)
            row = s.exec(
                query.where(PrintJob.status == "queued").order_by(col(PrintJob.id))
            ).first()
            if row is None or (row.next_attempt_at and _aware(row.next_attempt_at) > now):
                return None
            row.status, row.attempts, row.updated_at = "printing", row.attempts + 1, now
            s.add(row)
            s.flush()
            s.expunge(row)
            return row

    def print_done(self, job_id: int, now: datetime, warning: str | None = None) -> None:
        """The printer took the whole job (`warning`: a fault it reported afterwards)."""
        self._print_ended(job_id, "done", warning, None, now)

    def print_failed(
        self, job_id: int, error: str, now: datetime, retry_at: datetime | None
    ) -> None:
        """The job did not print: queued again for `retry_at`, or failed for good (None)."""
        self._print_ended(job_id, "queued" if retry_at else "failed", error, retry_at, now)

    def _print_ended(
        self, job_id: int, status: str, error: str | None, retry_at: datetime | None, now: datetime
    ) -> None:
        with self.session() as s, s.begin():
            row = s.get(PrintJob, job_id)
            assert row is not None
            row.status, row.last_error, row.next_attempt_at = status, error, retry_at
            row.updated_at = now
            if status == "done":
                row.printed_at = now
            s.add(row)

    def retry_prints(self, printer: str | None = None) -> int:
        """Every job waiting or failed (of one printer, or all) is due now: the clerk fixed
        the printer and says so. How many."""
        with self.session() as s, s.begin():
            query = select(PrintJob).where(col(PrintJob.status).in_(("queued", "failed")))
            if printer is not None:
                query = query.where(PrintJob.printer == printer)
            rows = list(s.exec(query))
            for row in rows:
                row.status, row.next_attempt_at = "queued", None
                s.add(row)
            return len(rows)

    def resume_prints(self, printer: str) -> int:
        """The printer is well again: its queued jobs are due now, not at their next try.
        How many."""
        with self.session() as s, s.begin():
            query = select(PrintJob).where(
                PrintJob.printer == printer,
                PrintJob.status == "queued",
                col(PrintJob.next_attempt_at).is_not(None),
            )
            rows = list(s.exec(query))
            for row in rows:
                row.next_attempt_at = None
                s.add(row)
            return len(rows)

    def fail_prints_without_printer(self, printers: Sequence[str], now: datetime) -> int:
        """Jobs for a printer no longer configured can never print: failed, visibly."""
        with self.session() as s, s.begin():
            query = select(PrintJob).where(PrintJob.status == "queued")
            rows = list(s.exec(query.where(col(PrintJob.printer).not_in(list(printers)))))
            for row in rows:
                row.status, row.last_error, row.updated_at = "failed", "no_printer", now
                s.add(row)
            return len(rows)

    def reprint(
        self, job_id: int, document: Mapping[str, Any], actor: str, counter: int | None
    ) -> int:
        """A copy (补打) of a job's document, already marked as such, queued to the same
        printer; audited. The new job's id."""
        with self.session() as s, s.begin():
            original = s.get(PrintJob, job_id)
            if original is None:
                raise ValueError(f"no print job {job_id}")
            now = _utcnow()
            row = PrintJob(
                document=original.document,
                printer=original.printer,
                payload_json=_dumps(dict(document)),
                subject=original.subject,
                is_copy=True,
                copy_of=original.copy_of or original.id,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            detail = {"job": row.id, "copy_of": row.copy_of, "document": row.document}
            _append_audit(s, actor, "print.reprint", original.subject, detail, counter, now)
            assert row.id is not None
            return row.id

    def print_jobs(self, limit: int = 200, subject: str | None = None) -> list[PrintJob]:
        """The latest jobs, newest first; only those of one case or ticket with `subject`."""
        with self.session() as s:
            query = select(PrintJob).order_by(col(PrintJob.id).desc()).limit(limit)
            if subject:
                query = query.where(PrintJob.subject == subject)
            return list(s.exec(query))

    def print_job(self, job_id: int) -> PrintJob | None:
        with self.session() as s:
            return s.get(PrintJob, job_id)

    def waiting_prints(self) -> dict[str, int]:
        """How many jobs each printer still has to print (queued or being sent)."""
        with self.session() as s:
            query = select(PrintJob.printer, func.count()).where(
                col(PrintJob.status).in_(("queued", "printing"))
            )
            return {name: n for name, n in s.exec(query.group_by(PrintJob.printer))}

    # --- attachments (scanned documents) -----------------------------------------------

    def add_attachment(
        self,
        sha256: str,
        name: str,
        size: int,
        mime: str,
        pages: int | None,
        actor: str,
        draft_key: str | None = None,
        material: str | None = None,
    ) -> Attachment:
        """Record a stored file: attached to a material of a draft (its scan count goes up
        in the same transaction), or, without a draft, kept in the inbox."""
        now = _utcnow()
        with self.session() as s, s.begin():
            case = None
            if draft_key is not None:
                case = s.exec(select(CaseRecord).where(CaseRecord.draft_key == draft_key)).one()
            row = Attachment(
                sha256=sha256,
                case_id=case.id if case else None,
                material_code=material if case else None,
                file_name=name,
                size=size,
                mime=mime,
                pages=pages,
                added_at=now,
            )
            s.add(row)
            if case is not None and material is not None:
                _count_scan(s, case, material, now)
            where = {"file": name, "sha256": sha256, "material": material}
            _append_audit(s, actor, "attachment.added", draft_key or "inbox", where)
        return row

    def blob(self, sha256: str) -> Path | None:
        """Where a stored file's content is (under the data directory), if it is."""
        folder = self.path.parent / "attachments" / sha256[:2]
        return next(iter(sorted(folder.glob(f"{sha256}*"))), None) if folder.is_dir() else None

    def inbox(self) -> list[Attachment]:
        """Scanned files that came with no intake open, oldest first."""
        with self.session() as s:
            query = select(Attachment).where(col(Attachment.case_id).is_(None))
            return list(s.exec(query.order_by(col(Attachment.id))))

    def assign_attachment(
        self, attachment_id: int, draft_key: str, material: str, actor: str
    ) -> None:
        """Attach a file from the inbox to a material of a draft."""
        now = _utcnow()
        with self.session() as s, s.begin():
            row = s.get(Attachment, attachment_id)
            if row is None or row.case_id is not None:
                raise ValueError(f"attachment {attachment_id} is not in the inbox")
            case = s.exec(select(CaseRecord).where(CaseRecord.draft_key == draft_key)).one()
            row.case_id, row.material_code = case.id, material
            s.add(row)
            _count_scan(s, case, material, now)
            detail = {"attachment": attachment_id, "material": material}
            _append_audit(s, actor, "attachment.assigned", draft_key, detail)

    def sent_from_inbox(
        self, attachment_id: int, case_number: str, material: str, actor: str, counter: int
    ) -> None:
        """A scan from the inbox went to the platform with a case of another console (a
        supplement): it leaves the inbox; the audit keeps where it went."""
        with self.session() as s, s.begin():
            row = s.get(Attachment, attachment_id)
            if row is None or row.case_id is not None:
                raise ValueError(f"attachment {attachment_id} is not in the inbox")
            detail = {"file": row.file_name, "sha256": row.sha256, "material": material}
            s.delete(row)
            _append_audit(s, actor, "attachment.sent", case_number, detail, counter)

    def attachments(self, draft_key: str) -> list[Attachment]:
        """The files attached to a draft's materials."""
        with self.session() as s:
            case = s.exec(select(CaseRecord).where(CaseRecord.draft_key == draft_key)).first()
            if case is None:
                return []
            query = select(Attachment).where(Attachment.case_id == case.id)
            return list(s.exec(query.order_by(col(Attachment.id))))

    def load_draft(self, key: str) -> Intake | None:
        """The draft saved under `key`, as it was last saved."""
        with self.session() as s:
            case = s.exec(select(CaseRecord).where(CaseRecord.draft_key == key)).first()
            if case is None:
                return None
            materials = s.exec(select(CaseMaterial).where(CaseMaterial.case_id == case.id))
            people = json.loads(case.applicant_json)
            extra = json.loads(case.extra_json or "{}")
            return Intake.from_data(
                {
                    **extra,
                    "key": case.draft_key,
                    "counter": case.counter,
                    "clerk": case.clerk,
                    "ticket": case.ticket,
                    "step": case.step,
                    "applicant": people["applicant"],
                    "agent": people["agent"],
                    "selection": json.loads(case.selection_json),
                    "answers": json.loads(case.answers_json),
                    "form": json.loads(case.form_json),
                    "records": {m.material_code: _record_of(m) for m in materials},
                }
            )

    def ticket_decision(self, ticket: str, counter: int, since: datetime) -> str | None:
        """How the latest intake of `ticket` at `counter` ended (accepted, deferred,
        supplement, rejected), if one was decided since `since` (the ticket's issue: ticket
        numbers start again every day); None when there was none."""
        decided = ("accepted", "deferred", "supplement", "rejected")
        with self.session() as s:
            query = (
                select(CaseRecord.status)
                .where(
                    CaseRecord.ticket == ticket,
                    CaseRecord.counter == counter,
                    col(CaseRecord.status).in_(decided),
                    CaseRecord.updated_at >= since.astimezone(UTC),
                )
                .order_by(col(CaseRecord.updated_at).desc())
            )
            return s.exec(query).first()

    def draft_continuing(self, number: str) -> str | None:
        """The key of an open draft taking up case `number` again, if there is one."""
        with self.session() as s:
            for key, extra in s.exec(
                select(CaseRecord.draft_key, CaseRecord.extra_json).where(
                    CaseRecord.status == "draft"
                )
            ):
                if json.loads(extra or "{}").get("continues") == number:
                    return key
            return None

    def open_drafts(self, counter: int) -> list[str]:
        """Keys of this counter's unfinished intakes, most recently changed first."""
        with self.session() as s:
            query = select(CaseRecord.draft_key).where(
                CaseRecord.counter == counter, CaseRecord.status == "draft"
            )
            return list(s.exec(query.order_by(col(CaseRecord.updated_at).desc())))


def _draft_catalogs(s: Session) -> set[str]:
    """The catalog versions open drafts work with."""
    versions = set()
    for extra in s.exec(select(CaseRecord.extra_json).where(CaseRecord.status == "draft")):
        version = json.loads(extra or "{}").get("catalog")
        if version:
            versions.add(str(version))
    return versions


def _count_scan(s: Session, case: CaseRecord, material: str, now: datetime) -> None:
    """One more scan of a material of the case."""
    assert case.id is not None
    query = select(CaseMaterial).where(
        CaseMaterial.case_id == case.id, CaseMaterial.material_code == material
    )
    row = s.exec(query).first() or CaseMaterial(
        case_id=case.id, material_code=material, updated_at=now
    )
    row.scans += 1
    row.updated_at = now
    s.add(row)


@dataclass(frozen=True)
class NewPrint:
    """A document to queue for a printer (`document` as `Document.to_data()`)."""

    printer: str
    document: Mapping[str, Any]
    subject: str = ""

    def row(self, now: datetime) -> PrintJob:
        return PrintJob(
            document=str(self.document["kind"]),
            printer=self.printer,
            payload_json=_dumps(dict(self.document)),
            subject=self.subject,
            is_copy=bool(self.document.get("copy", False)),
            created_at=now,
            updated_at=now,
        )


OFFLINE_MAX_FAILED = 5  # the platform's numbers (central.security), kept here too
OFFLINE_LOCK = timedelta(minutes=15)
# Costlier than the platform's (which also has a server secret): a copy of this file is
# all a guesser would need. About 50 ms a check here.
_PIN_VERIFIER = PasswordHasher(time_cost=2, memory_cost=32_768, parallelism=1)


@dataclass(frozen=True, slots=True)
class OfflineCheck:
    """What an offline login came to: ok (with who), unknown here, wrong, or locked."""

    outcome: str
    name: str = ""
    role: str = ""
    department: str | None = None
    left: int = 0
    until: datetime | None = None


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; ours are all UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _column(name: str, value: Any) -> Any:
    """A record's plain value as its column holds it."""
    if name == "deferred_until" and value is not None:
        return date.fromisoformat(value)
    return value


def _record_of(row: CaseMaterial) -> dict[str, Any]:
    return {
        "original": row.original,
        "copies": row.copies,
        "scans": row.scans,
        "verified_by_sharing": row.verified_by_sharing,
        "deferred_until": row.deferred_until.isoformat() if row.deferred_until else None,
        "not_applicable": row.not_applicable,
        "marked_missing": row.marked_missing,
    }
