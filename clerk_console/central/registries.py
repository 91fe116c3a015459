"""Shared registries (免提交) the counter asks instead of taking a paper copy.

The demo hall's records are in `demo/registries.toml` of the data directory; a real hall's
platform would ask the real registries here instead.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clerk_console.central.errors import not_found

REGISTRIES_FILE = "demo/registries.toml"
PREAPPLICATIONS_FILE = "demo/preapplications.toml"


def load_preapplications(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Online pre-applications (网上预审) by code; none when there is no such file."""
    path = data_dir / PREAPPLICATIONS_FILE
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        data = tomllib.load(f)
    found: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(data.get("preapplication", []), start=1):
        if not isinstance(entry, dict) or "code" not in entry or "applicant" not in entry:
            raise ValueError(f"{path}: pre-application {i}: needs code and applicant")
        found[str(entry["code"]).upper()] = {
            "code": str(entry["code"]).upper(),
            "applicant": dict(entry["applicant"]),
            "bundle": entry.get("bundle"),
            "items": list(entry.get("items", [])),
            "answers": {str(k): str(v) for k, v in dict(entry.get("answers", {})).items()},
            "form": {str(k): str(v) for k, v in dict(entry.get("form", {})).items()},
        }
    return found


@dataclass(frozen=True)
class Registries:
    """Records by registry code and lookup key."""

    records: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, data_dir: Path) -> Registries:
        """The records of `data_dir/demo/registries.toml`; none when there is no such file."""
        path = data_dir / REGISTRIES_FILE
        if not path.is_file():
            return cls()
        with path.open("rb") as f:
            data = tomllib.load(f)
        records: dict[str, dict[str, dict[str, str]]] = {}
        for i, record in enumerate(data.get("record", []), start=1):
            try:
                code, key = str(record["registry"]), str(record["key"])
                fields = {str(k): str(v) for k, v in dict(record.get("fields", {})).items()}
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}: record {i}: needs registry, key and fields") from exc
            records.setdefault(code, {})[_normal(key)] = fields
        return cls(records)

    def look_up(self, code: str, key: str) -> dict[str, Any]:
        """The record `key` of registry `code`, or 404 (unknown registry, or no record)."""
        registry = self.records.get(code.upper())
        if registry is None:
            raise not_found("unknown_registry", f"no shared registry {code!r} here")
        fields = registry.get(_normal(key))
        if fields is None:
            raise not_found("no_record", f"registry {code} has no record {key!r}")
        return {"registry": code.upper(), "key": key.strip(), "fields": fields}


def _normal(key: str) -> str:
    """Keys compare without spaces and case (an ID number typed with a lower-case x)."""
    return "".join(key.split()).upper()
