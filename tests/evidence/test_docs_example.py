"""The worked example of docs/assess.md is run as written and must give the numbers shown."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "assess.md"
BLOCK = re.compile(r"<!-- example: (?P<name>[^>]+?) -->\s*```[a-z]*\n(?P<body>.*?)```", re.S)


def blocks() -> dict[str, str]:
    return {m["name"]: m["body"] for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))}


def test_doc_has_the_example() -> None:
    found = blocks()
    assert {"evidence.csv", "command"} <= set(found)
    assert any(name.startswith("output ") for name in found)


def subset(expected: Any, got: Any, where: str = "") -> None:
    """Every key and value shown in the document is in the output."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), where
        for key, value in expected.items():
            assert key in got, f"{where}.{key} missing"
            subset(value, got[key], f"{where}.{key}")
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, abs=1e-4), where
    else:
        assert got == expected, where


def test_worked_example_runs_as_documented(cli: Any, tmp_path: Path) -> None:
    found = blocks()
    evidence = tmp_path / "evidence.csv"
    evidence.write_text(found["evidence.csv"], encoding="utf-8")
    words = shlex.split(found["command"].strip())
    assert words[0] == "pseudoprog"
    args = [
        str(evidence) if w == "evidence.csv" else str(ROOT / w) if w.startswith("examples/") else w
        for w in words[1:]
    ]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    for name, body in found.items():
        if not name.startswith("output "):
            continue
        lesion_id = name.split(" ", 1)[1]
        got = next(x for x in document["lesions"] if x["lesion_id"] == lesion_id)
        subset(json.loads(body), got, lesion_id)


def test_documented_problem_messages_are_real(tmp_path: Path) -> None:
    """The example messages of the section on own evidence tables."""
    import copy

    import yaml

    from pseudoprog.errors import InputValidationError
    from pseudoprog.evidence import packaged_text
    from pseudoprog.io.evidence import load_evidence_table

    text = DOC.read_text(encoding="utf-8")
    data = yaml.safe_load(packaged_text())
    bad = copy.deepcopy(data)
    bad["features"][1]["counts"]["progression"]["positive"] = 12
    bad["features"][0]["derived"]["lr_positive"] = 20.0
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(InputValidationError) as caught:
        load_evidence_table(path)
    for problem in caught.value.problems:
        shown = str(problem).replace(str(path), "mine.yaml")
        assert shown in text, shown
