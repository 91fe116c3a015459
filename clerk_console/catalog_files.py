"""Reading the catalog of record and the hall file from disk.

The only place that touches catalog files; parsing and validation are pure, in
`clerk_console.domain`. A directory may be a catalog directory (TOML files, any depth) or a
data directory holding `catalog/` and `demo/hall.toml`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.catalog_loader import CatalogError, CatalogInvalid, parse_catalog
from clerk_console.domain.documents import Wording
from clerk_console.domain.hall import Hall, parse_hall
from clerk_console.domain.rating import Reason, parse_reasons

HALL_FILE = Path("demo") / "hall.toml"


def default_data_dir() -> Path:
    """The data/ of a source checkout, or the copy a wheel carries inside the package."""
    package = Path(__file__).resolve().parent
    checkout = package.parent / "data"
    return checkout if (checkout / "catalog").is_dir() else package / "_data"


@dataclass(frozen=True)
class CatalogFiles:
    """Where a catalog (and optionally its hall file) lives."""

    catalog_dir: Path
    hall_file: Path | None

    @classmethod
    def locate(cls, directory: Path | None = None) -> CatalogFiles:
        """Resolve a data directory or a catalog directory."""
        root = directory if directory is not None else default_data_dir()
        if (root / "catalog").is_dir():
            hall = root / HALL_FILE
            return cls(root / "catalog", hall if hall.is_file() else None)
        return cls(root, None)


def read_sources(catalog_dir: Path) -> dict[str, str]:
    """Every `*.toml` under `catalog_dir`, keyed by its path relative to it."""
    if not catalog_dir.is_dir():
        raise CatalogInvalid([CatalogError(str(catalog_dir), "(dir)", "no such directory")])
    sources: dict[str, str] = {}
    errors: list[CatalogError] = []
    for path in sorted(catalog_dir.rglob("*.toml")):
        name = path.relative_to(catalog_dir).as_posix()
        try:
            sources[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            errors.append(CatalogError(name, "(file)", "not UTF-8 text"))
        except OSError as exc:
            errors.append(CatalogError(name, "(file)", f"cannot be read: {exc.strerror}"))
    if not sources and not errors:
        errors.append(CatalogError(str(catalog_dir), "(dir)", "no *.toml catalog files"))
    if errors:
        raise CatalogInvalid(errors)
    return sources


def load_catalog(directory: Path | None = None) -> Catalog:
    """Read and validate a catalog; raise `CatalogInvalid` with every error."""
    return parse_catalog(read_sources(CatalogFiles.locate(directory).catalog_dir))


def load_catalog_and_hall(directory: Path | None = None) -> tuple[Catalog, Hall | None]:
    """The catalog and, if the directory has one, its hall; all errors of both at once."""
    files = CatalogFiles.locate(directory)
    catalog = parse_catalog(read_sources(files.catalog_dir))
    if files.hall_file is None:
        return catalog, None
    text = files.hall_file.read_text(encoding="utf-8")
    return catalog, parse_hall(HALL_FILE.as_posix(), text, catalog)


DOCUMENTS_FILE = "demo/documents.toml"
NOTIFICATIONS_FILE = "demo/notifications.toml"


def load_wording(directory: Path | None = None, name: str = DOCUMENTS_FILE) -> Wording:
    """The fixed wording of printed documents (`demo/documents.toml` of the data directory),
    or of the applicant's notifications (`NOTIFICATIONS_FILE`)."""
    root = CatalogFiles.locate(directory).catalog_dir.parent
    with (root / name).open("rb") as f:
        data = tomllib.load(f)
    return Wording(
        titles={str(k): str(v) for k, v in data.get("titles", {}).items()},
        lines={str(k): str(v) for k, v in data.get("lines", {}).items()},
    )


RATINGS_FILE = "demo/ratings.toml"


def load_reasons(directory: Path | None = None) -> tuple[Reason, ...]:
    """The hall's reasons for a bad rating (`RATINGS_FILE` of the data directory)."""
    root = CatalogFiles.locate(directory).catalog_dir.parent
    path = root / RATINGS_FILE
    return parse_reasons(str(path), path.read_text(encoding="utf-8"))
