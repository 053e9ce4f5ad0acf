"""The liver worked example of docs/assess.md is run as written and must give the numbers shown."""

from __future__ import annotations

import json
import shlex
from typing import Any

from .test_docs_example import ROOT, blocks, subset


def test_liver_example_runs_as_documented(cli: Any) -> None:
    found = blocks()
    assert "liver command" in found
    words = shlex.split(found["liver command"].strip())
    assert words[0] == "pseudoprog"
    args = [str(ROOT / w) if w.startswith("examples/") else w for w in words[1:]]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    shown = {k: v for k, v in found.items() if k.startswith("liver output ")}
    assert shown
    for name, body in shown.items():
        patient_id = name.removeprefix("liver output ")
        got = next(p for p in document["patients"] if p["patient_id"] == patient_id)
        subset(json.loads(body), got["evidence_assessment"], patient_id)


def test_liver_example_hand_computation() -> None:
    """The numbers of the paragraph 'By hand', from the counts and measurements it names."""
    size = 100 * ((62 + 36) - (50 + 30)) / (50 + 30)
    hu = 100 * ((50 + 46) / 2 - (80 + 70) / 2) / ((80 + 70) / 2)
    ratio = (32.5 / 34) / (0.5 / 8)
    shown = json.loads(blocks()["liver output G01"])
    assert round(size, 1) == shown["size_change_pct"]
    assert round(hu, 1) == shown["attenuation_change_pct"]
    assert round(ratio, 4) == shown["combined_likelihood_ratio"]["estimate"]
    assert round(1 / (1 + ratio), 4) == shown["pretest_for_even_odds"]
    text = " ".join((ROOT / "docs" / "assess.md").read_text(encoding="utf-8").split())
    assert f"1/(1 + {ratio:.2f}) = {1 / (1 + ratio):.3f}" in text
