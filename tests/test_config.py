"""Settings: search order, environment overrides and clear errors."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from clerk_console.config import (
    CentralConfig,
    ConfigError,
    ConsoleConfig,
    load_central_config,
    load_console_config,
)

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_run_the_embedded_demo() -> None:
    loaded = load_console_config(env={})
    assert loaded.source is None
    config = loaded.config
    assert isinstance(config, ConsoleConfig)
    assert config.platform.url == "" and config.language == "zh"
    assert config.hall.code == "JY01" and config.counter.number == 5


def test_the_example_files_are_valid_and_complete() -> None:
    console = load_console_config(ROOT / "config" / "console.toml", env={}).config
    central = load_central_config(ROOT / "config" / "central.toml", env={}).config
    assert isinstance(console, ConsoleConfig) and isinstance(central, CentralConfig)
    text = (ROOT / "config" / "console.toml").read_text(encoding="utf-8")
    # Every setting is shown in the example.
    for top in fields(ConsoleConfig):
        assert top.name in text
        section = getattr(console, top.name)
        for key in fields(section) if is_dataclass(section) else []:
            assert f"{key.name} =" in text, f"{top.name}.{key.name} not in config/console.toml"


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_dir = tmp_path / "home" / ".config" / "clerk-console"
    user_dir.mkdir(parents=True)
    (user_dir / "console.toml").write_text("[counter]\nnumber = 1\n", encoding="utf-8")
    env_file = tmp_path / "env.toml"
    env_file.write_text("[counter]\nnumber = 2\n", encoding="utf-8")
    flag_file = tmp_path / "flag.toml"
    flag_file.write_text("[counter]\nnumber = 3\n", encoding="utf-8")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "home" / ".config")}
    monkeypatch.setenv("XDG_CONFIG_HOME", env["XDG_CONFIG_HOME"])
    assert load_console_config(env=env).config.counter.number == 1
    env["CLERK_CONSOLE_CONFIG"] = str(env_file)
    assert load_console_config(env=env).config.counter.number == 2
    assert load_console_config(flag_file, env=env).config.counter.number == 3


def test_environment_overrides_single_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('language = "zh"\n[counter]\nnumber = 2\n', encoding="utf-8")
    env = {
        "CLERK_COUNTER__NUMBER": "7",
        "CLERK_LANGUAGE": "en",
        "CLERK_CALENDAR__HOLIDAYS": '["2027-01-01"]',
        "CLERK_TEST_ANYTHING": "ignored",
        "CLERK_CENTRAL_PORT": "1",  # the platform's, not the console's
    }
    config = load_console_config(path, env=env).config
    assert config.counter.number == 7 and config.language == "en"
    assert [d.isoformat() for d in config.calendar.holidays] == ["2027-01-01"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[counter]\nnumbr = 5\n", "counter.numbr: unknown key"),
        ('[counter]\nnumber = "5"\n', "counter.number: expected an integer (got '5')"),
        ("[counter]\nnumber = 0\n", "counter.number: must be from 1 to 999 (got 0)"),
        ('language = "fr"\n', "language: must be one of: zh, en (got 'fr')"),
        ('[hall]\ncode = "jy"\n', "hall.code: must be 2–8 capital letters or digits (got 'jy')"),
        ('[platform]\nurl = "ftp://x"\n', "platform.url: must be empty or an http(s):// address"),
        ("[platform]\ntimeout_seconds = true\n", "platform.timeout_seconds: expected a number"),
        ("counter = 5\n", "counter: expected a table [counter] (got 5)"),
        ("[calendar]\nholidays = ['x']\n", "calendar.holidays.0: expected a date such as"),
        ("[calendar]\nholidays = 2027-01-01\n", "calendar.holidays: expected a list"),
    ],
)
def test_bad_settings_name_the_file_the_key_and_what_is_expected(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "console.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_console_config(path, env={})
    assert f"{path}: {expected}" in str(info.value)


def test_a_bad_environment_variable_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_console_config(env={"CLERK_COUNTER__NUMBER": "five", "CLERK_HAL__CODE": "X"})
    message = str(info.value)
    assert (
        "environment variable CLERK_COUNTER__NUMBER: counter.number: expected an integer" in message
    )
    assert "environment variable CLERK_HAL__CODE: hal: unknown key" in message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_console_config(tmp_path / "missing.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[counter\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_console_config(broken, env={})


def test_central_reads_its_own_variables() -> None:
    config = load_central_config(env={"CLERK_CENTRAL_PORT": "9000", "CLERK_COUNTER__NUMBER": "x"})
    assert config.config.port == 9000


def test_printers_are_checked_across_their_keys(tmp_path: Path) -> None:
    path = tmp_path / "console.toml"
    path.write_text(
        """
[[printers]]
name = "kiosk"
connection = "network"
address = "192.168.10.21 9100"
paper = 57
documents = ["ticket_slip", "receipt"]

[[printers]]
name = "counter"
connection = "usb"
address = "epson"
documents = ["ticket_slip"]
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_console_config(path, env={})
    message = str(error.value)
    assert "printers.0.address: for a network printer must be host or host:port" in message
    assert "printers.0.paper: must be 58 or 80 (got 57)" in message
    assert "printers.0.documents: unknown document 'receipt'" in message
    assert "printers.1.address: for a usb printer must be vendor:product in hex" in message
    assert "printers: ticket_slip goes to both 'kiosk' and 'counter'" in message


def test_each_document_finds_its_printer(tmp_path: Path) -> None:
    path = tmp_path / "console.toml"
    path.write_text(
        '[[printers]]\nname = "kiosk"\nconnection = "network"\naddress = "10.0.0.21"\n'
        'paper = 58\ndocuments = ["ticket_slip"]\n\n'
        '[[printers]]\nname = "counter"\nconnection = "cups"\naddress = "counter5"\n'
        'documents = ["intake_receipt", "deferral_pledge"]\n',
        encoding="utf-8",
    )
    config = load_console_config(path, env={}).config
    assert isinstance(config, ConsoleConfig)
    kiosk, counter = config.printers
    assert config.printer_for("ticket_slip") is kiosk and kiosk.paper == 58
    assert config.printer_for("deferral_pledge") is counter
    assert config.printer_for("rejection_notice") is None  # nothing prints it here
