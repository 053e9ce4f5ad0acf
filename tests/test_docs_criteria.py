"""docs/criteria.md states what the code does: its worked examples run, its tables match.

The worked examples are the fenced ``yaml`` blocks of the document that start with
``# Worked example``; each is run through :func:`pseudoprog.criteria.amini2016.assess` and every
expectation it states is checked, so the document and the code cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

import pytest
import yaml

from pseudoprog.criteria.amini2016 import DEFAULT_PARAMETERS, Amini2016Parameters, Rule, assess
from pseudoprog.criteria.inclusion import CRITERIA
from pseudoprog.criteria.result import Assessment, WarningKind
from pseudoprog.domain import (
    Event,
    EventKind,
    Lesion,
    LesionHistory,
    Measurement,
    Sequence,
    Treatment,
)
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "criteria.md"
TEXT = DOC.read_text(encoding="utf-8")
EXAMPLES = [
    yaml.safe_load(block)
    for block in re.findall(r"^```yaml\n(# Worked example.*?)^```", TEXT, re.S | re.M)
]
#: Keys an assessment entry may state; an unknown key would be an unchecked claim.
_CHECKED = {
    "as_of",
    "parameters",
    "response",
    "sequence",
    "reasons",
    "warnings",
    "time_to_peak_weeks",
    "peak_change_mm",
    "time_to_baseline_weeks",
    "decline_date",
    "reason_text",
    "per_sequence",
    "inclusion",
}


def _history(example: dict[str, Any]) -> LesionHistory:
    spec = example["lesion"]
    treatment = spec["treatment"]
    lesion = Lesion(
        str(spec["patient_id"]),
        str(spec["lesion_id"]),
        Treatment(treatment["date"], float(treatment["dose_gy"]), int(treatment["fractions"])),
        in_vertebral_body=spec.get("in_vertebral_body"),
        body_involvement_pct=spec.get("body_involvement_pct"),
    )
    measurements = [
        Measurement(lesion.lesion_id, day, Sequence.parse(sequence), float(size))
        for sequence, sizes in example["measurements"].items()
        for day, size in sizes.items()
    ]
    events = None
    if "events" in example:  # no key: no events table; an empty list: nothing happened
        events = [
            Event(lesion.patient_id, ev["date"], EventKind.parse(ev["kind"]), ev.get("lesion_id"))
            for ev in example["events"]
        ]
    return LesionHistory.from_measurements(lesion, measurements, events)


def _parameters(given: dict[str, Any] | None) -> Amini2016Parameters:
    values = dict(given or {})
    if "primary_sequence" in values:
        values["primary_sequence"] = Sequence.parse(values["primary_sequence"])
    return Amini2016Parameters(**values)


def _cases() -> list[Any]:
    cases = []
    for number, example in enumerate(EXAMPLES, start=1):
        for k, expected in enumerate(example["assessments"]):
            as_of = expected.get("as_of")
            label = f"example{number}-{k}-" + ("all" if as_of is None else as_of.isoformat())
            cases.append(pytest.param(example, expected, id=label))
    return cases


def _number(actual: float | None, expected: float | None, what: str) -> None:
    if expected is None:
        assert actual is None, f"{what}: expected null, got {actual}"
    else:
        assert actual is not None, f"{what}: expected {expected}, got null"
        assert actual == pytest.approx(expected, abs=0.05), what


def test_doc_has_worked_examples() -> None:
    assert len(EXAMPLES) >= 2
    assert sum(len(e["assessments"]) for e in EXAMPLES) >= 4
    categories = {a["response"] for e in EXAMPLES for a in e["assessments"]}
    assert {"OPP", "PD", "INDETERMINATE"} <= categories


@pytest.mark.parametrize(("example", "expected"), _cases())
def test_worked_example(example: dict[str, Any], expected: dict[str, Any]) -> None:
    unknown = set(expected) - _CHECKED
    assert not unknown, f"docs/criteria.md states {sorted(unknown)}, which this test ignores"
    as_of: date | None = expected.get("as_of")
    result: Assessment = assess(
        _history(example), as_of=as_of, params=_parameters(expected.get("parameters"))
    )

    assert result.category.value == expected["response"]
    if "sequence" in expected:
        assert result.sequence is not None
        assert result.sequence.value == expected["sequence"]
    if "reasons" in expected:
        assert [r.code for r in result.reasons] == expected["reasons"]
    if "warnings" in expected:
        assert [w.code for w in result.warnings] == expected["warnings"]
    for field in ("time_to_peak_weeks", "peak_change_mm", "time_to_baseline_weeks"):
        if field in expected:
            _number(getattr(result, field), expected[field], field)
    if "decline_date" in expected:
        assert result.deciding is not None
        assert result.deciding.decline_date == expected["decline_date"]
    messages = "\n".join(r.message for r in result.reasons)
    for text in expected.get("reason_text", ()):
        assert text in messages
    for sequence, category in expected.get("per_sequence", {}).items():
        found = result.per_sequence[Sequence.parse(sequence)].category
        assert found is not None
        assert found.value == category, sequence
    statuses = {c.criterion: c.status.value for c in result.inclusion}
    for criterion, status in expected.get("inclusion", {}).items():
        assert statuses[criterion] == status, criterion


def _section(heading: str) -> str:
    start = TEXT.index(f"\n### {heading}\n")
    end = TEXT.find("\n#", start + 1)
    return TEXT[start : None if end < 0 else end]


def test_parameter_table_matches_defaults() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", _section("Parameters"), re.M))
    for field in dataclasses.fields(Amini2016Parameters):
        assert field.name in rows, f"parameter {field.name} is not in the table"
        default = getattr(DEFAULT_PARAMETERS, field.name)
        stated = rows.pop(field.name)
        if isinstance(default, Sequence):
            assert stated == default.value, field.name
        else:
            assert float(stated) == default, field.name
    assert not rows, f"the table lists parameters the code does not have: {sorted(rows)}"


def test_every_code_is_documented() -> None:
    reasons = _section("Reason and warning codes")
    for code in [*(str(r) for r in Rule), *(str(w) for w in WarningKind)]:
        assert f"| `{code}` |" in reasons, code
    inclusion = _section("Inclusion checks")
    for criterion in CRITERIA:
        assert f"| `{criterion}` |" in inclusion, criterion


def test_citation() -> None:
    assert "Amini B, Beaman CB, Madewell JE, et al." in TEXT
    assert "AJNR Am J Neuroradiol 2016;37:387–392" in TEXT
