"""The hash chain of the audit log (全程留痕): each entry's hash covers the previous hash and
its own content, so changing or removing any row breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditFields:
    """The content of one audit entry that the hash covers."""

    seq: int
    at: str  # ISO 8601 with timezone
    actor: str
    counter: int | None
    action: str
    subject: str
    detail: Mapping[str, Any]


def entry_hash(prev_hash: str, fields: AuditFields) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the entry."""
    body = json.dumps(
        {
            "seq": fields.seq,
            "at": fields.at,
            "actor": fields.actor,
            "counter": fields.counter,
            "action": fields.action,
            "subject": fields.subject,
            "detail": fields.detail,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where the chain first fails, and how."""

    seq: int
    reason: str  # "hash_mismatch" | "prev_mismatch" | "gap"


def verify_chain(rows: Iterable[tuple[AuditFields, str, str]]) -> ChainBreak | None:
    """Check (fields, prev_hash, hash) rows in order; the first break, or None if intact."""
    expected_prev = GENESIS
    expected_seq = 1
    for fields, prev_hash, stored in rows:
        if fields.seq != expected_seq:
            return ChainBreak(expected_seq, "gap")
        if prev_hash != expected_prev:
            return ChainBreak(fields.seq, "prev_mismatch")
        if entry_hash(prev_hash, fields) != stored:
            return ChainBreak(fields.seq, "hash_mismatch")
        expected_prev = stored
        expected_seq += 1
    return None


def check_anchors(
    hashes: Mapping[int, str], last_seq: int, anchors: Iterable[tuple[int, str]]
) -> ChainBreak | None:
    """Check the log against the anchors the platform holds ((seq, hash) of entries it was
    sent as the log grew): an anchored entry beyond the log's end means entries were removed
    from the end (or all of them); an anchored entry whose hash differs means the log was
    rewritten, however well its own chain was redone. The first break, or None."""
    for seq, anchored in sorted(anchors):
        if seq > last_seq:
            return ChainBreak(last_seq + 1, "removed")
        if hashes.get(seq) != anchored:
            return ChainBreak(seq, "anchor_mismatch")
    return None
