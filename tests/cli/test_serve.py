"""``pseudoprog db upgrade``, ``db import`` and ``users add``."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from pseudoprog.store import Database, current_revision, head_revision
from pseudoprog.store.models import LesionRow, UserRow
from pseudoprog.store.users import authenticate


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("pseudoprog")
    return subprocess.run(
        [str(exe), *args], input=stdin, capture_output=True, text=True, check=False
    )


def test_db_upgrade_users_add_and_import(tmp_path: Path, example_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    done = _run("db", "upgrade", "--database", url)
    assert done.returncode == 0, done.stderr
    db = Database.open(url)
    assert current_revision(db) == head_revision()
    added = _run(
        "users",
        "add",
        "reader",
        "--role",
        "viewer",
        "--password-stdin",
        "--database",
        url,
        stdin="reader password\n",
    )
    assert added.returncode == 0, added.stderr
    with db.transaction() as session:
        user = authenticate(session, "reader", "reader password")
        assert user is not None
        assert user.role == "viewer"
    again = _run(
        "users",
        "add",
        "reader",
        "--role",
        "viewer",
        "--password-stdin",
        "--database",
        url,
        stdin="reader password\n",
    )
    assert again.returncode == 2
    assert "already exists" in again.stderr
    bad_role = _run("users", "add", "x", "--role", "root", "--password-stdin", "--database", url)
    assert bad_role.returncode == 2
    assert "viewer, editor or admin" in bad_role.stderr
    imported = _run(
        "db",
        "import",
        "--database",
        url,
        "--lesions",
        str(example_dir / "lesions.csv"),
        "--measurements",
        str(example_dir / "measurements.csv"),
    )
    assert imported.returncode == 0, imported.stderr
    rows = (example_dir / "lesions.csv").read_text(encoding="utf-8").strip().splitlines()
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LesionRow)) == len(rows) - 1
        assert session.scalar(select(func.count()).select_from(UserRow)) == 1
    db.close()


def test_a_database_url_that_cannot_be_used_names_the_forms(tmp_path: Path) -> None:
    done = _run("db", "upgrade", "--database", "mysql://x@y/z")
    assert done.returncode == 2
    assert "postgresql+psycopg://" in done.stderr


def test_serve_with_two_processes_shares_one_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    added = _run(
        *("users", "add", "ann", "--role", "viewer", "--password-stdin", "--database", url),
        stdin="ann password 1\n",
    )
    assert added.returncode == 0, added.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exe = Path(sys.executable).with_name("pseudoprog")
    server = subprocess.Popen(
        [str(exe), "serve", "--database", url, "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start in 60 s"
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/token", data={"username": "ann", "password": "ann password 1"}
        )
        assert token.status_code == 200
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        # a token issued by one process is honoured by the other (they share the database)
        answers = [httpx.get(f"{base}/api/v1/lesions", headers=headers) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 6
        assert answers[0].json()["total"] == 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_the_listening_socket_gives_connections_without_nagles_delay() -> None:
    """asyncio switches Nagle's algorithm off only on connections accepted from a socket made
    with its protocol named; without it a kept-alive response in two writes waits ~40 ms."""
    import asyncio

    from pseudoprog.cli.serve import listening_socket

    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer = writer.get_extra_info("socket")
            seen.append(peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        async with server:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(200):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert sock.proto == socket.IPPROTO_TCP
    assert len(seen) == 1
    assert seen[0] != 0


def test_serve_on_a_port_in_use_says_so() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run("serve", "--database", "sqlite://", "--port", str(port))
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "give another --port" in done.stderr
    assert "Traceback" not in done.stderr
