"""A real Dask cluster (``dask scheduler`` and two ``dask worker`` processes) and registries."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pseudoprog.cli import _register, app

#: Seconds a loaded machine may take to start the scheduler and its workers.
START_TIMEOUT_S = 120.0


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(address: str, processes: list[subprocess.Popen[bytes]]) -> None:
    """Shut the cluster down through its scheduler; kill whatever is still running after."""
    from distributed import Client

    try:
        with Client(address, timeout=5) as client:  # type: ignore[no-untyped-call]
            client.shutdown()
    except (OSError, TimeoutError):
        pass
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a running ``dask scheduler`` with two one-thread ``dask worker``s."""
    from distributed import Client

    dask = Path(sys.executable).with_name("dask")
    logs = tmp_path_factory.mktemp("dask-logs")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            subprocess.Popen(
                [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                 "--no-dashboard"],
                stdout=subprocess.DEVNULL,
                stderr=(logs / "scheduler.log").open("wb"),
            )
        )  # fmt: skip
        for i in range(2):
            processes.append(
                subprocess.Popen(
                    [str(dask), "worker", address, "--nthreads", "1", "--nworkers", "1",
                     "--host", "127.0.0.1", "--no-dashboard", "--name", f"test-worker-{i}",
                     "--local-directory", str(logs / f"worker-{i}")],
                    stdout=subprocess.DEVNULL,
                    stderr=(logs / f"worker-{i}.log").open("wb"),
                )
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with Client(address, timeout=10) as client:  # type: ignore[no-untyped-call]
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise
                time.sleep(0.5)
        yield address
    finally:
        _stop(address, processes)


@pytest.fixture(scope="session")
def cli() -> Callable[..., object]:
    """Invoke the typer application in-process."""
    _register()
    runner = CliRunner()

    def _invoke(*args: str | Path) -> object:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return _invoke


def make_registry(folder: Path, *, lesions: int = 600, seed: int = 3) -> dict[str, Path]:
    """A synthetic registry as Parquet files: lesions, measurements and events.

    Patients hold 1 to 4 lesions; a few patients' lesions are not next to each other in the
    lesions table (so some cuts are not allowed); events (therapy changes, fractures, other
    bone lesions) fall on a fifth of the patients.
    """
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, lesions)
    patient = np.repeat(np.arange(lesions), sizes)[:lesions]
    order = np.arange(lesions)
    for a in range(5, lesions - 10, 97):  # move a lesion a few rows away from its patient
        order[[a, a + 7]] = order[[a + 7, a]]
    patient = patient[order]
    ids = np.array([f"L{i:05d}" for i in range(lesions)])
    pids = np.array([f"P{p:05d}" for p in patient])
    treated = np.datetime64("2008-01-01") + rng.integers(0, 2000, lesions)
    fractions = rng.choice([1, 3, 5], lesions)
    pq.write_table(
        pa.table(
            {
                "patient_id": pids,
                "lesion_id": ids,
                "treatment_date": treated.astype("datetime64[D]").astype(str),
                "dose_gy": np.choose(np.searchsorted([1, 3, 5], fractions), [24.0, 27.0, 30.0]),
                "fractions": fractions,
                "level": rng.choice(["T4", "L2", "C5", "S1"], lesions),
            }
        ),
        folder / "lesions.parquet",
    )
    rows = []
    kind = rng.integers(0, 4, lesions)
    for i in range(lesions):
        base = rng.uniform(10, 35)
        days = [-int(rng.integers(1, 40))] + [
            91 * k + int(rng.integers(-7, 8)) for k in range(1, 7)
        ]
        for k, day in enumerate(days):
            step = [0.0, -0.9 * k, 2.2 * k, 6.0 if k == 1 else 2.0 if k == 2 else 0.0][kind[i]]
            for sequence in ("T1", "T2FS", "T1C"):
                if sequence == "T1C" and k % 3 == 2:
                    continue
                size = round(float(np.clip(base + step + rng.normal(0, 0.4), 1, 290)), 1)
                rows.append((ids[i], str(treated[i] + day), sequence, size))
    lesion_col, date_col, seq_col, size_col = zip(*rows, strict=True)
    pq.write_table(
        pa.table(
            {"lesion_id": lesion_col, "date": date_col, "sequence": seq_col, "size_mm": size_col}
        ),
        folder / "measurements.parquet",
    )
    chosen = sorted(set(rng.choice(lesions, lesions // 5, replace=False).tolist()))
    kinds = ["systemic_therapy_change", "fracture", "other_bone_lesions_enlarged"]
    events = {
        "patient_id": [pids[i] for i in chosen],
        "date": [str(treated[i] + int(rng.integers(60, 400))) for i in chosen],
        "kind": [kinds[j % 3] for j in range(len(chosen))],
    }
    pq.write_table(pa.table(events), folder / "events.parquet")
    return {name: folder / f"{name}.parquet" for name in ("lesions", "measurements", "events")}


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The generated registry's Parquet tables."""
    return make_registry(tmp_path_factory.mktemp("registry"))
