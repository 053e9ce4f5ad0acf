"""``pseudoprog best-response`` through the real entry point, and the README example."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from pseudoprog.cli.best_response import render_table
from pseudoprog.criteria.best_response import BestResponseParameters
from pseudoprog.io.responses import load_responses
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "recist"
RESPONSES = EXAMPLE / "responses.csv"
STARTS = EXAMPLE / "treatment_start.csv"

#: The example cohort with confirmation required, computed by hand from the rules (treatment on
#: 2021-01-04; BR08 on 2021-02-01 with progression recorded on 2021-06-01):
#: BR01 PR d42, CR d84, CR d126: the CR is confirmed 42 days later (>= 28), only CR between.
#: BR02 SD d42, PR d84, NE d112, PR d140, PD d196: PR confirmed 56 days later with 1 NE (<= 1).
#: BR03 PR d56, SD d84, PD d126: no CR/PR later, so the PR is SD (day 56 >= 42).
#: BR04 NE d-7 (before treatment: ignored, warning), SD d28 (< 42: NE), NE d63: NE on d28.
#: BR05 SD d21 (< 42: NE), PD d49, PR d91 (after the PD: not counted): PD.
#: BR06 CR d56, PR d84 (after a CR: read as PD, warning), PR d112 (after it): CR unconfirmed,
#:      day 56 >= 42, so SD on the CR's date.
#: BR07 no assessment: null.
#: BR08 NON-CR/NON-PD d49 and d91 (>= 42), NE after the progression date: NON_CR_NON_PD on d49.
EXPECTED = {
    "BR01": ("CR", "2021-03-29", True, []),
    "BR02": ("PR", "2021-03-29", True, []),
    "BR03": ("SD", "2021-03-01", False, []),
    "BR04": ("NE", "2021-02-01", False, ["before_treatment_start"]),
    "BR05": ("PD", "2021-02-22", False, []),
    "BR06": ("SD", "2021-03-01", False, ["cr_then_pr"]),
    "BR07": (None, None, None, []),
    "BR08": ("NON_CR_NON_PD", "2021-03-22", False, []),
}
#: Without confirmation: only BR03 (PR) and BR06 (CR) change, and nothing is confirmed or not.
EXPECTED_UNCONFIRMED = {
    **{k: (v[0], v[1], None, v[3]) for k, v in EXPECTED.items()},
    "BR03": ("PR", "2021-03-01", None, []),
    "BR06": ("CR", "2021-03-01", None, ["cr_then_pr"]),
}


def values(document: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        p["patient_id"]: (
            p["best_overall_response"],
            p["date"],
            p["confirmed"],
            [w["code"] for w in p["warnings"]],
        )
        for p in document["patients"]
    }


def base_args(*extra: str | Path) -> list[str]:
    return ["best-response", "--responses", str(RESPONSES), "--treatment-start", str(STARTS)] + [
        str(x) for x in extra
    ]


# ---- the README example -------------------------------------------------------------------


def readme_section() -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## `pseudoprog best-response`")
    return text[start : text.index("\n## ", start + 1)]


def test_readme_command_gives_the_hand_computed_results(cli: Any) -> None:
    block = re.search(r"```sh\n(pseudoprog best-response .*?)```", readme_section(), re.S)
    assert block is not None
    words = shlex.split(block.group(1).replace("\\\n", " "))
    args = [str(REPO_ROOT / w) if w.startswith("examples/") else w for w in words[1:]]
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    assert values(json.loads(result.stdout)) == EXPECTED


def test_readme_table_shows_the_same_results() -> None:
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in readme_section().splitlines()
        if line.startswith("| BR")
    ]
    shown = {row[0]: (row[2], row[3] or None, row[4] or None) for row in rows}
    confirmed = {True: "yes", False: "no", None: None}
    assert shown == {k: (v[0] or "null", v[1], confirmed[v[2]]) for k, v in EXPECTED.items()}


def test_without_confirmation(cli: Any) -> None:
    result = cli(*base_args("--format", "json"))
    assert result.exit_code == 0, result.output
    assert values(json.loads(result.stdout)) == EXPECTED_UNCONFIRMED


# ---- output formats -----------------------------------------------------------------------


def test_json_document(cli: Any) -> None:
    result = cli(*base_args("--confirmation-required", "--format", "json"))
    document = json.loads(result.stdout)
    assert set(document) == {"parameters", "patients"}
    assert document["parameters"] == {
        **BestResponseParameters().to_dict(),
        "confirmation_required": True,
    }
    by_id = {p["patient_id"]: p for p in document["patients"]}
    assert list(by_id) == list(EXPECTED)
    assert set(by_id["BR01"]) == {
        "patient_id",
        "best_overall_response",
        "date",
        "confirmed",
        "reasons",
        "warnings",
    }
    assert by_id["BR02"]["reasons"][0] == {
        "code": "confirmed",
        "message": "PR on 2021-03-29 confirmed by PR on 2021-05-24 (56 days later, at least 28 "
        "required; 1 NE between, at most 1 allowed)",
    }
    assert by_id["BR07"]["best_overall_response"] is None
    assert by_id["BR07"]["reasons"][0]["code"] == "no_assessment"
    assert "PR on 2021-03-29 follows CR on 2021-03-01" in by_id["BR06"]["warnings"][0]["message"]
    assert any("2021-06-01" in r["message"] for r in by_id["BR08"]["reasons"])


def test_csv(cli: Any) -> None:
    result = cli(*base_args("--confirmation-required", "--format", "csv"))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["patient_id"] for r in rows] == list(EXPECTED)
    got = {
        r["patient_id"]: (
            r["best_overall_response"] or None,
            r["date"] or None,
            {"true": True, "false": False, "": None}[r["confirmed"]],
            [c for c in r["warning_codes"].split(";") if c],
        )
        for r in rows
    }
    assert got == EXPECTED
    assert rows[0]["reasons"].startswith("CR on 2021-03-29 confirmed by CR on 2021-05-10")


def test_table_fits_80_columns_without_ellipses() -> None:
    data = load_responses(responses=RESPONSES, treatment_start=STARTS)
    params = BestResponseParameters(confirmation_required=True)
    results = [(p.patient_id, p.best_response(params)) for p in data.patients]
    buffer = io.StringIO()
    Console(file=buffer, width=80, no_color=True).print(render_table(results, params))
    text = buffer.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    for patient, (bor, day, _, _) in EXPECTED.items():
        line = next(x for x in text.splitlines() if x.strip().startswith(patient))
        assert (bor or "-") in line
        assert (day or "-") in line


def test_table_to_terminal_and_file(cli: Any, tmp_path: Path) -> None:
    shown = cli(*base_args("--confirmation-required"))
    assert shown.exit_code == 0, shown.output
    assert "BR06" in shown.stdout
    assert "8 patients: CR 1  PR 1  SD 2  NON_CR_NON_PD 1  PD 1  NE 1  none 1" in shown.stdout
    out = tmp_path / "bor.txt"
    written = cli(*base_args("--confirmation-required", "--output", out))
    assert written.exit_code == 0, written.output
    assert "cr_then_pr" in out.read_text(encoding="utf-8")


def test_output_file_json(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "bor.json"
    result = cli(*base_args("--confirmation-required", "--format", "json", "--output", out))
    assert result.exit_code == 0, result.output
    assert values(json.loads(out.read_text(encoding="utf-8"))) == EXPECTED
    assert [p.name for p in out.parent.iterdir()] == ["bor.json"]  # no temporary file left


# ---- parameters ---------------------------------------------------------------------------


def test_parameters_file_and_options_override_it(cli: Any, tmp_path: Path) -> None:
    toml = tmp_path / "protocol.toml"
    toml.write_text(
        "confirmation_required = true\nsd_min_days = 56\nmax_ne_between = 2\n", encoding="utf-8"
    )
    from_file = json.loads(cli(*base_args("--parameters", toml, "--format", "json")).stdout)
    assert from_file["parameters"]["confirmation_required"] is True
    assert from_file["parameters"]["sd_min_days"] == 56
    assert from_file["parameters"]["max_ne_between"] == 2
    assert values(from_file)["BR03"][:3] == ("SD", "2021-03-01", False)  # day 56 >= 56
    overridden = json.loads(
        cli(
            *base_args(
                "--parameters",
                toml,
                "--no-confirmation-required",
                "--sd-min-days",
                "60",
                "--format",
                "json",
            )
        ).stdout
    )
    assert overridden["parameters"]["confirmation_required"] is False
    assert overridden["parameters"]["sd_min_days"] == 60
    assert overridden["parameters"]["max_ne_between"] == 2  # from the file
    # BR08: day 49 is now too early for NON-CR/NON-PD, day 91 is not
    assert values(overridden)["BR08"][:2] == ("NON_CR_NON_PD", "2021-05-03")


@pytest.mark.parametrize(
    ("option", "code"),
    [
        (["--accept-sd-between"], "accept_sd_between"),
        (["--missing-as-ne"], "missing_as_ne"),
        (["--no-nd-as-ne"], "nd_as_ne"),
        (["--no-disease-after-cr-as-pd"], "disease_after_cr_as_pd"),
        (["--confirmation-min-days", "35"], "confirmation_min_days"),
        (["--max-ne-between", "0"], "max_ne_between"),
    ],
)
def test_each_option_reaches_the_parameters(cli: Any, option: list[str], code: str) -> None:
    document = json.loads(cli(*base_args(*option, "--format", "json")).stdout)
    assert document["parameters"][code] != BestResponseParameters().to_dict()[code]


def test_missing_as_ne_and_admiralonco_reading(cli: Any) -> None:
    document = json.loads(
        cli(
            *base_args(
                "--confirmation-required",
                "--missing-as-ne",
                "--no-disease-after-cr-as-pd",
                "--format",
                "json",
            )
        ).stdout
    )
    got = values(document)
    assert got["BR07"] == ("NE", None, False, [])
    # the PR after the CR is not PD, and the later PR confirms it
    assert got["BR06"] == ("PR", "2021-03-29", True, ["cr_then_pr"])


# ---- bad input ----------------------------------------------------------------------------


def test_bad_rows_exit_2_naming_the_rows_and_write_nothing(run: Any, tmp_path: Path) -> None:
    responses = tmp_path / "responses.csv"
    responses.write_text(
        "patient_id,date,response\n"
        "BR01,2021-02-15,PR\n"
        "BR01,2021-02-15,SD\n"  # row 3: second response on one date
        "BR01,2021-02-30,PR\n"  # row 4: impossible date
        "BR02,2021-03-01,progressing\n"  # row 5: unknown response
        "ZZ9,2021-03-01,SD\n",  # row 6: not in the treatment-start table
        encoding="utf-8",
    )
    out = tmp_path / "bor.json"
    done = run(
        "best-response",
        "--responses",
        responses,
        "--treatment-start",
        STARTS,
        "--format",
        "json",
        "--output",
        out,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "4 problems found" in done.stderr
    assert "row 3, column 'response': patient BR01 has two different responses" in done.stderr
    assert "(row 2: PR, row 3: SD)" in done.stderr
    assert "row 4, column 'date': not a valid date (got '2021-02-30')" in done.stderr
    assert "row 5, column 'response': unknown response (got 'progressing')" in done.stderr
    assert "row 6, column 'patient_id': patient not in the treatment-start table" in done.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [responses]
    assert done.stdout == ""


def test_bad_parameters_file_exits_2(run: Any, tmp_path: Path) -> None:
    toml = tmp_path / "protocol.toml"
    toml.write_text("confirmation_required = true\nmax_ne = 2\n", encoding="utf-8")
    out = tmp_path / "bor.csv"
    done = run(*base_args("--parameters", toml, "--format", "csv", "--output", out))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "protocol.toml" in done.stderr
    assert "unknown key 'max_ne'" in done.stderr
    assert not out.exists()


def test_negative_option_and_missing_table_exit_2(run: Any, tmp_path: Path) -> None:
    negative = run(*base_args("--sd-min-days", "-1"))
    assert negative.returncode == 2
    assert "Traceback" not in negative.stderr
    missing = run("best-response", "--responses", RESPONSES)
    assert missing.returncode == 2
    assert "--treatment-start" in missing.stderr
    absent = run(*base_args()[:3], "--treatment-start", tmp_path / "none.csv")
    assert absent.returncode == 2
    assert "file not found" in absent.stderr
