"""Opening a database: SQLite (the default, one file) or PostgreSQL, by SQLAlchemy URL.

>>> Database.open("sqlite://").dialect
'sqlite'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from pseudoprog.errors import ParameterError

__all__ = ["DEFAULT_URL", "Database", "check_url"]

#: The database used when none is given: a SQLite file in the working directory.
DEFAULT_URL = "sqlite:///pseudoprog.db"

_SUPPORTED = ("sqlite", "postgresql")


def check_url(url: str) -> str:
    """The URL's dialect, after checking that it is one pseudoprog supports.

    Raises
    ------
    ParameterError
        For a URL that cannot be read or names another database; the message gives the forms
        accepted.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    dialect = None if parsed is None else parsed.get_backend_name()
    if dialect not in _SUPPORTED:
        raise ParameterError(
            f"--database {url!r} is not a database URL pseudoprog can use; give "
            "sqlite:///PATH.db (a file) or postgresql+psycopg://USER@HOST:PORT/NAME"
        )
    if dialect == "postgresql" and parsed is not None and parsed.get_driver_name() != "psycopg":
        raise ParameterError(
            f"--database {url!r} names the {parsed.get_driver_name()} driver; use "
            "postgresql+psycopg://USER@HOST:PORT/NAME (psycopg 3)"
        )
    return str(dialect)


def _json_loads(text: str | bytes) -> Any:
    """JSON columns read by orjson (several times faster than the standard library), falling
    back to :func:`json.loads` for what only it accepts (``NaN``, ``Infinity``)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


@dataclass(frozen=True)
class Database:
    """An engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, url: str = DEFAULT_URL, *, echo: bool = False) -> Database:
        """Connect to ``url`` (nothing is created: run :func:`~pseudoprog.store.upgrade`).

        SQLite gets foreign keys, a busy timeout and write-ahead logging on every connection;
        an in-memory SQLite database (``sqlite://``) is shared by every session.
        """
        dialect = check_url(url)
        options: dict[str, Any] = {"echo": echo, "future": True, "json_deserializer": _json_loads}
        if dialect == "sqlite":
            options["connect_args"] = {"check_same_thread": False}
            if make_url(url).database in (None, "", ":memory:"):
                options["poolclass"] = StaticPool
        else:
            options.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        engine = create_engine(url, **options)
        if dialect == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back whole."""
        with self.sessions.begin() as session:
            yield session

    def refresh_statistics(self) -> None:
        """Have PostgreSQL's planner look at the tables again (``ANALYZE``) after a bulk import.

        Until autovacuum does it (within a minute or so), the planner would take tables that
        just grew by thousands of rows for small ones, and read the worklist by sorting every
        lesion instead of walking an index. SQLite needs nothing.
        """
        if self.dialect != "postgresql":
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE"))

    def close(self) -> None:
        self.engine.dispose()
