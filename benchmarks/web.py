"""Load benchmark of ``pseudoprog serve`` on loopback, on SQLite and PostgreSQL.

10,000 lesions (copies of the bundled example) are imported; then the worklist page is fetched
by a logged-in browser session (target: p95 under 300 ms) and the API (``GET /api/v1/lesions``
and one lesion) is driven at a fixed rate (default 200 requests/s for 60 s; target: no errors),
with p50/p95/p99 latencies. Every request goes to 127.0.0.1 and the run stops by itself.

Run: ``python benchmarks/web.py [--backend sqlite|postgresql|both] [--rate 200] [--seconds 60]``
"""

from __future__ import annotations

import argparse
import asyncio
import csv
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


async def _drive(base: str, token: str, ids: list[int], rate: float, seconds: float) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def one(i: int) -> None:
            nonlocal errors
            path = (
                f"/api/v1/lesions/{ids[i % len(ids)]}"
                if i % 2
                else f"/api/v1/lesions?page={1 + i % 50}&page_size=20"
            )
            start = time.perf_counter()
            try:
                answer = await client.get(path, timeout=30)
                if answer.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - start) * 1000)

        tasks = []
        begin = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        took = time.perf_counter() - begin
    print(
        f"  API: {total} requests in {took:.1f} s ({total / took:.0f}/s), {errors} errors; "
        f"{_percentiles(latencies)}"
    )


def bench(url: str, *, lesions: int, rate: float, seconds: float, pages: int) -> None:
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
        [str(exe), "serve", "--database", url, "--port", str(port), "--no-access-log"],
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
        asyncio.run(_drive(base, bearer, ids, rate, seconds))
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
            )
        finally:
            with psycopg.connect(
                "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True
            ) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
