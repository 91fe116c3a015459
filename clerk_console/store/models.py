"""Tables of the console's local store (SQLite). Their shape is created by the migrations in
`migrations.py`; a test checks that the two agree column for column."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class StoreModel(SQLModel, registry=registry()):
    """Base of the local store's tables: their own metadata, apart from the platform's."""


class CatalogCache(StoreModel, table=True):
    """The catalog as last received, by content-hash version, with its search keys so that
    a restart needs neither the platform nor the pinyin dictionary."""

    __tablename__ = "catalog_cache"
    version: str = Field(primary_key=True)
    fetched_at: datetime
    source: str
    sources_json: str
    search_keys_json: str


class CaseRecord(StoreModel, table=True):
    """A case at this counter, from draft to accepted or refused."""

    __tablename__ = "case_record"
    id: int | None = Field(default=None, primary_key=True)
    draft_key: str = Field(unique=True)
    case_number: str | None = Field(default=None, unique=True)
    query_password: str | None = None
    status: str = "draft"
    hall: str
    counter: int
    clerk: str = ""
    step: str = "applicant"  # where a reopened draft resumes
    ticket: str | None = None
    selection_json: str = "{}"
    answers_json: str = "{}"
    applicant_json: str = "{}"
    form_json: str = "{}"
    decision_json: str = "{}"
    # What else a draft holds: shared-registry records, the case a continued supplement
    # notice is, and that case's earlier decisions.
    extra_json: str = "{}"
    created_at: datetime
    updated_at: datetime
    # The case as the platform last showed it (its handoffs' states, applicant masked),
    # pulled from the change feed: `s` says it while the platform is away.
    platform_json: str = ""
    platform_at: datetime | None = None


class CaseMaterial(StoreModel, table=True):
    """What the clerk recorded for one material of a case."""

    __tablename__ = "case_material"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    material_code: str
    original: str = "none"
    copies: int = 0
    scans: int = 0
    verified_by_sharing: bool = False
    deferred_until: date | None = None
    not_applicable: bool = False
    marked_missing: bool = False
    updated_at: datetime


class Attachment(StoreModel, table=True):
    """A scanned file attached to a material, stored once by its SHA-256."""

    __tablename__ = "attachment"
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(index=True)
    case_id: int | None = Field(default=None, foreign_key="case_record.id", index=True)
    material_code: str | None = None
    file_name: str
    size: int
    mime: str
    pages: int | None = None
    added_at: datetime


class OutboxRow(StoreModel, table=True):
    """Something to push to the platform, sent with its idempotency key until acknowledged."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    idempotency_key: str = Field(unique=True)
    payload_json: str
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None


class PrintJob(StoreModel, table=True):
    """A document waiting for, being sent to, or sent to a printer."""

    __tablename__ = "print_job"
    __table_args__ = (Index("ix_print_job_due", "printer", "status", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    document: str  # its kind: ticket_slip, intake_receipt, …
    printer: str
    payload_json: str  # the document as data; rendered for the printer when sent
    subject: str = ""  # the case number or ticket it belongs to
    status: str = "queued"  # queued | printing | done | failed
    attempts: int = 0
    last_error: str | None = None  # a fault code, then its detail
    is_copy: bool = False
    copy_of: int | None = Field(default=None, foreign_key="print_job.id")
    next_attempt_at: datetime | None = None
    printed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class AuditEntry(StoreModel, table=True):
    """One row of the append-only, hash-chained audit log."""

    __tablename__ = "audit_log"
    seq: int = Field(primary_key=True)
    at: str
    actor: str
    counter: int | None = None
    action: str
    subject: str
    detail_json: str
    prev_hash: str
    hash: str


class ConsoleMeta(StoreModel, table=True):
    """Facts of this console: its id (random, made once) and the last audit entry whose
    hash the platform holds (the anchor)."""

    __tablename__ = "console_meta"
    key: str = Field(primary_key=True)
    value: str


class CaseSequence(StoreModel, table=True):
    """The last case sequence a counter gave out on a day."""

    __tablename__ = "case_sequence"
    day: date = Field(primary_key=True)
    counter: int = Field(primary_key=True)
    last: int = 0


class OfflineLogin(StoreModel, table=True):
    """A member of staff who logged in at this console while the platform answered: who
    they are, and a verifier of their PIN (argon2id, never the PIN), so they can log in here
    while the platform is away; with the same lockout as the platform's."""

    __tablename__ = "offline_login"
    username: str = Field(primary_key=True)
    name: str
    role: str
    department: str | None = None
    pin_hash: str
    verified_at: datetime  # the last login here that the platform checked
    failures: int = 0
    locked_until: datetime | None = None
