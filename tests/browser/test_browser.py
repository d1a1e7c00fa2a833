"""The report and the dashboard in a real browser: Debian's headless Chromium driven by Playwright.

Nothing downloads a browser: Playwright launches /usr/bin/chromium (``apt-get install chromium``, see
.ci/run).  The tests save report.png and dashboard.png in a temporary folder; with
``TUNELAB_SCREENSHOTS=docs/img`` they write the README's screenshots instead.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

import tunelab

EVIL = "<script>alert(1)</script>"
_SHOTS = os.environ.get("TUNELAB_SCREENSHOTS")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _screenshot_path(tmp_path: Path, name: str) -> Path:
    """Where a screenshot goes: the test's temporary folder, or $TUNELAB_SCREENSHOTS (docs/img for the README)."""
    folder = Path(_SHOTS) if _SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = "playwright (pip install playwright)" if sync_playwright is None else (
        None if os.path.exists(CHROMIUM) else "chromium (apt-get install chromium)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test needs {missing}; .ci/run installs it")
        pytest.skip(f"needs {missing}")
    return sync_playwright


def objective_step(trial, step_sleep: float = 0.0):
    x = trial.suggest_float("x", -3, 3)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    kind = trial.suggest_categorical(EVIL, ["a", "b"])
    value = (x - 1) ** 2 + (0.3 if kind == "a" else 0.0) + 0.1 * abs(lr - 0.01)
    for step in range(8):
        trial.report(value + 1.0 / (step + 1), step)
        if step_sleep:
            time.sleep(step_sleep)
        if trial.should_prune():
            raise tunelab.TrialPruned()
    if x > 2.7:
        raise ValueError("diverged: loss is nan <b>really</b>")
    return value


@pytest.fixture
def page_factory():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        pages = []

        def make():
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

            def dialog(d):  # an alert would mean a name ran as a script
                problems.append(f"dialog: {d.message}")
                d.dismiss()
            page.on("dialog", dialog)
            page.problems = problems
            pages.append(page)
            return page

        yield make
        browser.close()


def test_report_opens_from_a_file_url_without_errors(tmp_path, page_factory):
    from tunelab.report import write_report

    storage = f"sqlite:///{tmp_path / 'r.db'}"
    study = tunelab.create_study(name="mlp <i>demo</i>", storage=storage, direction="minimize", sampler="tpe",
                                 pruner="median", seed=3)
    study.optimize(objective_step, n_trials=55, catch=(ValueError,))
    other = tunelab.create_study(name="mlp-random", storage=storage, direction="minimize", sampler="random", seed=4)
    other.optimize(objective_step, n_trials=15, catch=(ValueError,))
    path = write_report([study], tmp_path / "report.html")
    page = page_factory()
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)  # 4.8 MB of inline plotly.js: slow on a busy machine
    assert "mlp <i>demo</i>" in page.inner_text("h1")  # the study name is text, not markup
    headers = page.locator("table.trial-table th").all_inner_texts()
    assert any(EVIL in h for h in headers), headers
    assert page.locator("table.trial-table tbody tr").count() == 50  # paged
    # sort by the value column: the first row is then the best trial
    page.locator("table.trial-table th", has_text="value").first.click()
    first = page.locator("table.trial-table tbody tr").first.locator("td").first.inner_text()
    assert int(first) == study.best_trial.number
    assert page.locator(".static svg").count() >= 1  # the static copies are in the page (hidden with scripts on)
    page.evaluate("window.scrollTo(0, 0)")
    shot = _screenshot_path(tmp_path, "report.png")
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert page.problems == []

    compare = write_report([study, other], tmp_path / "compare.html")
    page2 = page_factory()
    page2.goto(compare.as_uri())
    page2.wait_for_selector(".js-plotly-plot", timeout=60_000)
    assert page2.locator("table.summary th", has_text="mlp-random").count() == 1
    assert page2.locator(".trials").count() == 2
    assert page2.problems == []


def test_report_without_scripts_shows_svg_and_table(tmp_path, page_factory):
    from tunelab.report import write_report

    study = tunelab.create_study(name="plain", direction="minimize", sampler="random", seed=1)
    study.optimize(objective_step, n_trials=20, catch=(ValueError,))
    path = write_report([study], tmp_path / "report.html")
    page = page_factory()
    # with scripts on, the interactive figures replace the SVGs; turn scripts off in a new context
    browser = page.context.browser
    ctx = browser.new_context(java_script_enabled=False)
    p2 = ctx.new_page()
    p2.goto(path.as_uri())
    assert p2.locator(".static svg").first.is_visible()
    assert p2.locator("table.trial-table tbody tr").count() == 20
    assert any(EVIL in h for h in p2.locator("table.trial-table th").all_inner_texts())
    ctx.close()


class _Writer(threading.Thread):
    """Adds a trial every ~0.2 s to a SQLite study until stopped: the study the dashboard watches."""

    def __init__(self, storage: str, name: str):
        super().__init__(daemon=True)
        self.study = tunelab.create_study(name=name, storage=storage, direction="minimize", sampler="tpe",
                                          pruner="median", seed=7, load_if_exists=True)
        self.stop_event = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                self.study.optimize(lambda t: objective_step(t, step_sleep=0.02), n_trials=1, catch=(ValueError,))
        except BaseException as exc:  # reported by the test
            self.error = exc


@pytest.fixture(scope="module")
def live_dashboard(tmp_path_factory):
    from werkzeug.serving import make_server

    from tunelab.dashboard import create_app

    storage = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    writer = _Writer(storage, "live " + EVIL)
    writer.study.optimize(objective_step, n_trials=15, catch=(ValueError,))  # some history before the page opens
    tunelab.create_study(name="finished-baseline", storage=storage, direction="minimize", sampler="random",
                         seed=2).optimize(objective_step, n_trials=5, catch=(ValueError,))
    writer.start()
    from tunelab.dashboard import preload

    app = create_app(storage, refresh_seconds=0.5)
    preload(app).join(timeout=120)  # as `tunelab dashboard` does at start
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", writer
    writer.stop_event.set()
    server.shutdown()
    writer.join(timeout=10)
    assert writer.error is None, writer.error


def _count(page) -> int:
    return int(page.inner_text("#n-trials").replace(",", ""))


def _first_paint_checks(page) -> None:
    """What the study page shows at its first full render: summary, table page, every figure image."""
    assert page.inner_text("#best").startswith("value = ")  # the best value with its metric name
    assert "complete" in page.inner_text("#counts")
    verdict = page.inner_text("#keep-going")
    assert verdict.split(":")[0] in ("Keep going", "Probably done", "Too early to tell"), verdict
    saved = page.inner_text("#saved")
    assert " steps " in saved or saved == "no trial was pruned", saved
    assert page.locator("#trials tbody tr").count() >= 15
    images = page.locator("img.static-figure")
    assert images.count() == 2  # history and importances
    assert page.evaluate("Array.from(document.querySelectorAll('img.static-figure')).every(i => i.naturalWidth > 0)")


def test_dashboard_follows_a_running_study(live_dashboard, page_factory, tmp_path):
    url, writer = live_dashboard
    page = page_factory()
    page.goto(url + "/")
    names = page.locator("#studies tbody td a").all_inner_texts()
    assert "live " + EVIL in names  # shown as text
    page.locator("#studies a", has_text="live").click()
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
    # the first full render: drawn by the server, complete before plotly.js was even requested
    _first_paint_checks(page)
    assert page.evaluate("performance.getEntriesByName('tunelab:first-full-render').length") == 1
    assert page.get_attribute("body", "data-plotly-at-first-render") == "0"
    first = _count(page)
    assert first >= 15
    # then plotly.js arrives and the interactive figures replace the images
    page.wait_for_selector("body[data-interactive='1']", state="attached", timeout=60_000)
    assert page.locator("#history-region.swapped .js-plotly-plot").count() == 1
    assert page.locator("#fig-param_importances.swapped .js-plotly-plot").count() == 1
    assert not page.locator("#history-static").is_visible()
    deadline = time.time() + 20
    while _count(page) <= first + 1 and time.time() < deadline:
        page.wait_for_timeout(250)
    assert _count(page) > first + 1, "the trial count did not grow while the study ran"
    assert EVIL in page.inner_text("#study-name")
    # a verdict computed before the latest trials finished says how old it is (read in one go: one update sets both)
    asof, finished, age = page.evaluate(
        "[Number(document.getElementById('keep-going').getAttribute('data-as-of')),"
        " Array.from(document.querySelectorAll('#counts .badge')).filter(b => !/running|waiting/.test(b.className))"
        "  .reduce((n, b) => n + parseInt(b.textContent.replace(/,/g, '')), 0),"
        " document.getElementById('keep-going-age').textContent]")
    assert asof <= finished
    assert age == ("" if asof == finished else f"(as of {asof:,} finished trials, {finished:,} now; updating)"), age
    headers = page.locator("#trials th").all_inner_texts()
    assert any(EVIL in h for h in headers), headers
    n_points = page.evaluate("document.getElementById('history').data[0].x.length")
    assert n_points >= 1
    # the log switch of the history, and the script's rule is the server's
    before = page.evaluate("document.getElementById('history').layout.yaxis.type")
    page.locator("#history-log").click()
    after = page.evaluate("document.getElementById('history').layout.yaxis.type")
    assert {before, after} == {"log", "linear"}
    page.locator("#history-log").click()
    from tunelab.report import log_axis_suits

    samples = [[1e-4, 1e-2, 0.5, 3.0], [10.0, 11.0, 12.5, 9.0, 10.2], [900.0, 700.0] + [8 + (i % 5) for i in range(60)],
               [0.0, 1e-5, 3.0, 10.0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1e2], [2.0, 2.1, 2.2, 2.3, 60.0]]
    assert page.evaluate("s => s.map(v => TL.logSuits(v))", samples) == [log_axis_suits(v) for v in samples]
    page.locator("details[data-figure='intermediate_values'] summary").click()
    page.wait_for_selector("details[data-figure='intermediate_values'] .js-plotly-plot", timeout=60_000)
    page.evaluate("document.querySelector(\"details[data-figure='intermediate_values']\").open = false")
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    shot = _screenshot_path(tmp_path, "dashboard.png")
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000

    # open a complete trial from the table (a running one may not have all its parameters yet): its
    # parameters, with the hostile name as text, and its learning curve
    page.locator("#trials tbody tr", has=page.locator("td.state-complete")).first.locator("a").click()
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    assert page.locator("h1").inner_text().startswith("Trial #")
    params = page.locator("#params td").all_inner_texts()
    assert EVIL in params
    assert page.locator("#curve .js-plotly-plot, #curve.js-plotly-plot").count() == 1
    assert page.problems == []


def test_dashboard_study_page_without_scripts(live_dashboard, page_factory, tmp_path):
    """The first paint needs no script: summary, table page and figures come drawn from the server."""
    url, writer = live_dashboard
    page = page_factory()
    ctx = page.context.browser.new_context(java_script_enabled=False)
    p2 = ctx.new_page()
    p2.goto(url + "/")
    p2.locator("#studies a", has_text="live").click()
    p2.wait_for_load_state("load")
    _first_paint_checks(p2)
    assert EVIL in p2.inner_text("#study-name")
    assert any(EVIL in h for h in p2.locator("#trials th").all_inner_texts())
    assert p2.locator("#history-static").is_visible()
    shot = _screenshot_path(tmp_path, "dashboard-first-paint.png")
    p2.set_viewport_size({"width": 1280, "height": 1500})
    p2.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    ctx.close()


def test_dashboard_trial_page_shows_the_failure_reason(live_dashboard, page_factory):
    url, writer = live_dashboard
    study = writer.study
    failed = tunelab.create_study(name="fails", storage=study.storage, direction="minimize", sampler="random")
    failed.optimize(lambda t: 1 / 0 if t.suggest_float(EVIL, 0, 1) >= 0 else 0, n_trials=1, catch=(ZeroDivisionError,))
    page = page_factory()
    page.goto(url + "/")
    page.locator("#studies a", has_text="fails").click()
    page.wait_for_selector("body[data-ready='1']")
    page.locator("#trials tbody tr td a").first.click()
    page.wait_for_selector("body[data-ready='1']")
    assert "ZeroDivisionError" in page.inner_text("#fail-reason") or "division" in page.inner_text("#fail-reason")
    assert page.problems == []
