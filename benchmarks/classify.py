"""Benchmark ``pseudoprog classify`` end to end on a large synthetic registry.

The registry has 100,000 lesions with 8 studies (a baseline and 7 follow-ups) on each of 3
sequences: 2.4 million measurement rows. The script writes the CSV files, runs the real
command (``pseudoprog classify --format json --output ...``) in a subprocess, and prints the
wall time, lesions per second and the command's peak memory; then it times the stages in
process (reading and validating, classifying, writing JSON) to show where the time goes.

Usage: ``python benchmarks/classify.py [--lesions N] [--keep DIR]``. Target on a 2-core
machine: the whole registry in under 10 s and under 2 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
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


def run_cli(lesions: Path, measurements: Path, output: Path) -> tuple[float, float, float]:
    """Run the command; return wall seconds and peak memory in MB (PSS and RSS sums).

    Memory is sampled every 20 ms over the command and its worker processes.
    """
    exe = Path(sys.executable).with_name("pseudoprog")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(exe),
            "classify",
            "--lesions",
            str(lesions),
            "--measurements",
            str(measurements),
            "--format",
            "json",
            "--output",
            str(output),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_pss = peak_rss = 0.0
    while proc.poll() is None:
        pss, rss = _tree_memory_mb(proc.pid)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.02)
    wall = time.perf_counter() - start
    _, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"pseudoprog classify failed:\n{stderr}")
    return wall, peak_pss, peak_rss


def stages(lesions: Path, measurements: Path) -> dict[str, float]:
    """Time the stages in process."""
    from pseudoprog.criteria.amini2016 import DEFAULT_PARAMETERS, assess_many
    from pseudoprog.io.cohort import load_cohort
    from pseudoprog.io.results import assessments_to_json

    times = {}
    start = time.perf_counter()
    cohort = load_cohort(lesions=lesions, measurements=measurements)
    times["read + validate"] = time.perf_counter() - start
    start = time.perf_counter()
    results = assess_many(cohort.histories)
    times["classify"] = time.perf_counter() - start
    start = time.perf_counter()
    assessments_to_json(results, parameters=DEFAULT_PARAMETERS)
    times["to JSON"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesions", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the registry in this folder")
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
    wall, pss, rss = run_cli(lesions, measurements, folder / "classification.json")
    print(
        f"pseudoprog classify (end to end, JSON output): {wall:.2f} s, "
        f"{args.lesions / wall:,.0f} lesions/s"
    )
    print(
        f"peak memory of the command and its workers: {pss:,.0f} MB (PSS: shared pages "
        f"counted once), {rss:,.0f} MB (RSS summed over processes)"
    )
    met = wall < 10 and pss < 2048
    print(f"target: under 10 s and 2,048 MB -> {'met' if met else 'NOT met'}")
    if not args.no_stages:
        for name, seconds in stages(lesions, measurements).items():
            print(f"  {name:<16}{seconds:6.2f} s")


if __name__ == "__main__":
    main()
