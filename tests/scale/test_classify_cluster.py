"""``classify --scheduler``: byte for byte the single-machine output, on a real cluster."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from pseudoprog.criteria.amini2016 import DEFAULT_PARAMETERS
from pseudoprog.errors import ParameterError
from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.histories import LesionHistories
from pseudoprog.io.parquet_results import METADATA_NAME
from pseudoprog.scale.classify import (
    ClusterFormat,
    LesionEngine,
    PartitionFailedError,
    classify_on_cluster,
)
from pseudoprog.scale.cluster import SchedulerAddress, connect
from tests.scale.conftest import free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: (name, arguments) of every bundled example, as its README runs it.
CASES = {
    "amini2016": [
        "--lesions", EXAMPLES / "amini2016/lesions.csv",
        "--measurements", EXAMPLES / "amini2016/measurements.csv",
        "--events", EXAMPLES / "amini2016/events.csv",
    ],
    "brain_srs": [
        "--criteria", "srs-brain",
        "--lesions", EXAMPLES / "brain_srs/lesions.csv",
        "--measurements", EXAMPLES / "brain_srs/measurements.csv",
        "--events", EXAMPLES / "brain_srs/events.csv",
        "--evidence", EXAMPLES / "brain_srs/evidence.csv",
    ],
    "rano_bm": [
        "--criteria", "rano-bm",
        "--lesions", EXAMPLES / "brain_srs/rano_bm/lesions.csv",
        "--measurements", EXAMPLES / "brain_srs/rano_bm/measurements.csv",
        "--events", EXAMPLES / "brain_srs/rano_bm/events.csv",
    ],
    "liver_gist": [
        "--lesions", EXAMPLES / "liver_gist/lesions.csv",
        "--measurements", EXAMPLES / "liver_gist/measurements.csv",
    ],
    "liver_hcc": [
        "--criteria", "mrecist",
        "--lesions", EXAMPLES / "liver_hcc/lesions.csv",
        "--measurements", EXAMPLES / "liver_hcc/measurements.csv",
    ],
    "recist": [
        "--criteria", "recist1.1",
        "--lesions", EXAMPLES / "recist/lesions.csv",
        "--measurements", EXAMPLES / "recist/measurements.csv",
    ],
}  # fmt: skip


def _classify(cli: Callable[..., Any], out: Path, *args: Any) -> bytes:
    result = cli("classify", *args, "--output", out)
    assert result.exit_code == 0, result.output
    return b"" if out.is_dir() else out.read_bytes()


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_examples_byte_for_byte_on_a_running_scheduler(
    cli: Callable[..., Any], dask_scheduler: str, tmp_path: Path, name: str, fmt: str
) -> None:
    args = [*CASES[name], "--format", fmt]
    single = _classify(cli, tmp_path / f"single.{fmt}", *args)
    cluster = _classify(
        cli, tmp_path / f"cluster.{fmt}", *args, "--scheduler", dask_scheduler, "--partitions", "3"
    )
    assert cluster == single
    assert len(single) > 500


def test_local_cluster_and_parquet_output(cli: Callable[..., Any], tmp_path: Path) -> None:
    args = [*CASES["amini2016"]]
    single = _classify(cli, tmp_path / "single.json", *args, "--format", "json")
    local = _classify(
        cli, tmp_path / "local.json", *args, "--format", "json", "--scheduler", "local",
        "--jobs", "2", "--partitions", "4",
    )  # fmt: skip
    assert local == single
    result = cli(
        "classify", *args, "--format", "parquet", "--output", tmp_path / "parts",
        "--scheduler", "local", "--jobs", "2", "--partitions", "4",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "parts" / METADATA_NAME).read_text())
    assert [p["file"] for p in meta["parts"]] == [f"part-0000{i}.parquet" for i in range(4)]
    assert meta["lesions"] == 37
    assert meta["patients"] == len({x["patient_id"] for x in json.loads(single)["lesions"]})
    _same_values(tmp_path / "parts", json.loads(single)["lesions"])


def _same_values(folder: Path, lesions: list[dict[str, Any]]) -> None:
    """The Parquet rows hold the JSON document's values, in the same order."""
    rows = ds.dataset(folder, format="parquet").to_table().to_pylist()
    assert [r["lesion_id"] for r in rows] == [x["lesion_id"] for x in lesions]
    for row, lesion in zip(rows, lesions, strict=True):
        for key in ("patient_id", "response", "deciding_sequence", "time_to_peak_weeks",
                    "peak_change_mm", "time_to_baseline_weeks"):  # fmt: skip
            assert _rounded(row[key]) == lesion[key], (lesion["lesion_id"], key)
        for sequence, per in lesion["per_sequence"].items():
            assert row[f"{sequence}_response"] == per["response"]
            assert _rounded(row[f"{sequence}_time_to_peak_weeks"]) == per["time_to_peak_weeks"]
        assert row["reasons"] == " | ".join(r["message"] for r in lesion["reasons"])


def test_generated_registry_byte_for_byte(
    cli: Callable[..., Any], dask_scheduler: str, registry: dict[str, Path], tmp_path: Path
) -> None:
    args = [
        "--lesions", registry["lesions"], "--measurements", registry["measurements"],
        "--events", registry["events"],
    ]  # fmt: skip
    cluster = ["--scheduler", dask_scheduler, "--partitions", "7"]
    for fmt in ("json", "csv"):
        single = _classify(cli, tmp_path / f"single.{fmt}", *args, "--format", fmt)
        assert _classify(cli, tmp_path / f"cluster.{fmt}", *args, "--format", fmt, *cluster) == (
            single
        )
    one = tmp_path / "one"
    many = tmp_path / "many"
    _classify(cli, one, *args, "--format", "parquet")
    _classify(cli, many, *args, "--format", "parquet", *cluster)
    parts = sorted(p.name for p in many.glob("*.parquet"))
    assert len(parts) == 7
    a = ds.dataset(one, format="parquet").to_table()
    b = ds.dataset(many, format="parquet").to_table()
    assert a.equals(b)
    meta = json.loads((many / METADATA_NAME).read_text())
    assert meta["lesions"] == a.num_rows == 600
    assert meta["patients"] == len(set(a.column("patient_id").to_pylist()))
    _same_values(many, json.loads((tmp_path / "single.json").read_text())["lesions"])
    # a patient is never split: each patient's rows sit in one part
    seen: dict[str, str] = {}
    for part in parts:
        for pid in ds.dataset(many / part).to_table().column("patient_id").to_pylist():
            assert seen.setdefault(pid, part) == part


def test_invalid_input_is_reported_before_connecting(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(
        "patient_id,lesion_id,treatment_date,dose_gy,fractions\nP1,L1,2010-01-05,24,1\n"
    )
    measurements = tmp_path / "measurements.csv"
    measurements.write_text("lesion_id,date,sequence,size_mm\nL1,2010-01-01,DWI,12\n")
    out = tmp_path / "out.json"
    args = ["--lesions", lesions, "--measurements", measurements, "--format", "json"]
    single = cli("classify", *args, "--output", out)
    # nothing listens on this port: the input is rejected before any connection is tried
    cluster = cli(
        "classify", *args, "--output", out, "--scheduler", f"tcp://127.0.0.1:{free_port()}"
    )
    assert single.exit_code == cluster.exit_code == 2
    assert "unknown sequence (got 'DWI')" in cluster.output
    assert cluster.output == single.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "nowhere"], "--scheduler 'nowhere' is not understood"),
        (["--partitions", "3", "--format", "json"], "--partitions cuts the cohort"),
        (["--scheduler", "local", "--format", "table"], "--scheduler writes json, csv or"),
        (["--scheduler", "tcp://127.0.0.1:9", "--jobs", "2", "--format", "csv"], "--jobs sets"),
        (["--format", "parquet"], "--format parquet writes a folder"),
    ],
)
def test_options_that_do_not_fit(cli: Callable[..., Any], args: list[str], message: str) -> None:
    result = cli("classify", *CASES["amini2016"], *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_parquet_output_never_replaces_other_files(cli: Callable[..., Any], tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    result = cli(
        "classify", *CASES["amini2016"], "--format", "parquet", "--output", folder
    )  # fmt: skip
    assert result.exit_code == 2
    assert "holds other files" in " ".join(result.output.split())
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_failing_partition_writes_nothing(dask_scheduler: str, tmp_path: Path) -> None:
    cohort = load_cohort(
        lesions=EXAMPLES / "amini2016/lesions.csv",
        measurements=EXAMPLES / "amini2016/measurements.csv",
    )
    assert isinstance(cohort.histories, LesionHistories)
    # srs-brain judges brain lesions with its own parameters: with Amini's it fails on a worker
    broken = LesionEngine("srs-brain", DEFAULT_PARAMETERS, None)
    earlier = tmp_path / "earlier"
    classify_on_cluster(
        cohort.histories,
        engine=LesionEngine("amini2016", DEFAULT_PARAMETERS, None),
        output_format=ClusterFormat.PARQUET,
        output=earlier,
        scheduler=SchedulerAddress.parse(dask_scheduler),
        partitions=2,
    )
    before = sorted(p.name for p in earlier.iterdir())
    for fmt, out in ((ClusterFormat.CSV, tmp_path / "out.csv"), (ClusterFormat.PARQUET, earlier)):
        with pytest.raises(PartitionFailedError, match="no output was written"):
            classify_on_cluster(
                cohort.histories,
                engine=broken,
                output_format=fmt,
                output=out,
                scheduler=SchedulerAddress.parse(dask_scheduler),
                partitions=3,
            )
    assert not (tmp_path / "out.csv").exists()
    assert sorted(p.name for p in earlier.iterdir()) == before  # the earlier results stay
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier"]  # no staging left


def test_an_unreachable_scheduler_is_named() -> None:
    address = SchedulerAddress.parse(f"tcp://127.0.0.1:{free_port()}")
    with (
        pytest.raises(ParameterError, match="cannot reach the Dask scheduler"),
        connect(address, timeout_s=2),
    ):
        pass


def test_plain_classify_does_not_import_dask(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from pseudoprog.cli import _register, app\n"
        "_register()\n"
        f"args = {[str(a) for a in CASES['amini2016']]!r}\n"
        f"r = CliRunner().invoke(app, ['classify', *args, '--format', 'json', '--output', "
        f"{str(tmp_path / 'x.json')!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def _rounded(value: Any) -> Any:
    """A number as the JSON document gives it (two decimals); other values as they are."""
    return round(value, 2) if isinstance(value, float) else value


def test_text_to_the_terminal(cli: Callable[..., Any], dask_scheduler: str) -> None:
    for fmt in ("json", "csv"):
        single = cli("classify", *CASES["amini2016"], "--format", fmt)
        cluster = cli(
            "classify", *CASES["amini2016"], "--format", fmt, "--scheduler", dask_scheduler
        )
        assert single.exit_code == cluster.exit_code == 0, cluster.output
        assert cluster.stdout == single.stdout
        assert len(single.stdout) > 1000
