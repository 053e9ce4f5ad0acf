"""The web application's DICOM SR and FHIR: exports equal to the command line's, SR reports
imported as measurements (all or nothing, problems per file), and a push to a real Orthanc."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import httpx
import pydicom
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.dicom_sr import write_measurement_reports
from pseudoprog.io.dicomweb import PacsSettings
from pseudoprog.io.fhir import patient_bundles
from pseudoprog.io.lesion_timeline import study_results
from pseudoprog.store.models import AuditEntry
from tests.orthanc import Orthanc, orthanc  # noqa: F401  (the fixture)
from tests.web.conftest import bearer, database, login, upload_example

PATIENT = "45"


def _lesion(client: TestClient, headers: dict[str, str], key: str) -> dict[str, object]:
    found = client.get(f"/api/v1/lesions?patient={key}", headers=headers).json()["lesions"]
    detail: dict[str, object] = client.get(
        f"/api/v1/lesions/{found[0]['id']}", headers=headers
    ).json()
    return detail


def _cli_studies(folder: Path, patient: str) -> list[object]:
    cohort = load_cohort(
        lesions=folder / "lesions.csv",
        measurements=folder / "measurements.csv",
        events=folder / "events.csv",
    )
    return [s for s in study_results(cohort.histories) if s.patient_id == patient]


def _code(sequence: pydicom.Sequence) -> str:
    return str(sequence[0].get("CodeValue") or sequence[0].get("LongCodeValue"))


def _groups(ds: pydicom.Dataset) -> dict[str, tuple[str, float, str]]:
    """Lesion id -> (tracking UID, length, response) of each measurement group."""
    out = {}
    for item in ds.ContentSequence:
        for group in item.get("ContentSequence") or []:
            if _code(group.ConceptNameCodeSequence) != "125007":
                continue
            values: dict[str, object] = {}
            for entry in group.ContentSequence:
                code = _code(entry.ConceptNameCodeSequence)
                if entry.ValueType == "TEXT":
                    values[code] = entry.TextValue
                elif entry.ValueType == "UIDREF":
                    values[code] = entry.UID
                elif entry.ValueType == "NUM":
                    values[code] = float(entry.MeasuredValueSequence[0].NumericValue)
                elif entry.ValueType == "CODE":
                    values[code] = _code(entry.ConceptCodeSequence)
            out[str(values["112039"])] = (
                str(values["112040"]),
                float(str(values["410668003"])),
                str(values["112020"]),
            )
    return out


def test_sr_and_fhir_exports_are_those_of_the_command_line(
    client: TestClient, example_dir: Path, tmp_path: Path
) -> None:
    upload_example(client, bearer(client, "editor"), example_dir)
    viewer = bearer(client, "viewer")
    lesion = _lesion(client, viewer, PATIENT)
    patient = lesion["patient_row"]
    studies = _cli_studies(example_dir, PATIENT)

    answer = client.get(f"/api/v1/patients/{patient}/fhir", headers=viewer)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/fhir+json"
    assert answer.json() == patient_bundles(studies)[PATIENT]  # type: ignore[arg-type]

    answer = client.get(f"/api/v1/patients/{patient}/sr", headers=viewer)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    written = write_measurement_reports(tmp_path / "cli", studies)  # type: ignore[arg-type]
    assert sorted(archive.namelist()) == sorted(
        str(w.path.relative_to(tmp_path / "cli")) for w in written
    )
    for report in written:
        name = str(report.path.relative_to(tmp_path / "cli"))
        web = pydicom.dcmread(io.BytesIO(archive.read(name)))
        cli = pydicom.dcmread(report.path)
        assert (web.PatientID, web.StudyDate) == (cli.PatientID, cli.StudyDate)
        web_groups, cli_groups = _groups(web), _groups(cli)
        assert {k: v[1:] for k, v in web_groups.items()} == {
            k: v[1:] for k, v in cli_groups.items()
        }
        # the lesion keeps the tracking UID stored with it
        assert web_groups[str(lesion["lesion_id"])][0] == lesion["uid"]


def test_exports_need_a_login_and_name_a_missing_patient(client: TestClient) -> None:
    assert client.get("/api/v1/patients/1/sr").status_code == 401
    viewer = bearer(client, "viewer")
    missing = client.get("/api/v1/patients/999/fhir", headers=viewer)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "patient 999 does not exist"}


def test_push_is_for_editors_and_says_when_no_pacs_is_configured(
    app: FastAPI, client: TestClient, example_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PSEUDOPROG_PACS_URL", raising=False)
    editor = bearer(client, "editor")
    upload_example(client, editor, example_dir)
    patient = _lesion(client, editor, PATIENT)["patient_row"]
    viewer = bearer(client, "viewer")
    assert client.post(f"/api/v1/patients/{patient}/pacs", headers=viewer).status_code == 403
    answer = client.post(f"/api/v1/patients/{patient}/pacs", headers=editor)
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("no PACS is configured for this server: start it")
    login(client, "editor")
    page = client.get(f"/patients/{patient}")
    assert "No PACS is configured for this server" in page.text
    assert f'action="/patients/{patient}/pacs"' not in page.text
    assert f'href="/api/v1/patients/{patient}/sr"' in page.text
    app.state.pacs = PacsSettings("http://127.0.0.1:1/dicom-web", retries=0)
    failed = client.post(f"/api/v1/patients/{patient}/pacs", headers=editor)
    assert failed.status_code == 502
    assert "cannot connect (connection refused" in failed.json()["detail"]


def _tables(example_dir: Path, folder: Path, patients: set[str]) -> tuple[Path, Path, Path]:
    """The example's tables for ``patients``; the measurements up to each treatment only."""
    folder.mkdir()
    rows = list(csv.DictReader((example_dir / "lesions.csv").open(encoding="utf-8")))
    kept = [r for r in rows if r["patient_id"] in patients]
    treated = {r["lesion_id"]: r["treatment_date"] for r in kept}
    lesions = folder / "lesions.csv"
    with lesions.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    sizes = list(csv.DictReader((example_dir / "measurements.csv").open(encoding="utf-8")))
    full, baseline = folder / "measurements.csv", folder / "baseline.csv"
    for path, keep in (
        (full, lambda r: r["lesion_id"] in treated),
        (baseline, lambda r: r["lesion_id"] in treated and r["date"] <= treated[r["lesion_id"]]),
    ):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(sizes[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(r for r in sizes if keep(r))
    return lesions, full, baseline


def _upload(files: list[Path]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("sr", (p.name, p.read_bytes(), "application/dicom")) for p in files]


def test_sr_reports_import_as_measurements_all_or_nothing(
    client: TestClient, example_dir: Path, tmp_path: Path
) -> None:
    lesions, full, baseline = _tables(example_dir, tmp_path / "tables", {"1", "3"})
    cohort = load_cohort(lesions=lesions, measurements=full)
    reports = write_measurement_reports(tmp_path / "sr", study_results(cohort.histories))
    editor = bearer(client, "editor")
    files = {
        "lesions": ("lesions.csv", lesions.read_bytes(), "text/csv"),
        "measurements": ("baseline.csv", baseline.read_bytes(), "text/csv"),
    }
    assert client.post("/api/v1/imports", files=files, headers=editor).status_code == 201

    paths = [r.path for r in reports]
    note = tmp_path / "notes.txt"
    note.write_text("not a report", encoding="utf-8")
    refused = client.post("/api/v1/imports", files=_upload([*paths, note]), headers=editor)
    assert refused.status_code == 422
    assert [p["text"] for p in refused.json()["problems"]] == [
        "SR file notes.txt: not a DICOM file, so it holds no measurement report; expected a "
        "DICOM SR file (TID 1500 measurement report, e.g. exported from OHIF, 3D Slicer or "
        "pseudoprog export-sr)"
    ]

    answer = client.post("/api/v1/imports", files=_upload(paths), headers=editor)
    assert answer.status_code == 201, answer.text
    stored_before = sum(1 for _ in csv.DictReader(baseline.open(encoding="utf-8")))
    expected = sum(1 for _ in csv.DictReader(full.open(encoding="utf-8")))
    assert answer.json()["added"]["measurements"] == len(
        {(h.lesion.lesion_id, d) for h in cohort.histories for d in _dates(h)}
    ) - len({(r["lesion_id"], r["date"]) for r in csv.DictReader(baseline.open())})
    assert stored_before < expected
    for history in cohort.histories:
        detail = _lesion(client, editor, history.lesion.patient_id)
        if detail["lesion_id"] != history.lesion.lesion_id:
            continue
        stored = {(m["date"], m["size_mm"]) for m in detail["measurements"]}  # type: ignore[attr-defined]
        assert {(d.isoformat(), s) for d, s in _reported(history)} <= stored
    files_recorded = client.get("/api/v1/imports", headers=editor).json()[0]["files"]
    assert sorted(f["name"] for f in files_recorded["sr"]) == sorted(p.name for p in paths)

    again = client.post("/api/v1/imports", files=_upload(paths), headers=editor)
    assert again.status_code == 201
    assert sum(again.json()["added"].values()) == 0


def _dates(history: object) -> set[object]:
    series = history.series  # type: ignore[attr-defined]
    return {d for s in series.values() for d in s.dates}


def _reported(history: object) -> list[tuple[object, float]]:
    """The (date, size) the SR export reports for a lesion: the primary sequence's first."""
    cohort_series = history.series  # type: ignore[attr-defined]
    out = []
    for day in sorted(_dates(history)):
        for seq in ("T1", "T2FS", "T1C"):
            s = next((v for k, v in cohort_series.items() if k.value == seq), None)
            if s is not None and day in s.dates:
                out.append((day, s.sizes_mm[s.dates.index(day)]))
                break
    return out


def test_sr_import_of_unknown_lesions_or_other_sizes_names_the_report(
    client: TestClient, example_dir: Path, tmp_path: Path
) -> None:
    lesions, full, _ = _tables(example_dir, tmp_path / "tables", {"1"})
    cohort = load_cohort(lesions=lesions, measurements=full)
    reports = write_measurement_reports(tmp_path / "sr", study_results(cohort.histories))
    editor = bearer(client, "editor")
    first = reports[0].path
    unknown = client.post("/api/v1/imports", files=_upload([first]), headers=editor)
    assert unknown.status_code == 422
    (problem,) = unknown.json()["problems"]
    assert problem["source"] == f"SR file {first.name}"
    assert problem["message"] == "lesion P01-L1 of patient 1 is not stored"

    changed = full.read_text(encoding="utf-8").replace(",T1,", ",T1,1", 1)  # a size 1x mm
    other = tmp_path / "other.csv"
    other.write_text(changed, encoding="utf-8")
    files = {
        "lesions": ("lesions.csv", lesions.read_bytes(), "text/csv"),
        "measurements": ("m.csv", other.read_bytes(), "text/csv"),
    }
    assert client.post("/api/v1/imports", files=files, headers=editor).status_code == 201
    clash = client.post("/api/v1/imports", files=_upload([first]), headers=editor)
    assert clash.status_code == 422
    (problem,) = clash.json()["problems"]
    assert problem["source"] == f"SR file {first.name}"
    assert re.fullmatch(
        r"lesion P01-L1 has T1 size 1\d+(\.\d+)? mm stored on \S+, the report gives [\d.]+ mm",
        problem["message"],
    )


def test_the_page_imports_sr_and_shows_problems_per_file(
    client: TestClient, example_dir: Path, tmp_path: Path
) -> None:
    lesions, full, _ = _tables(example_dir, tmp_path / "tables", {"1"})
    cohort = load_cohort(lesions=lesions, measurements=full)
    reports = write_measurement_reports(tmp_path / "sr", study_results(cohort.histories))
    csrf = login(client, "editor")
    form = client.get("/import")
    assert 'name="sr" type="file" multiple' in form.text
    answer = client.post(
        "/import",
        data={"csrf_token": csrf},
        files=_upload([reports[0].path]),
    )
    assert answer.status_code == 422
    assert f"SR file {reports[0].path.name}: lesion P01-L1 of patient 1 is not stored" in (
        answer.text.replace("&#39;", "'")
    )
    answer = client.post(
        "/import",
        data={"csrf_token": csrf},
        files=[
            *_upload([r.path for r in reports]),
            ("lesions", ("lesions.csv", lesions.read_bytes(), "text/csv")),
        ],
    )
    assert answer.status_code == 200, answer.text
    assert "Imported:" in answer.text


def test_push_to_orthanc_stores_the_reports_and_audits_it(
    app: FastAPI,
    client: TestClient,
    example_dir: Path,
    orthanc: Orthanc,  # noqa: F811  (the fixture imported above)
) -> None:
    app.state.pacs = PacsSettings(orthanc.url, user=orthanc.user, password=orthanc.password)
    editor = bearer(client, "editor")
    upload_example(client, editor, example_dir)
    patient = _lesion(client, editor, PATIENT)["patient_row"]
    studies = _cli_studies(example_dir, PATIENT)
    answer = client.post(f"/api/v1/patients/{patient}/pacs", headers=editor)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["stored"]) == len(studies)
    assert body["rejected"] == []
    assert body["url"] == orthanc.url

    found = httpx.get(
        f"{orthanc.url}/instances",
        params={"PatientID": PATIENT, "Modality": "SR"},
        auth=(orthanc.user, orthanc.password),
    ).json()
    assert {i["00080018"]["Value"][0] for i in found} == set(body["stored"])

    with database(app).sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "push")).one()
    assert (entry.user_name, entry.entity, entry.entity_id) == ("editor", "patient", patient)
    assert entry.after is not None
    assert entry.after["stored"] == body["stored"]

    csrf = login(client, "editor")
    page = client.get(f"/patients/{patient}")
    assert f'action="/patients/{patient}/pacs"' in page.text
    pushed = client.post(f"/patients/{patient}/pacs", data={"csrf_token": csrf})
    assert pushed.status_code == 200
    assert f"{len(studies)} SR reports of patient {PATIENT} stored on {orthanc.url}" in pushed.text
    forged = client.post(f"/patients/{patient}/pacs", data={"csrf_token": "forged"})
    assert forged.status_code == 403


def test_a_viewer_report_finds_the_stored_lesion_by_its_tracking_uid(
    client: TestClient, example_dir: Path, tmp_path: Path
) -> None:
    editor = bearer(client, "editor")
    upload_example(client, editor, example_dir)
    lesion = _lesion(client, editor, PATIENT)
    archive = zipfile.ZipFile(
        io.BytesIO(
            client.get(f"/api/v1/patients/{lesion['patient_row']}/sr", headers=editor).content
        )
    )
    report = pydicom.dcmread(io.BytesIO(archive.read(sorted(archive.namelist())[-1])))
    # as a viewer saves it: a tool's tag for the identifier, a new study date and length
    for item in report.ContentSequence:
        for group in item.get("ContentSequence") or []:
            for entry in group.get("ContentSequence") or []:
                code = _code(entry.ConceptNameCodeSequence)
                if code == "112039":
                    entry.TextValue = "Cornerstone3DTools@^0.1.0:Length"
                elif code == "C2348792":  # Time Point (TID 1502)
                    entry.TextValue = "2012-06-01"
                elif code == "410668003":
                    entry.MeasuredValueSequence[0].NumericValue = 23.5
    report.SOPInstanceUID = pydicom.uid.generate_uid()
    path = tmp_path / "viewer.dcm"
    report.save_as(path, enforce_file_format=True)
    answer = client.post("/api/v1/imports", files=_upload([path]), headers=editor)
    assert answer.status_code == 201, answer.text
    assert answer.json()["added"]["measurements"] == 1
    after = _lesion(client, editor, PATIENT)
    assert after["lesion_id"] == lesion["lesion_id"]
    assert ("2012-06-01", "T1", 23.5) in {
        (m["date"], m["sequence"], m["size_mm"])
        for m in after["measurements"]  # type: ignore[attr-defined]
    }
