"""End-to-end tests of ``ExplanationDashboard`` in a real browser (Debian's Chromium via Playwright).

The dashboard is served on a background thread over a real pipeline (one-hot encoding +
LightGBM) whose label depends on ``age`` and ``region`` only; the tests click through it as a
user would and check what the browser draws. Every test writes a full-page screenshot to
``$DASHBOARD_SCREENSHOTS`` (default: ``build/screenshots/`` under the repository root).

Without Chromium, Playwright or Dash the module is skipped, except under CI (``CI`` set), where
``.ci/run`` installs Chromium: there a missing piece is an error. No browser is downloaded:
Playwright drives the system's Chromium.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # checked below: skipped, or an error under CI
    Page = Any  # type: ignore[misc,assignment]
    sync_playwright = None

CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[3]
TIMEOUT_MS = 20_000
COHORT = "young south"
COHORT_FILTER = 'age < 40 and region == "south"'


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing() -> str | None:
    if CHROMIUM is None:
        return "no Chromium at /usr/bin/chromium or on PATH (apt-get install chromium)"
    if sync_playwright is None:
        return "the playwright package is not installed (pip install playwright; no browser download needed)"
    if importlib.util.find_spec("dash") is None:
        return "Dash is not installed (pip install 'automl-explain[dashboard]')"
    return None


_REASON = _missing()
if _REASON is not None:
    if _ci():
        pytest.fail(f"browser tests: {_REASON}; under CI they are required (.ci/run installs Debian's "
                    "chromium and the dev extras)", pytrace=False)
    pytest.skip(f"browser tests: {_REASON}", allow_module_level=True)


# -- data, model and dashboards ------------------------------------------------------------------
def _rows(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    """Mixed-type rows; the label depends on ``age`` and ``region`` only (income, tenure: noise)."""
    X = pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "income": rng.normal(50_000, 15_000, n).round(0),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "tenure": rng.uniform(0, 20, n).round(1),
    })
    logit = 0.12 * (X["age"] - 45) + 2.5 * (X["region"] == "south") - 1.5 * (X["region"] == "north")
    y = pd.Series((logit + rng.logistic(size=n) > 0).astype(int), name="label")
    return X, y


@pytest.fixture(scope="module")
def model_setup() -> dict[str, Any]:
    """A fitted pipeline, its raw explanation (with the engineered one inside) and the explained rows."""
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    import explain

    rng = np.random.default_rng(0)
    X_train, y_train = _rows(300, rng)
    X_eval, y_eval = _rows(400, rng)
    pipeline = Pipeline([
        ("pre", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                                   ("num", StandardScaler(), ["age", "income", "tenure"])])),
        ("model", LGBMClassifier(n_estimators=30, n_jobs=1, verbose=-1, random_state=0)),
    ]).fit(X_train, y_train)
    explanation = explain.TabularExplainer(pipeline, X_train.iloc[:100]).explain_global(X_eval)
    assert explanation.is_raw and explanation.engineered_explanation is not None
    return {"pipeline": pipeline, "explanation": explanation, "X": X_eval, "y": y_eval}


@pytest.fixture(scope="module")
def dashboard(model_setup: dict[str, Any]) -> Iterator[Any]:
    """The full dashboard: model, dataset and labels (what-if and ICE available)."""
    from explain.dashboard import ExplanationDashboard

    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)  # no line per request in the test log
    served = ExplanationDashboard(model_setup["explanation"], model_setup["pipeline"],
                                  dataset=model_setup["X"], true_y=model_setup["y"])
    yield served
    served.stop()
    werkzeug.setLevel(level)


@pytest.fixture(scope="module")
def dashboard_without_model(model_setup: dict[str, Any]) -> Iterator[Any]:
    """A stored explanation and its rows only: what-if and ICE are unavailable."""
    from explain.dashboard import ExplanationDashboard

    served = ExplanationDashboard(model_setup["explanation"], dataset=model_setup["X"],
                                  true_y=model_setup["y"])
    yield served
    served.stop()


# -- browser ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Problems:
    """Console errors, uncaught page errors and failed HTTP responses seen by one page."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("console", lambda m: self.seen.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.seen.append(f"page error: {e}"))
        page.on("response", lambda r: self.seen.append(f"HTTP {r.status}: {r.request.method} {r.url}")
                if r.status >= 400 else None)


@pytest.fixture(scope="module")
def browser_context(browser: Any) -> Iterator[Any]:
    """One context for the module, so pages share the HTTP cache (Plotly's 4 MB script). The
    dashboard keeps its state (cohorts, selected row) in the page's memory, not in storage, so
    a new page starts afresh."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page with its ``problems`` recorded; a test that fails leaves a screenshot."""
    opened = browser_context.new_page()
    opened.problems = Problems(opened)  # type: ignore[attr-defined]
    failed_before = request.session.testsfailed
    yield opened
    if request.session.testsfailed > failed_before:  # the call's report is logged before teardown
        screenshot(opened, f"FAILED_{request.node.name}")
    opened.close()


def screenshot(page: Page, name: str) -> Path:
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or REPO / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"dashboard_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_clean(page: Page) -> None:
    """No console error, page error or HTTP error, and no Dash error overlay."""
    assert page.problems.seen == []  # type: ignore[attr-defined]
    assert page.locator(".dash-fe-error, .dash-fe-error__title, .dash-debug-alert").count() == 0


# -- page helpers -----------------------------------------------------------------------------------
_GD = "(id) => document.querySelector('#' + id + ' .js-plotly-plot')"
# The traces as drawn: Plotly keeps numeric arrays sent as base64 (``{dtype, bdata}``) in
# ``gd.data`` and decodes them into ``gd._fullData`` (typed arrays), in trace order.
_TRACES = "(gd) => gd.data.map((t, i) => gd._fullData.find(f => f.index === i) || t)"


def open_dashboard(page: Page, url: str) -> None:
    page.goto(url)
    wait_idle(page)
    wait_graph(page, "agg-bars", "gd.data.length > 0 && gd.data[0].type === 'bar' && gd.data[0].y.length > 0")


def wait_idle(page: Page) -> None:
    """Until Dash has no callback in flight (it marks the outputs of running callbacks)."""
    page.wait_for_function("() => document.querySelector('#_dash-app-content, #react-entry-point') "
                           "&& !document.querySelector('[data-dash-is-loading=\"true\"]')")


def wait_graph(page: Page, graph_id: str, condition: str = "gd.data.length > 0", arg: Any = None) -> None:
    """Until the Plotly graph inside ``#graph_id`` is drawn and ``condition`` (JS over ``gd``) holds."""
    page.wait_for_selector(f"#{graph_id} .main-svg")
    page.wait_for_function(f"([arg]) => {{ const gd = ({_GD})('{graph_id}'); "
                           f"return !!(gd && gd.data && gd._fullLayout && ({condition})); }}", arg=[arg])


def wait_title(page: Page, graph_id: str, prefix: str) -> None:
    """Until the title of the graph inside ``#graph_id`` starts with ``prefix``."""
    wait_graph(page, graph_id, "gd.layout.title && String(gd.layout.title.text).startsWith(arg)", prefix)


def graph(page: Page, graph_id: str) -> dict[str, Any]:
    """The drawn figure: traces (name, type, x, y, customdata) and the title."""
    return page.evaluate(f"""(id) => {{
        const gd = ({_GD})(id);
        const plain = (v) => v == null ? null : Array.from(v);
        return {{title: (gd.layout.title && (gd.layout.title.text ?? gd.layout.title)) || '',
                 traces: ({_TRACES})(gd).map(t => ({{name: t.name ?? null, type: t.type, x: plain(t.x),
                                                     y: plain(t.y), customdata: plain(t.customdata)}}))}};
    }}""", graph_id)


def open_tab(page: Page, label: str) -> None:
    page.locator("#tabs .tab", has_text=label).click()
    page.wait_for_selector(f"#tabs .tab--selected:has-text('{label}')")


def pick_option(page: Page, dropdown_id: str, label: str) -> None:
    """Choose ``label`` in a Dash 4 ``dcc.Dropdown``: its options live in a popover (Radix) that
    opens on a click of the trigger, outside the dropdown's element, and closes with Escape."""
    page.locator(f"#{dropdown_id}").click()
    options = page.locator(".dash-dropdown-content .dash-dropdown-option")
    options.filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).click()
    if page.locator(".dash-dropdown-content").count():
        page.keyboard.press("Escape")
    page.wait_for_selector(".dash-dropdown-content", state="detached")
    page.wait_for_selector(f"#{dropdown_id}-value:has-text('{label}')")


def probabilities(text: str) -> dict[str, float]:
    """``{class: probability}`` from a text like ``What-if prediction: 0 (0=0.872, 1=0.128) · ...``."""
    found = re.search(r"\(([^()]*=[0-9.]+[^()]*)\)", text)
    assert found, text
    return {k.strip(): float(v) for k, v in (pair.split("=") for pair in found.group(1).split(","))}


# -- tests ----------------------------------------------------------------------------------------------
def test_page_loads_and_draws_aggregate_importance(page: Page, dashboard: Any) -> None:
    open_dashboard(page, dashboard.url)
    assert page.title() == "Explanation dashboard"
    assert page.locator("#tabs .tab--selected").inner_text() == "Aggregate importance"
    page.wait_for_selector("#agg-bars .bars .point path")
    bars = graph(page, "agg-bars")["traces"]
    assert [t["name"] for t in bars] == ["All data"]
    assert set(bars[0]["y"]) == {"age", "income", "region", "tenure"}
    assert set(bars[0]["y"][-2:]) == {"age", "region"}  # the label's features on top (last = top row)
    assert page.locator("#agg-bars .bars .point path").count() == 4
    wait_graph(page, "agg-dependence")
    wait_graph(page, "agg-summary")
    assert "fidelity" in page.inner_text("#agg-fidelity")
    screenshot(page, "01_load_aggregate")
    assert_clean(page)


def test_each_tab_draws_its_main_graph(page: Page, dashboard: Any) -> None:
    open_dashboard(page, dashboard.url)

    open_tab(page, "Model performance")
    wait_graph(page, "perf-hist", "gd.data.length > 0 && gd.data[0].type === 'bar'")
    page.wait_for_selector("#perf-metrics th:has-text('accuracy')")
    headers = page.locator("#perf-metrics th").all_inner_texts()
    cells = page.locator("#perf-metrics td").all_inner_texts()
    row = dict(zip([h.strip() for h in headers], [c.strip() for c in cells], strict=True))
    assert row["cohort"] == "All data" and row["rows"] == "400"
    assert 0.6 < float(row["accuracy"]) <= 1.0  # a learnable label
    screenshot(page, "02a_tab_performance")

    open_tab(page, "Dataset explorer")
    wait_graph(page, "explorer-graph", "gd.data.length > 0 && gd.data[0].type === 'scattergl'")
    assert "probability against age" in graph(page, "explorer-graph")["title"]
    screenshot(page, "02b_tab_explorer")

    open_tab(page, "Individual importance & what-if")
    wait_graph(page, "ind-bars", "gd.data.length > 0 && gd.data[0].type === 'bar'")
    assert graph(page, "ind-bars")["title"].startswith("Row 0:")
    assert page.inner_text("#row-info").startswith("row 0 · true: ")
    screenshot(page, "02c_tab_individual")

    open_tab(page, "Aggregate importance")
    wait_graph(page, "agg-bars")
    assert page.locator("#tabs .tab").count() == 4  # no runs given: no AutoML runs tab
    assert_clean(page)


def test_cohort_is_saved_and_compared_in_aggregate_importance(page: Page, dashboard: Any,
                                                             model_setup: dict[str, Any]) -> None:
    X = model_setup["X"]
    expected_rows = int(((X["age"] < 40) & (X["region"] == "south")).sum())
    assert expected_rows > 0
    open_dashboard(page, dashboard.url)

    page.fill("#cohort-name", "bad")
    page.fill("#cohort-filter", "nosuch > 1")
    page.click("#cohort-add")
    page.wait_for_selector("#cohort-message:has-text('nosuch')")
    assert "unknown column 'nosuch'" in page.inner_text("#cohort-message")

    page.fill("#cohort-name", COHORT)
    page.fill("#cohort-filter", COHORT_FILTER)
    page.click("#cohort-add")
    page.wait_for_selector("#cohort-message:has-text('Saved cohort')")
    assert page.inner_text("#cohort-message") == f"Saved cohort '{COHORT}': {expected_rows} rows."
    page.wait_for_selector(f"#cohort-list:has-text('{COHORT}: {COHORT_FILTER} — {expected_rows} rows')")
    assert "bad:" not in page.inner_text("#cohort-list")

    pick_option(page, "agg-cohorts", COHORT)
    wait_graph(page, "agg-bars", "gd.data.length === 2")
    wait_idle(page)
    bars = graph(page, "agg-bars")["traces"]
    assert [t["name"] for t in bars] == ["All data", COHORT]
    assert bars[0]["x"] != bars[1]["x"]  # the cohort's own mean |importance|, not the global one
    legend = page.locator("#agg-bars .legendtext").all_text_contents()
    assert legend == ["All data", COHORT]
    dependence = [t["name"] for t in graph(page, "agg-dependence")["traces"]]
    assert dependence == ["All data (400 of 400 rows)", f"{COHORT} ({expected_rows} of {expected_rows} rows)"]
    screenshot(page, "03_cohort_compared")
    assert_clean(page)


def test_clicking_a_scatter_point_selects_its_row(page: Page, dashboard: Any) -> None:
    open_dashboard(page, dashboard.url)
    open_tab(page, "Dataset explorer")
    wait_graph(page, "explorer-graph", "gd.data.length > 0 && gd.data[0].type === 'scattergl'")
    wait_title(page, "explorer-local", "Row 0:")
    wait_idle(page)
    page.locator("#explorer-graph").scroll_into_view_if_needed()
    # WebGL points are no DOM elements: find the point farthest (in pixels) from any other, so a
    # click on it is unambiguous, and its position on the page from the axes' data-to-pixel maps.
    target = page.evaluate(f"""() => {{
        const gd = ({_GD})('explorer-graph');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        const points = [];
        ({_TRACES})(gd).forEach(t => Array.from(t.x).forEach((x, i) => points.push({{
            px: box.left + xa._offset + xa.d2p(x), py: box.top + ya._offset + ya.d2p(t.y[i]),
            row: Number(t.customdata[i])}})));
        let best = null;
        for (const p of points) {{
            if (p.row === 0) continue;
            let gap = Infinity;
            for (const q of points) if (q !== p) gap = Math.min(gap, Math.hypot(p.px - q.px, p.py - q.py));
            if (!best || gap > best.gap) best = {{...p, gap}};
        }}
        return best;
    }}""")
    assert target["gap"] >= 4, target
    row = target["row"]
    page.mouse.move(target["px"], target["py"])
    page.wait_for_selector("#explorer-graph .hoverlayer .hovertext")
    assert f"row {row}" in (page.text_content("#explorer-graph .hoverlayer") or "")  # the hover is on it

    def picks_the_row(response: Any) -> bool:
        return "_dash-update-component" in response.url and \
            '"output":"row-index.value"' in (response.request.post_data or "")

    with page.expect_response(picks_the_row) as picked:
        page.mouse.click(target["px"], target["py"])
    chosen = picked.value.json()["response"].get("row-index", {}).get("value")
    if chosen != row:  # fail at once, with what dcc.Graph sent, rather than time out below
        screenshot(page, "04_scatter_click")
        click_data = picked.value.request.post_data_json["inputs"][0]["value"]
        pytest.fail(f"clicking the point of row {row} selected {chosen!r}; clickData sent: {click_data} "
                    "(a numpy customdata reaches dcc.Graph base64-encoded and is dropped from clickData: "
                    "plotly/plotly.py#5119; send it as a list)")

    wait_title(page, "explorer-local", f"Row {row}:")
    page.wait_for_selector(f"#explorer-local-note:has-text('Selected: row {row} ')")
    wait_idle(page)
    screenshot(page, "04_scatter_click")
    open_tab(page, "Individual importance & what-if")  # #row-index lives in this tab
    wait_title(page, "ind-bars", f"Row {row}:")
    assert page.input_value("#row-index") == str(row)
    assert page.inner_text("#row-info").startswith(f"row {row} · ")
    assert_clean(page)


def _whatif_ready(page: Page) -> None:
    open_tab(page, "Individual importance & what-if")
    page.wait_for_selector("#whatif-table td[data-dash-column='value']")
    page.wait_for_selector("#whatif-result:has-text('What-if prediction')")
    wait_graph(page, "whatif-bars")
    wait_idle(page)


def test_what_if_edit_changes_the_prediction(page: Page, dashboard: Any, model_setup: dict[str, Any]) -> None:
    open_dashboard(page, dashboard.url)
    _whatif_ready(page)
    before = page.inner_text("#whatif-result")
    assert before.endswith("no edits")
    original = probabilities(before)
    assert set(original) == {"0", "1"}

    age = model_setup["X"]["age"].iloc[0]
    new_age = 18 if age >= 50 else 79  # the label rises with age: the far end flips the odds
    row = page.locator("#whatif-table tr", has=page.locator("td[data-dash-column='feature']",
                                                             has_text=re.compile(r"^age$")))
    assert row.locator("td[data-dash-column='original']").inner_text() == str(age)
    row.locator("td[data-dash-column='value']").click()
    page.keyboard.type(str(new_age))
    page.keyboard.press("Enter")

    page.wait_for_selector(f"#whatif-result:has-text('age → {new_age}')")
    wait_idle(page)
    after = probabilities(page.inner_text("#whatif-result"))
    assert abs(after["1"] - original["1"]) > 0.2, (original, after)
    assert (after["1"] > original["1"]) == (new_age > age)
    wait_graph(page, "whatif-bars", "gd.data.some(t => t.name === 'what-if')")
    traces = {t["name"]: t for t in graph(page, "whatif-bars")["traces"]}
    assert set(traces) == {"original", "what-if"}
    shown = traces["what-if"]["y"]
    age_at = shown.index("age")
    assert traces["what-if"]["x"][age_at] != pytest.approx(traces["original"]["x"][age_at], abs=1e-6)
    page.locator("#whatif-result").scroll_into_view_if_needed()
    screenshot(page, "05_what_if")
    assert_clean(page)


def test_ice_draws_the_selected_row_as_a_feature_varies(page: Page, dashboard: Any,
                                                         model_setup: dict[str, Any]) -> None:
    open_dashboard(page, dashboard.url)
    _whatif_ready(page)
    # At first ICE varies the row's most important feature, the what-if table's first row.
    top = page.locator("#whatif-table td[data-dash-column='feature']").first.inner_text()
    wait_graph(page, "ice-graph", "gd.data.some(t => t.name === 'selected row')")
    assert graph(page, "ice-graph")["title"] == f"ICE: prediction as {top} varies"

    feature = "age" if top != "age" else "tenure"
    pick_option(page, "ice-feature", feature)
    wait_title(page, "ice-graph", f"ICE: prediction as {feature} varies")
    wait_idle(page)
    traces = graph(page, "ice-graph")["traces"]
    selected = [t for t in traces if t["name"] == "selected row"]
    assert len(selected) == 1
    grid, column = selected[0]["x"], model_setup["X"][feature]
    assert grid == sorted(grid) and len(grid) <= 30
    assert grid[0] == pytest.approx(column.min()) and grid[-1] == pytest.approx(column.max())
    assert all(0.0 <= p <= 1.0 for p in selected[0]["y"])
    assert any(t["name"] == "mean of cohort rows" for t in traces)
    assert len(traces) == 20 + 2  # faint lines of 20 other rows, their mean, the selected row
    page.locator("#ice-graph").scroll_into_view_if_needed()
    screenshot(page, "06_ice")
    assert_clean(page)


ENGINEERED = {"cat__region_east", "cat__region_north", "cat__region_south", "cat__region_west",
              "num__age", "num__income", "num__tenure"}


def _switch_to_engineered(page: Page) -> None:
    assert page.locator("#space input[value='raw']").is_checked()
    page.locator("#space label", has_text="engineered features").click()
    wait_graph(page, "agg-bars", "gd.data[0].y.some(name => /^(num|cat)__/.test(name))")
    wait_idle(page)
    assert page.locator("#space input[value='engineered']").is_checked()


def test_engineered_switch_shows_engineered_feature_names(page: Page, dashboard: Any) -> None:
    open_dashboard(page, dashboard.url)
    raw = graph(page, "agg-bars")["traces"][0]["y"]
    assert set(raw) == {"age", "income", "region", "tenure"}

    _switch_to_engineered(page)
    engineered = graph(page, "agg-bars")["traces"][0]["y"]
    assert set(engineered) <= ENGINEERED and len(engineered) >= len(raw)
    assert engineered[-1] == "num__age"  # still the top feature
    ticks = set(page.locator("#agg-bars .ytick text").all_text_contents())
    assert ticks == set(engineered) and ticks.isdisjoint(raw)
    assert "in engineered features" in page.inner_text("#agg-fidelity")
    wait_title(page, "agg-dependence", "Dependence plot of num__age")
    wait_graph(page, "agg-summary", "gd.data.some(t => t.name === 'num__age')")
    screenshot(page, "07_engineered_space")
    assert_clean(page)


def test_engineered_space_can_show_all_its_features(page: Page, dashboard: Any) -> None:
    open_dashboard(page, dashboard.url)
    _switch_to_engineered(page)
    slider_max = page.locator("#agg-topk [role='slider']").first.get_attribute("aria-valuemax")
    shown = set(graph(page, "agg-bars")["traces"][0]["y"])
    assert (slider_max, shown) == ("7", ENGINEERED)


def test_dashboard_without_model_explains_why_what_if_is_unavailable(page: Page,
                                                                    dashboard_without_model: Any) -> None:
    open_dashboard(page, dashboard_without_model.url)
    open_tab(page, "Individual importance & what-if")
    wait_graph(page, "ind-bars", "gd.data.length > 0 && gd.data[0].type === 'bar'")
    reason = page.inner_text("#whatif-unavailable")
    assert "need the model" in reason and "model=" in reason
    assert page.inner_text("#ice-unavailable") == reason
    assert page.locator("#whatif-table, #ice-graph").count() == 0
    screenshot(page, "08a_no_model_individual")

    open_tab(page, "Model performance")
    wait_graph(page, "perf-hist", "gd.data.length > 0 && gd.data[0].type === 'bar'")
    page.wait_for_selector("#perf-metrics th:has-text('accuracy')")  # predictions from the explanation
    open_tab(page, "Dataset explorer")
    wait_graph(page, "explorer-graph", "gd.data.length > 0 && gd.data[0].type === 'scattergl'")
    assert "predictions from the explanation" in page.inner_text("body")
    screenshot(page, "08b_no_model_explorer")
    assert_clean(page)
