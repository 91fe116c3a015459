"""Printing figures: render time of an intake receipt (goal <= 10 ms).

The receipt of a 企业开办 case (six items, twelve materials, a deferral, a QR code) is built
from its data and rendered to ESC/POS bytes, for a 58 mm and an 80 mm printer.

    python3 bench/printing.py [--rounds 500]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, datetime

from clerk_console.catalog_files import load_wording
from clerk_console.devices.escpos import Profile, render
from clerk_console.domain.documents import COLUMNS, ReceiptItem, Wording, intake_receipt

ITEMS = [
    ("企业设立登记", "市场监督管理局"),
    ("公章刻制备案", "公安局"),
    ("新办纳税人套餐（信息确认）", "税务局"),
    ("发票票种核定及领用", "税务局"),
    ("单位社会保险登记", "人力资源和社会保障局"),
    ("住房公积金单位缴存登记", "住房公积金管理中心"),
]


def build_and_render(wording: Wording, profile: Profile) -> bytes:
    receipt = intake_receipt(
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
    return render(receipt, profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
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


if __name__ == "__main__":
    main()
