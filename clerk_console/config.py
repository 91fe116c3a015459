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
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

# Plain dataclasses and a small checker rather than pydantic: the settings are read before the
# first frame, and importing pydantic alone took 0.21 s of the 0.6 s start-up budget here.

APP_NAME = "clerk-console"
CONSOLE_ENV_FILE = "CLERK_CONSOLE_CONFIG"
CENTRAL_ENV_FILE = "CLERK_CENTRAL_CONFIG"
# Variables under CLERK_ that are not setting overrides of the console (the report's login).
_NOT_CONSOLE_OVERRIDES = ("CLERK_CONSOLE_CONFIG", "CLERK_CENTRAL", "CLERK_TEST_", "CLERK_REPORT_")

Check = Callable[[Any], str | None]


def _checked(check: Check) -> dict[str, Check]:
    """Field metadata: a check that returns what is wrong with a value, or None."""
    return {"check": check}


def _between(low: float, high: float, *, above: bool = False) -> Check:
    def check(value: Any) -> str | None:
        ok = (value > low if above else value >= low) and value <= high
        word = "above" if above else "from"
        return None if ok else f"must be {word} {low:g} to {high:g}"

    return check


def _matches(pattern: str, what: str) -> Check:
    def check(value: Any) -> str | None:
        return None if re.fullmatch(pattern, value) else f"must be {what}"

    return check


@dataclass(frozen=True)
class HallSettings:
    """Which hall this is."""

    code: str = field(
        default="JY01",
        metadata=_checked(_matches(r"[A-Z0-9]{2,8}", "2–8 capital letters or digits")),
    )
    """Hall code, 2–8 capital letters or digits; the first part of every case number."""
    name: str = field(
        default="江阳区政务服务中心", metadata=_checked(_matches(r"\S.*", "a non-empty name"))
    )
    """The hall's name as printed on tickets and receipts."""


@dataclass(frozen=True)
class CounterSettings:
    """Which counter this console sits at."""

    number: int = field(default=5, metadata=_checked(_between(1, 999)))
    """Counter (window) number, 1–999."""


@dataclass(frozen=True)
class PlatformSettings:
    """Where the central platform is."""

    url: str = field(
        default="",
        metadata=_checked(_matches(r"(https?://\S+)?", "empty or an http(s):// address")),
    )
    """Base URL of the central platform; empty runs it embedded on a local SQLite file."""
    timeout_seconds: float = field(default=5.0, metadata=_checked(_between(0, 120, above=True)))
    """How long one request to the platform may take before the console says it is offline."""
    resend_seconds: float = field(default=30.0, metadata=_checked(_between(0.1, 3600)))
    """How often cases still queued in the outbox (the platform was away) are sent again."""
    offline_login_days: int = field(default=7, metadata=_checked(_between(0, 90)))
    """Who logged in at this console within this many days may log in here while the
    platform is away (0: nobody)."""
    sync_check_seconds: float = field(default=5.0, metadata=_checked(_between(0.1, 600)))
    """How often the screens' sync state (online, or offline since when, and the outbox) is
    checked; the platform is asked only when no answer came in the last 10 seconds."""


@dataclass(frozen=True)
class CalendarSettings:
    """The hall's own additions to the statutory working-day calendar."""

    holidays: list[date] = field(default_factory=list)
    """Extra days off (local holidays); also the fallback list for years not covered."""
    workdays: list[date] = field(default_factory=list)
    """Extra working days (local make-up days)."""
    warning_days: int = field(default=1, metadata=_checked(_between(0, 30)))
    """Working days left at which a deadline turns to warning."""


@dataclass(frozen=True)
class IntakeSettings:
    """Rules of acceptance that a hall may tune."""

    max_deferral_days: int = field(default=30, metadata=_checked(_between(1, 180)))
    """How far ahead a deferred material (容缺) may be promised, in calendar days."""
    hot_folder: str = ""
    """Where the document scanner writes its files; empty = no document scanner."""
    hot_folder_settle_seconds: float = field(default=1.0, metadata=_checked(_between(0.1, 30)))
    """A file is taken once its size has not changed for this long (the scanner is done)."""


@dataclass(frozen=True)
class DisplaySettings:
    """The hall display (`clerk-console display`)."""

    speak: bool = False
    """Announce each call aloud through espeak-ng (when installed)."""
    voice: str = "cmn"
    """The espeak-ng voice: cmn (Mandarin) or en."""
    speak_to: str = ""
    """Empty: the sound card. A file path: each announcement is written there as a WAV file
    instead (for a hall whose loudspeakers play files, or to check the voice)."""


DOCUMENT_KINDS = (
    "ticket_slip",
    "intake_receipt",
    "supplement_notice",
    "rejection_notice",
    "deferral_pledge",
    "pickup_slip",
)
"""Every printed document, by the name printers' `documents` lists use."""


@dataclass(frozen=True)
class PrinterSettings:
    """One printer: how it is reached, what paper and text it takes, what it prints."""

    name: str = field(
        default="receipt",
        metadata=_checked(_matches(r"[^\s'\"]{1,32}", "1–32 characters without spaces")),
    )
    """The name the clerk sees in messages, and `print test NAME` takes."""
    connection: Literal["network", "usb", "serial", "file", "cups"] = "file"
    """How the printer is reached."""
    address: str = ""
    """network: host or host:port (port 9100 when left out); usb: vendor:product in hex
    (04b8:0e15); serial: the device (/dev/ttyS0); file: a file or device path (/dev/usb/lp0),
    empty = printed/<name>.prn in the data directory; cups: the queue name."""
    baudrate: int = field(default=9600, metadata=_checked(_between(1200, 921600)))
    """Serial printers only: line speed."""
    paper: int = field(
        default=80, metadata=_checked(lambda v: None if v in (58, 80) else "must be 58 or 80")
    )
    """Paper width in mm: 58 (32 columns) or 80 (48 columns)."""
    encoding: Literal["gb18030", "gbk", "utf-8"] = "gb18030"
    """How the printer reads Chinese text."""
    qr: Literal["native", "image"] = "native"
    """native: the printer draws QR codes itself (GS ( k); image: sent as a raster image."""
    cut: bool = True
    """The printer has a cutter."""
    status: bool = True
    """Ask the printer's real-time status (DLE EOT) before and after each job (network and
    serial printers; others cannot answer)."""
    timeout_seconds: float = field(default=3.0, metadata=_checked(_between(0.1, 60)))
    """How long the printer may take to connect or answer."""
    documents: list[str] = field(default_factory=lambda: list(DOCUMENT_KINDS))
    """What this printer prints (each document goes to one printer)."""

    def problems(self) -> list[tuple[str, str]]:
        """What is wrong across keys: an address of the wrong shape, an unknown document."""
        out = [
            ("documents", f"unknown document {d!r}; known: {', '.join(DOCUMENT_KINDS)}")
            for d in self.documents
            if d not in DOCUMENT_KINDS
        ]
        shape = {
            "network": (r"[\w.-]+(:\d{1,5})?", "host or host:port"),
            "usb": (r"[0-9a-fA-F]{4}:[0-9a-fA-F]{4}", "vendor:product in hex, e.g. 04b8:0e15"),
            "serial": (r"/\S+", "a device path such as /dev/ttyS0"),
            "cups": (r"[\w.-]+", "a CUPS queue name"),
        }.get(self.connection)
        if shape and not re.fullmatch(shape[0], self.address):
            out.append(("address", f"for a {self.connection} printer must be {shape[1]}"))
        return out


@dataclass(frozen=True)
class PrintingSettings:
    """What every printed document shares."""

    tracking_url: str = field(
        default="https://zwfw.jiangyang.example/track",
        metadata=_checked(_matches(r"https?://\S+", "an http(s):// address")),
    )
    """Where the receipt's QR code leads: the hall's progress query page (?case=… is added)."""
    rating_url: str = field(
        default="https://zwfw.jiangyang.example/rate",
        metadata=_checked(_matches(r"(https?://\S+)?", "empty or an http(s):// address")),
    )
    """Where the ticket slip's QR leads: the hall's rating page (好差评), which posts to the
    platform's public POST /ratings (?ticket=…&day=…&code=… is added); empty = no QR."""
    retry_max_seconds: float = field(default=30.0, metadata=_checked(_between(1, 600)))
    """A job that could not be printed is tried again after 1, 2, 4 … seconds, at most this."""


@dataclass(frozen=True)
class ConsoleConfig:
    """Everything a console reads at start-up."""

    language: Literal["zh", "en"] = "zh"
    """Language of screens: zh (简体中文) or en."""
    data_dir: str = ""
    """Where the local store and files live; empty = the user data directory."""
    catalog_dir: str = ""
    """Catalog and demo hall for the embedded platform; empty = the data/ shipped with us."""
    reports_dir: str = ""
    """Where the supervisor's board writes exported reports (`e`); empty = reports/ in
    data_dir."""
    hall: HallSettings = field(default_factory=HallSettings)
    counter: CounterSettings = field(default_factory=CounterSettings)
    platform: PlatformSettings = field(default_factory=PlatformSettings)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    printing: PrintingSettings = field(default_factory=PrintingSettings)
    printers: list[PrinterSettings] = field(default_factory=lambda: [PrinterSettings()])
    """The printers ([[printers]] tables); by default one file printer for every document."""

    def problems(self) -> list[tuple[str, str]]:
        """Printers sharing a name, or a document sent to two printers."""
        out = []
        names = [p.name for p in self.printers]
        out += [
            ("printers", f"two printers are named {n!r}")
            for n in sorted(set(names))
            if names.count(n) > 1
        ]
        taken: dict[str, str] = {}
        for printer in self.printers:
            for document in printer.documents:
                if document in taken:
                    out.append(
                        (
                            "printers",
                            f"{document} goes to both {taken[document]!r} and {printer.name!r}",
                        )
                    )
                taken.setdefault(document, printer.name)
        return out

    def printer_for(self, document: str) -> PrinterSettings | None:
        """The printer that prints `document`, if one does."""
        return next((p for p in self.printers if document in p.documents), None)

    def data_path(self) -> Path:
        """The data directory, created on first use by the store."""
        if self.data_dir:
            return Path(self.data_dir).expanduser()
        from platformdirs import user_data_path

        return user_data_path(APP_NAME)

    def with_changes(self, **changes: Any) -> ConsoleConfig:
        """A copy with some top-level settings changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class CentralConfig:
    """Settings of the central platform (`clerk-console central ...`)."""

    database_url: str = ""
    """SQLAlchemy URL; empty = a SQLite file in data_dir. PostgreSQL:
    postgresql+psycopg://user@host:5432/dbname."""
    host: str = "127.0.0.1"
    """Address to listen on."""
    port: int = field(default=8765, metadata=_checked(_between(1, 65535)))
    """Port to listen on."""
    workers: int = field(default=1, metadata=_checked(_between(1, 64)))
    """Server processes (uvicorn workers); a busy hall on PostgreSQL wants one per core."""
    pool_size: int = field(default=20, metadata=_checked(_between(1, 200)))
    """Database connections per process; requests beyond them wait for a free one."""
    data_dir: str = ""
    """Where a SQLite database and uploaded files live; empty = the user data directory."""
    catalog_dir: str = ""
    """Catalog of record and hall file to load; empty = the data/ shipped with us."""
    secret: str = ""
    """Server secret mixed into PIN hashes; empty = a file made by `central init` in data_dir.
    Every platform process of a hall must share it."""
    token_minutes: int = field(default=480, metadata=_checked(_between(5, 1440)))
    """How long a login lasts, in minutes."""
    appointment_early_minutes: int = field(default=15, metadata=_checked(_between(0, 240)))
    """How early an appointment counts as due (called with priority)."""
    appointment_late_minutes: int = field(default=30, metadata=_checked(_between(0, 240)))
    """How late an appointment may arrive and keep its priority; later it queues as usual."""
    average_service_minutes: float = field(default=8.0, metadata=_checked(_between(0.5, 120)))
    """Estimated service time per ticket before the day has its own figures."""
    max_request_kib: int = field(default=1024, metadata=_checked(_between(16, 65536)))
    """Largest request body, in KiB (a case with its form is a few KiB); larger is refused
    with 413 before it is read."""
    max_file_mib: int = field(default=50, metadata=_checked(_between(1, 1024)))
    """Largest scanned file a counter may upload, in MiB."""
    notify_webhook: str = field(
        default="",
        metadata=_checked(_matches(r"(https?://\S+)?", "empty or an http(s):// address")),
    )
    """Where the applicant's notifications are POSTed as JSON (an SMS gateway's adapter);
    empty = written to notify_log."""
    notify_seconds: float = field(default=60.0, metadata=_checked(_between(0.1, 3600)))
    """How often a served platform sends what is queued and apologises for what went overdue
    (requests also send right after answering)."""
    notify_log: str = ""
    """The file notifications are written to when there is no webhook; empty =
    notifications.log in data_dir."""
    public_ratings_per_minute: int = field(default=10, metadata=_checked(_between(1, 600)))
    """Ratings a minute one address may send to the public `POST /ratings` (the receipt's
    and slip's QR), per platform process."""
    alert_wait_minutes: int = field(default=30, metadata=_checked(_between(1, 600)))
    """The board alerts when someone has waited in a line longer than this."""
    alert_service_minutes: int = field(default=20, metadata=_checked(_between(1, 600)))
    """The board alerts when a counter has had one ticket at hand longer than this."""
    alert_handoffs: int = field(default=1, metadata=_checked(_between(0, 10000)))
    """The board alerts when at least this many handoffs are due today or overdue; 0 = never."""
    alert_follow_ups: int = field(default=1, metadata=_checked(_between(0, 10000)))
    """The board alerts when at least this many bad ratings wait for their follow-up;
    0 = never."""
    calendar: CalendarSettings = field(default_factory=CalendarSettings)

    def data_path(self) -> Path:
        """The platform's data directory."""
        if self.data_dir:
            return Path(self.data_dir).expanduser()
        from platformdirs import user_data_path

        return user_data_path(APP_NAME) / "central"


class ConfigError(Exception):
    """A settings file or variable is wrong; the message says where and what is expected."""


@dataclass(frozen=True)
class Loaded:
    """A validated configuration and where it came from (a path, or None for defaults)."""

    config: Any
    source: Path | None


_TYPE_WORDS = {
    str: "a string in quotes",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    date: "a date such as 2026-10-01",
}

Problem = tuple[tuple[str, ...], str]
T = TypeVar("T")


def _convert(kind: Any, value: Any, loc: tuple[str, ...], out: list[Problem]) -> Any:
    """`value` as `kind`, or MISSING after recording the problem in `out`."""
    origin = typing.get_origin(kind)
    if is_dataclass(kind):
        if not isinstance(value, dict):
            out.append((loc, f"expected a table [{'.'.join(loc)}] (got {value!r})"))
            return MISSING
        return _build(kind, value, loc, out)  # type: ignore[arg-type]
    if origin is Literal:
        allowed = typing.get_args(kind)
        if value in allowed:
            return value
        out.append((loc, f"must be one of: {', '.join(allowed)} (got {value!r})"))
        return MISSING
    if origin is list:
        if not isinstance(value, list):
            out.append((loc, f"expected a list (got {value!r})"))
            return MISSING
        (item_kind,) = typing.get_args(kind)
        items = [_convert(item_kind, v, (*loc, str(i)), out) for i, v in enumerate(value)]
        return MISSING if MISSING in items else items
    if kind is date:
        # Bare (2027-01-01) in TOML, or quoted as in an environment variable.
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            with suppress(ValueError):  # not a date: reported below
                return date.fromisoformat(value)
    elif kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    elif isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    out.append((loc, f"expected {_TYPE_WORDS[kind]} (got {value!r})"))
    return MISSING


def _build(cls: type[T], data: Mapping[str, Any], loc: tuple[str, ...], out: list[Problem]) -> T:
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in known:
            out.append(((*loc, key), "unknown key"))
    values: dict[str, Any] = {}
    for name, f in known.items():
        if name not in data:
            continue
        value = _convert(hints[name], data[name], (*loc, name), out)
        if value is MISSING:
            continue
        check = f.metadata.get("check")
        problem = check(value) if check else None
        if problem:
            out.append(((*loc, name), f"{problem} (got {value!r})"))
            continue
        values[name] = value
    built = cls(**values)
    problems: Callable[[], list[tuple[str, str]]] | None = getattr(built, "problems", None)
    if problems is not None:
        out += [((*loc, key), message) for key, message in problems()]
    return built


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


def validate(
    cls: type[T],
    data: Mapping[str, Any],
    where: Callable[[tuple[str, ...]], str] = lambda loc: "settings",
) -> T:
    """Settings of type `cls` from a mapping; raise `ConfigError` naming every bad key and,
    through `where`, the file or variable it came from."""
    problems: list[Problem] = []
    config = _build(cls, data, (), problems)
    if problems:
        lines = [f"{where(loc)}: {'.'.join(loc)}: {message}" for loc, message in problems]
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines))
    return config


def _load(
    cls: type[T],
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

    def where(loc: tuple[str, ...]) -> str:
        # A problem at ("hal",) or at ("calendar", "holidays", "0") names the variable that
        # set it: CLERK_HAL__CODE, CLERK_CALENDAR__HOLIDAYS.
        variable = next(
            (name for p, name in origin.items() if p[: len(loc)] == loc or loc[: len(p)] == p),
            None,
        )
        if variable:
            return f"environment variable {variable}"
        return str(path) if path else "built-in defaults"

    return Loaded(validate(cls, _merge(data, overrides), where), path)


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
