"""The web application on a fresh database, with one account of each role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pseudoprog.store import Database
from pseudoprog.store.users import Role, add_user
from pseudoprog.web import create_app
from tests.databases import BACKENDS, database_url, open_database

PASSWORDS = {
    "admin": "admin password 1",
    "editor": "editor password 1",
    "viewer": "viewer password 1",
}


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database_url(request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield from database_url("sqlite", tmp_path)


def _app(url: str) -> Iterator[FastAPI]:
    for db in open_database(url):
        with db.transaction() as session:
            for name, password in PASSWORDS.items():
                add_user(session, name, role=Role(name), password=password, by="test")
        yield create_app(db)


@pytest.fixture
def app(sqlite_url: str) -> Iterator[FastAPI]:
    yield from _app(sqlite_url)


@pytest.fixture
def any_app(backend_url: str) -> Iterator[FastAPI]:
    yield from _app(backend_url)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def database(app: FastAPI) -> Database:
    db: Database = app.state.database
    return db


def bearer(client: TestClient, name: str) -> dict[str, str]:
    """Headers with a bearer token of the account ``name``."""
    answer = client.post("/api/v1/token", data={"username": name, "password": PASSWORDS[name]})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def login(client: TestClient, name: str) -> str:
    """Log ``client`` in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": name, "password": PASSWORDS[name], "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    worklist = client.get("/worklist")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', worklist.text)
    assert csrf is not None
    return csrf.group(1)


def upload_example(client: TestClient, headers: dict[str, str], folder: Path) -> httpx.Response:
    """POST the example's tables to /api/v1/imports; returns the response."""
    files = {
        name: (f"{name}.csv", (folder / f"{name}.csv").read_bytes(), "text/csv")
        for name in ("lesions", "measurements", "events")
    }
    answer: httpx.Response = client.post("/api/v1/imports", files=files, headers=headers)
    return answer
