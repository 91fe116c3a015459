"""The sync tests run against the real platform on both databases, as the central tests do."""

from central.conftest import backend, served  # noqa: F401  (the database parameter; uvicorn)
