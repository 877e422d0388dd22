"""Browser helpers for the end-to-end tests: the app on a loopback port with a case
database of its own and one signed-in user, Debian's Chromium.

Also a script that takes the screenshots of ``docs/screenshots/`` from a screened store:

    .venv/bin/python -m tests.e2e.browser --db demo/filature.duckdb --out docs/screenshots
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


E2E_USER = "analyst-e2e"


def case_settings(folder: Path, **changes: Any) -> Any:
    """Settings with a new case database in ``folder`` holding one analyst, ``E2E_USER``
    (password ``tests.cases_support.WEB_PASSWORD``): never the developer's database."""
    from filature.cases.db import CaseDatabase
    from tests.cases_support import add_web_user, web_settings

    url = f"sqlite:///{folder / 'cases.sqlite'}"
    database = CaseDatabase.open(url)
    add_web_user(database, E2E_USER, "analyst")
    database.dispose()
    return web_settings(folder, url, **changes)


def sign_in(page: Any, base: str, username: str = E2E_USER) -> None:
    """Sign in through the login form, as an analyst does every morning (on the form the
    app sent the browser to, if it did: it then leads back to the page asked for)."""
    from tests.cases_support import WEB_PASSWORD

    if "/login" not in page.url:
        page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", WEB_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@contextmanager
def running_app(db: Path, settings: Any) -> Iterator[str]:
    """Serve the web app for ``db`` in a thread; yields its base URL, stops it afterwards."""
    from filature.web import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db, settings), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    httpx.get(base + "/login", timeout=30)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sample_upload(path: Path) -> Path:
    """A small transfer file with one row that breaks a rule, to show an import's outcome."""
    from tests.ingest_files import canonical_row, write_csv

    rows = [canonical_row(900_000 + i) for i in range(12)]
    rows.append(canonical_row(900_100, amount="douze"))
    return write_csv(path, rows)


def take_screenshots(db: Path, out: Path, width: int = 1280, height: int = 800) -> list[Path]:
    """One PNG per page of the app, in French, with the first target and his likeliest
    receiver; the import page loads a small sample file into ``db`` (use a copy)."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    cases = Path(tempfile.mkdtemp())
    with running_app(db, case_settings(cases)) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height}, locale="fr-FR")
        sign_in(page, base)
        page.goto(base + "/targets")
        target = page.locator("table.queue tbody a").first.get_attribute("href")
        search = page.locator("table.queue tbody a").first.inner_text().split()[-1]  # surname
        page.goto(base + str(target))
        receiver = page.locator("#receivers tbody a").first.get_attribute("href")
        pages = {"overview": "/", "queue": "/targets", "target": str(target),
                 "facilitator": str(receiver), "search": f"/search?q={search}"}
        for name, url in pages.items():
            page.goto(base + url)
            page.wait_for_load_state("networkidle")
            path = out / f"{name}.png"
            page.screenshot(path=str(path), full_page=name not in ("target", "facilitator"))
            shots.append(path)
        page.goto(base + "/import")
        page.screenshot(path=str(out / "import.png"), full_page=True)
        shots.append(out / "import.png")
        scratch = Path(tempfile.mkdtemp())
        page.set_input_files("#file", str(sample_upload(scratch / "upload-sample.csv")))
        page.get_by_role("button", name="Charger").click()
        page.wait_for_selector(".report")
        page.screenshot(path=str(out / "import-result.png"), full_page=True)
        shots.append(out / "import-result.png")
        shutil.rmtree(scratch)
        page.set_viewport_size({"width": 640, "height": 400})  # 1280x800 at 200% zoom
        page.goto(base + "/targets")
        page.screenshot(path=str(out / "queue-zoom-200.png"))
        shots.append(out / "queue-zoom-200.png")
        page.set_viewport_size({"width": width, "height": height})
        page.goto(base + str(target))
        for section in ("transfers", "network"):
            page.locator(f"#{section}").scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            path = out / f"target-{section}.png"
            page.screenshot(path=str(path))
            shots.append(path)
        browser.close()
    shutil.rmtree(cases)
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description="Screenshots of every page of the web app.")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    for path in take_screenshots(args.db, args.out):
        print(path)


if __name__ == "__main__":
    main()
