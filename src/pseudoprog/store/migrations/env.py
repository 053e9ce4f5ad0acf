"""Alembic environment: runs the packaged migrations on the connection it is given.

:func:`pseudoprog.store.migrate.upgrade` passes an open connection in
``config.attributes["connection"]``; the URL in the configuration is used otherwise.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pseudoprog.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
