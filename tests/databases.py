"""Databases for the storage and web tests: a SQLite file, and a PostgreSQL database made
and dropped for each test on the machine's service (127.0.0.1:5432, trust auth, user
postgres). Without that service the PostgreSQL cases skip, saying what to start, except
under CI (``CI=true``), where they fail."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pseudoprog.store import Database, upgrade

POSTGRES_SERVER = os.environ.get(
    "PSEUDOPROG_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def _admin() -> object:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_SERVER)
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        dbname=url.database or "postgres",
        autocommit=True,
        connect_timeout=3,
    )


def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database's URL; dropped afterwards."""
    try:
        admin = _admin()
    except Exception as exc:
        message = (
            f"PostgreSQL is not reachable at {POSTGRES_SERVER} ({type(exc).__name__}); start "
            "it (e.g. 'service postgresql start', trust auth for user postgres on 127.0.0.1)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    name = f"pseudoprog_test_{uuid.uuid4().hex[:12]}"
    with admin:  # type: ignore[attr-defined]
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    try:
        yield POSTGRES_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with _admin() as again:  # type: ignore[attr-defined]
            again.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'pseudoprog.db'}"
    else:
        yield from postgres_database()


def open_database(url: str) -> Iterator[Database]:
    db = Database.open(url)
    upgrade(db)
    try:
        yield db
    finally:
        db.close()
