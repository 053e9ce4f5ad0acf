"""A real Orthanc PACS with its DICOMweb plugin, for the tests of ``pacs`` and the web push.

The fixture :func:`orthanc` writes a temporary configuration (a free loopback HTTP port, the
DICOM port off, temporary storage and index folders, the DICOMweb plugin at ``/dicom-web/``,
HTTP basic authentication with one account), starts ``Orthanc config.json``, waits until
``/system`` answers, and stops it afterwards. Without Orthanc the tests skip, naming the
Debian packages to install; under ``CI=true`` they fail instead, since CI installs them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ORTHANC = Path("/usr/sbin/Orthanc")
PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
USER = "pacs-test"
PASSWORD = "orthanc test password"
_START_S = 30.0


@dataclass(frozen=True)
class Orthanc:
    """A running Orthanc: its DICOMweb root and the account that may use it."""

    url: str
    http: str
    user: str
    password: str

    def env(self) -> dict[str, str]:
        """The environment that gives ``pseudoprog pacs`` the password."""
        return {"PSEUDOPROG_PACS_PASSWORD": self.password}

    def instances(self) -> list[str]:
        """The Orthanc ids of every stored instance (Orthanc's REST API)."""
        answer = httpx.get(f"{self.http}/instances", auth=(self.user, self.password))
        answer.raise_for_status()
        found: list[str] = answer.json()
        return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _missing() -> str | None:
    if not ORTHANC.is_file() and shutil.which("Orthanc") is None:
        return f"Orthanc not found ({ORTHANC})"
    if not PLUGIN.is_file():
        return f"the Orthanc DICOMweb plugin not found ({PLUGIN})"
    return None


def start_orthanc(folder: Path) -> Iterator[Orthanc]:
    """Run Orthanc with its storage in ``folder`` until the generator is closed."""
    missing = _missing()
    if missing is not None:
        message = (
            f"{missing}: install the Debian packages: apt-get install orthanc orthanc-dicomweb"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    executable = str(ORTHANC) if ORTHANC.is_file() else str(shutil.which("Orthanc"))
    storage = folder / "storage"
    storage.mkdir(parents=True)
    port = _free_port()
    config = {
        "Name": "pseudoprog-tests",
        "HttpPort": port,
        "RemoteAccessAllowed": False,
        "DicomServerEnabled": False,
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "Plugins": [str(PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
        "StableAge": 1,
    }
    path = folder / "config.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    log = (folder / "orthanc.log").open("wb")
    process = subprocess.Popen([executable, str(path)], stdout=log, stderr=subprocess.STDOUT)
    http = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + _START_S
        while True:
            if process.poll() is not None:
                log.flush()
                pytest.fail(
                    f"Orthanc exited with {process.returncode} on start: "
                    f"{(folder / 'orthanc.log').read_text(errors='replace')[-2000:]}"
                )
            try:
                if httpx.get(f"{http}/system", auth=(USER, PASSWORD), timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Orthanc did not answer on {http}/system within {_START_S:g} s")
            time.sleep(0.1)
        yield Orthanc(f"{http}/dicom-web", http, USER, PASSWORD)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    """A running Orthanc with DICOMweb for the tests of one module."""
    yield from start_orthanc(tmp_path_factory.mktemp("orthanc"))
