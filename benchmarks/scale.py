"""Benchmark the Dask paths: ``classify --scheduler local`` and ``perfusion batch``.

1. A registry of 5 million lesions (by default) is generated as Parquet in a temporary folder,
   in chunks, with the courses of ``benchmarks/classify.py`` (stable, shrinking, progressing,
   transient growth; by default a baseline and 7 follow-ups on each of 3 sequences: 24
   measurement rows a lesion, two lesions a patient; ``--studies N`` gives N studies a
   sequence, 3N rows a lesion). It is written chunk by chunk (250,000 lesions at a time), never
   held whole. It is classified by the real command, ``pseudoprog classify
   --format parquet --output DIR --scheduler local --jobs W``, with 1 and then 2 workers. The
   end-to-end wall time gives lesions per second (reading and validating on the client
   included); the peak resident memory of the client (also per measurement row) and of each
   worker process is sampled every 50 ms from ``/proc``.
2. A cohort of 40 synthetic DCE visits (by default; ``tests/scale/visits.py``) goes through
   ``pseudoprog perfusion batch`` on this machine without a cluster and with ``--scheduler
   local --jobs 2``: visits per second.

Usage: ``python benchmarks/scale.py [--lesions N] [--studies N] [--visits N] [--workers 1 2]
[--keep DIR] [--reference]`` (``--reference``: the client validates with the reference reader,
``--engine reference``, as before the column reader);
``--lesions 20000 --visits 4`` runs in well under a minute. The load average of the machine is
printed before and after: the figures mean little on a machine that is busy with other work.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEQUENCES = ("T1", "T2FS", "T1C")
FOLLOW_UPS = 7
#: Lesions generated at a time (bounds the generator's memory).
CHUNK = 250_000


def make_registry(
    n_lesions: int, out: Path, *, studies: int = FOLLOW_UPS + 1, seed: int = 7
) -> tuple[Path, Path]:
    """Write lesions.parquet and measurements.parquet for ``n_lesions`` synthetic lesions.

    Each lesion has ``studies`` studies (a baseline and ``studies - 1`` follow-ups) on each of
    the 3 sequences. The tables are written ``CHUNK`` lesions at a time.
    """
    if studies < 2:
        raise ValueError(f"studies must be at least 2 (a baseline and a follow-up), got {studies}")
    follow_ups = studies - 1
    out.mkdir(parents=True, exist_ok=True)
    lesions_path, measurements_path = out / "lesions.parquet", out / "measurements.parquet"
    lesion_schema = pa.schema(
        [("patient_id", pa.string()), ("lesion_id", pa.string()), ("treatment_date", pa.date32()),
         ("dose_gy", pa.int64()), ("fractions", pa.int64())]
    )  # fmt: skip
    measurement_schema = pa.schema(
        [("lesion_id", pa.string()), ("date", pa.date32()), ("sequence", pa.string()),
         ("size_mm", pa.float64())]
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    per_lesion = studies * len(SEQUENCES)
    with (
        pq.ParquetWriter(lesions_path, lesion_schema) as lesion_writer,
        pq.ParquetWriter(measurements_path, measurement_schema) as measurement_writer,
    ):
        for first in range(0, n_lesions, CHUNK):
            n = min(CHUNK, n_lesions - first)
            index = np.arange(first, first + n)
            ids = np.char.add("L", index.astype(str))
            patients = np.char.add("P", (index // 2).astype(str))
            treated = np.datetime64("2005-01-01") + rng.integers(0, 3650, n)
            fractions = rng.choice([1, 3, 5], n)
            dose = np.choose(np.searchsorted([1, 3, 5], fractions), [24, 27, 30])
            lesion_writer.write_table(
                pa.table(
                    [patients, ids, treated.astype("datetime64[D]"), dose, fractions],
                    schema=lesion_schema,
                )
            )
            offsets = np.concatenate(([0], 91 * np.arange(1, follow_ups + 1)))
            days = offsets[None, :] + rng.integers(-7, 8, (n, follow_ups + 1))
            days[:, 0] = -rng.integers(1, 43, n)
            kind = rng.integers(0, 4, n)
            t = np.arange(follow_ups + 1)[None, :]
            change = np.select(
                [kind[:, None] == 0, kind[:, None] == 1, kind[:, None] == 2],
                [np.zeros((1, follow_ups + 1)), -0.8 * t, 2.0 * t],
                default=np.where(t == 1, 6.0, np.where(t == 2, 2.0, 0.0)),
            )
            base = rng.uniform(10, 35, n)
            noisy = (base[:, None] + change)[:, :, None] + rng.normal(
                0, 0.5, (1, 1, len(SEQUENCES))
            )
            size = np.round(np.clip(noisy + rng.normal(0, 0.3, noisy.shape), 1, 290), 1)
            dates = np.repeat(treated[:, None] + days, len(SEQUENCES), axis=1)
            measurement_writer.write_table(
                pa.table(
                    [
                        np.repeat(ids, per_lesion),
                        dates.ravel().astype("datetime64[D]"),
                        np.tile(np.array(SEQUENCES), n * (follow_ups + 1)),
                        size.ravel(),
                    ],
                    schema=measurement_schema,
                )
            )
    return lesions_path, measurements_path


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(c) for c in handle.read().split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        pass
    return found


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0.0


def _is_worker(pid: int) -> bool:
    """A Dask worker process (not its nanny, nor a helper such as the resource tracker)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline


@dataclass
class Run:
    """One command's wall time and peak memory."""

    wall_s: float
    client_mb: float
    worker_mb: dict[int, float]
    stdout: str
    load: tuple[float, float] = (0.0, 0.0)  # lowest and highest 1-min load average seen


def run_measured(args: list[str]) -> Run:
    """Run ``pseudoprog ARGS``; sample the RSS of the command and its worker processes."""
    exe = Path(sys.executable).with_name("pseudoprog")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    client = 0.0
    workers: dict[int, float] = {}
    loads: list[float] = []
    while proc.poll() is None:
        loads.append(os.getloadavg()[0])
        client = max(client, _rss_mb(proc.pid))
        todo = _children(proc.pid)
        while todo:
            pid = todo.pop()
            todo += _children(pid)
            if _is_worker(pid):
                workers[pid] = max(workers.get(pid, 0.0), _rss_mb(pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    stdout, stderr = proc.communicate()
    if proc.returncode not in (0,):
        raise SystemExit(f"pseudoprog {' '.join(args[:2])} failed ({proc.returncode}):\n{stderr}")
    return Run(wall, client, workers, stdout, (min(loads, default=0.0), max(loads, default=0.0)))


def bench_classify(
    n_lesions: int, workers: list[int], folder: Path, *, studies: int, reference: bool = False
) -> None:
    start = time.perf_counter()
    lesions, measurements = make_registry(n_lesions, folder, studies=studies)
    size = (lesions.stat().st_size + measurements.stat().st_size) / 1e6
    rows = n_lesions * studies * len(SEQUENCES)
    print(
        f"registry: {n_lesions:,} lesions, {rows:,} measurement rows, {size:,.0f} MB of "
        f"Parquet, made in {time.perf_counter() - start:.1f} s"
    )
    for count in workers:
        out = folder / f"classified-{count}"
        run = run_measured(
            ["classify", "--lesions", str(lesions), "--measurements", str(measurements),
             "--format", "parquet", "--output", str(out), "--scheduler", "local",
             "--jobs", str(count), *(["--engine", "reference"] if reference else [])]
        )  # fmt: skip
        per_worker = sorted(run.worker_mb.values(), reverse=True)
        shown = ", ".join(f"{m:,.0f}" for m in per_worker) or "-"
        print(
            f"classify --scheduler local --jobs {count}: {run.wall_s:.1f} s, "
            f"{n_lesions / run.wall_s:,.0f} lesions/s end to end; peak RSS client "
            f"{run.client_mb:,.0f} MB ({run.client_mb * 2**20 / rows:.0f} bytes a measurement "
            f"row), workers {shown} MB; load average {run.load[0]:.2f}-{run.load[1]:.2f} "
            f"during the run"
        )
        shutil.rmtree(out, ignore_errors=True)


def bench_perfusion(n_visits: int, folder: Path) -> None:
    from tests.scale.visits import make_visits

    start = time.perf_counter()
    manifest = make_visits(folder, n_visits, shape=(96, 96, 12), frames=60, method="exact")
    print(
        f"perfusion: {n_visits} visits of 96x96x12 voxels (94x94x12 in the mask), 60 frames, "
        f"extended Tofts, exact fit; made in {time.perf_counter() - start:.1f} s"
    )
    for label, extra in (
        ("here, one visit after another", []),
        ("--scheduler local --jobs 2", ["--scheduler", "local", "--jobs", "2"]),
    ):
        out = folder / "fitted"
        shutil.rmtree(out, ignore_errors=True)
        run = run_measured(
            ["perfusion", "batch", "--manifest", str(manifest), "--out", str(out), *extra]
        )
        print(
            f"perfusion batch ({label}): {run.wall_s:.1f} s, {n_visits / run.wall_s:.2f} "
            f"visits/s; load average {os.getloadavg()[0]:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesions", type=int, default=5_000_000)
    parser.add_argument(
        "--studies",
        type=int,
        default=FOLLOW_UPS + 1,
        help="studies a sequence of each lesion (3 rows each; default 8)",
    )
    parser.add_argument(
        "--reference", action="store_true", help="validate with the reference reader"
    )
    parser.add_argument("--visits", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pseudoprog-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} (1, 5, 15 min) at the start")
    try:
        if args.lesions:
            bench_classify(
                args.lesions,
                args.workers,
                folder / "registry",
                studies=args.studies,
                reference=args.reference,
            )
        if args.visits:
            bench_perfusion(args.visits, folder / "visits")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} (1, 5, 15 min) at the end")


if __name__ == "__main__":
    main()
