"""Catalog search per keystroke over the catalog scaled to 5,000 items.

The real catalog's items are repeated with district and variant prefixes (real names of the
same shape as a big city's catalog) until there are 5,000 items; the bundles stay as they
are. Each query is typed one character at a time and every prefix is searched, as the guide
screen does on each keystroke.

    python3 bench/search.py [--items 5000]

Goal (issue 2): p95 <= 5 ms per keystroke.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from dataclasses import replace

from clerk_console.catalog_files import load_catalog
from clerk_console.domain.catalog import Catalog
from clerk_console.domain.search import SearchIndex

PREFIXES = ["", "区级", "市级", "跨省通办", "容缺", "告知承诺制", "智能审批", "延伸窗口"]
DISTRICTS = [
    "江阳",
    "龙马潭",
    "纳溪",
    "泸县",
    "合江",
    "叙永",
    "古蔺",
    "高新区",
    "临港",
    "长江",
    "白塔",
    "弥陀",
    "福宝",
    "太伏",
    "况场",
    "石洞",
]
QUERIES = [
    "qykb",
    "xsecs",
    "企业开办",
    "gongjijin",
    "社保卡",
    "ershoufang",
    "不动产登记",
    "tx",
    "营业执照",
    "shbzk",
    "居住证",
    "zzzz",
    "SCJG-QY",
    "食品经营",
]


def scaled(catalog: Catalog, size: int) -> Catalog:
    items = dict(catalog.items)
    variants = itertools.product(DISTRICTS, PREFIXES, catalog.items.values())
    for n, (district, prefix, item) in enumerate(variants):
        if len(items) >= size:
            break
        code = f"{item.code}-{n:05d}"
        items[code] = replace(item, code=code, name=f"{district}{prefix}{item.name}")
    return replace(catalog, items=items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    catalog = scaled(load_catalog(), args.items)
    started = time.perf_counter()
    index = SearchIndex.build(catalog)
    build = time.perf_counter() - started
    timings: list[float] = []
    for _ in range(3):
        for query in QUERIES:
            for end in range(1, len(query) + 1):
                t = time.perf_counter()
                index.search(query[:end])
                timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"index: {len(index)} entries ({len(catalog.items)} items), built in {build:.2f} s")
    print(
        f"per keystroke over {len(timings)} searches: p50 {statistics.median(timings):.2f} ms, "
        f"p95 {p95:.2f} ms, max {timings[-1]:.2f} ms"
    )
    print("goal: p95 <= 5 ms")


if __name__ == "__main__":
    main()
