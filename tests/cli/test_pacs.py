"""``pseudoprog pacs`` against a real Orthanc: store a DCE series, find it, pull it, fit it,
push the Parametric Maps and an SR back, and find them again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from typer.testing import CliRunner, Result

from pseudoprog.cli import _register, app
from tests.cli.test_interop import _small_tables
from tests.dicom_phantom import write_dce_phantom
from tests.orthanc import Orthanc, orthanc  # noqa: F401  (the fixture)

PARAMETRIC_MAP = "1.2.840.10008.5.1.4.1.1.30"

Pacs = Callable[..., Result]


@pytest.fixture
def pacs(orthanc: Orthanc) -> Pacs:  # noqa: F811  (the fixture imported above)
    """Run ``pseudoprog ARGS --url ORTHANC --user ...`` with the password in the environment."""
    _register()
    runner = CliRunner()

    def _invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        words = [str(a) for a in args]
        words += ["--url", orthanc.url, "--user", orthanc.user]
        return runner.invoke(app, words, env=orthanc.env() if env is None else env)

    return _invoke


def _cli(*args: str | Path) -> Result:
    _register()
    return CliRunner().invoke(app, [str(a) for a in args])


def _found(result: Result) -> list[dict[str, object]]:
    assert result.exit_code == 0, result.output
    matches: list[dict[str, object]] = json.loads(result.stdout)["matches"]
    return matches


def test_store_find_pull_fit_and_push_results_back(pacs: Pacs, tmp_path: Path) -> None:
    phantom = write_dce_phantom(tmp_path / "phantom")
    stored = pacs("pacs", "push", phantom.directory)
    assert stored.exit_code == 0, stored.output
    assert "Stored 120 instances" in stored.output

    series = _found(
        pacs("pacs", "find", "--patient-id", "P001", "--modality", "mr", "--format", "json")
    )
    assert [(s["series_uid"], s["study_uid"], s["modality"], s["instances"]) for s in series] == [
        (phantom.uids["series"], phantom.uids["study"], "MR", 120)
    ]
    table = pacs("pacs", "find", "--level", "studies", "--study-date", "2024-03-05")
    assert table.exit_code == 0, table.output
    assert "P001" in table.output
    assert "1 studies on" in table.output

    pulled = tmp_path / "pulled"
    result = pacs("pacs", "pull", "--series-uid", phantom.uids["series"], "--output", pulled)
    assert result.exit_code == 0, result.output
    files = sorted(pulled.iterdir())
    assert len(files) == 120
    assert {pydicom.dcmread(f).SeriesInstanceUID for f in files} == {phantom.uids["series"]}

    fit, maps = tmp_path / "fit", tmp_path / "maps"
    result = _cli(
        "perfusion", "fit", "--dce", pulled, "--out", fit, "--dicom-out", maps, *phantom.fit_args()
    )
    assert result.exit_code == 0, result.output
    for name in ("ktrans", "ve", "vp"):
        values = np.asarray(nib.load(str(fit / f"{name}.nii.gz")).get_fdata())
        np.testing.assert_allclose(values, phantom.truth[name], rtol=0.03, atol=0.002)

    lesions, measurements = _small_tables(tmp_path)
    sr = tmp_path / "sr"
    result = _cli("export-sr", "--lesions", lesions, "--measurements", measurements, "-o", sr)
    assert result.exit_code == 0, result.output
    reports = sorted(sr.rglob("*.dcm"))
    result = pacs("pacs", "push", maps, sr)
    assert result.exit_code == 0, result.output
    assert f"Stored {4 + len(reports)} instances" in result.output

    found = _found(
        pacs("pacs", "find", "--level", "instances", "--sop-class", PARAMETRIC_MAP, "--format",
             "json")
    )  # fmt: skip
    expected = {pydicom.dcmread(p).SOPInstanceUID for p in maps.glob("*.dcm")}
    assert {m["sop_instance_uid"] for m in found} == expected
    assert {m["sop_class"] for m in found} == {"Parametric Map Storage"}
    assert {m["study_uid"] for m in found} == {phantom.uids["study"]}

    found = _found(pacs("pacs", "find", "--modality", "SR", "--format", "json"))
    documents = [pydicom.dcmread(p) for p in reports]
    assert sorted((m["patient_id"], m["series_uid"]) for m in found) == sorted(
        (d.PatientID, d.SeriesInstanceUID) for d in documents
    )


def test_clear_errors_from_the_server(pacs: Pacs, orthanc: Orthanc, tmp_path: Path) -> None:  # noqa: F811
    wrong = pacs("pacs", "find", env={"PSEUDOPROG_PACS_PASSWORD": "not the password"})
    assert wrong.exit_code == 3
    assert "answered 401 Unauthorized" in wrong.output
    assert "credentials were refused" in wrong.output
    assert "Traceback" not in wrong.output

    missing = pacs("pacs", "pull", "--series-uid", "1.2.3.4.5", "--output", tmp_path / "none")
    assert missing.exit_code == 3
    assert "series 1.2.3.4.5 is not on" in missing.output
    assert not (tmp_path / "none").exists() or not any((tmp_path / "none").iterdir())

    no_password = pacs("pacs", "find", env={})
    assert no_password.exit_code == 2
    assert "needs a password: set PSEUDOPROG_PACS_PASSWORD" in no_password.output

    piped = CliRunner().invoke(
        app,
        ["pacs", "find", "--url", orthanc.url, "--user", orthanc.user, "--password-stdin"],
        input=orthanc.password + "\n",
        env={},
    )
    assert piped.exit_code == 0, piped.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PSEUDOPROG_PACS_URL": "ftp://pacs/dicom-web"}, "is not an http:// or https:// URL"),
        (
            {"PSEUDOPROG_PACS_URL": "http://pacs/dicom-web", "PSEUDOPROG_PACS_USER": "alice"},
            "a password is missing",
        ),
    ],
)
def test_serve_checks_the_pacs_settings_before_it_starts(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    _register()
    database = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(
        app,
        ["serve", "--database", database, "--port", "1"],
        env={**env, "PSEUDOPROG_PACS_PASSWORD": ""},
    )
    assert result.exit_code == 2
    assert message in result.output
