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
