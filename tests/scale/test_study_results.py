"""``study --classification DIR``: the same analyses as the single-machine study."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "amini2016"

#: The sections the per-part aggregates give, equal to those of the single-machine study.
SECTIONS = (
    "n_lesions", "n_patients", "response_source", "response_counts", "opp_prevalence",
    "opp_prevalence_single_fraction", "opp_prevalence_multi_fraction", "opp_among_enlarging",
    "enlarging", "stable_or_responding", "pd_among_enlarging", "indeterminate_left_out",
    "fisher_fraction_opp", "logrank_fraction", "kaplan_meier_fraction", "time_course",
    "parameters", "confidence", "title",
)  # fmt: skip


def _studies(
    cli: Callable[..., Any], tmp_path: Path, tables: list[Any], *extra: Any, cluster: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    single = cli("study", *tables, *extra, "--output", tmp_path / "single")
    assert single.exit_code == 0, single.output
    parts = tmp_path / "parts"
    done = cli("classify", *tables, "--format", "parquet", "--output", parts, *cluster)
    assert done.exit_code == 0, done.output
    scaled = cli("study", "--classification", parts, *extra, "--output", tmp_path / "scaled")
    assert scaled.exit_code == 0, scaled.output
    a = json.loads((tmp_path / "single" / "study.json").read_text())
    b = json.loads((tmp_path / "scaled" / "study.json").read_text())
    return a, b


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in SECTIONS:
        assert b[key] == a[key], key
    for key in ("n_input", "n_included", "n_excluded", "applied"):
        assert b["inclusion"][key] == a["inclusion"][key], key


def test_example_study_from_partitioned_results(
    cli: Callable[..., Any], dask_scheduler: str, tmp_path: Path
) -> None:
    tables = [
        "--lesions", EXAMPLE / "lesions.csv", "--measurements", EXAMPLE / "measurements.csv",
        "--events", EXAMPLE / "events.csv",
    ]  # fmt: skip
    a, b = _studies(
        cli, tmp_path, tables, cluster=["--scheduler", dask_scheduler, "--partitions", "4"]
    )
    _same(a, b)
    assert b["time_course"]["n_lesions"] == 5
    assert b["classification"]["parts"] == 4
    assert "cox_univariate" in b["not_computed"]


@pytest.mark.parametrize("keep", [False, True])
def test_registry_study_with_exclusions(
    cli: Callable[..., Any],
    dask_scheduler: str,
    registry: dict[str, Path],
    tmp_path: Path,
    keep: bool,
) -> None:
    tables = [
        "--lesions", registry["lesions"], "--measurements", registry["measurements"],
        "--events", registry["events"],
    ]  # fmt: skip
    extra = ["--keep-excluded"] if keep else []
    a, b = _studies(
        cli, tmp_path, tables, *extra, cluster=["--scheduler", dask_scheduler, "--partitions", "5"]
    )
    _same(a, b)
    assert a["inclusion"]["n_excluded"] > 0  # fractures leave lesions out unless kept
    assert b["n_lesions"] == 600 - (0 if keep else a["inclusion"]["n_excluded"])


def test_the_parts_reduced_on_a_cluster_give_the_same_study(
    cli: Callable[..., Any], dask_scheduler: str, tmp_path: Path
) -> None:
    parts = tmp_path / "parts"
    done = cli(
        "classify", "--lesions", EXAMPLE / "lesions.csv", "--measurements",
        EXAMPLE / "measurements.csv", "--format", "parquet", "--output", parts,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    here = cli("study", "--classification", parts, "--output", tmp_path / "here")
    there = cli(
        "study", "--classification", parts, "--output", tmp_path / "there",
        "--scheduler", dask_scheduler,
    )  # fmt: skip
    assert here.exit_code == there.exit_code == 0, there.output
    assert (tmp_path / "here" / "study.json").read_text().replace("here", "X") == (
        tmp_path / "there" / "study.json"
    ).read_text().replace("there", "X")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--classification", "nowhere"], "is not a folder of classification results"),
        (["--scheduler", "local"], "--scheduler reduces a results folder"),
        (
            ["--classification", EXAMPLE, "--lesions", EXAMPLE / "lesions.csv"],
            "drop --lesions",
        ),
    ],
)
def test_study_options_that_do_not_fit(
    cli: Callable[..., Any], tmp_path: Path, args: list[Any], message: str
) -> None:
    result = cli("study", *args, "--output", tmp_path / "out")
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()
