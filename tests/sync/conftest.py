"""The sync tests run against the real platform on both databases, as the central tests do."""

from central.conftest import backend  # noqa: F401  (the sqlite/postgres parameter)
