"""End to end in headless Chromium: sign in, open the queue, open a target, see its
network, switch language; the pages ask nothing of the network but this machine and fit a
200% zoom."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, case_settings, running_app, sign_in

pytestmark = pytest.mark.e2e

VENDOR = Path(__file__).resolve().parents[2] / "filature" / "web" / "static" / "vendor"


def _world_available() -> bool:
    try:
        from filature.ingest import ingest_file  # noqa: F401
        from filature.synth import generate_world  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's small synthetic world once it can be built, else the tiny builder world."""
    if _world_available():
        return Path(request.getfixturevalue("screened_world").db)
    from tests.unit.test_web import _store

    return _store(tmp_path_factory.mktemp("e2e") / "f.duckdb")


@pytest.fixture(scope="module")
def browser_page(store: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[tuple[object, str, list[str]]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    if not (VENDOR / "htmx.min.js").exists():
        pytest.fail("front-end packages missing: make assets")
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    # Secure cookies, as served by default: Chromium keeps them on http://127.0.0.1.
    settings = case_settings(tmp_path_factory.mktemp("e2e-cases"), secure_cookies=True)
    with running_app(store, settings) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("request", lambda r: requested.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/targets")
        assert "/login" in page.url  # nothing to read before signing in
        sign_in(page, base)
        assert page.url == base + "/targets"  # back to the page asked for
        yield page, base, requested
        browser.close()
        assert not errors, errors


def test_queue_target_network_and_language(browser_page: tuple) -> None:
    page, base, requested = browser_page
    page.goto(base + "/targets")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "File des cibles"
    first = page.locator("table.queue tbody tr").first
    assert first.locator("td").first.inner_text().startswith("1")
    name = first.locator("a").inner_text()

    first.locator("a").click()
    page.wait_for_url("**/targets/*")
    assert page.get_by_role("heading", level=1).inner_text().startswith(name)
    assert page.locator("#why tbody tr").count() >= 1
    # The network is drawn (Cytoscape marks it ready) and its table lists the receivers.
    page.wait_for_selector("#network-graph[data-ready='true']", timeout=10_000)
    assert page.locator("#network-graph canvas").count() > 0
    assert page.locator("#network-table tbody tr").count() >= 1
    assert page.locator("#timeline-box canvas").is_visible()
    # Payout cities: a map drawn from the outlines in static/vendor wherever the gazetteer
    # knows a city, and the table in every case.
    assert page.locator("#cities tbody tr").count() >= 1
    if page.locator("#city-map").count():
        page.wait_for_selector("#city-map[data-ready='true']", timeout=10_000)
        assert page.locator("#city-map svg circle").count() >= 1
    target_path = page.url.removeprefix(base)

    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.url.removeprefix(base) == target_path  # same page, other language
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Why this score").is_visible()
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert all(url.startswith(base) for url in requested), "a page fetched something outside"


def test_filtering_the_queue_swaps_the_table_in_place(browser_page: tuple) -> None:
    page, base, _ = browser_page
    page.goto(base + "/targets")
    page.get_by_label("Statut").select_option("target")
    page.wait_for_url("**status=target**")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() >= 1
    assert rows.count() == page.locator("table.queue tbody tr.target").count()


def test_pages_fit_at_200_percent_zoom(browser_page: tuple) -> None:
    """200% zoom of a 1280-pixel window leaves 640 CSS pixels: no sideways page scroll."""
    page, base, _ = browser_page
    page.set_viewport_size({"width": 640, "height": 400})
    try:
        page.goto(base + "/targets")
        href = page.locator("table.queue tbody a").first.get_attribute("href")
        page.goto(base + str(href))
        receiver = page.locator("#receivers tbody a").first.get_attribute("href")
        for url in ("/", "/targets", str(href), str(receiver), "/search?q=a", "/import",
                    "/cases", "/workload", "/account/password"):
            page.goto(base + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 640, (url, width)
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})
