"""The catalog from the platform by version (issue 13, finding 7): asked with the version
in use, an unchanged catalog is a 304 and no body; a changed one comes whole, is validated,
cached and audited; an intake already open keeps the catalog it started with."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
from central.conftest import HASHER, SECRET, Clock, fresh_engine
from sqlmodel import Session

from clerk_console.catalog_files import CatalogFiles, read_sources
from clerk_console.central.api import create_app
from clerk_console.central.db import init_platform
from clerk_console.central.models import CatalogRecord, PlatformMeta
from clerk_console.config import CentralConfig, validate
from clerk_console.domain.catalog_loader import parse_catalog
from clerk_console.store.local import LocalStore
from clerk_console.sync.catalog import load_catalog, refresh_catalog
from clerk_console.sync.client import PlatformClient


async def test_the_catalog_comes_only_when_its_version_changed(
    backend: str, tmp_path: Path
) -> None:
    config = validate(CentralConfig, {"data_dir": str(tmp_path), "secret": SECRET})
    engine = fresh_engine(backend, tmp_path)
    init_platform(engine, config, HASHER)
    asked: list[int] = []

    async def counted(request: httpx.Request) -> None:
        asked.append(0)

    async def answered(response: httpx.Response) -> None:
        if response.request.url.path == "/catalog":
            asked[-1] = response.status_code

    transport = httpx.ASGITransport(app=create_app(config, engine, clock=Clock(), hasher=HASHER))
    client = PlatformClient(transport=transport)
    client._http.event_hooks = {"request": [counted], "response": [answered]}
    store = LocalStore.open(tmp_path / "console")
    in_use = load_catalog(store, None)  # the console's own files: the same as the platform's

    assert await refresh_catalog(store, client, in_use.catalog.version) is None
    assert asked[-1] == 304  # nothing came but the answer that nothing changed

    # The hall's administrator publishes a changed catalog on the platform.
    sources = read_sources(CatalogFiles.locate(None).catalog_dir)
    name = next(n for n in sources if "item" in n)
    sources[name] = sources[name].replace("户口迁移", "户口迁移（新）", 1)
    changed = parse_catalog(sources)
    with Session(engine) as s, s.begin():
        s.add(
            CatalogRecord(
                version=changed.version,
                sources_json=json.dumps(sources),
                loaded_at=datetime.now(UTC),
            )
        )
        current = s.get(PlatformMeta, "catalog_version")
        assert current is not None
        current.value = changed.version
        s.add(current)

    fresh = await refresh_catalog(store, client, in_use.catalog.version)
    assert asked[-1] == 200 and fresh is not None
    assert fresh.catalog.version == changed.version != in_use.catalog.version
    assert store.cached_catalog() is not None
    assert store.cached_catalog().version == changed.version  # type: ignore[union-attr]
    assert [e.action for e in store.audit_entries()][-1] == "catalog.updated"
    assert await refresh_catalog(store, client, fresh.catalog.version) is None
    assert asked[-1] == 304
    await client.aclose()
    store.close()
