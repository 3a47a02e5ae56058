import json
import threading
import urllib.request

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier

from explain import ExplanationTypeError, ExplanationValueError, TabularExplainer
from explain.dashboard import ExplanationDashboard
from tests.explain.dashboard._support import ALL_DATA, call, decode

pytest.importorskip("dash")

N = 90


@pytest.fixture(scope="module")
def setup():
    """(model, explanation, X, y): LightGBM on two numeric columns, labels "no"/"yes"."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.normal(40, 10, N), "kids": rng.integers(0, 5, N)})
    y = np.where(X["age"] + 2 * X["kids"] + rng.normal(0, 4, N) > 44, "yes", "no")
    model = LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1, min_child_samples=5).fit(X, y)
    return model, TabularExplainer(model, X.iloc[:50]).explain_global(X), X, y


@pytest.fixture(scope="module")
def offline(setup):
    """A dashboard built but not served; callbacks are driven through Flask's test client."""
    model, explanation, X, y = setup
    dashboard = ExplanationDashboard(explanation, model, X, y, start=False)
    yield dashboard
    dashboard.stop()


@pytest.fixture
def served(setup, request):
    model, explanation, X, y = setup
    dashboard = ExplanationDashboard(explanation, model, X, y)
    request.addfinalizer(dashboard.stop)
    return dashboard


def dashboard_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "explain-dashboard"]


def component_ids(node) -> set[str]:
    """Every component id in a Dash layout (as JSON)."""
    found = set()
    if isinstance(node, dict):
        if isinstance(node.get("props"), dict) and isinstance(node["props"].get("id"), str):
            found.add(node["props"]["id"])
        for value in node.values():
            found |= component_ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= component_ids(value)
    return found


# -- construction and serving ---------------------------------------------------------------------


@pytest.mark.parametrize(("change", "error", "message"), [
    (lambda m, e, X, y: {"explanation": "not an explanation"}, ExplanationTypeError,
     "explanation must be an explain.Explanation, got str"),
    (lambda m, e, X, y: {"dataset": X.iloc[:10]}, ExplanationValueError, "but dataset has 10 rows"),
    (lambda m, e, X, y: {"true_y": y[:5]}, ExplanationValueError, r"true_y has shape \(5,\)"),
    (lambda m, e, X, y: {"model": object()}, ExplanationTypeError, "model must have a predict method"),
    (lambda m, e, X, y: {"port": -1}, ExplanationValueError, r"port must be an int in \[0, 65535\], got -1"),
    (lambda m, e, X, y: {"port": 65536}, ExplanationValueError, r"port must be an int in \[0, 65535\]"),
    (lambda m, e, X, y: {"port": "8050"}, ExplanationValueError, r"got '8050'"),
    (lambda m, e, X, y: {"port": 8050.0}, ExplanationValueError, r"port must be an int"),
    (lambda m, e, X, y: {"host": ""}, ExplanationTypeError, "host must be a non-empty string, got ''"),
    (lambda m, e, X, y: {"host": None}, ExplanationTypeError, "host must be a non-empty string, got None"),
])
def test_bad_input_is_refused_before_a_server_starts(setup, change, error, message):
    model, explanation, X, y = setup
    kwargs = {"explanation": explanation, "model": model, "dataset": X, "true_y": y,
              **change(model, explanation, X, y)}
    before = dashboard_threads()
    with pytest.raises(error, match=message):
        ExplanationDashboard(**kwargs)
    assert dashboard_threads() == before


def test_start_false_builds_the_app_without_serving(offline):
    assert offline.url is None and offline._thread is None
    assert offline.app.server is not None
    assert "not serving" in repr(offline)
    response = offline.app.server.test_client().get("/_dash-layout")
    assert response.status_code == 200
    assert {"tabs", "agg-bars", "whatif-table", "cohort-filter"} <= component_ids(response.get_json())


def test_serves_on_a_free_loopback_port_and_stops(served):
    assert served.url == f"http://127.0.0.1:{served.port}/" and 0 < served.port < 65536
    thread = served._thread
    assert thread in dashboard_threads() and thread.daemon and thread.is_alive()
    with urllib.request.urlopen(served.url, timeout=10) as response:
        assert response.status == 200
        assert "Explanation dashboard" in response.read().decode()
    with urllib.request.urlopen(served.url + "_dash-layout", timeout=10) as response:
        ids = component_ids(json.loads(response.read()))
    assert {"tabs", "agg-bars", "whatif-table", "ice-graph", "cohorts"} <= ids
    assert "whatif-unavailable" not in ids
    assert f"serving at {served.url}" in repr(served)
    served.stop()
    assert not thread.is_alive() and thread not in dashboard_threads()
    with pytest.raises(OSError):
        urllib.request.urlopen(served.url, timeout=5)
    served.stop()  # stopping twice is harmless


def test_without_a_model_what_if_is_shown_as_unavailable(setup, request):
    _, explanation, X, y = setup
    dashboard = ExplanationDashboard(explanation, dataset=X, true_y=y)
    request.addfinalizer(dashboard.stop)
    with urllib.request.urlopen(dashboard.url + "_dash-layout", timeout=10) as response:
        layout = json.loads(response.read())
    ids = component_ids(layout)
    assert {"whatif-unavailable", "ice-unavailable", "tabs", "agg-bars"} <= ids
    assert "whatif-table" not in ids and "ice-graph" not in ids
    assert "What-if and ICE need the model" in json.dumps(layout)


def test_start_returns_the_url_and_is_idempotent(setup, request):
    model, explanation, X, y = setup
    dashboard = ExplanationDashboard(explanation, model, X, y, start=False)
    request.addfinalizer(dashboard.stop)
    url = dashboard.start()
    thread, threads = dashboard._thread, dashboard_threads()
    assert url == dashboard.url and thread in threads
    assert dashboard.start() == url
    assert dashboard._thread is thread and dashboard_threads() == threads


def test_repr_html_is_an_iframe_of_the_server(served):
    html = served._repr_html_()
    assert html.startswith("<iframe") and f'src="{served.url}"' in html


def test_repr_html_starts_a_dashboard_built_without_serving(setup, request):
    model, explanation, X, y = setup
    dashboard = ExplanationDashboard(explanation, model, X, y, start=False)
    request.addfinalizer(dashboard.stop)
    html = dashboard._repr_html_()
    assert dashboard.url is not None and f'src="{dashboard.url}"' in html
    with urllib.request.urlopen(dashboard.url, timeout=10) as response:
        assert response.status == 200


def test_repr_html_after_stop_serves_again(served):
    served.stop()
    html = served._repr_html_()
    with urllib.request.urlopen(served.url, timeout=5) as response:
        assert response.status == 200 and served.url in html


def test_runs_add_a_leaderboard_tab(setup, tmp_path):
    from explain import DirectoryRun, Explanation, ExplanationClient

    class Run:
        id, estimator, status, score = "7", "LightGBM", "Completed", 0.9

        def get_explanation_client(self):
            return ExplanationClient.from_run(DirectoryRun(tmp_path))

    Run().get_explanation_client().upload_model_explanation(Explanation(
        method="shap.tree", model_task="classification", features=["age", "kids"],
        global_values=np.array([3.0, 1.0]), is_raw=True))
    model, explanation, X, y = setup
    dashboard = ExplanationDashboard(explanation, model, X, y, runs=[Run()], metric="AUC", start=False)
    ids = component_ids(dashboard.app.server.test_client().get("/_dash-layout").get_json())
    assert {"runs-table", "runs-importance"} <= ids
    status, response = call(dashboard, [("runs-importance", "figure")],
                            [("runs-table", "data", dashboard.leaderboard.records)])
    assert status == 200
    heatmap = response["runs-importance"]["figure"]["data"][0]
    assert heatmap["type"] == "heatmap" and heatmap["y"] == ["7 (LightGBM)"]
    np.testing.assert_allclose(decode(heatmap["z"]), [[0.75, 0.25]])


# -- callbacks through the Flask test client ------------------------------------------------------


def aggregate_bars(dashboard, cohorts: list[dict], chosen: list[str], class_value=-1, top_k=10):
    return call(dashboard, [("agg-bars", "figure"), ("agg-fidelity", "children")], [
        ("agg-cohorts", "value", chosen), ("agg-topk", "value", top_k), ("agg-class", "value", class_value),
        ("space", "value", "engineered"), ("cohorts", "data", cohorts)])


def test_aggregate_bars_of_a_saved_cohort_are_its_mean_absolute_local_values(offline, setup):
    _, explanation, X, _ = setup
    cohorts = [ALL_DATA, {"name": "old", "filter": "age > 45"}]
    status, response = aggregate_bars(offline, cohorts, ["All data", "old"])
    assert status == 200
    bars = response["agg-bars"]["figure"]["data"]
    assert [b["name"] for b in bars] == ["All data", "old"] and all(b["type"] == "bar" for b in bars)
    rows = np.flatnonzero(X["age"].to_numpy() > 45)
    assert 0 < rows.size < N
    local = explanation.local_values
    by_hand = np.mean([np.abs(local[k, rows]).mean(axis=0) for k in range(2)], axis=0)
    features = list(explanation.features)
    shown = {name: float(x) for name, x in zip(bars[1]["y"], decode(bars[1]["x"]), strict=True)}
    assert shown == pytest.approx(dict(zip(features, by_hand, strict=True)))
    everyone = {name: float(x) for name, x in zip(bars[0]["y"], decode(bars[0]["x"]), strict=True)}
    assert everyone == pytest.approx(dict(zip(features, explanation.global_values, strict=True)))
    assert bars[0]["y"][-1] == features[int(np.argmax(explanation.global_values))]  # largest on top
    assert "shap.tree on 90 rows" in response["agg-fidelity"]["children"]
    _, per_class = aggregate_bars(offline, cohorts, ["old"], class_value=1)
    bar = per_class["agg-bars"]["figure"]["data"][0]
    assert dict(zip(bar["y"], decode(bar["x"]).tolist(), strict=True)) == pytest.approx(
        dict(zip(features, np.abs(local[1, rows]).mean(axis=0), strict=True)))


def save_cohort(dashboard, name, text, store):
    return call(dashboard, [("cohorts", "data"), ("cohort-message", "children"), ("cohort-message", "style")],
                [("cohort-add", "n_clicks", 1), ("cohort-delete", "n_clicks", 0)],
                state=[("cohort-name", "value", name), ("cohort-filter", "value", text),
                       ("cohort-delete-pick", "value", None), ("cohorts", "data", store)])


def test_saving_a_cohort_with_an_unknown_column_is_refused_with_a_message(offline):
    status, response = save_cohort(offline, "tall", "height > 180", [ALL_DATA])
    assert status == 200
    assert "cohorts" not in response  # the stored cohorts are left as they were
    message = response["cohort-message"]["children"]
    assert "unknown column 'height'" in message and "'age'" in message


def test_saving_and_deleting_cohorts(offline, setup):
    _, _, X, _ = setup
    status, response = save_cohort(offline, " young ", "age < 35 and kids in [0, 1]", [ALL_DATA])
    assert status == 200
    expected = int(((X["age"] < 35) & X["kids"].isin([0, 1])).sum())
    saved = {"name": "young", "filter": "age < 35 and kids in [0, 1]"}
    assert response["cohorts"]["data"] == [ALL_DATA, saved]
    assert response["cohort-message"]["children"] == f"Saved cohort 'young': {expected} rows."
    store = response["cohorts"]["data"]
    _, unnamed = save_cohort(offline, "All data", "age < 3", store)
    assert "cohorts" not in unnamed and "Give the cohort a name" in unnamed["cohort-message"]["children"]
    _, deleted = call(offline,
                      [("cohorts", "data"), ("cohort-message", "children"), ("cohort-message", "style")],
                      [("cohort-add", "n_clicks", 1), ("cohort-delete", "n_clicks", 1)],
                      state=[("cohort-name", "value", None), ("cohort-filter", "value", None),
                             ("cohort-delete-pick", "value", "young"), ("cohorts", "data", store)],
                      changed=["cohort-delete.n_clicks"])
    assert deleted["cohorts"]["data"] == [ALL_DATA]
    assert deleted["cohort-message"]["children"] == "Deleted cohort 'young'."


def what_if(dashboard, records, row):
    return call(dashboard, [("whatif-result", "children"), ("whatif-bars", "figure")],
                [("whatif-table", "data", records)],
                state=[("row-index", "value", row), ("space", "value", "engineered"),
                       ("ind-class", "value", 1), ("ind-topk", "value", 10)])


def test_what_if_returns_the_changed_prediction_after_an_edit(offline, setup):
    model, _, X, _ = setup
    row = 3
    status, table = call(offline, [("whatif-table", "data"), ("ice-feature", "value")],
                         [("row-index", "value", row), ("space", "value", "engineered")],
                         state=[("ind-class", "value", 1)])
    assert status == 200
    records = table["whatif-table"]["data"]
    assert sorted(r["feature"] for r in records) == ["age", "kids"]
    assert all(r["value"] == r["original"] for r in records)
    assert table["ice-feature"]["value"] == records[0]["feature"]
    _, unchanged = what_if(offline, records, row)
    original = model.predict_proba(X.iloc[[row]])[0]
    assert f"no={original[0]:.3f}, yes={original[1]:.3f}" in unchanged["whatif-result"]["children"]
    assert "no edits" in unchanged["whatif-result"]["children"]
    new_age = 20.0 if X["age"].iloc[row] > 40 else 65.0
    edited = [{**r, "value": f"{new_age:g}"} if r["feature"] == "age" else r for r in records]
    status, response = what_if(offline, edited, row)
    assert status == 200
    changed = model.predict_proba(X.iloc[[row]].assign(age=new_age))[0]
    assert not np.allclose(changed, original)
    text = response["whatif-result"]["children"]
    assert text.startswith(f"What-if prediction: {model.classes_[np.argmax(changed)]} ")
    assert f"no={changed[0]:.3f}, yes={changed[1]:.3f}" in text and f"age → {new_age:g}" in text
    bars = response["whatif-bars"]["figure"]["data"]
    assert [b["name"] for b in bars] == ["original", "what-if"]


def test_what_if_reports_an_unusable_edit(offline):
    records = [{"feature": "age", "original": "40", "value": "forty"},
               {"feature": "kids", "original": "1", "value": "1"}]
    status, response = what_if(offline, records, 0)
    assert status == 200
    assert response["whatif-result"]["children"] == (
        "Cannot use the edit: what-if: column 'age' is numeric; 'forty' is not a number.")


# -- interaction values ---------------------------------------------------------------------------
def test_dependence_plot_is_coloured_by_the_strongest_interacting_feature():
    from lightgbm import LGBMRegressor

    from explain import TreeExplainer

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=["a", "b", "c", "d"])
    y = 2 * X["a"] * X["c"] + X["b"]
    model = LGBMRegressor(n_estimators=100, n_jobs=1, verbose=-1).fit(X, y)
    explanation = TreeExplainer(model).explain_local(X, interactions=True)
    dashboard = ExplanationDashboard(explanation, model, X, y, start=False)
    inputs = [("agg-bars", "clickData", {"points": [{"y": "a"}]}), ("agg-cohorts", "value", ["All data"]),
              ("agg-class", "value", None), ("space", "value", "engineered"), ("cohorts", "data", [ALL_DATA])]
    status, response = call(dashboard, [("agg-dependence", "figure")], inputs)
    assert status == 200
    marker = response["agg-dependence"]["figure"]["data"][0]["marker"]
    assert "c<br>(strongest" in marker["colorbar"]["title"]["text"]
    colours = decode(marker["color"])
    assert colours.min() >= 0.0 and colours.max() <= 1.0
    two = [*inputs[:1], ("agg-cohorts", "value", ["All data", "low a"]), *inputs[2:4],
           ("cohorts", "data", [ALL_DATA, {"name": "low a", "filter": "a < 0"}])]
    status, response = call(dashboard, [("agg-dependence", "figure")], two)
    assert status == 200 and "colorbar" not in response["agg-dependence"]["figure"]["data"][0]["marker"]


def test_older_keyword_spellings_datasetX_trueY_public_ip(setup):
    """ExplanationDashboard(explanation, model, datasetX=x_test), as the widget's own call."""
    model, explanation, X, y = setup
    dashboard = ExplanationDashboard(explanation, model, datasetX=X, trueY=y, public_ip="127.0.0.1",
                                     start=False)
    assert dashboard.data.n_rows == len(X) and dashboard.host == "127.0.0.1"
    with pytest.raises(ExplanationValueError, match="give dataset or datasetX, not both"):
        ExplanationDashboard(explanation, model, dataset=X, datasetX=X, start=False)
    with pytest.raises(ExplanationValueError, match="give true_y or trueY, not both"):
        ExplanationDashboard(explanation, model, dataset=X, true_y=y, trueY=y, start=False)
