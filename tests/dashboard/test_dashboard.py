"""The dashboard's data (cursor updates, paged table, decimated history) and its Flask pages."""

from __future__ import annotations

import pytest

import tunelab
from tunelab.dashboard import create_app, is_loopback
from tunelab.dashboard import data as D
from tunelab.storage import InMemoryStorage
from tunelab.trial import TrialState

EVIL = "<script>alert(1)</script>"


def _objective(trial):
    x = trial.suggest_float("x", -2, 2)
    trial.suggest_categorical(EVIL, ["a", "b"])
    for step in range(3):
        trial.report(x * x + step, step)
    if x > 1.8:
        raise ValueError("diverged <b>")
    return x * x


@pytest.fixture
def storage():
    store = InMemoryStorage()
    study = tunelab.create_study(name="s " + EVIL, storage=store, direction="minimize", sampler="random", seed=0)
    study.optimize(_objective, n_trials=30, catch=(ValueError,))
    return store


def _ref(store):
    return D.open_study(store, store.list_studies()[0].study_id)


def test_updates_carry_only_new_or_changed_trials(storage):
    ref = _ref(storage)
    first = D.updates(ref, None)
    assert first["trials"] == [] and first["n_trials"] == 30  # the page starts from the history
    assert D.updates(ref, first["cursor"])["trials"] == []  # nothing happened: nothing travels
    study = tunelab.load_study(ref.study_name, storage, sampler="random")
    running = study.ask()
    running.suggest_float("x", -2, 2)
    u = D.updates(ref, first["cursor"])
    assert [r[0] for r in u["trials"]] == [30] and u["trials"][0][1] == "running"
    assert D.updates(ref, u["cursor"])["trials"] == []
    running.report(0.5, 0)  # a change to a running trial travels again
    u2 = D.updates(ref, u["cursor"])
    assert [r[0] for r in u2["trials"]] == [30] and u2["trials"][0][4] == 0
    study.tell(running, 0.25)
    u3 = D.updates(ref, u2["cursor"])
    assert u3["trials"] == [[30, "complete", [0.25], u3["trials"][0][3], 0]]
    assert u3["counts"]["complete"] == sum(t.state == TrialState.COMPLETE for t in study.trials)
    assert D.updates(ref, u3["cursor"])["trials"] == []


def test_a_trial_left_running_does_not_make_every_refresh_resend_the_rest(storage):
    ref = _ref(storage)
    study = tunelab.load_study(ref.study_name, storage, sampler="random")
    stuck = study.ask()  # stays RUNNING, below every later trial
    cursor = D.updates(ref, None)["cursor"]
    study.optimize(_objective, n_trials=3, catch=(ValueError,))
    u = D.updates(ref, cursor)
    assert [r[0] for r in u["trials"]] == [31, 32, 33]
    assert D.updates(ref, u["cursor"])["trials"] == []
    study.tell(stuck, 9.0)
    u2 = D.updates(ref, u["cursor"])
    assert [(r[0], r[1]) for r in u2["trials"]] == [(30, "complete")]
    assert D.decode_cursor(u2["cursor"]) == (34, {})


def test_a_cursor_not_issued_here_is_refused(storage):
    with pytest.raises(ValueError, match="cursor"):
        D.updates(_ref(storage), "not-a-cursor")


def test_table_is_paged_sorted_and_filtered_on_the_server(storage):
    ref = _ref(storage)
    trials = ref.trials
    page = D.table_page(ref, trials, page=0, size=5, sort="value")
    values = [r["values"][0] for r in page["rows"]]
    complete = sorted(t.values[0] for t in trials if t.state == TrialState.COMPLETE)
    assert values == complete[:5]
    assert page["pages"] == 6 and page["total"] == 30
    desc = D.table_page(ref, trials, sort="value", desc=True, size=500)
    assert [r["values"][0] for r in desc["rows"] if r["state"] == "complete"] == complete[::-1]
    assert desc["rows"][-1]["state"] == "fail"  # no value: last either way
    failed = D.table_page(ref, trials, state="fail")
    assert failed["total"] == sum(t.state == TrialState.FAIL for t in trials) > 0
    by_param = D.table_page(ref, trials, sort="param:x", size=500)
    xs = [float(r["params"][by_param["columns"]["params"].index("x")]) for r in by_param["rows"]]
    assert xs == sorted(xs)
    with pytest.raises(ValueError, match="size"):
        D.table_page(ref, trials, size=100_000)
    with pytest.raises(ValueError, match="sort"):
        D.table_page(ref, trials, sort="nope")
    with pytest.raises(ValueError, match="state"):
        D.table_page(ref, trials, state="exploded")


def test_history_keeps_every_improvement_when_decimated():
    store = InMemoryStorage()
    study = tunelab.create_study(name="big", storage=store, direction="maximize", sampler="random", seed=1)
    for i in range(6000):
        t = study.ask()
        study.tell(t, float(i % 997) + i * 1e-4)
    ref = _ref(store)
    h = D.history(ref, ref.trials, max_points=1000)
    assert h["decimated"] and len(h["points"]) <= 1400
    best, improvements = -1.0, []
    for t in ref.trials:
        if t.values[0] > best:
            best = t.values[0]
            improvements.append(t.number)
    kept = {p[0] for p in h["points"]}
    assert set(improvements) <= kept
    assert max(kept) == 5999


def test_mask_url_hides_passwords():
    assert "Secret" not in D.mask_url("postgresql+psycopg://user:Secret@db:5432/x")
    assert D.mask_url("postgresql+psycopg://user:Secret@db:5432/x").startswith("postgresql+psycopg://user:***@db")
    assert "Secret" not in D.mask_url("redis://:Secret@localhost:6379/0")
    assert D.mask_url("sqlite:///a.db") == "sqlite:///a.db"


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def test_pages_escape_every_user_string(storage):
    client = create_app(storage).test_client()
    index = client.get("/")
    assert index.status_code == 200
    assert EVIL.encode() not in index.data and b"s &lt;script&gt;alert(1)&lt;/script&gt;" in index.data
    sid = storage.list_studies()[0].study_id
    page = client.get(f"/study/{sid}")
    assert page.status_code == 200 and EVIL.encode() not in page.data
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    failed = next(t for t in storage.get_all_trials(sid) if t.state == TrialState.FAIL)
    trial = client.get(f"/study/{sid}/trial/{failed.number}")
    assert trial.status_code == 200 and EVIL.encode() not in trial.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in trial.data
    assert b"diverged &lt;b&gt;" in trial.data  # the failure reason, as text
    assert client.get(f"/study/{sid}/trial/999").status_code == 404
    assert client.get("/study/12345").status_code == 404


def test_json_endpoints(storage):
    client = create_app(storage).test_client()
    sid = storage.list_studies()[0].study_id
    init = client.get(f"/api/study/{sid}/init").get_json()
    assert init["n_trials"] == 30 and init["trials"] == [] and init["history"]["points"]
    assert client.get(f"/api/study/{sid}/updates?cursor={init['cursor']}").get_json()["trials"] == []
    bad = client.get(f"/api/study/{sid}/updates?cursor=xyz")
    assert bad.status_code == 400 and "cursor" in bad.get_json()["error"]
    rows = client.get(f"/api/study/{sid}/trials?size=7&page=1").get_json()
    assert len(rows["rows"]) == 7 and rows["rows"][0]["number"] == 7
    assert client.get(f"/api/study/{sid}/trials?size=0").status_code == 400
    assert client.get(f"/api/study/{sid}/figure/not_a_figure").status_code == 400
    studies = client.get("/api/studies").get_json()
    assert studies[0]["counts"]["fail"] + studies[0]["counts"]["complete"] == 30
    assert client.get("/vendor/plotly.min.js").status_code == 200


def test_the_app_only_reads():
    app = create_app(InMemoryStorage())
    for rule in app.url_map.iter_rules():
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


@pytest.mark.postgres
def test_password_in_the_storage_url_never_appears(postgres_url):
    import uuid

    import sqlalchemy as sa

    db = f"tunelab_dash_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {db}"))
    try:
        base = postgres_url.rsplit("/", 1)[0] + "/" + db
        # the server trusts local users, so the URL may carry a password that is never checked
        with_password = base.replace("postgres@", "postgres:Sup3rSecret@")
        assert "Sup3rSecret" in with_password
        tunelab.create_study(name="pg", storage=with_password, direction="minimize").optimize(
            lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        app = create_app(with_password)
        client = app.test_client()
        sid = client.get("/api/studies").get_json()[0]["study_id"]
        for path in ("/", "/api/studies", f"/study/{sid}", f"/study/{sid}/trial/0"):
            body = client.get(path).data
            assert b"Sup3rSecret" not in body, path
        assert b"postgres:***@" in client.get("/").data
        from tunelab.storage import get_storage

        get_storage(with_password).close()
    finally:
        import gc

        gc.collect()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        admin.dispose()


def test_cli_binds_to_loopback_unless_told_and_masks_the_url(monkeypatch):
    from click.testing import CliRunner

    import tunelab.dashboard as dashboard
    from tunelab.cli import main

    calls = []
    monkeypatch.setattr(dashboard, "run_dashboard", lambda storage, **kw: calls.append((storage, kw)))
    result = CliRunner().invoke(main, ["dashboard", "--storage", "sqlite:///x.db"])
    assert result.exit_code == 0, result.output
    assert calls[-1][1]["host"] == "127.0.0.1" and calls[-1][1]["port"] == 8080
    assert "warning" not in result.output
    url = "postgresql://me:hunter2@db/x"
    result = CliRunner().invoke(main, ["dashboard", "--storage", url, "--host", "0.0.0.0"])
    assert result.exit_code == 0
    assert "other machines can read" in result.output and "hunter2" not in result.output
    assert calls[-1][0] == url  # the real URL goes to the server; only the printed one is masked


# ------------------------------------------------------------------ first paint drawn on the server
def _warm_client(store, **kw):
    app = create_app(store, **kw)
    sid = store.list_studies()[0].study_id
    return app, app.test_client(), sid


def test_study_page_is_complete_before_any_script_runs(storage):
    import re

    app, client, sid = _warm_client(storage)
    cold = client.get(f"/study/{sid}").get_data(as_text=True)
    assert 'id="keep-going" data-pending="1"' in cold  # nothing computed yet: the script fetches the verdict
    verdict = client.get(f"/api/study/{sid}/keep_going").get_json()["verdict"]
    assert verdict.startswith("Keep going") or verdict.startswith("Probably done") or verdict.startswith("Too early")
    html = client.get(f"/study/{sid}").get_data(as_text=True)
    trials = storage.get_all_trials(sid)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    best = min(complete, key=lambda t: t.values[0])
    # the summary: best with the metric name, counts by state, compute saved, the verdict (now cached)
    assert f"value = {best.values[0]:.6g} (trial #{best.number})" in html
    assert f'<span class="badge state-complete">{len(complete)} complete</span>' in html
    n_fail = sum(t.state == TrialState.FAIL for t in trials)
    assert f'<span class="badge state-fail">{n_fail} fail</span>' in html
    assert 'id="n-trials">30<' in html and "no trial was pruned" in html
    from html import escape

    assert f'<span id="keep-going" data-as-of="30">{escape(verdict)}</span>' in html
    # the first table page, newest first, the hostile parameter name as text
    rows = re.findall(r'<a href="/study/\d+/trial/(\d+)">', html)
    assert [int(n) for n in rows] == list(range(29, -1, -1))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</th>" in html and EVIL not in html
    # the figures shown at once are images the server draws
    srcs = re.findall(r'<img class="static-figure"[^>]*src="([^"]+)"', html)
    assert len(srcs) == 2 and "/history.svg" in srcs[0] and "/figure/param_importances.svg" in srcs[1]
    for src in srcs:
        r = client.get(src.replace("&amp;", "&"))
        assert r.status_code == 200 and r.mimetype == "image/svg+xml"
        assert r.get_data(as_text=True).startswith("<svg") and "<script" not in r.get_data(as_text=True)
        again = client.get(src.replace("&amp;", "&"), headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304  # a second visit to an unchanged study downloads nothing
    assert "<circle" in client.get(srcs[0].replace("&amp;", "&")).get_data(as_text=True)
    # scripts are deferred, plotly.js is not on the page: study.js loads it after the first render
    assert re.search(r'<script src="/static/study.js\?v=[0-9a-f]{10}" defer>', html)
    assert "plotly" not in "".join(re.findall(r"<script[^>]*>", html))


def test_a_new_trial_changes_the_history_image_and_its_etag(storage):
    app, client, sid = _warm_client(storage)
    first = client.get(f"/study/{sid}/history.svg?log=0")
    study = tunelab.load_study(storage.get_study_name(sid), storage, sampler="random")
    study.enqueue_trial({"x": 0.0, EVIL: "a"})
    study.optimize(_objective, n_trials=1)
    second = client.get(f"/study/{sid}/history.svg?log=0", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    assert client.get(f"/study/{sid}/history.svg?log=maybe").status_code == 400


def test_plotly_js_is_gzipped_and_cached_for_a_year():
    import gzip

    import plotly

    client = create_app(InMemoryStorage()).test_client()
    url = f"/vendor/plotly-{plotly.__version__}.min.js"
    plain = client.get(url)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    cc = plain.headers["Cache-Control"]
    assert "max-age=31536000" in cc and "immutable" in cc and "public" in cc
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data) / 2
    assert client.get(url, headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
    assert client.get("/vendor/plotly-0.0.1.min.js").status_code == 404


def test_a_verdict_computed_before_the_latest_trials_says_how_old_it_is(storage, monkeypatch):
    """While the server recomputes the verdict in its own time, the page and the API say it is older."""
    from tunelab.dashboard import cache

    monkeypatch.setattr(cache, "MIN_REFRESH", 3600.0)  # no recomputation during the test
    app, client, sid = _warm_client(storage)
    first = client.get(f"/api/study/{sid}/keep_going").get_json()
    finished = sum(t.state.is_finished() for t in storage.get_all_trials(sid))
    assert first["stale"] is False and first["as_of"] == first["finished"] == finished
    html = client.get(f"/study/{sid}").get_data(as_text=True)
    assert '<span id="keep-going-age" class="note"></span>' in html
    study = tunelab.load_study(study_name=storage.get_study_name(sid), storage=storage, sampler="random")
    study.optimize(_objective, n_trials=3, catch=(ValueError,))
    later = client.get(f"/api/study/{sid}/keep_going").get_json()
    assert later["verdict"] == first["verdict"]
    assert later["stale"] is True and later["as_of"] == finished and later["finished"] == finished + 3
    html = client.get(f"/study/{sid}").get_data(as_text=True)
    assert f"(as of {finished} finished trials, {finished + 3} now; updating)" in html


def test_scripts_have_versioned_urls_cached_for_a_year(storage):
    import re

    app, client, sid = _warm_client(storage)
    html = client.get(f"/study/{sid}").get_data(as_text=True)
    src = re.search(r'src="(/static/common.js\?v=[0-9a-f]+)"', html).group(1)
    r = client.get(src)
    assert r.status_code == 200 and "max-age=31536000" in r.headers["Cache-Control"]
    assert "immutable" in r.headers["Cache-Control"]


def test_preload_computes_what_the_first_render_needs(storage):
    from tunelab.dashboard import preload

    app, client, sid = _warm_client(storage)
    preload(app).join(timeout=120)
    state = app.config["TUNELAB_STATE"]
    assert state.slow.peek((sid, "keep_going")) is not None
    assert state.slow.peek((sid, "figure", "param_importances")) is not None
    html = client.get(f"/study/{sid}").get_data(as_text=True)
    assert 'data-pending="1"' not in html


# ------------------------------------------------------------------ the log axis of the history
def test_log_axis_rule():
    from tunelab.report import log_axis_suits

    assert log_axis_suits([1e-4, 1e-2, 0.5, 3.0])  # four decades
    assert not log_axis_suits([10.0, 11.0, 12.5, 9.0, 10.2])  # a tight range: linear
    squashed = [900.0, 700.0] + [8 + (i % 5) for i in range(60)]  # the first trials dominate
    assert log_axis_suits(squashed)
    assert not log_axis_suits([0.0, 1e-5, 3.0, 10.0])  # a zero cannot go on a log axis
    assert not log_axis_suits([-5.0, -1e-3, -2.0])
    assert not log_axis_suits([1.0, 1e6])  # too few values to judge
    assert not log_axis_suits(list(range(10, 110, 10)))  # spread out: a linear axis shows them
    assert log_axis_suits([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1e2])  # one outlier: the rest in 8 % of a linear axis


def test_history_data_and_svg_follow_the_rule():
    store = InMemoryStorage()
    study = tunelab.create_study(name="outliers", storage=store, direction="minimize", sampler="random", seed=0)
    for i in range(60):
        t = study.ask()
        study.tell(t, 5000.0 / (i + 1) ** 2 + 0.01)  # the first trials dominate
    ref = _ref(store)
    h = D.history(ref, ref.trials)
    assert h["log"] is True
    app, client, sid = _warm_client(store)
    html = client.get(f"/study/{sid}").get_data(as_text=True)
    assert 'id="history-log" checked' in html and "log=1" in html
    log_svg = client.get(f"/study/{sid}/history.svg?log=1").get_data(as_text=True)
    lin_svg = client.get(f"/study/{sid}/history.svg?log=0").get_data(as_text=True)
    assert ">1e3<" in log_svg or ">1000<" in log_svg  # decade ticks
    assert log_svg != lin_svg
    fig = D.history_figure(h)
    assert fig["layout"]["yaxis"]["type"] == "log" and D.history_figure(h, log=False)["layout"]["yaxis"]["type"] == "linear"


def test_slow_values_are_computed_once_and_refreshed_in_the_background():
    import threading
    import time

    from tunelab.dashboard.cache import Slow

    calls = []

    def compute(seconds=0.3):
        calls.append(1)
        time.sleep(seconds)
        return len(calls)

    slow = Slow(min_interval=0.0)
    results = []
    threads = [threading.Thread(target=lambda: results.append(slow.get("k", 1, compute))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [(1, 1)] * 4 and len(calls) == 1  # concurrent first requests share one computation
    assert slow.get("k", 2, compute) == (1, 1)  # stale and slow to compute: served at once ...
    deadline = time.time() + 5
    while slow.peek("k") != (2, 2) and time.time() < deadline:
        time.sleep(0.01)
    assert slow.peek("k") == (2, 2)  # ... and recomputed in the background
    lazy = Slow(min_interval=3600)
    lazy.get("k", 1, compute)
    assert lazy.get("k", 2, compute) == (1, 3) and len(calls) == 3  # no refresh before min_interval

    def cheap():
        return compute(0.01)

    adaptive = Slow()  # by default: 10x the computation's time, at least 1 s; cheap ones in the request
    assert adaptive.get("k", 1, cheap) == (1, 4)
    assert adaptive.get("k", 2, cheap) == (1, 4)  # not due yet: the old value
    time.sleep(1.1)
    assert adaptive.get("k", 2, cheap) == (2, 5)  # due, and cheap: recomputed before answering


def test_numbers_on_the_server_read_as_the_script_writes_them():
    assert [D.js_number(v) for v in (0.1, 1e-5, 1.5e-7, 123456789.123, 2.0, 7, None, 1.23456789)] == \
        ["0.1", "0.00001", "1.5e-7", "123457000", "2", "7", "", "1.23457"]
    assert D.js_number(0.456, 2) == "0.46" and D.js_seconds(30) == "30.0 s" and D.js_seconds(600) == "10.0 min"
