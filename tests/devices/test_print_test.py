"""`clerk-console print test [PRINTER]`: a test page of every document, straight to a real
socket (the fake printer), and a clear answer when the printer has a fault or is unknown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from escpos_decoder import decode
from fake_printer import FakePrinter


def print_test(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLERK_")}
    return subprocess.run(
        [sys.executable, "-m", "clerk_console", "--config", str(config), "print", "test", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def config_for(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "console.toml"
    path.write_text(
        f'data_dir = "{tmp_path / "data"}"\n\n'
        f'[[printers]]\nname = "kiosk"\nconnection = "network"\naddress = "127.0.0.1:{port}"\n'
        'paper = 58\ntimeout_seconds = 1.0\ndocuments = ["ticket_slip"]\n\n'
        '[[printers]]\nname = "receipt"\nconnection = "file"\n'
        'documents = ["intake_receipt"]\n',
        encoding="utf-8",
    )
    return path


def test_every_document_comes_out_of_the_named_printer(tmp_path: Path) -> None:
    fake = FakePrinter()
    done = print_test(config_for(tmp_path, fake.port), "kiosk")
    fake.stop()
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"kiosk (network 127.0.0.1:{fake.port}, 58 mm, gb18030):"
    titles = []
    for job in fake.jobs:
        printout = decode(job, "gb18030")
        assert printout.texts()[0] == "打印机测试页：kiosk" and printout.cuts == 1
        titles.append(printout.texts()[2])
    assert titles == [
        "江阳区政务服务中心",  # the slip starts with the hall
        "受理回执",
        "一次性告知书",
        "不予受理通知书",
        "容缺受理承诺书",
        "领取凭证",
    ]
    assert not (tmp_path / "data" / "printed" / "receipt.prn").exists()  # only the named one


def test_a_printer_with_a_fault_says_so_and_fails(tmp_path: Path) -> None:
    fake = FakePrinter(mode="cover_open")
    done = print_test(config_for(tmp_path, fake.port))
    fake.stop()
    assert done.returncode == 1
    assert "ticket_slip: NOT PRINTED, cover_open" in done.stdout
    assert fake.jobs == []
    # the other printer was still tested
    assert "receipt (file " in done.stdout and "pickup_slip: printed" in done.stdout
    assert (tmp_path / "data" / "printed" / "receipt.prn").stat().st_size > 0


def test_an_unknown_printer_is_named_with_the_known_ones(tmp_path: Path) -> None:
    done = print_test(config_for(tmp_path, 9), "counter7")
    assert done.returncode == 2
    assert "no printer named 'counter7' (configured: kiosk, receipt)" in done.stderr
