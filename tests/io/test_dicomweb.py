"""The DICOMweb client against a scripted server: authentication headers, and a clear error
(server, status, what to do) for every failure: unreachable, slow, 4xx, 5xx, rejected."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid
from typer.testing import CliRunner

from pseudoprog.cli import _register, app
from pseudoprog.errors import ParameterError
from pseudoprog.io.dicomweb import (
    DicomWeb,
    PacsError,
    PacsQuery,
    PacsRejectedError,
    PacsSettings,
    QueryLevel,
)
from tests.dicom_phantom import write_dce_phantom


@dataclass
class Script:
    """What the server answers, and the requests it saw."""

    status: int = 200
    body: bytes = b"[]"
    content_type: str = "application/dicom+json"
    delay_s: float = 0.0
    seen: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", 0) or 0)
            if length:
                self.rfile.read(length)
            elif self.headers.get("Transfer-Encoding") == "chunked":
                while (size := int(self.rfile.readline().strip(), 16)) > 0:
                    self.rfile.read(size + 2)
                self.rfile.readline()
            script.seen.append(dict(self.headers))
            script.paths.append(self.path)
            if script.delay_s:
                threading.Event().wait(script.delay_s)
            self.send_response(script.status)
            self.send_header("Content-Type", script.content_type)
            self.send_header("Content-Length", str(len(script.body)))
            self.end_headers()
            self.wfile.write(script.body)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/dicom-web", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def _study(patient: str, uid: str) -> dict[str, object]:
    return {
        "00100020": {"vr": "LO", "Value": [patient]},
        "00080020": {"vr": "DA", "Value": ["20240305"]},
        "0020000D": {"vr": "UI", "Value": [uid]},
        "00080061": {"vr": "CS", "Value": ["MR", "SR"]},
        "00201206": {"vr": "IS", "Value": [2]},
        "00201208": {"vr": "IS", "Value": [121]},
    }


def test_find_sends_filters_and_basic_auth(server: tuple[str, Script]) -> None:
    url, script = server
    script.body = json.dumps([_study("P001", "1.2.3")]).encode()
    client = DicomWeb(PacsSettings(url, user="alice", password="pw", retries=0))
    query = PacsQuery(
        level=QueryLevel.STUDIES, patient_id="P001", modality="MR", study_date="2024-03-01.."
    )
    found = client.find(query)
    assert [m.to_dict() for m in found] == [
        {
            "patient_id": "P001",
            "study_date": "20240305",
            "study_uid": "1.2.3",
            "study_description": "",
            "modalities": ["MR", "SR"],
            "series": 2,
            "instances": 121,
        }
    ]
    assert script.seen[0]["Authorization"] == "Basic YWxpY2U6cHc="  # alice:pw
    assert "PatientID=P001" in script.paths[0]
    assert "ModalitiesInStudy=MR" in script.paths[0]
    assert "StudyDate=20240301-" in script.paths[0]
    assert "limit=100" in script.paths[0]


def test_a_bearer_token_is_sent(server: tuple[str, Script]) -> None:
    url, script = server
    DicomWeb(PacsSettings(url, token="t0ken", retries=0)).find(PacsQuery())
    assert script.seen[0]["Authorization"] == "Bearer t0ken"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "answered 401 Unauthorized; log in: give --user NAME"),
        (403, "answered 403 Forbidden: the account may not do this"),
        (404, "answered 404 Not Found: check that --url is the DICOMweb root"),
        (400, "answered 400: the request was refused (bad includefield); check the query"),
        (500, "answered 500, a server error (bad includefield); see the PACS's log"),
    ],
)
def test_http_errors_name_the_server_status_and_fix(
    server: tuple[str, Script], status: int, expected: str
) -> None:
    url, script = server
    script.status, script.body, script.content_type = status, b"bad includefield", "text/plain"
    with pytest.raises(PacsError) as caught:
        DicomWeb(PacsSettings(url, retries=0)).find(PacsQuery())
    assert f"searching series on {url}: the server {expected}" in str(caught.value)
    assert caught.value.status == status


def test_unreachable_and_slow_servers(server: tuple[str, Script]) -> None:
    url, script = server
    with pytest.raises(PacsError, match="cannot connect \\(connection refused"):
        DicomWeb(PacsSettings("http://127.0.0.1:1/dicom-web", retries=0)).find(PacsQuery())
    script.delay_s = 1.0
    with pytest.raises(PacsError, match=r"no answer within 0\.2 s; .* --timeout SECONDS"):
        DicomWeb(PacsSettings(url, timeout_s=0.2, retries=0)).find(PacsQuery())


def test_a_rejected_instance_names_its_file_reason_and_fix(
    server: tuple[str, Script], tmp_path: Path
) -> None:
    url, script = server
    phantom = write_dce_phantom(tmp_path / "series", frames=4)
    files = sorted(phantom.directory.iterdir())[:2]
    uids = [str(pydicom.dcmread(f).SOPInstanceUID) for f in files]
    script.status = 409
    script.body = json.dumps(
        {
            "00081199": {
                "vr": "SQ",
                "Value": [{"00081155": {"vr": "UI", "Value": [uids[0]]}}],
            },
            "00081198": {
                "vr": "SQ",
                "Value": [
                    {
                        "00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.4"]},
                        "00081155": {"vr": "UI", "Value": [uids[1]]},
                        "00081197": {"vr": "US", "Value": [0x0122]},
                    }
                ],
            },
        }
    ).encode()
    with pytest.raises(PacsRejectedError) as caught:
        DicomWeb(PacsSettings(url, retries=0)).store_files(files)
    result = caught.value.result
    assert result.stored == (uids[0],)
    assert [(r.source, r.sop_instance_uid, r.code) for r in result.rejected] == [
        (str(files[1]), uids[1], 0x0122)
    ]
    message = str(caught.value)
    assert f"{url} rejected 1 of 2 instances (1 stored)" in message
    assert (
        f"{files[1]}: SOP class not supported by the PACS (status 0122H); ask the PACS" in message
    )


def test_push_of_a_file_that_is_not_dicom_sends_nothing(
    server: tuple[str, Script], tmp_path: Path
) -> None:
    url, script = server
    note = tmp_path / "notes.txt"
    note.write_text("not DICOM")
    _register()
    result = CliRunner().invoke(app, ["pacs", "push", str(note), "--url", url, "--retries", "0"])
    assert result.exit_code == 2
    assert "1 file(s) are not DICOM instances" in result.output
    assert "nothing was sent" in result.output
    assert script.seen == []


def test_cli_server_errors_exit_3_without_a_traceback(server: tuple[str, Script]) -> None:
    url, script = server
    script.status = 503
    script.body = b"maintenance"
    _register()
    result = CliRunner().invoke(app, ["pacs", "find", "--url", url, "--retries", "1"])
    assert result.exit_code == 3
    assert f"PACS error: searching series on {url}: the server answered 503" in result.output
    assert "Traceback" not in result.output
    assert len(script.seen) == 2  # 503 is retried once


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"url": "ftp://pacs/dicom-web"}, "is not an http:// or https:// URL"),
        ({"url": "http://a:b@pacs/dicom-web"}, "carries a user name or password"),
        ({"url": "http://pacs/dicom-web", "user": "alice"}, "a password is missing"),
        ({"url": "http://pacs/x", "user": "a", "password": "b", "token": "c"}, "use one"),
        ({"url": "http://pacs/x", "ca_bundle": Path("/nonexistent.pem")}, "does not exist"),
    ],
)
def test_settings_are_checked(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        PacsSettings(**settings)  # type: ignore[arg-type]


def test_settings_from_the_environment() -> None:
    env = {
        "PSEUDOPROG_PACS_URL": "https://pacs.example/dicom-web",
        "PSEUDOPROG_PACS_USER": "alice",
        "PSEUDOPROG_PACS_PASSWORD": "secret",
    }
    settings = PacsSettings.from_environment(env)
    assert settings is not None
    assert (settings.url, settings.user, settings.password, settings.auth) == (
        "https://pacs.example/dicom-web",
        "alice",
        "secret",
        "basic",
    )
    assert "secret" not in repr(settings)
    assert PacsSettings.from_environment({}) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-03-05", "20240305"),
        ("20240305", "20240305"),
        ("2024-03-01..2024-03-31", "20240301-20240331"),
        ("..2024-03-31", "-20240331"),
        ("20240301-", "20240301-"),
    ],
)
def test_study_dates_and_ranges(given: str, expected: str) -> None:
    assert PacsQuery(study_date=given).filters() == {"StudyDate": expected}


@pytest.mark.parametrize("given", ["2024-3-5", "yesterday", "-", "2024030120240302"])
def test_bad_study_dates_are_refused(given: str) -> None:
    with pytest.raises(ParameterError, match="is not a date or range"):
        PacsQuery(study_date=given)


def test_a_sop_class_needs_the_instance_level() -> None:
    with pytest.raises(ParameterError, match="--level instances"):
        PacsQuery(sop_class_uid="1.2.840.10008.5.1.4.1.1.30")
    uid = generate_uid()
    query = PacsQuery(level=QueryLevel.INSTANCES, sop_class_uid=uid)
    assert query.filters() == {"SOPClassUID": uid}
