"""Alembic environment of the platform's schema.

Run through `clerk_console.central.db.migrate` (which passes an open connection), or for a
new revision from the repository root:
    python3 -m clerk_console.central.db revision "what changed"
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from clerk_console.central.models import CentralModel

config = context.config
target_metadata = CentralModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
