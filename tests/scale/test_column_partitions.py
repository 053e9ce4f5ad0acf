"""``classify --scheduler`` from the registry loaded as columns: the same histories and output."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pseudoprog.cli.classify as cli_classify
import pseudoprog.scale.columns as columns
from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.histories import LesionHistories
from pseudoprog.scale.columns import ColumnPartitions, load_partitions
from pseudoprog.scale.partition import plan_partitions
from tests.scale.test_classify_cluster import CASES, EXAMPLES

AMINI = {
    "lesions": EXAMPLES / "amini2016/lesions.csv",
    "measurements": EXAMPLES / "amini2016/measurements.csv",
    "events": EXAMPLES / "amini2016/events.csv",
}


@pytest.mark.parametrize("which", ["example", "generated"])
def test_parts_hold_the_reference_histories(registry: dict[str, Path], which: str) -> None:
    tables = AMINI if which == "example" else registry
    source = load_partitions(
        lesions=tables["lesions"], measurements=tables["measurements"], events=tables["events"]
    )
    assert isinstance(source, ColumnPartitions)
    cohort = load_cohort(
        lesions=tables["lesions"], measurements=tables["measurements"], events=tables["events"]
    )
    assert isinstance(cohort.histories, LesionHistories)
    assert len(source) == len(cohort.histories)
    assert source.notices == tuple(cohort.notices)
    assert source.patient_ids().tolist() == [x.patient_id for x in cohort.histories.lesions]
    parts = plan_partitions(source.patient_ids(), 5)
    assert len(parts) > 1
    for p in parts:
        piece = source.part(p.start, p.stop)
        assert isinstance(piece, LesionHistories)
        assert list(piece) == list(cohort.histories[p.start : p.stop])
        # what a worker receives: the partition's lesions only, the same after pickling
        assert list(pickle.loads(pickle.dumps(piece))) == list(piece)
    assert list(source.part(0, len(source))) == list(cohort.histories)
    assert len(source.part(3, 3)) == 0


class _Spy:
    """Records what the column loader returned; fails the test if load_cohort is called."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, forbid_reference: bool) -> None:
        self.returned: list[object] = []
        original = columns.load_partitions

        def spy(**kwargs: Any) -> ColumnPartitions | None:
            result = original(**kwargs)
            self.returned.append(result)
            return result

        monkeypatch.setattr(columns, "load_partitions", spy)
        if forbid_reference:

            def refuse(**_: Any) -> None:
                raise AssertionError("load_cohort was called for input the columns cover")

            monkeypatch.setattr(cli_classify, "load_input", refuse)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_valid_input_takes_the_column_path(
    cli: Callable[..., Any],
    dask_scheduler: str,
    registry: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    args = [
        "--lesions", registry["lesions"], "--measurements", registry["measurements"],
        "--events", registry["events"], "--format", fmt,
    ]  # fmt: skip
    single = cli("classify", *args, "--output", tmp_path / "single")
    assert single.exit_code == 0, single.output
    spy = _Spy(monkeypatch, forbid_reference=True)
    cluster = cli(
        "classify", *args, "--output", tmp_path / "cluster", "--scheduler", dask_scheduler,
        "--partitions", "6",
    )  # fmt: skip
    assert cluster.exit_code == 0, cluster.output
    assert len(spy.returned) == 1
    assert isinstance(spy.returned[0], ColumnPartitions)
    assert (tmp_path / "cluster").read_bytes() == (tmp_path / "single").read_bytes()


def test_reference_engine_keeps_the_reference_reader(
    cli: Callable[..., Any], dask_scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _Spy(monkeypatch, forbid_reference=False)
    result = cli(
        "classify", *CASES["amini2016"], "--format", "csv", "--output", tmp_path / "out.csv",
        "--scheduler", dask_scheduler, "--engine", "reference",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert spy.returned == []


@pytest.mark.parametrize(
    ("lesion_rows", "measurement_rows", "message"),
    [
        # a bad cell: the reference reader names it
        ("P1,L1,2010-01-05,24,1,spine", "L1,2010-01-01,T1,12\nL1,2010-13-01,T1,12", "date"),
        # a lesion without a baseline
        ("P1,L1,2010-01-05,24,1,spine", "L1,2010-03-01,T1,12", "baseline"),
        # a brain lesion: amini2016 judges the spine
        ("P1,L1,2010-01-05,24,1,brain", "L1,2010-01-01,T1,12", "applies to"),
    ],
)
def test_invalid_input_gives_the_reference_messages(
    cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lesion_rows: str,
    measurement_rows: str,
    message: str,
) -> None:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(
        f"patient_id,lesion_id,treatment_date,dose_gy,fractions,site\n{lesion_rows}\n"
    )
    measurements = tmp_path / "measurements.csv"
    measurements.write_text(f"lesion_id,date,sequence,size_mm\n{measurement_rows}\n")
    args = [
        "classify", "--criteria", "amini2016", "--lesions", lesions,
        "--measurements", measurements, "--format", "json", "--output", tmp_path / "out.json",
    ]  # fmt: skip
    single = cli(*args)
    spy = _Spy(monkeypatch, forbid_reference=False)
    # nothing listens on port 9: the input is rejected before any connection is tried
    cluster = cli(*args, "--scheduler", "tcp://127.0.0.1:9")
    assert spy.returned == [None]
    assert cluster.exit_code == single.exit_code
    assert cluster.output == single.output
    assert message in " ".join(cluster.output.split())
    assert not (tmp_path / "out.json").exists()
