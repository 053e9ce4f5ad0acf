"""Load benchmark of ``pseudoprog serve`` on loopback, on SQLite and PostgreSQL.

10,000 lesions (copies of the bundled example) are imported; then the worklist page is fetched
by a logged-in browser session (target: p95 under 300 ms) and the API (``GET /api/v1/lesions``
and one lesion) is driven at a fixed rate (default 200 requests/s for 60 s; target: no errors),
with p50/p95/p99 latencies. Every request goes to 127.0.0.1 and the run stops by itself.

Run: ``python benchmarks/web.py [--backend sqlite|postgresql|both] [--rate 200] [--seconds 60]
[--workers 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "amini2016"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


def _tables(folder: Path, lesions_wanted: int) -> dict[str, Path]:
    lesions = list(csv.DictReader((EXAMPLE / "lesions.csv").open(encoding="utf-8")))
    sizes = list(csv.DictReader((EXAMPLE / "measurements.csv").open(encoding="utf-8")))
    copies = -(-lesions_wanted // len(lesions))
    out = {"lesions": folder / "lesions.csv", "measurements": folder / "measurements.csv"}
    with out["lesions"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lesions[0]))
        writer.writeheader()
        for k in range(copies):
            for row in lesions:
                writer.writerow(
                    {
                        **row,
                        "patient_id": f"{row['patient_id']}-{k}",
                        "lesion_id": f"{row['lesion_id']}-{k}",
                    }
                )
    with out["measurements"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(sizes[0]))
        writer.writeheader()
        for k in range(copies):
            for row in sizes:
                key = f"{row['lesion_id']}-{k}"
                writer.writerow({**row, "lesion_id": key})
    return out


def _percentiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms"


def _run_cli(*args: str, stdin: str = "") -> None:
    exe = Path(sys.executable).with_name("pseudoprog")
    subprocess.run([str(exe), *args], input=stdin, text=True, check=True, capture_output=True)


async def _connection(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def _get(
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str, token: str
) -> int:
    """One GET on a kept-alive HTTP/1.1 connection; returns the status (body read whole)."""
    reader, writer = stream
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"(?i)content-length: *(\d+)", head)
    if length is None:
        raise ConnectionError("a response without Content-Length")
    await reader.readexactly(int(length[1]))
    return status


async def _drive(
    port: int, token: str, ids: list[int], rate: float, seconds: float, connections: int = 32
) -> str:
    """Requests at ``rate`` per second for ``seconds``, alternating a page of the lesion list
    and one lesion, over ``connections`` kept-alive connections (an open loop: each request's
    latency counts from the moment it was due, so a server that falls behind shows it)."""
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    due: asyncio.Queue[int | None] = asyncio.Queue()

    async def worker() -> None:
        nonlocal errors
        stream = await _connection(port)
        while (i := await due.get()) is not None:
            path = (
                f"/api/v1/lesions/{ids[i % len(ids)]}"
                if i % 2
                else f"/api/v1/lesions?page={1 + i % 50}&page_size=20"
            )
            try:
                if await _get(stream, path, token) != 200:
                    errors += 1
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                stream[1].close()
                stream = await _connection(port)
            latencies.append((time.perf_counter() - (begin + i / rate)) * 1000)
        stream[1].close()

    begin = time.perf_counter()
    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    for i in range(total):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait(i)
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    took = time.perf_counter() - begin
    return (
        f"  API: {total} requests in {took:.1f} s ({total / took:.0f}/s), {errors} errors; "
        f"{_percentiles(latencies)}"
    )


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def bench(url: str, *, lesions: int, rate: float, seconds: float, pages: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = _tables(Path(tmp), lesions)
        start = time.perf_counter()
        _run_cli("db", "import", "--database", url, *(f"--{k}={v}" for k, v in files.items()))
        print(f"  import of {lesions} lesions: {time.perf_counter() - start:.1f} s")
    _run_cli(
        "users",
        "add",
        "bench",
        "--role",
        "viewer",
        "--password-stdin",
        "--database",
        url,
        stdin="bench password\n",
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exe = Path(sys.executable).with_name("pseudoprog")
    server = subprocess.Popen(
        [
            *(str(exe), "serve", "--database", url, "--port", str(port), "--no-access-log"),
            *("--workers", str(workers)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=base) as browser:
            form = browser.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None
            browser.post(
                "/login",
                data={"username": "bench", "password": "bench password", "csrf_token": token[1]},
            )
            times = []
            for i in range(pages):
                start = time.perf_counter()
                answer = browser.get(f"/worklist?page={1 + i % 200}&sort=next_due")
                times.append((time.perf_counter() - start) * 1000)
                if answer.status_code != 200:
                    raise RuntimeError(f"worklist answered {answer.status_code}")
        print(f"  worklist page ({pages} requests): {_percentiles(times)}")
        token_answer = httpx.post(
            f"{base}/api/v1/token", data={"username": "bench", "password": "bench password"}
        )
        bearer = token_answer.json()["access_token"]
        listing = httpx.get(
            f"{base}/api/v1/lesions?page_size=500", headers={"Authorization": f"Bearer {bearer}"}
        ).json()
        ids = [x["id"] for x in listing["lesions"]]
        print(f"  before the API run: {_load()}")
        print(asyncio.run(_drive(port, bearer, ids, rate, seconds)))
        print(f"  after the API run: {_load()}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--lesions", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        print(f"{backend}:")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                bench(
                    f"sqlite:///{tmp}/bench.db",
                    lesions=args.lesions,
                    rate=args.rate,
                    seconds=args.seconds,
                    pages=args.pages,
                    workers=args.workers,
                )
            continue
        import psycopg

        name = f"pseudoprog_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        try:
            bench(
                f"{POSTGRES}/{name}",
                lesions=args.lesions,
                rate=args.rate,
                seconds=args.seconds,
                pages=args.pages,
                workers=args.workers,
            )
        finally:
            with psycopg.connect(
                "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True
            ) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
