"""Benchmark ``pseudoprog classify`` end to end on a large synthetic registry.

The registry has 100,000 lesions with 8 studies (a baseline and 7 follow-ups) on each of 3
sequences: 2.4 million measurement rows. The script writes the CSV files, then:

* runs the real command (``pseudoprog classify --format F --output ...``) in a fresh process
  under ``/usr/bin/time`` for each engine (``--engine columnar``, the default path, and
  ``--engine reference``) and each format (json, csv, parquet), ``--runs`` times, and prints
  the median and range of the wall time and of the CPU time (user + sys of the command and its
  workers) and the peak RSS of the largest process; then once more with the memory of the
  process tree sampled every 20 ms (PSS and RSS summed over the processes; the sampling slows
  the command, so that run is not timed); and the load average of the machine before the
  runs;
* checks that both engines wrote the same bytes (JSON, CSV) or the same table (Parquet);
* times the column engine's stages in this process: load, rules, text and write.

Usage: ``python benchmarks/classify.py [--lesions N] [--runs R] [--keep DIR]
[--formats json,csv,parquet] [--engines columnar,reference] [--no-stages]``. Target on a
2-core machine: the whole registry in under 3 s and under 1 GB (JSON, column engine).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

SEQUENCES = ("T1", "T2FS", "T1C")
FOLLOW_UPS = 7


def make_registry(n_lesions: int, out: Path, *, seed: int = 7) -> tuple[Path, Path]:
    """Write lesions.csv and measurements.csv for ``n_lesions`` synthetic lesions."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("L", np.arange(n_lesions).astype(str))
    patients = np.char.add("P", (np.arange(n_lesions) // 2).astype(str))
    treated = np.datetime64("2005-01-01") + rng.integers(0, 3650, n_lesions)
    fractions = rng.choice([1, 3, 5], n_lesions)
    dose = np.choose(np.searchsorted([1, 3, 5], fractions), [24, 27, 30])
    pacsv.write_csv(
        pa.table(
            {
                "patient_id": patients,
                "lesion_id": ids,
                "treatment_date": treated.astype(str),
                "dose_gy": dose,
                "fractions": fractions,
            }
        ),
        out / "lesions.csv",
    )
    # Study days: baseline 1-42 days before, then about every 91 days.
    offsets = np.concatenate(([0], 91 * np.arange(1, FOLLOW_UPS + 1)))
    days = offsets[None, :] + rng.integers(-7, 8, (n_lesions, FOLLOW_UPS + 1))
    days[:, 0] = -rng.integers(1, 43, n_lesions)
    # Courses: stable, shrinking, progressing, or transient growth (pseudoprogression-like).
    kind = rng.integers(0, 4, n_lesions)
    t = np.arange(FOLLOW_UPS + 1)[None, :]
    change = np.select(
        [kind[:, None] == 0, kind[:, None] == 1, kind[:, None] == 2],
        [
            np.zeros((1, FOLLOW_UPS + 1)),
            -0.8 * t,
            2.0 * t,
        ],
        default=np.where(t == 1, 6.0, np.where(t == 2, 2.0, 0.0)),
    )
    base = rng.uniform(10, 35, n_lesions)
    rows = n_lesions * (FOLLOW_UPS + 1) * len(SEQUENCES)
    lesion_col = np.repeat(ids, (FOLLOW_UPS + 1) * len(SEQUENCES))
    day_col = np.repeat(days, len(SEQUENCES), axis=1).ravel()
    date_col = (np.repeat(treated, (FOLLOW_UPS + 1) * len(SEQUENCES)) + day_col).astype(str)
    seq_col = np.tile(np.array(SEQUENCES), n_lesions * (FOLLOW_UPS + 1))
    size = (base[:, None] + change)[:, :, None] + rng.normal(0, 0.5, (1, 1, len(SEQUENCES)))
    size = size + rng.normal(0, 0.3, size.shape)
    size_col = np.round(np.clip(size, 1, 290), 1).ravel()
    assert len(size_col) == rows
    pacsv.write_csv(
        pa.table(
            {"lesion_id": lesion_col, "date": date_col, "sequence": seq_col, "size_mm": size_col}
        ),
        out / "measurements.csv",
    )
    return out / "lesions.csv", out / "measurements.csv"


def _tree_memory_mb(root: int) -> tuple[float, float]:
    """Memory of a process and all its descendants, in MB: (sum of PSS, sum of RSS).

    PSS (proportional set size) splits each page shared by forked workers among them, so its
    sum is the memory really used; the RSS sum counts shared pages once per process.
    """
    pss = rss = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    todo += [int(c) for c in handle.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
            continue
    return pss / 2**20, rss / 2**20


@dataclass(frozen=True)
class Run:
    """One run of the command: times, or the memory of a sampled run."""

    wall: float
    cpu: float
    max_rss_mb: float
    pss_mb: float
    rss_mb: float
    load: float


def run_cli(
    lesions: Path,
    measurements: Path,
    output: Path,
    *,
    output_format: str,
    engine: str,
    sample: bool,
) -> Run:
    """Run the command once in a fresh process and measure it.

    The command runs under ``/usr/bin/time`` when the machine has it (a small launcher, so
    that the peak RSS it reports is the command's own: a process started directly by this
    script would inherit this script's peak). CPU time is the user and system time of the
    command and the workers it waited for. With ``sample``, the memory of the command and
    its worker processes is also read every 20 ms (PSS and RSS summed over the processes);
    reading it slows the command, so the timed runs do not sample.
    """
    exe = Path(sys.executable).with_name("pseudoprog")
    load = os.getloadavg()[0]
    args = [
        str(exe),
        "classify",
        "--lesions",
        str(lesions),
        "--measurements",
        str(measurements),
        "--format",
        output_format,
        "--output",
        str(output),
        "--engine",
        engine,
    ]
    launcher = shutil.which("time", path="/usr/bin")
    handle, name = tempfile.mkstemp(prefix="pseudoprog-time-")
    os.close(handle)
    report = Path(name)
    if launcher:
        args = [launcher, "-o", str(report), "-f", "%U %S %M", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_pss = peak_rss = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if sample:
            pss, rss = _tree_memory_mb(proc.pid)
            peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.02 if sample else 0.005)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"pseudoprog classify failed:\n{stderr}")
    cpu, max_rss = usage.ru_utime + usage.ru_stime, float("nan")
    if launcher:
        user, system, kilobytes = report.read_text().split()[-3:]
        cpu, max_rss = float(user) + float(system), int(kilobytes) / 1024
    report.unlink()
    return Run(wall, cpu, max_rss, peak_pss, peak_rss, load)


def _median_range(values: list[float], fmt: str) -> str:
    low, high = min(values), max(values)
    median = statistics.median(values)
    return f"{median:{fmt}} ({low:{fmt}}-{high:{fmt}})"


def same_output(first: Path, second: Path, output_format: str) -> bool:
    """Whether two outputs are the same bytes (JSON, CSV) or the same table (Parquet)."""
    if output_format != "parquet":
        return _same_bytes(first, second)
    import pyarrow.parquet as pq

    part = "part-00000.parquet"
    meta = "_classification.json"
    return pq.read_table(first / part).equals(pq.read_table(second / part)) and _same_bytes(
        first / meta, second / meta
    )


def _same_bytes(first: Path, second: Path) -> bool:
    if first.stat().st_size != second.stat().st_size:
        return False
    with first.open("rb") as a, second.open("rb") as b:
        while True:
            x, y = a.read(1 << 22), b.read(1 << 22)
            if x != y:
                return False
            if not x:
                return True


def stages(lesions: Path, measurements: Path, output: Path) -> dict[str, float]:
    """Time the column engine's stages in this process (JSON output, two threads), with the
    allocator the command uses."""
    from pseudoprog.criteria.amini2016 import DEFAULT_PARAMETERS
    from pseudoprog.io.columnar_classify import assess_cohort, columnar_pieces, reusing_allocator
    from pseudoprog.io.columnar_load import load_columns

    times = {}
    with reusing_allocator():
        start = time.perf_counter()
        cohort = load_columns(lesions=lesions, measurements=measurements)
        if cohort is None:
            raise SystemExit("the column loader did not cover the registry")
        times["load"] = time.perf_counter() - start
        start = time.perf_counter()
        results = assess_cohort(cohort, params=DEFAULT_PARAMETERS)
        times["rules"] = time.perf_counter() - start
        start = time.perf_counter()
        pieces = list(columnar_pieces(cohort, params=DEFAULT_PARAMETERS, results=results))
        times["text (JSON, 2 threads)"] = time.perf_counter() - start
        start = time.perf_counter()
        with output.open("wb") as handle:
            handle.writelines(pieces)
        times["write"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lesions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (median)")
    parser.add_argument("--keep", type=Path, help="keep the registry in this folder")
    parser.add_argument("--formats", default="json,csv,parquet")
    parser.add_argument("--engines", default="columnar,reference")
    parser.add_argument("--no-stages", action="store_true", help="skip the in-process timing")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pseudoprog-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    lesions, measurements = make_registry(args.lesions, folder)
    rows = args.lesions * (FOLLOW_UPS + 1) * len(SEQUENCES)
    print(
        f"registry: {args.lesions:,} lesions, {rows:,} measurement rows "
        f"({measurements.stat().st_size / 1e6:.0f} MB CSV), made in "
        f"{time.perf_counter() - start:.1f} s"
    )
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    engines = args.engines.split(",")
    formats = args.formats.split(",")
    print(
        f"{'engine':<10}{'format':<9}{'wall s':>20}{'CPU s':>20}{'max RSS':>9}"
        f"{'PSS MB':>9}{'RSS MB':>9}{'load':>12}"
    )
    outputs: dict[tuple[str, str], Path] = {}
    for output_format in formats:
        for engine in engines:
            out = folder / f"classification-{engine}.{output_format}"
            runs = []
            for k in range(args.runs + 1):  # the last run samples the memory
                if out.is_dir():
                    shutil.rmtree(out)
                runs.append(
                    run_cli(
                        lesions,
                        measurements,
                        out,
                        output_format=output_format,
                        engine=engine,
                        sample=k == args.runs,
                    )
                )
            outputs[engine, output_format] = out
            timed, sampled = runs[:-1], runs[-1]
            loads = [r.load for r in runs]
            print(
                f"{engine:<10}{output_format:<9}"
                f"{_median_range([r.wall for r in timed], '.2f'):>20}"
                f"{_median_range([r.cpu for r in timed], '.2f'):>20}"
                f"{max(r.max_rss_mb for r in runs):>9.0f}"
                f"{sampled.pss_mb:>9.0f}{sampled.rss_mb:>9.0f}"
                f"{min(loads):>6.2f}-{max(loads):.2f}"
            )
        if len(engines) > 1:
            first, *others = (outputs[e, output_format] for e in engines)
            same = all(same_output(first, other, output_format) for other in others)
            print(f"  {output_format}: engines give the same output -> {'yes' if same else 'NO'}")
    print(
        "(wall and CPU: medians of the timed runs, ranges in brackets; max RSS: the largest "
        "process's peak over all runs; PSS and RSS: sums over the processes, peak of one more "
        "run sampled every 20 ms; load: the load average before the runs)"
    )
    if not args.no_stages:
        print(f"column engine stages in process (load average {os.getloadavg()[0]:.2f}):")
        for name, seconds in stages(lesions, measurements, folder / "stages.json").items():
            print(f"  {name:<24}{seconds:6.2f} s")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
