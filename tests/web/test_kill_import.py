"""A server killed (SIGKILL) in the middle of an import leaves all of it or none of it."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from pseudoprog.store import Database, upgrade
from pseudoprog.store.models import ImportRow, LesionRow, LesionStatus, MeasurementRow
from pseudoprog.store.users import Role, add_user

COPIES = 60  # 60 copies of the 37 example lesions: an import of a few seconds


def _copies(example_dir: Path, folder: Path) -> tuple[dict[str, Path], int, int]:
    lesions = list(csv.DictReader((example_dir / "lesions.csv").open(encoding="utf-8")))
    sizes = list(csv.DictReader((example_dir / "measurements.csv").open(encoding="utf-8")))
    out = {"lesions": folder / "lesions.csv", "measurements": folder / "measurements.csv"}
    with out["lesions"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lesions[0]))
        writer.writeheader()
        for k in range(COPIES):
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
        for k in range(COPIES):
            for row in sizes:
                writer.writerow({**row, "lesion_id": f"{row['lesion_id']}-{k}"})
    return out, COPIES * len(lesions), COPIES * len(sizes)


def test_sigkill_during_an_import_leaves_all_or_nothing(example_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    db = Database.open(url)
    upgrade(db)
    with db.transaction() as session:
        add_user(session, "ed", role=Role.EDITOR, password="editor password", by="test")
    db.close()
    files, n_lesions, n_sizes = _copies(example_dir, tmp_path)
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
    outcome: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in 60 s")
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/token", data={"username": "ed", "password": "editor password"}
        ).json()["access_token"]

        def upload() -> None:
            try:
                answer = httpx.post(
                    f"{base}/api/v1/imports",
                    files={k: (p.name, p.read_bytes(), "text/csv") for k, p in files.items()},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=120,
                )
                outcome["status"] = answer.status_code
            except httpx.HTTPError as exc:
                outcome["error"] = type(exc).__name__

        thread = threading.Thread(target=upload)
        thread.start()
        time.sleep(1.5)
        os.kill(server.pid, signal.SIGKILL)
        thread.join(timeout=30)
    finally:
        server.kill()
        server.wait(timeout=30)
    db = Database.open(url)
    with db.sessions() as session:
        lesions = session.scalar(select(func.count()).select_from(LesionRow))
        sizes = session.scalar(select(func.count()).select_from(MeasurementRow))
        statuses = session.scalar(select(func.count()).select_from(LesionStatus))
        imports = session.scalar(select(func.count()).select_from(ImportRow))
    db.close()
    if outcome.get("status") == 201:
        assert (lesions, sizes, statuses, imports) == (n_lesions, n_sizes, n_lesions, 1)
    else:
        assert "error" in outcome, outcome
        assert (lesions, sizes, statuses, imports) == (0, 0, 0, 0), outcome
