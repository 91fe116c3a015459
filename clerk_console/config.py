"""Settings of a console and of the central platform: TOML files plus `CLERK_*` overrides.

Where the console's file comes from, first found wins: `--config PATH`, the
`CLERK_CONSOLE_CONFIG` variable, `console.toml` in the user config directory, else built-in
defaults (the embedded demo hall). Environment variables override single keys:
`CLERK_LANGUAGE=en`, `CLERK_COUNTER__NUMBER=5` (`__` between section and key); the central
platform reads `CLERK_CENTRAL_*` the same way. Values are read as TOML (`5`, `true`,
`["2027-01-01"]`), or as plain text when they are not TOML.

Unknown keys, wrong types and bad values stop start-up with one message naming the file (or
variable), the key and what was expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError

APP_NAME = "clerk-console"
CONSOLE_ENV_FILE = "CLERK_CONSOLE_CONFIG"
CENTRAL_ENV_FILE = "CLERK_CENTRAL_CONFIG"
# Variables under CLERK_ that are not setting overrides of the console.
_NOT_CONSOLE_OVERRIDES = ("CLERK_CONSOLE_CONFIG", "CLERK_CENTRAL", "CLERK_TEST_")


# A date may be written bare (2027-01-01) or quoted ("2027-01-01"), as in a variable.
LooseDate = Annotated[date, Strict(False)]


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class HallSettings(_Section):
    """Which hall this is."""

    code: str = Field("JY01", pattern=r"^[A-Z0-9]{2,8}$")
    """Hall code, 2–8 capital letters or digits; the first part of every case number."""
    name: str = Field("江阳区政务服务中心", min_length=1)
    """The hall's name as printed on tickets and receipts."""


class CounterSettings(_Section):
    """Which counter this console sits at."""

    number: int = Field(5, ge=1, le=999)
    """Counter (window) number, 1–999."""


class PlatformSettings(_Section):
    """Where the central platform is."""

    url: str = Field("", pattern=r"^$|^https?://\S+$")
    """Base URL of the central platform; empty runs it embedded on a local SQLite file."""
    timeout_seconds: float = Field(5.0, gt=0, le=120)
    """How long one request to the platform may take before the console says it is offline."""


class CalendarSettings(_Section):
    """The hall's own additions to the statutory working-day calendar."""

    holidays: list[LooseDate] = Field(default_factory=list)
    """Extra days off (local holidays); also the fallback list for years not covered."""
    workdays: list[LooseDate] = Field(default_factory=list)
    """Extra working days (local make-up days)."""
    warning_days: int = Field(1, ge=0, le=30)
    """Working days left at which a deadline turns to warning."""


class IntakeSettings(_Section):
    """Rules of acceptance that a hall may tune."""

    max_deferral_days: int = Field(30, ge=1, le=180)
    """How far ahead a deferred material (容缺) may be promised, in calendar days."""


class ConsoleConfig(_Section):
    """Everything a console reads at start-up."""

    language: Literal["zh", "en"] = "zh"
    """Language of screens: zh (简体中文) or en."""
    data_dir: str = ""
    """Where the local store and files live; empty = the user data directory."""
    catalog_dir: str = ""
    """Catalog and demo hall for the embedded platform; empty = the data/ shipped with us."""
    hall: HallSettings = Field(default_factory=HallSettings)
    counter: CounterSettings = Field(default_factory=CounterSettings)
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)

    def data_path(self) -> Path:
        """The data directory, created on first use by the store."""
        if self.data_dir:
            return Path(self.data_dir).expanduser()
        from platformdirs import user_data_path

        return user_data_path(APP_NAME)


class CentralConfig(_Section):
    """Settings of the central platform (`clerk-console central ...`)."""

    database_url: str = ""
    """SQLAlchemy URL; empty = a SQLite file in data_dir. PostgreSQL:
    postgresql+psycopg://user@host:5432/dbname."""
    host: str = "127.0.0.1"
    """Address to listen on."""
    port: int = Field(8765, ge=1, le=65535)
    """Port to listen on."""
    data_dir: str = ""
    """Where a SQLite database and uploaded files live; empty = the user data directory."""
    catalog_dir: str = ""
    """Catalog of record and hall file to load; empty = the data/ shipped with us."""
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)


class ConfigError(Exception):
    """A settings file or variable is wrong; the message says where and what is expected."""


@dataclass(frozen=True)
class Loaded:
    """A validated configuration and where it came from (a path, or None for defaults)."""

    config: Any
    source: Path | None


_EXPECTED = {
    "extra_forbidden": "unknown key",
    "missing": "missing",
    "int_type": "expected an integer",
    "float_type": "expected a number",
    "string_type": "expected a string in quotes",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "date_type": "expected a date such as 2026-10-01",
    "model_type": "expected a table [section]",
    "literal_error": "",
    "string_pattern_mismatch": "",
}


def _describe(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind.startswith("date_"):
        kind = "date_type"
    text = _EXPECTED.get(kind) or error["msg"]
    if kind == "string_pattern_mismatch":
        text = f"does not match the expected form {error.get('ctx', {}).get('pattern', '')}"
    if kind not in ("extra_forbidden", "missing"):
        text += f" (got {error['input']!r})"
    return text


def _env_overrides(
    env: Mapping[str, str], prefix: str, skip: tuple[str, ...]
) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    data: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    for name, raw in env.items():
        if not name.startswith(prefix) or any(name.startswith(s) for s in skip):
            continue
        path = tuple(part.lower() for part in name[len(prefix) :].split("__"))
        if not all(path):
            continue
        try:
            value: Any = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = value
            origin[path] = name
    return data, origin


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


M = TypeVar("M", bound=BaseModel)


def _load(
    model: type[M],
    path: Path | None,
    env: Mapping[str, str],
    prefix: str,
    skip: tuple[str, ...],
) -> Loaded:
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} cannot be read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    overrides, origin = _env_overrides(env, prefix, skip)
    try:
        config = model.model_validate(_merge(data, overrides))
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(str(p) for p in error["loc"])
            key = ".".join(loc)
            # An error at ("hal",) or at ("calendar", "holidays", 0) still names the variable
            # that set it: CLERK_HAL__CODE, CLERK_CALENDAR__HOLIDAYS.
            variable = next(
                (name for p, name in origin.items() if p[: len(loc)] == loc or loc[: len(p)] == p),
                None,
            )
            where = (
                f"environment variable {variable}"
                if variable
                else (str(path) if path else "built-in defaults")
            )
            lines.append(f"{where}: {key}: {_describe(error)}")
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from None
    return Loaded(config, path)


def find_console_config(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    """The console settings file to read, by the documented search order."""
    if explicit is not None:
        return explicit
    if env.get(CONSOLE_ENV_FILE):
        return Path(env[CONSOLE_ENV_FILE])
    from platformdirs import user_config_path

    candidate = user_config_path(APP_NAME) / "console.toml"
    return candidate if candidate.is_file() else None


def load_console_config(
    explicit: Path | None = None, env: Mapping[str, str] | None = None
) -> Loaded:
    """Find, read and validate the console's settings; raise `ConfigError` if wrong."""
    env = os.environ if env is None else env
    path = find_console_config(explicit, env)
    return _load(ConsoleConfig, path, env, "CLERK_", _NOT_CONSOLE_OVERRIDES)


def load_central_config(
    explicit: Path | None = None, env: Mapping[str, str] | None = None
) -> Loaded:
    """Read and validate the central platform's settings; raise `ConfigError` if wrong."""
    env = os.environ if env is None else env
    path = explicit or (Path(env[CENTRAL_ENV_FILE]) if env.get(CENTRAL_ENV_FILE) else None)
    return _load(CentralConfig, path, env, "CLERK_CENTRAL_", (CENTRAL_ENV_FILE,))
