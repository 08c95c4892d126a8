"""Headless Chromium for the browser tests (tests/test_browser.py), through Playwright's sync API.

The browser is Debian's /usr/bin/chromium (``playwright install`` cannot download one here).
Without it, or without the playwright package, the tests skip with the reason; under CI=true
tests/conftest.py turns those skips into a failed run.

Every page opened through ``browser_pages`` records console errors and uncaught exceptions; the
test fails at teardown if any was not expected (``browser_pages.allow(...)``). Screenshots go to
``$ARTIFACTS_DIR/screenshots/<test>/`` (default ``var/test-artifacts/``, git-ignored), and a
``failure.png`` is added for a test that failed. ``Held`` stands for a slow network: it holds a
page's requests to a pattern (a script, an upload, a save) until the test lets them go.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS_DIR = Path(os.environ.get("ARTIFACTS_DIR") or Path(__file__).resolve().parents[2] / "var" / "test-artifacts")
SCREENSHOTS = ARTIFACTS_DIR / "screenshots"
# axe-core, installed by `make test` (npm, into var/node/) or named by AXE_CORE_JS. The CSP refuses
# injected script tags, so it is run with page.evaluate.
AXE = Path(
    os.environ.get("AXE_CORE_JS")
    or Path(__file__).resolve().parents[2] / "var" / "node" / "node_modules" / "axe-core" / "axe.min.js"
)
AXE_RUN = (
    "axe.run({resultTypes: ['violations']}).then(r => r.violations"
    ".filter(v => ['critical', 'serious', 'moderate'].includes(v.impact))"
    ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"
)
# Waits are event-driven (expect(...) polls until this); nothing here sleeps.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def chromium(request):
    """One headless Chromium for the module; each test gets its own contexts (cookies, storage)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed: pip install -r requirements-dev.txt")

    # Playwright's sync API keeps an asyncio loop on this thread, and Django then refuses ORM calls
    # from it (SynchronousOnlyOperation). The test code is plain synchronous code: allow them,
    # for as long as the browser lives only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
        plugins = request.config.pluginmanager
        reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
        if reporter and capture and SCREENSHOTS.exists():
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\nbrowser screenshots: {SCREENSHOTS}")


class BrowserPages:
    """Opens contexts and pages for one test, and watches their consoles."""

    def __init__(self, browser, base_url, folder):
        self.browser = browser
        self.base_url = base_url
        self.folder = folder
        self.contexts = []
        self.problems = []  # (page url, text)
        self.allowed = []
        self.shots = 0

    def context(self, **options):
        options.setdefault("base_url", self.base_url)
        options.setdefault("locale", "en-GB")
        options.setdefault("timezone_id", "UTC")
        options.setdefault("viewport", {"width": 1000, "height": 800})
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context

    def page(self, context=None, **options):
        page = (context or self.context(**options)).new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append((page.url, f"uncaught: {error}")))
        return page

    def _console(self, page, message):
        if message.type == "error":
            self.problems.append((page.url, message.text))

    def allow(self, pattern):
        """Expect console errors matching ``pattern`` (e.g. the failed requests of a cut network)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self):
        return [(url, text) for url, text in self.problems if not any(p.search(text) for p in self.allowed)]

    def screenshot(self, page, name):
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = self.folder / f"{self.shots:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self, failed):
        if failed:
            for context in self.contexts:
                for index, page in enumerate(context.pages):
                    try:
                        self.screenshot(page, f"failure-{index}")
                    except Exception:  # the page may be gone; the failure itself is reported
                        pass
        for context in self.contexts:
            context.close()


def axe_violations(page):
    """The page's critical, serious and moderate axe-core violations, as "rule: targets"."""
    if not AXE.exists():
        pytest.skip(f"axe-core is not at {AXE}: `make test` installs it with npm (or set AXE_CORE_JS)")
    page.evaluate(AXE.read_text())
    return page.evaluate(AXE_RUN)


class Held:
    """Requests to ``pattern`` wait until ``release()``; later ones go straight through."""

    def __init__(self, page, pattern):
        self.routes, self.open = [], False
        page.route(pattern, self._route)

    def _route(self, route):
        if self.open:
            route.fallback()
        else:
            self.routes.append(route)

    def release(self):
        self.open = True
        for route in self.routes:
            route.fallback()


@pytest.fixture
def browser_settings(settings):
    """What every browser test runs with: a short autosave delay, and cookies over plain HTTP
    (the live server's; production settings mark both cookies Secure)."""
    settings.AUTOSAVE_DELAY_MS = 200
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def browser_pages(chromium, live_server, request, browser_settings):
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    pages = BrowserPages(chromium, live_server.url, folder)
    failed_before = request.session.testsfailed
    yield pages
    pages.close(failed=request.session.testsfailed > failed_before)
    problems = pages.unexpected()
    assert not problems, "console errors or uncaught exceptions:\n" + "\n".join(
        f"  {url}: {text}" for url, text in problems
    )
