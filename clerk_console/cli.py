"""`clerk-console` and its subcommands.

With no subcommand it opens the console (the service guide on the embedded demo). Settings
errors and invalid catalogs are reported as one clear message with a non-zero exit, before
any screen opens.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.exc import SQLAlchemyError

from clerk_console.config import (
    CENTRAL_ENV_FILE,
    CentralConfig,
    ConfigError,
    ConsoleConfig,
    load_central_config,
    load_console_config,
    validate,
)

if TYPE_CHECKING:
    from clerk_console.sync.client import PlatformClient
    from clerk_console.tui.app import ClerkConsoleApp


def load_settings(config: Path | None, env: Mapping[str, str] | None = None) -> ConsoleConfig:
    """Validated console settings, or exit 2 with the message."""
    try:
        loaded = load_console_config(config, os.environ if env is None else env)
    except ConfigError as exc:
        click.echo(f"clerk-console: {exc}", err=True)
        sys.exit(2)
    settings = loaded.config
    assert isinstance(settings, ConsoleConfig)
    return settings


def embedded_platform(settings: ConsoleConfig, clock: Callable[[], datetime] | None = None) -> Any:
    """The platform app running in this process on a SQLite file in the console's data
    directory, created and seeded from the catalog on first start (an ASGI application).
    `clock` fixes the platform's time (tests)."""
    from clerk_console.central.api import create_app
    from clerk_console.central.db import (
        book_demo_appointments,
        database_url,
        init_platform,
        make_engine,
        server_secret,
    )
    from clerk_console.central.security import PinHasher
    from clerk_console.private import private_folder

    central = validate(
        CentralConfig,
        {
            "data_dir": str(settings.data_path() / "central"),
            "catalog_dir": settings.catalog_dir,
            "calendar": {
                "holidays": settings.calendar.holidays,
                "workdays": settings.calendar.workdays,
                "warning_days": settings.calendar.warning_days,
            },
        },
    )
    private_folder(central.data_path())
    engine = make_engine(database_url(central), pool_size=5)
    hasher = PinHasher(server_secret(central, create=True))
    catalog_dir = Path(settings.catalog_dir) if settings.catalog_dir else None
    init_platform(engine, central, hasher, catalog_dir)
    book_demo_appointments(engine, clock() if clock else datetime.now(UTC))
    if clock is None:
        return create_app(central, engine, hasher=hasher)
    return create_app(central, engine, clock=clock, hasher=hasher)


def platform_factory(settings: ConsoleConfig) -> Callable[[], PlatformClient]:
    """How the console reaches its platform: over the network, or embedded in-process.
    Called in a worker after the first frame (the embedded platform takes a moment)."""
    from clerk_console.sync.client import PlatformClient

    timeout = settings.platform.timeout_seconds
    if settings.platform.url:
        return lambda: PlatformClient(settings.platform.url, timeout=timeout)

    def embedded() -> PlatformClient:
        import httpx

        # A fault inside the platform comes back as its 500 answer (said in words), not as
        # an exception thrown into the console's screen.
        transport = httpx.ASGITransport(app=embedded_platform(settings), raise_app_exceptions=False)
        return PlatformClient(transport=transport, timeout=timeout)

    return embedded


def make_app(
    settings: ConsoleConfig,
    lang: str | None = None,
    platform: Callable[[], PlatformClient] | None = None,
    start: str = "login",
) -> ClerkConsoleApp:
    """The console application; tests build it the same way."""
    from clerk_console.tui.app import ClerkConsoleApp

    factory = platform if platform is not None else platform_factory(settings)
    return ClerkConsoleApp(settings, lang=lang, platform=factory, start=start)


LANG_OPTION = click.option(
    "--lang", type=click.Choice(["zh", "en"]), help="Screen language (default zh)."
)
"""Before or after the command: `clerk-console --lang en kiosk` or `... kiosk --lang en`."""


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Console settings file (else $CLERK_CONSOLE_CONFIG, else the user config dir).",
)
@LANG_OPTION
@click.version_option(package_name="clerk-console")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, lang: str | None) -> None:
    """Console for the comprehensive acceptance counter (综合受理窗口).

    With no command, opens the console on the configured hall (the embedded demo by default).
    """
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    ctx.obj["lang"] = lang
    if ctx.invoked_subcommand is None:
        settings = load_settings(config_path)
        make_app(settings, lang).run()


@main.command()
@LANG_OPTION
@click.pass_context
def guide(ctx: click.Context, lang: str | None) -> None:
    """The public service guide (办事指南) for a lobby terminal; F2 logs staff in."""
    settings = load_settings(ctx.obj.get("config_path"))
    make_app(settings, lang or ctx.obj.get("lang"), start="guide").run()


@main.command()
@LANG_OPTION
@click.pass_context
def kiosk(ctx: click.Context, lang: str | None) -> None:
    """The lobby kiosk: a guide unlocks it, then it issues tickets per line."""
    settings = load_settings(ctx.obj.get("config_path"))
    make_app(settings, lang or ctx.obj.get("lang"), start="kiosk").run()


@main.command()
@LANG_OPTION
@click.pass_context
def rate(ctx: click.Context, lang: str | None) -> None:
    """The rating pad (评价器) at this console's counter, facing the applicant: the
    counter's clerk unlocks it with their login; it asks for a rating when they finish."""
    settings = load_settings(ctx.obj.get("config_path"))
    make_app(settings, lang or ctx.obj.get("lang"), start="rate").run()


@main.command()
@LANG_OPTION
@click.pass_context
def display(ctx: click.Context, lang: str | None) -> None:
    """The hall display: the latest calls in large digits (no login)."""
    settings = load_settings(ctx.obj.get("config_path"))
    make_app(settings, lang or ctx.obj.get("lang"), start="display").run()


@main.command()
@click.argument("kind", type=click.Choice(["day", "week", "month"]))
@click.argument("day", required=False, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="[DAY]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["txt", "csv", "xlsx"]),
    default="txt",
    show_default=True,
    help="Plain text, CSV (one value a row) or an Excel workbook with charts.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="File or folder to write to; text and CSV go to the screen without it, a workbook "
    "to ./report-KIND-DATE.xlsx.",
)
@click.option(
    "--user",
    envvar="CLERK_REPORT_USER",
    help="A supervisor's login name (else $CLERK_REPORT_USER, else asked).",
)
@LANG_OPTION
@click.pass_context
def report(
    ctx: click.Context,
    kind: str,
    day: datetime | None,
    fmt: str,
    out: Path | None,
    user: str | None,
    lang: str | None,
) -> None:
    """The numbers (报表) of the day, the week (Monday to Sunday) or the month holding DAY
    (YYYY-MM-DD; default today), from the platform: tickets, waits and service times,
    cases, handoffs and ratings. Needs a supervisor's login; the PIN is asked (or
    $CLERK_REPORT_PIN). Exit 3 when the platform does not answer, 4 when it refuses."""
    import asyncio

    from clerk_console.domain.report import Report
    from clerk_console.report_files import write_report
    from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
    from clerk_console.tui.i18n import Messages

    settings = load_settings(ctx.obj.get("config_path"))
    t = Messages(lang or ctx.obj.get("lang") or settings.language)
    if out is not None and not out.is_dir() and not out.parent.exists():
        click.echo(f"clerk-console: no folder {out.parent} to write {out.name} in", err=True)
        sys.exit(2)
    # Asked on stderr, so `report day > file` holds the report alone.
    username = user or click.prompt("supervisor login name", err=True)
    pin = os.environ.get("CLERK_REPORT_PIN") or click.prompt("PIN", hide_input=True, err=True)

    async def fetch() -> Report:
        client = platform_factory(settings)()
        try:
            await client.login(username.strip(), pin.strip())
            try:
                return await client.report(kind, day.date() if day else None)
            finally:
                await client.logout()
        finally:
            await client.aclose()

    try:
        made = asyncio.run(fetch())
    except PlatformUnreachable as exc:
        where = settings.platform.url or "embedded"
        click.echo(f"clerk-console: the platform ({where}) does not answer: {exc}", err=True)
        sys.exit(3)
    except PlatformRefused as exc:
        click.echo(f"clerk-console: the platform refused: {exc.message}", err=True)
        sys.exit(4)
    if out is None and fmt != "xlsx":
        import shutil

        from clerk_console.report_files import as_csv, as_text

        # The terminal's width; a file or a pipe gets the tables whole.
        width = max(80, shutil.get_terminal_size().columns) if sys.stdout.isatty() else 160
        click.echo(as_csv(made) if fmt == "csv" else as_text(made, t, width), nl=False)
        return
    try:
        written = write_report(made, t, fmt, out or Path.cwd())
    except OSError as exc:
        click.echo(f"clerk-console: could not write the report: {exc}", err=True)
        sys.exit(1)
    click.echo(f"report written to {written}")


@main.group()
def catalog() -> None:
    """Work with a catalog of record."""


@catalog.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
def catalog_check(directory: Path | None) -> None:
    """Validate a catalog (and its demo/hall.toml, if present) and print every error.

    DIRECTORY is a data directory (with catalog/ inside) or a catalog directory; default:
    the data/ shipped with clerk-console. Exit 0 when valid, 1 when not.
    """
    from clerk_console.catalog_files import CatalogFiles, load_catalog_and_hall
    from clerk_console.domain.catalog_loader import CatalogInvalid

    files = CatalogFiles.locate(directory)
    try:
        cat, hall = load_catalog_and_hall(directory)
    except CatalogInvalid as exc:
        for error in exc.errors:
            click.echo(str(error))
        noun = "error" if len(exc.errors) == 1 else "errors"
        click.echo(f"{len(exc.errors)} {noun} in {files.catalog_dir}", err=True)
        sys.exit(1)
    click.echo(f"catalog {files.catalog_dir}: valid, version {cat.version}")
    click.echo("  " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in cat.summary().items()))
    if hall is not None:
        click.echo(
            f"hall {hall.code} {hall.name}: {len(hall.counters)} counters, {len(hall.staff)} staff"
        )


def load_central_settings(config: Path | None) -> CentralConfig:
    """Validated platform settings, or exit 2 with the message."""
    try:
        loaded = load_central_config(config)
    except ConfigError as exc:
        click.echo(f"clerk-console: {exc}", err=True)
        sys.exit(2)
    settings = loaded.config
    assert isinstance(settings, CentralConfig)
    return settings


@main.group()
def central() -> None:
    """Run the central platform (the hall's queue, catalog of record and logins)."""


_central_config = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Platform settings file (else $CLERK_CENTRAL_CONFIG).",
)


@central.command("init")
@_central_config
def central_init(config_path: Path | None) -> None:
    """Create the schema and load the catalog and the hall (safe to run again)."""
    from clerk_console.central.db import database_url, init_platform, make_engine, server_secret
    from clerk_console.central.security import PinHasher
    from clerk_console.domain.catalog_loader import CatalogInvalid

    settings = load_central_settings(config_path)
    catalog_dir = Path(settings.catalog_dir) if settings.catalog_dir else None
    engine = make_engine(database_url(settings), pool_size=2)
    try:
        hasher = PinHasher(server_secret(settings, create=True))
        report = init_platform(engine, settings, hasher, catalog_dir)
    except CatalogInvalid as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        sys.exit(1)
    except (RuntimeError, OSError) as exc:
        click.echo(f"clerk-console: {exc}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    what = "created" if report.schema_created else "already there"
    click.echo(f"platform schema {what}; catalog {report.catalog_version}")
    click.echo(f"  {report.lines} lines, {report.counters} counters, {report.staff} staff")


@central.command("serve")
@_central_config
def central_serve(config_path: Path | None) -> None:
    """Serve the platform's HTTP API (uvicorn) on the configured host and port."""
    import uvicorn

    from clerk_console.central.api import create_app

    settings = load_central_settings(config_path)
    try:
        app = create_app(settings)  # also checks the schema before any worker starts
    except RuntimeError as exc:
        click.echo(f"clerk-console: {exc}", err=True)
        sys.exit(1)
    if settings.workers == 1:
        uvicorn.run(app, host=settings.host, port=settings.port, access_log=False)
        return
    app.state.engine.dispose()
    if config_path is not None:  # each worker process reads the settings again
        os.environ[CENTRAL_ENV_FILE] = str(config_path.resolve())
    uvicorn.run(
        "clerk_console.central.api:app_from_settings",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
    )


@central.command("grant")
@click.argument("role")
@_central_config
def central_grant(config_path: Path | None, role: str) -> None:
    """PostgreSQL: let ROLE (not the tables' owner) run the platform, reading and adding to
    the trail but never changing it. Run as the owner, after `central init`."""
    from clerk_console.central.db import database_url, grant_app_role, is_postgres, make_engine

    settings = load_central_settings(config_path)
    engine = make_engine(database_url(settings), pool_size=1)
    try:
        if not is_postgres(engine):
            click.echo("clerk-console: roles are a PostgreSQL matter; SQLite has none", err=True)
            sys.exit(2)
        grant_app_role(engine, role)
    except (ValueError, SQLAlchemyError) as exc:
        click.echo(f"clerk-console: {exc}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"{role} may now run the platform; it cannot change or remove the trail")


@central.group("audit")
def central_audit() -> None:
    """Work with the platform's trail (case_event)."""


@central_audit.command("verify")
@_central_config
def central_audit_verify(config_path: Path | None) -> None:
    """Check the platform's trail: every event in its place, every link and hash, and the
    sealed head; name the first break (exit 1)."""
    from sqlmodel import Session

    from clerk_console.central.db import database_url, make_engine, server_secret
    from clerk_console.central.security import PinHasher
    from clerk_console.central.trail import verify

    settings = load_central_settings(config_path)
    engine = make_engine(database_url(settings), pool_size=1)
    try:
        keyed = PinHasher(server_secret(settings)).keyed_digest
        with Session(engine) as s:
            verdict = verify(s, keyed)
    except (RuntimeError, OSError, SQLAlchemyError) as exc:
        click.echo(f"clerk-console: {exc}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    if verdict.broken_at is not None:
        click.echo(
            f"platform trail BROKEN at event {verdict.broken_at}: {verdict.reason} "
            f"({verdict.checked} events before it intact)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"platform trail intact: {verdict.checked} events")


@main.group("print")
def print_group() -> None:
    """Work with the configured printers."""


@print_group.command("test")
@click.argument("printer", required=False)
@click.pass_context
def print_test(ctx: click.Context, printer: str | None) -> None:
    """Print a test page of every document on PRINTER (default: every configured printer),
    straight to the printer, not through the spool; say what each printer did. Exit 1 if a
    printer has a fault, 2 if there is no such printer."""
    from clerk_console.devices.escpos import render
    from clerk_console.devices.network import PrinterFault
    from clerk_console.devices.printers import printer_from, profile_of
    from clerk_console.domain.printouts import Where, sample_documents
    from clerk_console.sync.catalog import document_wording

    settings = load_settings(ctx.obj.get("config_path"))
    chosen = [p for p in settings.printers if printer in (None, p.name)]
    if not chosen:
        names = ", ".join(p.name for p in settings.printers) or "none"
        click.echo(f"clerk-console: no printer named {printer!r} (configured: {names})", err=True)
        sys.exit(2)
    wording = document_wording(Path(settings.catalog_dir) if settings.catalog_dir else None)
    where = Where(
        settings.hall.name,
        settings.counter.number,
        "test",
        settings.printing.tracking_url,
    )
    failed = False
    for p in chosen:
        device = printer_from(p, settings.data_path())
        documents = sample_documents(wording, where, p.name, datetime.now().astimezone())
        click.echo(f"{p.name} ({p.connection} {device.where}, {p.paper} mm, {p.encoding}):")
        for document in documents:
            try:
                device.print(render(document, profile_of(p)))
            except PrinterFault as fault:
                click.echo(f"  {document.kind}: NOT PRINTED, {fault}")
                failed = True
                break  # the printer is unwell: the rest would fail the same way
            click.echo(f"  {document.kind}: printed")
    sys.exit(1 if failed else 0)


@main.group()
def sync() -> None:
    """How this console stands with its platform."""


@sync.command("status")
@click.pass_context
def sync_status(ctx: click.Context) -> None:
    """Whether the platform answers, and what waits to be sent to it (the outbox: cases and
    scans, oldest first, with the last refusal). Exit 3 when the platform does not answer."""
    import asyncio

    from clerk_console.store.local import STORE_FILE, LocalStore
    from clerk_console.sync.client import PlatformRefused, PlatformUnreachable

    settings = load_settings(ctx.obj.get("config_path"))
    where = settings.platform.url or "embedded"

    async def ask() -> dict[str, str]:
        client = platform_factory(settings)()
        try:
            return await client.health()
        finally:
            await client.aclose()

    try:
        health = asyncio.run(ask())
    except (PlatformUnreachable, PlatformRefused, RuntimeError, OSError) as exc:
        online, said = False, f"platform: OFFLINE ({where}): {exc or type(exc).__name__}"
    else:
        online = True
        said = f"platform: online ({where}), hall {health.get('hall_code', '?')}"
    click.echo(said)
    path = settings.data_path() / STORE_FILE
    if not path.is_file():
        click.echo(f"outbox: no local store at {path} yet")
    else:
        store = LocalStore(path)
        try:
            pending = store.pending_outbox()
            prints = sum(store.waiting_prints().values())
            down = store.platform_down_since()
        finally:
            store.close()
        if down is not None and not online:  # as the running console saw it
            click.echo(f"  not reached from this console since {down.astimezone():%Y-%m-%d %H:%M}")
        if not pending:
            click.echo("outbox: empty: everything has reached the platform")
        else:
            oldest = pending[0].created_at.astimezone().strftime("%Y-%m-%d %H:%M")
            kinds = ", ".join(
                f"{n} {kind}" for kind, n in sorted(Counter(r.kind for r in pending).items())
            )
            click.echo(f"outbox: {len(pending)} waiting ({kinds}), the oldest since {oldest}")
            refused = [r for r in pending if r.last_error]
            if refused:
                click.echo(f"  last refusal: {refused[-1].last_error}")
        click.echo(f"print queue: {prints} waiting")
    sys.exit(0 if online else 3)


@main.group()
def audit() -> None:
    """Work with the console's audit log."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check the hash chain of the local audit log, then against the anchors the platform
    holds of it (entries removed from the end, or a log rewritten with its chain redone);
    name the first broken entry (exit 1). Exit 3 when the chain is whole but the platform
    could not be asked."""
    import asyncio

    from clerk_console.store.local import STORE_FILE, LocalStore
    from clerk_console.sync.client import PlatformRefused, PlatformUnreachable

    settings = load_settings(ctx.obj.get("config_path"))
    path = settings.data_path() / STORE_FILE
    if not path.is_file():
        click.echo(f"no local store at {path}; nothing to verify", err=True)
        sys.exit(1)
    store = LocalStore(path)
    try:
        console = store.console_id()

        async def anchored() -> list[tuple[int, str]]:
            client = platform_factory(settings)()
            try:
                return await client.audit_anchors(console)
            finally:
                await client.aclose()

        unasked = ""
        try:
            anchors = asyncio.run(anchored())
        except (PlatformUnreachable, PlatformRefused, RuntimeError, OSError) as exc:
            anchors, unasked = [], str(exc) or type(exc).__name__
        count, broken = store.verify_audit(anchors)
    finally:
        store.close()
    if broken is not None:
        why = {
            "removed": "entries removed: the platform holds the hash of a later one",
            "anchor_mismatch": "rewritten: the platform holds another hash for it",
        }.get(broken.reason, broken.reason.replace("_", " "))
        click.echo(f"audit log BROKEN at entry {broken.seq} ({why}); {path}", err=True)
        sys.exit(1)
    if unasked:
        click.echo(
            f"audit log chain intact: {count} entries ({path}); NOT checked against the "
            f"platform ({unasked}): run again when it can be reached",
            err=True,
        )
        sys.exit(3)
    held = f"{len(anchors)} anchor{'' if len(anchors) == 1 else 's'}"
    click.echo(
        f"audit log intact: {count} entries, checked against {held} on the platform ({path})"
    )
