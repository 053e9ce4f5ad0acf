"""The API: tokens, imports, lesions with the classify fields, roles, versions, export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from pseudoprog.criteria.amini2016 import assess_many
from pseudoprog.io.cohort import load_cohort
from tests.web.conftest import bearer, upload_example


def _classified(folder: Path) -> dict[str, dict[str, object]]:
    cohort = load_cohort(
        lesions=folder / "lesions.csv",
        measurements=folder / "measurements.csv",
        events=folder / "events.csv",
    )
    return {a.lesion.lesion_id: a.to_dict() for a in assess_many(cohort.histories)}


def test_import_then_lesions_carry_the_classify_fields(any_app: FastAPI, example_dir: Path) -> None:
    client = TestClient(any_app)
    editor = bearer(client, "editor")
    answer = upload_example(client, editor, example_dir)
    assert answer.status_code == 201
    expected = _classified(example_dir)
    opp = client.get("/api/v1/lesions?response=OPP", headers=editor).json()
    wanted = {k for k, v in expected.items() if str(v["response"]) == "OPP"}
    assert {x["lesion_id"] for x in opp["lesions"]} == wanted
    assert opp["total"] == len(wanted)
    every = client.get("/api/v1/lesions?page_size=500", headers=editor).json()
    assert every["total"] == len(expected)
    for item in every["lesions"]:
        core = expected[item["lesion_id"]]
        assert item["patient_id"] == core["patient_id"]
        assert item["response"] == str(core["response"])
        assert item["reasons"] == core["reasons"]
        assert item["deciding_sequence"] == core["deciding_sequence"]
        assert item["peak_change_mm"] == core["peak_change_mm"]
    counts: dict[str, int] = {}
    for v in expected.values():
        counts[str(v["response"])] = counts.get(str(v["response"]), 0) + 1
    assert every["counts"] == counts


def test_an_import_with_problems_is_422_and_stores_nothing(
    client: TestClient, example_dir: Path
) -> None:
    editor = bearer(client, "editor")
    lines = (example_dir / "measurements.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[2] = "T9"
    bad = "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n"
    files = {
        "lesions": ("lesions.csv", (example_dir / "lesions.csv").read_bytes(), "text/csv"),
        "measurements": ("m.csv", bad.encode(), "text/csv"),
    }
    answer = client.post("/api/v1/imports", files=files, headers=editor)
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert [(p["row"], p["column"], p["value"]) for p in problems] == [(2, "sequence", "T9")]
    assert problems[0]["source"] == "measurements table m.csv"
    assert client.get("/api/v1/lesions", headers=editor).json()["total"] == 0


def test_the_same_import_twice_adds_nothing(client: TestClient, example_dir: Path) -> None:
    editor = bearer(client, "editor")
    first = upload_example(client, editor, example_dir).json()
    second = upload_example(client, editor, example_dir).json()
    assert sum(second["added"].values()) == 0
    assert second["unchanged"]["lesions"] == first["added"]["lesions"]
    history = client.get("/api/v1/imports", headers=editor).json()
    assert [h["user"] for h in history] == ["editor", "editor"]
    digest = history[0]["files"]["lesions"]["sha256"]
    assert digest == history[1]["files"]["lesions"]["sha256"]


def test_roles_viewers_read_editors_write_admins_manage(
    client: TestClient, example_dir: Path
) -> None:
    viewer = bearer(client, "viewer")
    assert upload_example(client, viewer, example_dir).status_code == 403
    editor = bearer(client, "editor")
    upload_example(client, editor, example_dir)
    lesion = client.get("/api/v1/lesions?page_size=1", headers=viewer).json()["lesions"][0]
    row = {"date": "2015-01-01", "sequence": "T1", "size_mm": 20}
    url = f"/api/v1/lesions/{lesion['id']}/measurements"
    assert client.post(url, json=row, headers=viewer).status_code == 403
    assert client.get("/api/v1/users", headers=editor).status_code == 403
    admin = bearer(client, "admin")
    made = client.post(
        "/api/v1/users",
        json={"name": "newbie", "role": "viewer", "password": "newbie password"},
        headers=admin,
    )
    assert made.status_code == 201
    names = {u["name"] for u in client.get("/api/v1/users", headers=admin).json()}
    assert names == {"admin", "editor", "viewer", "newbie"}


def test_edits_carry_versions_and_a_stale_one_is_409(client: TestClient, example_dir: Path) -> None:
    editor = bearer(client, "editor")
    upload_example(client, editor, example_dir)
    lesion = client.get("/api/v1/lesions?response=PR&page_size=1", headers=editor).json()
    lesion_id = lesion["lesions"][0]["id"]
    detail = client.get(f"/api/v1/lesions/{lesion_id}", headers=editor).json()
    last = detail["measurements"][-1]
    url = f"/api/v1/lesions/{lesion_id}/measurements/{last['id']}"
    body = {"date": last["date"], "sequence": last["sequence"], "size_mm": last["size_mm"] + 1}
    ok = client.put(url, json={**body, "version": last["version"]}, headers=editor)
    assert ok.status_code == 200
    assert ok.json()["version"] == last["version"] + 1
    stale = client.put(
        url, json={**body, "size_mm": 1.5, "version": last["version"]}, headers=editor
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["size_mm"] == last["size_mm"] + 1
    bad = client.put(
        url, json={**body, "size_mm": "big", "version": last["version"] + 1}, headers=editor
    )
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"size_mm"}
    gone = client.delete(f"{url}?version={last['version'] + 1}", headers=editor)
    assert gone.status_code == 204
    history = client.get(f"/api/v1/lesions/{lesion_id}", headers=editor).json()["history"]
    actions = [(h["action"], h["user_name"]) for h in history[:2]]
    assert actions == [("delete", "editor"), ("update", "editor")]
    assert history[1]["before"]["size_mm"] == last["size_mm"]
    assert history[1]["after"]["size_mm"] == last["size_mm"] + 1


def test_export_formats_hold_the_selection(client: TestClient, example_dir: Path) -> None:
    editor = bearer(client, "editor")
    upload_example(client, editor, example_dir)
    expected = _classified(example_dir)
    pd_ids = {k for k, v in expected.items() if str(v["response"]) == "PD"}
    text = client.get("/api/v1/export?format=csv&response=PD", headers=editor).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["lesion_id"] for r in rows} == pd_ids
    assert {r["response"] for r in rows} == {"PD"}
    doc = client.get("/api/v1/export?format=json&response=PD", headers=editor).json()
    assert {x["lesion_id"] for x in doc["lesions"]} == pd_ids
    book = client.get("/api/v1/export?format=xlsx&response=PD", headers=editor)
    from openpyxl import load_workbook

    sheets = load_workbook(io.BytesIO(book.content), read_only=True)
    assert sheets.sheetnames == ["status", "lesions", "measurements", "events", "evidence"]
    lesions = list(sheets["lesions"].iter_rows(values_only=True))
    assert {r[1] for r in lesions[1:]} == pd_ids


def test_openapi_lists_the_api_for_authenticated_users(client: TestClient) -> None:
    viewer = bearer(client, "viewer")
    schema = client.get("/openapi.json", headers=viewer).json()
    assert {"/api/v1/token", "/api/v1/imports", "/api/v1/lesions"} <= set(schema["paths"])
    assert "post" in schema["paths"]["/api/v1/imports"]


def test_login_throttling_per_account(client: TestClient) -> None:
    codes = [
        client.post("/api/v1/token", data={"username": "viewer", "password": "nope"}).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    right = client.post(
        "/api/v1/token", data={"username": "viewer", "password": "viewer password 1"}
    )
    assert right.status_code == 429
