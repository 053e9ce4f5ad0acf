"""Every route but the login, /health and static files refuses anyone not logged in."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

#: Routes open to anyone: the login page and form, the API's token endpoint, the health check.
OPEN = {("GET", "/login"), ("POST", "/login"), ("POST", "/api/v1/token"), ("GET", "/health")}


def _concrete(path: str) -> str:
    """The path with each parameter filled by a value that would name a real row."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return "measurements" if name == "kind" else "1"

    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)


def test_every_route_needs_authentication(client: TestClient, app: FastAPI) -> None:
    walked = 0
    for route in app.router.routes:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route) or hasattr(route, "methods")
        template = str(getattr(route, "path", ""))
        for method in sorted(getattr(route, "methods", set()) - {"HEAD"}):
            if (method, template) in OPEN:
                continue
            path = _concrete(template)
            answer = client.request(method, path, follow_redirects=False)
            walked += 1
            if path.startswith("/api/") or path == "/openapi.json":
                assert answer.status_code == 401, (method, path, answer.status_code)
                assert answer.headers["www-authenticate"] == "Bearer"
                assert set(answer.json()) == {"detail"}
            else:
                assert answer.status_code == 303, (method, path, answer.status_code)
                assert answer.headers["location"].startswith("/login")
    assert walked >= 20


def test_open_routes_give_no_data(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/static/style.css").status_code == 200
    page = client.get("/login")
    assert page.status_code == 200
    assert "<form" in page.text


def test_a_forged_or_expired_credential_is_refused(client: TestClient) -> None:
    client.cookies.set("pseudoprog_session", "made-up")
    assert client.get("/worklist", follow_redirects=False).status_code == 303
    answer = client.get("/api/v1/lesions", headers={"Authorization": "Bearer made-up"})
    assert answer.status_code == 401
    answer = client.get("/api/v1/lesions", headers={"Authorization": "Basic YTpi"})
    assert answer.status_code == 401
