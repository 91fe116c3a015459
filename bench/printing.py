"""Printing figures: render time of an intake receipt (goal <= 10 ms), and jobs per second
through the spool to the fake network printer (tests/devices/fake_printer.py on 127.0.0.1).

The receipt of a 企业开办 case (six items, twelve materials, a deferral, a QR code) is built
from its data and rendered to ESC/POS bytes, for a 58 mm and an 80 mm printer. The spool
figure queues `--jobs` receipts in a fresh local store and times until every one is done:
each job is claimed, rendered, sent over its own connection with DLE EOT status before and
after, and marked done (two durable SQLite commits a job).

    python3 bench/printing.py [--rounds 500] [--jobs 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from clerk_console.catalog_files import load_wording
from clerk_console.devices.escpos import Profile, render
from clerk_console.devices.network import NetworkPrinter
from clerk_console.devices.printers import FilePrinter, Printer
from clerk_console.devices.spool import Attached, Spool
from clerk_console.domain.documents import (
    COLUMNS,
    Document,
    ReceiptItem,
    Wording,
    intake_receipt,
)
from clerk_console.store.local import LocalStore, NewPrint

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "devices"))
from fake_printer import FakePrinter

ITEMS = [
    ("企业设立登记", "市场监督管理局"),
    ("公章刻制备案", "公安局"),
    ("新办纳税人套餐（信息确认）", "税务局"),
    ("发票票种核定及领用", "税务局"),
    ("单位社会保险登记", "人力资源和社会保障局"),
    ("住房公积金单位缴存登记", "住房公积金管理中心"),
]


def build_and_render(wording: Wording, profile: Profile) -> bytes:
    return render(receipt(wording), profile)


def receipt(wording: Wording) -> Document:
    return intake_receipt(
        wording,
        hall="江阳区政务服务中心",
        counter=5,
        clerk="0105",
        case_number="JY01-20261123-05-0001",
        password="123456",
        applicant="江阳示范科技有限公司",
        items=[ReceiptItem(n, d, date(2026, 11, 26)) for n, d in ITEMS],
        received=[
            (f"材料{i:02d}（申请书、证明或表格）", "原件核验、复印件 1 份") for i in range(11)
        ],
        shared=["股东（出资人）主体资格证明"],
        deferred=[("住所（经营场所）产权证明", date(2026, 11, 30))],
        tracking_url="https://zwfw.example.invalid/track",
        accepted_at=datetime(2026, 11, 23, 9, 30),
    )


def spool_rate(wording: Wording, jobs: int, printer: Printer, label: str) -> None:
    document = receipt(wording).to_data()
    with tempfile.TemporaryDirectory() as folder:
        store = LocalStore.open(Path(folder))
        started = time.perf_counter()
        for n in range(jobs):
            store.queue_print(NewPrint("p", document, f"case-{n}"))
        queued = time.perf_counter() - started
        spool = Spool(store, {"p": Attached(printer, Profile(columns=48))})
        started = time.perf_counter()
        rounds = 1
        while spool.run_once()[0].waiting:  # a round sends every due job; the last finds none
            rounds += 1
        elapsed = time.perf_counter() - started
        done = sum(job.status == "done" for job in store.print_jobs(limit=jobs))
        store.close()
    print(
        f"spool to {label}: {done}/{jobs} receipts in {elapsed:.2f} s = "
        f"{jobs / elapsed:.0f} jobs/s ({elapsed / jobs * 1000:.1f} ms a job; "
        f"queueing {queued / jobs * 1000:.1f} ms a job; {rounds} spool rounds)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=300)
    args = parser.parse_args()
    wording = load_wording()
    for paper in (58, 80):
        profile = Profile(columns=COLUMNS[paper])
        build_and_render(wording, profile)  # warm
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            data = build_and_render(wording, profile)
            times.append(time.perf_counter() - started)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(
            f"{paper} mm receipt ({len(data)} bytes): build and render p50 "
            f"{statistics.median(times) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms (goal <= 10 ms)"
        )
    fake = FakePrinter()
    spool_rate(wording, args.jobs, NetworkPrinter("127.0.0.1", fake.port), "the fake printer")
    received = len(fake.jobs)
    fake.stop()
    print(f"  the fake printer counted {received} whole jobs")
    with tempfile.TemporaryDirectory() as folder:
        spool_rate(wording, args.jobs, FilePrinter(Path(folder) / "out.prn"), "a file printer")


if __name__ == "__main__":
    main()
