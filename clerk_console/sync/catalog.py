"""Getting the catalog to the console.

Embedded (today's only mode): read the catalog of record from the data directory, validate
it, and keep it with its search keys in the local store by content-hash version. When the
files cannot be read or are invalid, the console keeps working on the cached version and says
so. When the platform arrives, fetching by version replaces reading the files here; the
screens do not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clerk_console.catalog_files import CatalogFiles, load_wording, read_sources
from clerk_console.domain.catalog import Catalog
from clerk_console.domain.catalog_loader import CatalogInvalid, parse_catalog
from clerk_console.domain.documents import Wording
from clerk_console.domain.search import PinyinFn, SearchIndex, index_keys, pypinyin_keys
from clerk_console.store.local import LocalStore


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


def document_wording(catalog_dir: Path | None) -> Wording:
    """The fixed wording of printed documents, from the hall's documents file."""
    return load_wording(catalog_dir)
