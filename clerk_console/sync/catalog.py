"""Getting the catalog to the console.

At start: read the catalog from the data directory, validate it, and keep it with its
search keys in the local store by content-hash version. When the files cannot be read or
are invalid, the console keeps working on the cached version and says so. Then, while the
platform answers, its catalog of record is asked for by version (a conditional request):
a new version replaces the one in use for the next intake; an open intake, and a draft
left with Esc and reopened later, keeps its own (the store keeps the versions drafts use).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from clerk_console.catalog_files import CatalogFiles, load_wording, read_sources
from clerk_console.domain.catalog import Catalog
from clerk_console.domain.catalog_loader import CatalogInvalid, parse_catalog
from clerk_console.domain.documents import Wording
from clerk_console.domain.intake import Intake
from clerk_console.domain.search import PinyinFn, SearchIndex, index_keys, pypinyin_keys
from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient


@dataclass(frozen=True)
class LoadedCatalog:
    """A catalog ready for the screens."""

    catalog: Catalog
    index: SearchIndex
    source: str  # "files" | "cache"
    changed: bool  # a new version was cached
    problems: list[str] = field(default_factory=list)  # why the cache was used


def load_catalog(
    store: LocalStore,
    catalog_dir: Path | None,
    actor: str = "system",
    counter: int | None = None,
    pinyin: PinyinFn = pypinyin_keys,
) -> LoadedCatalog:
    """The current catalog: from the files if valid, else the cached one.

    Raises `CatalogInvalid` only when the files are unusable and nothing is cached.
    """
    files = CatalogFiles.locate(catalog_dir)
    try:
        sources = read_sources(files.catalog_dir)
        catalog = parse_catalog(sources)
    except CatalogInvalid as exc:
        cached = store.cached_catalog()
        if cached is None:
            raise
        catalog = parse_catalog(cached.sources)
        return LoadedCatalog(
            catalog,
            SearchIndex(cached.search_keys),
            "cache",
            False,
            [str(e) for e in exc.errors],
        )
    cached = store.cached_catalog()
    if cached is not None and cached.version == catalog.version:
        return LoadedCatalog(catalog, SearchIndex(cached.search_keys), "files", False)
    keys = list(index_keys(catalog, pinyin))
    store.cache_catalog(catalog.version, str(files.catalog_dir), sources, keys)
    store.append_audit(
        actor,
        "catalog.updated",
        catalog.version,
        {"previous": cached.version if cached else None, **catalog.summary()},
        counter=counter,
    )
    return LoadedCatalog(catalog, SearchIndex(keys), "files", True)


def draft_catalog(store: LocalStore, intake: Intake, current: Catalog) -> Catalog | None:
    """The catalog a reopened draft started with: `current` if it is that version (or the
    draft is older than pinning), the cached version otherwise; None when that version is
    no longer kept (the store was rebuilt): the draft then goes on with `current`."""
    if intake.catalog in ("", current.version):
        return current
    cached = store.cached_catalog(intake.catalog)
    if cached is None:
        return None
    try:
        return parse_catalog(cached.sources)
    except CatalogInvalid:
        return None


def document_wording(catalog_dir: Path | None) -> Wording:
    """The fixed wording of printed documents, from the hall's documents file."""
    return load_wording(catalog_dir)


async def refresh_catalog(
    store: LocalStore,
    client: PlatformClient,
    current: str,
    actor: str = "system",
    counter: int | None = None,
    pinyin: PinyinFn = pypinyin_keys,
) -> LoadedCatalog | None:
    """The platform's catalog of record, if its version is not `current` (a conditional
    request: an unchanged catalog costs a 304); validated, indexed and cached like one
    read from files. None while `current` is the platform's. An invalid one is refused
    (CatalogInvalid) and the console keeps what it has."""
    fetched = await client.catalog_if_changed(current)
    if fetched is None:
        return None
    version, sources = fetched
    catalog = await asyncio.to_thread(parse_catalog, sources)
    keys = await asyncio.to_thread(lambda: list(index_keys(catalog, pinyin)))
    await asyncio.to_thread(store.cache_catalog, catalog.version, "platform", sources, keys)
    detail = {"previous": current, "platform_version": version, **catalog.summary()}
    await asyncio.to_thread(
        store.append_audit, actor, "catalog.updated", catalog.version, detail, counter=counter
    )
    return LoadedCatalog(catalog, SearchIndex(keys), "platform", True)
