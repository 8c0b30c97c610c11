"""Real Chromium (Debian's) through Playwright, axe-core for WCAG 2.1 A/AA, and the Nu
Html Checker for markup. Both checkers come from npm (package.json) at setup time."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import chromium_path, java_available, require

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    require(path is not None, "needs Chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        locale="de-DE", timezone_id="Europe/Berlin", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def page_en(browser, live_server):
    context = browser.new_context(
        locale="en-GB",
        timezone_id="Europe/Berlin",
        base_url=live_server.url,
        extra_http_headers={"Accept-Language": "en"},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page; returns the WCAG 2.1 A/AA violations."""
    require(AXE.exists(), "needs axe-core from npm (make setup)")
    # A click that navigates returns once the new page is committed, before it has
    # loaded; axe must check the page that is there, not one being replaced.
    page.wait_for_load_state("load")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)


def html_errors(paths: list[Path]) -> list[dict]:
    """Validate saved HTML files in one JVM start (each start costs about 2.5 s)."""
    require(VNU.exists(), "needs vnu-jar from npm (make setup)")
    require(java_available(), "needs Java for the Nu Html Checker")
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU),
            "--format",
            "json",
            "--exit-zero-always",
            "--stdout",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    messages = json.loads(result.stdout)["messages"]
    return [m for m in messages if m.get("type") == "error"]


@pytest.fixture
def html_pages(tmp_path):
    """Collect page sources during a test, then validate them together at the end."""
    collected: list[Path] = []

    def save(page, name: str) -> None:
        """A Playwright page (its current DOM) or the HTML text the server sent."""
        path = tmp_path / f"{len(collected):02d}-{name}.html"
        path.write_text(page if isinstance(page, str) else page.content(), encoding="utf-8")
        collected.append(path)

    yield save
    if collected:
        errors = html_errors(collected)
        assert errors == [], json.dumps(errors, indent=2, ensure_ascii=False)
