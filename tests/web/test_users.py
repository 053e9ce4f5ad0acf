"""The users page: admins list, add and deactivate accounts; others get 403; CSRF on every form;
an audit entry for every change; a deactivated account's sessions end at once."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from pseudoprog.store.models import AuditEntry, UserRow
from tests.web.conftest import PASSWORDS, bearer, database, login


def _ids(app: FastAPI) -> dict[str, int]:
    with database(app).sessions() as session:
        return {u.name: u.id for u in session.scalars(select(UserRow))}


def _audit(app: FastAPI) -> list[tuple[str, str, str, dict[str, object] | None]]:
    with database(app).sessions() as session:
        return [
            (a.user_name, a.action, a.entity, a.after)
            for a in session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "user").order_by(AuditEntry.id)
            )
        ]


def test_admin_lists_adds_and_deactivates(client: TestClient, app: FastAPI) -> None:
    csrf = login(client, "admin")
    page = client.get("/users")
    assert page.status_code == 200
    rows = dict(re.findall(r'<tr data-user="([^"]+)" data-active="(\w+)">', page.text))
    assert rows == {"admin": "yes", "editor": "yes", "viewer": "yes"}
    added = client.post(
        "/users",
        data={"name": "reader2", "role": "viewer", "password": "reader two pw", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert added.status_code == 303
    other = TestClient(app)
    PASSWORDS["reader2"] = "reader two pw"
    try:
        login(other, "reader2")
        assert other.get("/worklist").status_code == 200
        ids = _ids(app)
        gone = client.post(
            f"/users/{ids['reader2']}/deactivate",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert gone.status_code == 303
        page = client.get("/users")
        assert 'data-user="reader2" data-active="no"' in page.text
        ended = other.get("/worklist", follow_redirects=False)
        assert ended.status_code == 303  # the open session ended with the account
        assert ended.headers["location"].startswith("/login")
        token = other.post(
            "/api/v1/token", data={"username": "reader2", "password": "reader two pw"}
        )
        assert token.status_code == 401
        back = client.post(
            f"/users/{ids['reader2']}/activate", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert back.status_code == 303
        login(other, "reader2")
    finally:
        del PASSWORDS["reader2"]
    assert _audit(app)[-3:] == [
        ("admin", "create", "user", {"name": "reader2", "role": "viewer"}),
        ("admin", "update", "user", {"name": "reader2", "active": False}),
        ("admin", "update", "user", {"name": "reader2", "active": True}),
    ]


def test_errors_are_shown_beside_the_field_with_the_input_kept(client: TestClient) -> None:
    csrf = login(client, "admin")
    short = client.post(
        "/users",
        data={"name": "newbie", "role": "editor", "password": "short", "csrf_token": csrf},
    )
    assert short.status_code == 422
    assert 'value="newbie"' in short.text
    assert re.search(r'id="add-user-password-error">the password has 5 characters', short.text)
    assert "short" not in short.text.split('id="add-user-password"', 1)[1].split(">", 1)[0]
    taken = client.post(
        "/users",
        data={"name": "editor", "role": "viewer", "password": "long enough 1", "csrf_token": csrf},
    )
    assert taken.status_code == 422
    assert re.search(r'id="add-user-name-error">user &#39;editor&#39; already exists', taken.text)
    role = client.post(
        "/users",
        data={"name": "x1", "role": "owner", "password": "long enough 1", "csrf_token": csrf},
    )
    assert role.status_code == 422
    assert 'id="add-user-role-error"' in role.text


def test_an_admin_cannot_lock_themselves_out(client: TestClient, app: FastAPI) -> None:
    csrf = login(client, "admin")
    me = client.post(f"/users/{_ids(app)['admin']}/deactivate", data={"csrf_token": csrf})
    assert me.status_code == 422
    assert "your own account" in me.text
    assert 'data-user="admin" data-active="yes"' in client.get("/users").text


def test_forms_need_the_csrf_token(client: TestClient, app: FastAPI) -> None:
    login(client, "admin")
    added = client.post(
        "/users", data={"name": "sneaky", "role": "admin", "password": "sneaky password"}
    )
    assert added.status_code == 403
    gone = client.post(f"/users/{_ids(app)['viewer']}/deactivate", data={"csrf_token": "x" * 43})
    assert gone.status_code == 403
    assert "sneaky" not in _ids(app)
    assert 'data-user="viewer" data-active="yes"' in client.get("/users").text


@pytest.mark.parametrize("name", ["viewer", "editor"])
def test_only_admins_manage_users(client: TestClient, app: FastAPI, name: str) -> None:
    csrf = login(client, name)
    assert client.get("/users").status_code == 403
    assert 'href="/users"' not in client.get("/worklist").text
    added = client.post(
        "/users",
        data={"name": "mine", "role": "admin", "password": "my own password", "csrf_token": csrf},
    )
    assert added.status_code == 403
    target = _ids(app)["admin"]
    assert client.post(f"/users/{target}/deactivate", data={"csrf_token": csrf}).status_code == 403
    headers = bearer(client, name)
    assert client.get("/users", headers=headers).status_code == 403
    assert "mine" not in _ids(app)
    assert _audit(app) == [
        ("test", "create", "user", {"name": n, "role": n}) for n in ("admin", "editor", "viewer")
    ]
