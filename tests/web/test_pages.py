"""Pages: login, worklist, lesion page with plot and forms, CSRF, headers, logs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import bearer, login, upload_example


@pytest.fixture
def loaded(client: TestClient, example_dir: Path) -> TestClient:
    upload_example(client, bearer(client, "editor"), example_dir)
    return client


def _counts(html: str) -> dict[str, int]:
    found = re.findall(
        r'<li data-response="(\w+)"><a[^>]*><span[^>]*>\w+</span> <span class="n">(\d+)</span>',
        html,
    )
    return {k: int(v) for k, v in found}


def test_login_sets_an_httponly_samesite_cookie(client: TestClient) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": "viewer", "password": "viewer password 1", "csrf_token": token[1]},
        follow_redirects=False,
    )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "pseudoprog_session" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    wrong = client.post(
        "/login", data={"username": "viewer", "password": "x" * 12, "csrf_token": token[1]}
    )
    assert wrong.status_code in (401, 403)


def test_worklist_counts_filters_and_paging(loaded: TestClient, example_dir: Path) -> None:
    login(loaded, "viewer")
    page = loaded.get("/worklist")
    api = loaded.get("/api/v1/lesions", headers=bearer(loaded, "viewer")).json()
    assert _counts(page.text) == api["counts"]
    opp = loaded.get("/worklist?response=OPP")
    rows = re.findall(r'<tr data-response="(\w+)">', opp.text)
    assert rows == ["OPP"] * api["counts"]["OPP"]
    ordered = loaded.get("/worklist?sort=lesion&order=desc")
    names = re.findall(r'<a href="/lesions/\d+">([^<]+)</a>', ordered.text)
    assert names == sorted(names, reverse=True)
    assert "page 1 of 1" in page.text


def test_lesion_page_shows_status_plot_and_history(loaded: TestClient) -> None:
    login(loaded, "viewer")
    api = loaded.get("/api/v1/lesions?response=OPP", headers=bearer(loaded, "viewer")).json()
    lesion = api["lesions"][0]
    page = loaded.get(f"/lesions/{lesion['id']}")
    assert f'id="status">{lesion["response"]}<' in page.text
    for reason in lesion["reasons"]:
        assert reason["message"].replace("'", "&#39;") in page.text
    plot = loaded.get(f"/lesions/{lesion['id']}/plot.svg")
    assert plot.headers["content-type"] == "image/svg+xml"
    assert plot.content.lstrip().startswith(b"<?xml")
    assert "Add measurements" not in page.text  # viewers get no forms


def test_a_form_with_errors_keeps_the_input_beside_its_fields(loaded: TestClient) -> None:
    csrf = login(loaded, "editor")
    lesion = loaded.get("/api/v1/lesions?page_size=1", headers=bearer(loaded, "editor")).json()
    url = f"/lesions/{lesion['lesions'][0]['id']}/measurements"
    values = {"date": "2012-31-01", "sequence": "T1", "size_mm": "12.5", "csrf_token": csrf}
    answer = loaded.post(url, data=values)
    assert answer.status_code == 422
    assert 'value="2012-31-01"' in answer.text
    assert 'value="12.5"' in answer.text
    assert re.search(r'id="add-measurements-date-error">not a valid date', answer.text)
    missing = loaded.post(url, data={k: v for k, v in values.items() if k != "csrf_token"})
    assert missing.status_code == 403


def test_security_headers_and_no_patient_data_in_the_log(
    loaded: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    login(loaded, "viewer")
    api = loaded.get("/api/v1/lesions?page_size=1", headers=bearer(loaded, "viewer")).json()
    lesion = api["lesions"][0]
    with caplog.at_level(logging.INFO, logger="pseudoprog.web"):
        page = loaded.get(f"/lesions/{lesion['id']}")
        loaded.get(f"/worklist?patient={lesion['patient_id']}")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /lesions/{lesion_id} 200" in logged
    assert lesion["lesion_id"] not in logged
    assert f"patient={lesion['patient_id']}" not in logged


def test_pages_reference_no_other_host(client: TestClient) -> None:
    page = client.get("/login").text
    assert not re.search(r'(src|href)="(https?:)?//', page)
