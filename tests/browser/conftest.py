"""Playwright driving Debian's chromium against pytest-django's live server.

Every browser test is also an accessibility test: `check_a11y(page, what)` (or the `axe`
fixture) runs axe-core on the page as it is now and fails on serious or critical violations,
and the `page` fixture runs it once more on the page a passing test ends on."""

import os
import shutil
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without these, chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# The house rule: serious and critical violations fail a test. Moderate and minor ones are
# printed with the failure report when there is one, but do not fail on their own.
FAILING_IMPACTS = ("serious", "critical")
EVERY_IMPACT = ("minor", "moderate", "serious", "critical")

# The phone and desktop widths every page is looked at (tests/browser/test_pages.py).
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


def _axe_script() -> str:
    # The axe-playwright-python wheel ships axe-core itself; nothing is fetched.
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


def axe_violations(page) -> list[dict]:
    """Every axe-core violation on the page as it is now (all impacts)."""
    # Inject once per document: the script is large, and a second copy would only be parsed again.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_script())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return results["violations"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(" >> ".join(t) if isinstance(t, list) else t for t in node["target"])
            lines.append(f"    {target}")
            if node.get("failureSummary"):
                summary = node["failureSummary"].replace("\n", " ")
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def a11y_problems(page, what: str = "", impacts: tuple[str, ...] = FAILING_IMPACTS) -> str:
    """A report of the violations of these impacts on the page, or "" when there are none."""
    violations = axe_violations(page)
    failing = [v for v in violations if v["impact"] in impacts]
    if not failing:
        return ""
    where = what or page.url
    kinds = "serious/critical" if impacts == FAILING_IMPACTS else "/".join(impacts)
    return f"axe-core found {len(failing)} {kinds} violation(s) on {where} ({page.url}):\n" + format_violations(failing)


def check_a11y(page, what: str = "", impacts: tuple[str, ...] = FAILING_IMPACTS) -> None:
    """Fail the test if the page as it is now has serious or critical axe-core violations
    (or, with `impacts=EVERY_IMPACT`, any violation at all)."""
    problems = a11y_problems(page, what, impacts)
    assert not problems, problems


WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => { const r = e.getBoundingClientRect();
                 return r.width > 1 && (r.right > document.documentElement.clientWidth + 1 || r.left < -1); })
  .filter(e => !e.closest('.table-scroll, .skip-link'))
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
             + (e.className ? '.' + String(e.className).trim().replace(/\\s+/g, '.') : '')
             + ' ' + Math.round(e.getBoundingClientRect().right) + 'px').slice(0, 8)"""


def sideways_overflow(page) -> list[str]:
    """Elements sticking out past the right edge (the page scrolls sideways) or cut off at the left
    (nothing scrolls there), besides those inside a table's own scrolling container and the
    off-screen skip link; empty when the page fits its width."""
    sticking_out = page.evaluate(WIDEST)
    if sticking_out or page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ):
        return sticking_out
    return ["the document is wider than the window"]


PHONE = {"width": 390, "height": 844}


def look_at_both_widths(page, screenshots, name: str) -> None:
    """Screenshots at 390 and 1366 px (also under $PSYPLAN_SHOTS when set), each checked for
    sideways overflow, then back to the phone."""
    extra = os.environ.get("PSYPLAN_SHOTS")
    for label, width in (("390", 390), ("1366", 1366)):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        assert not sideways_overflow(page), sideways_overflow(page)
        for directory in [screenshots, *([Path(extra)] if extra else [])]:
            directory.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(directory / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(PHONE)


CRAMPED = """() => [...document.querySelectorAll('.card')]
  .filter(card => card.offsetParent !== null)
  .filter(card => {
    // The first child that takes up room (a form's hidden CSRF field does not).
    const child = [...card.children].find(c => c.getBoundingClientRect().width > 0);
    if (!child) return false;
    const box = card.getBoundingClientRect(), first = child.getBoundingClientRect();
    return first.left - box.left < 8 || box.right - first.right < 8;
  })
  .map(card => card.tagName.toLowerCase() + (card.id ? '#' + card.id : '') + '.' + [...card.classList].join('.'))
  .slice(0, 8)"""


def cramped_cards(page) -> list[str]:
    """Cards whose content touches their border (a more specific rule took their padding away)."""
    return page.evaluate(CRAMPED)


def screenshot_dir(tmp_path_factory) -> Path:
    """Where screenshots go: $PSYPLAN_SCREENSHOTS (kept as a CI artifact), else a pytest temp dir."""
    configured = os.environ.get("PSYPLAN_SCREENSHOTS")
    directory = Path(configured) if configured else tmp_path_factory.mktemp("screenshots", numbered=True)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "tests/browser/" in str(item.fspath)]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if not (os.path.exists(CHROMIUM) and shutil.which("chromium")):
        skip = pytest.mark.skip(reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
        for item in browser_items:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # The `page` fixture checks the final page only of a test whose body passed.
    report = yield
    if report.when == "call":
        item.body_passed = report.passed
    return report


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def axe():
    """`axe(page, "what the page is")` fails on serious or critical axe-core violations."""
    return check_a11y


SCREENSHOTS_USED = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def screenshots(request, tmp_path_factory) -> Path:
    directory = screenshot_dir(tmp_path_factory)
    request.config.stash[SCREENSHOTS_USED] = directory
    return directory


def pytest_terminal_summary(terminalreporter, config):
    # Say where the pictures are: a person is meant to look at them.
    if SCREENSHOTS_USED in config.stash:
        terminalreporter.write_line(f"browser screenshots: {config.stash[SCREENSHOTS_USED]}")


def _let_the_last_requests_finish(django_db_blocker, *, timeout: float = 5.0) -> None:
    """A page sends its last saves as it goes (static/js/editor.js: an open add form, keepalive, on
    pagehide), so closing it may start a request after the test. The live server answers it on its
    own connection; the flush that ends a transactional test would deadlock against it (TRUNCATE
    locking table after table while the request holds one). Wait until no other session of the test
    database is busy."""
    from django.db import connection

    time.sleep(0.3)
    if connection.vendor != "postgresql":
        return
    busy = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state <> 'idle'"
    )
    deadline = time.monotonic() + timeout
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(busy)
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture
def page(request, browser, live_server, django_db_blocker):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    # Generous: CI shares two cores, and the first chart imports matplotlib.
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    try:
        # Whatever a test ends on is a page someone sees: it must pass axe too.
        if getattr(request.node, "body_passed", False) and page.url.startswith(live_server.url):
            page.wait_for_load_state()
            check_a11y(page, f"the page {request.node.name} ended on")
    finally:
        context.close()
        _let_the_last_requests_finish(django_db_blocker)


@pytest.fixture
def sign_in():
    from tests.factories import PASSWORD

    def _sign_in(page, user, password: str = PASSWORD):
        from accounts.auth import has_two_factor, two_factor_required
        from tests.two_factor import backup_code

        # Admins (and staff of practices that require it) confirm with a second factor.
        code = backup_code(user) if two_factor_required(user) or has_two_factor(user) else None
        page.goto("/accounts/login/")
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        if code is not None:
            page.wait_for_url("**/accounts/two-factor/verify/**")
            page.get_by_label("Code").fill(code)
            page.get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/")

    return _sign_in
