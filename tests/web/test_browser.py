"""The application in a real browser: Playwright driving the system's Chromium, headless.

Chromium comes from the system's packages (``apt-get install chromium``); Playwright
downloads no browser. Without ``/usr/bin/chromium`` these tests skip, except under CI
(``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORDS

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = "Chromium is missing: apt-get install chromium (the browser tests use it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not runner.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start in 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    runner.should_exit = True
    thread.join(timeout=10)


def _login(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/worklist")
    page.fill("#username", name)
    page.fill("#password", PASSWORDS[name])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/worklist")


def test_editor_imports_sees_counts_plot_and_changes_a_status(
    chromium: Any, server: str, example_dir: Path
) -> None:
    page = chromium.new_page()
    _login(page, server, "editor")
    page.click("text=Import")
    for name in ("lesions", "measurements", "events"):
        page.set_input_files(f"#file-{name}", str(example_dir / f"{name}.csv"))
    page.click("button:has-text('Import')")
    assert "Imported:" in page.inner_text("#import-result")
    page.goto(f"{server}/worklist")
    counts = {
        item.get_attribute("data-response"): int(item.inner_text().split()[-1])
        for item in page.query_selector_all("#counts li")
    }
    assert counts == {"PR": 11, "SD": 12, "PD": 9, "OPP": 5}

    page.click("#counts li[data-response='OPP'] a")
    page.click("table.worklist tbody tr:first-child td:nth-child(2) a")
    assert page.inner_text("#status") == "OPP"
    page.wait_for_function(
        "() => { const img = document.querySelector('#plot'); "
        "return img.complete && img.naturalWidth > 0; }",
        timeout=20000,
    )

    page.goto(f"{server}/worklist?response=SD")
    page.click("table.worklist tbody tr:first-child td:nth-child(2) a")
    assert page.inner_text("#status") == "SD"
    rows = [
        [c.inner_text() for c in row.query_selector_all("td")[:3]]
        for row in page.query_selector_all("table.measurements tbody tr")
    ]
    day, sequence, size = [r for r in rows if r[1] == "T1"][-1]
    later = date.fromisoformat(day).replace(year=date.fromisoformat(day).year + 1)
    page.click("text=Add measurements")
    page.fill("#add-measurements-date", later.isoformat())
    page.select_option("#add-measurements-sequence", sequence)
    page.fill("#add-measurements-size_mm", str(float(size) + 20))
    page.click("#add-measurements button[type=submit]")
    page.wait_for_selector("#status")
    assert page.inner_text("#status") != "SD"
    assert "create measurement" in page.inner_text("table.history")


def test_a_viewer_cannot_edit(chromium: Any, server: str, app: Any, example_dir: Path) -> None:
    from pseudoprog.store.imports import ImportFiles, import_tables

    files = ImportFiles(
        lesions=example_dir / "lesions.csv", measurements=example_dir / "measurements.csv"
    )
    with app.state.database.transaction() as session:
        import_tables(session, files, user="setup")
    page = chromium.new_page()
    _login(page, server, "viewer")
    assert page.query_selector("text=Import") is None
    page.click("table.worklist tbody tr:first-child td:nth-child(2) a")
    assert page.query_selector("form.row-form") is None
    assert page.query_selector("text=Delete") is None
    lesion_url = page.url
    answer = page.request.post(f"{lesion_url}/measurements", form={"date": "2020-01-01"})
    assert answer.status == 403
    page.goto(f"{server}/import")
    assert "403" in page.inner_text("h1")
