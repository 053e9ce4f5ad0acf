"""The brain worked example of docs/assess.md is run as written and must give the numbers shown."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from .test_docs_example import ROOT, blocks, subset


def test_brain_example_runs_as_documented(cli: Any) -> None:
    found = blocks()
    assert "brain command" in found
    words = shlex.split(found["brain command"].strip())
    assert words[0] == "pseudoprog"
    args = [str(ROOT / w) if w.startswith("examples/") else w for w in words[1:]]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    shown = {k: v for k, v in found.items() if k.startswith("brain output ")}
    assert shown
    for name, body in shown.items():
        lesion_id = name.removeprefix("brain output ")
        got = next(x for x in document["lesions"] if x["lesion_id"] == lesion_id)
        subset(json.loads(body), got, lesion_id)
    seed = next(x for x in document["lesions"] if x["lesion_id"] == "S1-LPAR")
    p = seed["probability_pseudoprogression"]
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"reads {p['estimate']:.2f} ({p['ci_low']:.2f}–{p['ci_high']:.2f})" in readme


def test_brain_example_hand_computation() -> None:
    """The numbers of the paragraph 'By hand', from the counts the paragraph names."""
    prior = (24 + 0.5) / (35 + 1)
    ratio = (9 / 24) / (10 / 11)
    odds = prior / (1 - prior) * ratio
    shown = json.loads(blocks()["brain output S1-LPAR"])
    assert round(prior, 4) == shown["calculation"]["prior_probability"]
    assert round(ratio, 4) == shown["calculation"]["likelihood_ratios"]["months_after_srs"]
    assert round(odds / (1 + odds), 4) == shown["probability_pseudoprogression"]["estimate"]
    text = (Path(ROOT) / "docs" / "assess.md").read_text(encoding="utf-8")
    assert f"probability 0.879/1.879 =\n0.{round(1000 * odds / (1 + odds))}" in text
