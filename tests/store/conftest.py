"""A migrated database on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pseudoprog.store import Database
from tests.databases import BACKENDS, database_url, open_database


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database_url(request.param, tmp_path)


@pytest.fixture
def db(url: str) -> Iterator[Database]:
    yield from open_database(url)
