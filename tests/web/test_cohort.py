"""The cohort page: the study on a selection, with values equal to ``pseudoprog study`` on the
same lesions, the report in the page with its figures embedded, and no other host named."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import bearer, login, upload_example


def _cli_study(example_dir: Path, out: Path, *extra: str) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("pseudoprog")
    done = subprocess.run(
        [
            str(exe),
            "study",
            "--lesions",
            str(example_dir / "lesions.csv"),
            "--measurements",
            str(example_dir / "measurements.csv"),
            "--events",
            str(example_dir / "events.csv"),
            "--output",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads((out / "study.json").read_text(encoding="utf-8"))
    return found


def _p(value: float) -> str:
    return "P = &lt; 0.001" if value < 0.001 else f"P = {value:.3f}"


@pytest.fixture
def loaded(client: TestClient, example_dir: Path) -> TestClient:
    answer = upload_example(client, bearer(client, "editor"), example_dir)
    assert answer.status_code == 201, answer.text
    return client


SAME = (
    "n_lesions",
    "n_patients",
    "response_source",
    "response_counts",
    "opp_prevalence",
    "opp_prevalence_single_fraction",
    "opp_prevalence_multi_fraction",
    "opp_among_enlarging",
    "fisher_fraction_opp",
    "logrank_fraction",
    "kaplan_meier_fraction",
    "cumulative_incidence",
    "cox_univariate",
    "time_course",
    "inclusion",
    "description",
    "response_agreement",
    "lesions",
    "survival_data",
    "paper_comparison",
    "not_computed",
    "parameters",
)


def test_the_study_of_every_lesion_equals_the_cli(
    loaded: TestClient, example_dir: Path, tmp_path: Path
) -> None:
    cli = _cli_study(example_dir, tmp_path / "cli", "--synthetic", "measurements")
    login(loaded, "viewer")
    web = loaded.get("/cohort/study.json?synthetic=measurements").json()
    for key in SAME:
        assert web[key] == cli[key], key
    assert web["provenance"]["synthetic_inputs"] == ["measurements"]
    assert cli["response_counts"] == {"PR": 11, "SD": 12, "PD": 9, "OPP": 5, "INDETERMINATE": 0}


def test_the_page_shows_the_report_with_the_cli_values(
    loaded: TestClient, example_dir: Path, tmp_path: Path
) -> None:
    cli = _cli_study(example_dir, tmp_path / "cli")
    login(loaded, "viewer")
    empty = loaded.get("/cohort")
    assert empty.status_code == 200
    assert 'id="report"' not in empty.text  # nothing runs until asked
    page = loaded.get("/cohort?run=1")
    assert page.status_code == 200
    report = page.text.split('id="report"', 1)[1]
    key = re.findall(r"<div><b>([^<]+)</b><span>([^<]+)</span></div>", report)
    shown = {label: value for value, label in key}
    assert shown["lesions / patients analysed"] == f"{cli['n_lesions']} / {cli['n_patients']}"
    fisher = cli["fisher_fraction_opp"]["p_value"]
    logrank = cli["logrank_fraction"]["p_value"]
    assert shown["Fisher: fractionation vs OPP"] == _p(fisher)
    assert shown["log-rank: OPP-free survival"] == _p(logrank)
    opp = cli["opp_prevalence"]
    assert shown["OPP, all lesions"].startswith(f"{opp['numerator']}/{opp['denominator']} (")
    figures = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', report)
    assert len(figures) == len(list((tmp_path / "cli").glob("*.png"))) >= 3
    assert "OPP overall" in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    assert "<style>" not in page.text  # the page's policy allows only its own style sheet
    assert loaded.get("/static/report.css").status_code == 200


def test_a_selection_is_analysed_alone(loaded: TestClient, example_dir: Path) -> None:
    login(loaded, "viewer")
    everything = loaded.get("/cohort/study.json").json()
    opp = loaded.get("/cohort/study.json?response=OPP").json()
    assert opp["n_lesions"] == everything["response_counts"]["OPP"] == 5
    assert opp["response_counts"] == {"PR": 0, "SD": 0, "PD": 0, "OPP": 5, "INDETERMINATE": 0}
    assert {x["response"] for x in opp["lesions"]} == {"OPP"}
    brain = loaded.get("/cohort?run=1&site=brain")
    assert brain.status_code == 422
    assert "none of the spine" in brain.text


def test_the_cohort_needs_a_login(client: TestClient) -> None:
    for path in ("/cohort", "/cohort/study.json"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")
