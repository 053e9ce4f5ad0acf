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
    "cumulative_incidence", "parameters", "confidence", "title",
)  # fmt: skip

#: The sections that need the lesions table beside the results.
LESION_SECTIONS = ("description", "regimens", "cox_univariate")


def _studies(
    cli: Callable[..., Any],
    tmp_path: Path,
    tables: list[Any],
    *extra: Any,
    cluster: list[str],
    beside: tuple[Any, ...] = (),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The single-machine study and the study of the partitioned results (``beside`` them)."""
    single = cli("study", *tables, *extra, "--output", tmp_path / "single")
    assert single.exit_code == 0, single.output
    parts = tmp_path / "parts"
    done = cli("classify", *tables, "--format", "parquet", "--output", parts, *cluster)
    assert done.exit_code == 0, done.output
    scaled = cli(
        "study", "--classification", parts, *beside, *extra, "--output", tmp_path / "scaled"
    )
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
    assert [c["events"] for c in b["cumulative_incidence"]] == [5, 9]
    for key in ("description", "cox_univariate"):
        assert "add the lesions table with --lesions" in b["not_computed"][key]
    assert "measurement traces" in b["not_computed"]["trajectories"]
    assert "cumulative_incidence" not in b["not_computed"]


@pytest.mark.parametrize("keep", [False, True])
def test_example_study_with_the_lesions_table(
    cli: Callable[..., Any], dask_scheduler: str, tmp_path: Path, keep: bool
) -> None:
    tables = [
        "--lesions", EXAMPLE / "lesions.csv", "--measurements", EXAMPLE / "measurements.csv",
        "--events", EXAMPLE / "events.csv",
    ]  # fmt: skip
    a, b = _studies(
        cli,
        tmp_path,
        tables,
        *(["--keep-excluded"] if keep else []),
        cluster=["--scheduler", dask_scheduler, "--partitions", "3"],
        beside=("--lesions", EXAMPLE / "lesions.csv"),
    )
    _same(a, b)
    for key in LESION_SECTIONS:
        assert b[key] == a[key], key
    assert not {"description", "cox_univariate"} & set(b["not_computed"])
    assert len(a["cox_univariate"]) == 5
    assert b["description"]["n_lesions"] == a["n_lesions"]
    assert sum(x.startswith("Cox, ") for x in b["summary"]) == 5


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
        cli,
        tmp_path,
        tables,
        *extra,
        cluster=["--scheduler", dask_scheduler, "--partitions", "5"],
        beside=("--lesions", registry["lesions"]),
    )
    _same(a, b)
    for key in LESION_SECTIONS:
        assert b[key] == a[key], key
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
            ["--classification", EXAMPLE, "--measurements", EXAMPLE / "measurements.csv"],
            "drop --measurements",
        ),
        (
            ["--classification", EXAMPLE, "--lesions", EXAMPLE / "lesions.csv"],
            "is not a folder of classification results",
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


def test_the_lesions_table_beside_the_results_is_checked(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    parts = tmp_path / "parts"
    done = cli(
        "classify", "--lesions", EXAMPLE / "lesions.csv", "--measurements",
        EXAMPLE / "measurements.csv", "--format", "parquet", "--output", parts,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = (EXAMPLE / "lesions.csv").read_text().splitlines()
    fewer = tmp_path / "fewer.csv"
    fewer.write_text("\n".join(rows[:-2]) + "\n")
    result = cli("study", "--classification", parts, "--lesions", fewer, "--output", tmp_path / "a")
    assert result.exit_code == 2
    assert "lacks 2 lesion(s) of the classification results" in " ".join(result.output.split())
    broken = tmp_path / "broken.csv"
    broken.write_text(rows[0].replace("treatment_date", "when") + "\n" + "\n".join(rows[1:]))
    result = cli(
        "study", "--classification", parts, "--lesions", broken, "--output", tmp_path / "b"
    )
    assert result.exit_code == 2
    assert "treatment_date" in result.output
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("beside", [(), ("--lesions", EXAMPLE / "lesions.csv")])
def test_incidence_with_events_of_both_causes_at_one_time(
    cli: Callable[..., Any], dask_scheduler: str, tmp_path: Path, beside: tuple[Any, ...]
) -> None:
    """lifelines moves tied event times apart in the order of the events: the lesion order."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from lifelines import AalenJohansenFitter

    from pseudoprog.stats.competing import cumulative_incidence
    from pseudoprog.stats.survival import Outcome

    parts = tmp_path / "parts"
    done = cli(
        "classify", "--lesions", EXAMPLE / "lesions.csv", "--measurements",
        EXAMPLE / "measurements.csv", "--format", "parquet", "--output", parts,
        "--scheduler", dask_scheduler, "--partitions", "3",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    files = sorted(parts.glob("part-*.parquet"))
    tables = [pq.read_table(f) for f in files]
    # the last PD event takes the time of the first OPP event, two parts apart
    first_opp = tables[0].column("survival_outcome").to_pylist().index("opp")
    tied = tables[0].column("survival_weeks")[first_opp].as_py()
    last = tables[-1]
    outcomes = last.column("survival_outcome").to_pylist()
    pd_row = len(outcomes) - 1 - outcomes[::-1].index("pd")
    weeks = last.column("survival_weeks").to_pylist()
    weeks[pd_row] = tied
    index = last.schema.get_field_index("survival_weeks")
    tables[-1] = last.set_column(index, "survival_weeks", pa.array(weeks, pa.float64()))
    pq.write_table(tables[-1], files[-1])
    rows = [r for t in tables for r in t.to_pylist() if r["survival_outcome"] is not None]
    durations = [r["survival_weeks"] for r in rows]
    causes = [Outcome[r["survival_outcome"].upper()].value for r in rows]
    assert AalenJohansenFitter._check_for_duplicates(durations=durations, events=causes)
    expected = [
        cumulative_incidence(durations, causes, cause=o.value, label=o.name).to_dict()
        for o in (Outcome.OPP, Outcome.PD)
    ]
    result = cli("study", "--classification", parts, *beside, "--output", tmp_path / "out")
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "out" / "study.json").read_text())
    assert document["cumulative_incidence"] == expected
