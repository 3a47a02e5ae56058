"""Dashboard latency: ``explain.dashboard.ExplanationDashboard`` from 10,000 to 1,000,000 rows.

Each case builds a synthetic binary problem (``--features`` numeric columns, 10 of them
informative; seeded NumPy), fits a ``LogisticRegression`` on a subsample, explains every row with
``explain.LinearExplainer(model, background).explain_global(X)`` (closed form) and serves
``ExplanationDashboard(explanation, model, dataset=frame, true_y=y)`` on 127.0.0.1. Debian's
Chromium, driven by Playwright (sync API), then measures:

* **page load**: from ``page.goto(url)`` until the default tab ("Aggregate importance") has drawn
  its three graphs (``#agg-bars``, ``#agg-dependence``, ``#agg-summary`` each hold Plotly traces);
  "settled" is when the last of the page's initial callbacks (hidden tabs too) had answered;
* the **bytes** the browser received (response bodies: Dash's JavaScript, the layout and the
  callbacks' JSON), to show that it never receives the whole matrix;
* **interactions**, each from the user's action until the graph it changes has re-rendered
  with new data (a signature of the graph's title and traces changes): (a) top-k slider, and
  the class dropdown (until the dependence and summary plots have changed) of the aggregate tab;
  (b) saving a cohort (until ``#cohort-message`` says "Saved cohort"; "save -> all callbacks":
  until the last of the callbacks the new cohort list fires, on every tab, has answered) and
  selecting it beside "All data" (until the bars show two traces); (c) the X axis of the
  dataset explorer; (d) selecting a row (until ``#ind-bars`` says "Row N"; "-> what-if+ICE":
  until the what-if result and the ICE plot have followed); (e) a what-if edit of
  ``#whatif-table``; (f) the ICE feature. Median of ``--repeat`` runs, each with a different
  value (new cohort filters, so no mask is cached);
* **server time alone**: the callback requests the browser sent for each action are replayed
  through Flask's test client (``POST /_dash-update-component``), one after the other, from the
  server's cache (cohort masks, importances, metrics) as it was before the action (empty for the
  page load): for "save cohort" the cohort callback alone, for "row -> bars" the ``#ind-bars``
  callback alone, otherwise the sum of every callback the action fired.

The ``--wide`` case (10,000 rows x 10,000 features by default) adds the wide-data figures.
Each case runs in its own process (so "peak RSS", ``resource.getrusage`` of the Python process
holding the data and the server, is per case); the browser is a separate process, not counted.
The server computes with BLAS and OpenMP limited to one thread (``threadpoolctl``), leaving the
second core to Chromium.

Run: ``python benchmarks/bench_dashboard.py [--rows N ...] [--wide] [--repeat K] [--quick]``
"""

from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before NumPy loads OpenMP

import argparse
import datetime
import gc
import json
import logging
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _common import format_table

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INFORMATIVE = 10
BACKGROUND_ROWS = 1_000
LOAD_TIMEOUT_S = 600.0
ACTION_TIMEOUT_S = 300.0
QUIET_S = 0.5
RESULT = "RESULT "

# Interactions, in the order they run: (key, column title).
ACTIONS = (
    ("topk", "a: top-k"),
    ("class", "a: class"),
    ("cohort_save", "b: save cohort"),
    ("cohort_all", "b: save -> all callbacks"),
    ("cohort_select", "b: select cohort"),
    ("explorer_x", "c: explorer X"),
    ("row", "d: row -> bars"),
    ("row_all", "d: row -> what-if+ICE"),
    ("whatif", "e: what-if edit"),
    ("ice", "f: ICE feature"),
)

# window.__benchSig(id): the graph's title, trace count, and each trace's name and x/y data (the
# base64 'bdata' Plotly.py 6+ sends, or the first values of a plain array); null before it is drawn.
SIGNATURE_JS = """
window.__benchSig = (id) => {
  const g = document.querySelector('#' + id + ' .js-plotly-plot');
  if (!g || !g.data) return null;
  const part = (a) => !a ? '' : (a.bdata !== undefined
      ? a.bdata.length + ':' + a.bdata.slice(0, 96) + a.bdata.slice(-48)
      : a.length + ':' + Array.prototype.slice.call(a, 0, 16).join(','));
  const title = g.layout && g.layout.title ? (g.layout.title.text || '') : '';
  return title + '|' + g.data.length + '|' +
      g.data.map((t) => (t.name || '') + part(t.x) + '/' + part(t.y)).join(';');
};
window.__benchTraces = (id) => {
  const g = document.querySelector('#' + id + ' .js-plotly-plot');
  return g && g.data ? g.data.map((t) => t.name || '') : [];
};
"""
LOADED_JS = ("() => ['agg-bars', 'agg-dependence', 'agg-summary'].every(id => { "
             "const g = document.querySelector('#' + id + ' .js-plotly-plot'); "
             "return g && g.data && g.data.length > 0 })")
CHANGED_JS = "([ids, before]) => ids.every((id, i) => { const s = window.__benchSig(id); " \
             "return s !== null && s !== before[i]; })"
BUSY_JS = "() => !!document.querySelector('[data-dash-is-loading=\"true\"]')"


# -- the parent: one child process per case, then the tables --------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 100_000, 1_000_000],
                        help="row counts (--features each; none: only --wide); default: 10000 100000 1000000")
    parser.add_argument("--features", type=int, default=50, help="features of the --rows cases")
    parser.add_argument("--wide", action="store_true",
                        help="add the wide case: --wide-rows rows x --wide-features features")
    parser.add_argument("--wide-rows", type=int, default=10_000)
    parser.add_argument("--wide-features", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per interaction (the median is kept)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2,000 rows (wide: 2,000 x 1,000), one run per interaction")
    parser.add_argument("--case", nargs=2, type=int, metavar=("ROWS", "FEATURES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rows, args.wide_rows, args.wide_features, args.repeat = [2_000], 2_000, 1_000, 1
    return args


def print_environment() -> None:
    from importlib.metadata import version

    import numpy
    import sklearn

    import explain

    print(f"date: {datetime.date.today().isoformat()}  python {platform.python_version()}  "
          f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.2f}  "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    print(f"explain {explain.__version__}  dash {version('dash')}  plotly {version('plotly')}  "
          f"pandas {version('pandas')}  numpy {numpy.__version__}  scikit-learn {sklearn.__version__}  "
          f"playwright {version('playwright')}")
    sys.stdout.flush()


def run_case(rows: int, features: int, repeat: int) -> dict[str, Any] | None:
    """Run one case in a child process; echo its progress and return its result."""
    command = [sys.executable, os.path.abspath(__file__), "--case", str(rows), str(features),
               "--repeat", str(repeat)]
    print(f"\n# case {rows:,} rows x {features:,} features", flush=True)
    start = time.perf_counter()
    result = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith(RESULT):
                result = json.loads(line[len(RESULT):])
            else:
                print("  " + line, end="", flush=True)
    print(f"  (case took {time.perf_counter() - start:.0f} s, exit code {child.returncode})", flush=True)
    if result is None:
        print(f"  case {rows:,} x {features:,} failed (exit code {child.returncode}): no figures", flush=True)
    return result


def _seconds(value: float | None) -> str:
    if value is None:
        return "timeout"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _megabytes(value: float) -> str:
    return f"{value / 1e6:.2f}"


def print_results(results: list[dict[str, Any]], repeat: int) -> None:
    def case(r: dict[str, Any]) -> list[str]:
        return [f"{r['rows']:,}", f"{r['features']:,}"]

    print(f"\n## Dashboard: setup, page load, memory ({repeat} run(s) per interaction, median)\n")
    headers = ["rows", "features", "explain s", "construct s", "of which app s", "page load s",
               "settled s", "load server s", "MB to browser", "of which data MB", "largest response MB",
               "JS heap MB", "peak RSS MB", "load avg"]
    print(format_table(headers, [[
        *case(r), _seconds(r["explain_s"]), _seconds(r["construct_s"]), _seconds(r["app_s"]),
        _seconds(r["load_s"]), _seconds(r["settled_s"]), _seconds(r["load_server_s"]),
        _megabytes(r["load_bytes"]), _megabytes(r["load_data_bytes"]), _megabytes(r["load_largest_bytes"]),
        _megabytes(r["js_heap_bytes"] or 0), f"{r['peak_rss_mb']:,.0f}", f"{r['load']:.1f}"]
        for r in results]))

    tables = (("browser", "Interaction latency in the browser, s (action -> graph re-rendered)"),
              ("server", "Server time alone, s (the same callback requests replayed, one by one)"),
              ("bytes", "Bytes of callback responses per interaction, MB"))
    for key, title in tables:
        print(f"\n## {title}\n")
        rows = []
        for r in results:
            cells = []
            for action, _ in ACTIONS:
                value = r["actions"].get(action, {}).get(key, "n/a")
                if key == "bytes" and isinstance(value, float | int):
                    cells.append(_megabytes(value))
                else:
                    cells.append(_seconds(value) if value != "n/a" else value)
            rows.append([*case(r), *cells])
        print(format_table(["rows", "features", *(t for _, t in ACTIONS)], rows))

    print("\n## Slowest callbacks on the server (replays of the page load and all interactions)\n")
    rows = []
    for r in results:
        ranked = sorted(r["callbacks"].items(), key=lambda kv: -kv[1][1])[:6]
        rows.append([*case(r), "; ".join(f"{name} {slowest:.3f} ({median:.3f})"
                                         for name, (median, slowest) in ranked)])
    print(format_table(["rows", "features", "callback (first output): slowest call s (median s)"], rows))
    sys.stdout.flush()


def main() -> int:
    args = parse_args()
    if args.case:
        measure_case(*args.case, repeat=args.repeat)
        return 0
    print_environment()
    cases = [(rows, args.features) for rows in args.rows]
    if args.wide:
        cases.append((args.wide_rows, args.wide_features))
    start = time.perf_counter()
    results = [r for r in (run_case(rows, features, args.repeat) for rows, features in cases) if r]
    if results:
        print_results(results, args.repeat)
    print(f"\n(total {time.perf_counter() - start:.0f} s)")
    return 0 if len(results) == len(cases) else 1


# -- the child: one case ------------------------------------------------------------------------------


def log(text: str) -> None:
    print(text, flush=True)


def make_case(rows: int, features: int) -> tuple[Any, Any]:
    """Seeded synthetic binary problem: standard normal features, 10 informative ones."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((rows, features)), columns=[f"f{j}" for j in range(features)])
    weights = rng.uniform(0.5, 2.0, INFORMATIVE) * rng.choice([-1, 1], INFORMATIVE)
    signal = frame.iloc[:, :INFORMATIVE].to_numpy() @ weights
    y = (signal + rng.standard_normal(rows) * 2.0 > 0).astype(np.int64)
    return frame, y


@dataclass
class Network:
    """The page's requests: all of them (for bytes) and the callback requests still in flight."""

    requests: list[Any] = field(default_factory=list)
    pending: set[Any] = field(default_factory=set)
    finished: dict[Any, float] = field(default_factory=dict)  # request -> perf_counter() at its end

    def attach(self, page: Any) -> None:
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request: Any) -> None:
        self.requests.append(request)
        if "_dash-update-component" in request.url:
            self.pending.add(request)

    def _ended(self, request: Any) -> None:
        self.finished[request] = time.perf_counter()
        self.pending.discard(request)

    def answered(self, requests: list[Any], t0: float) -> dict[str, float]:
        """Seconds from ``t0`` until each callback request had its response (latest per callback)."""
        times: dict[str, float] = {}
        for r in _callbacks(requests):
            name = _callback_name(r.post_data or "{}")
            times[name] = max(times.get(name, 0.0), self.finished.get(r, float("nan")) - t0)
        return times

    def mark(self) -> int:
        return len(self.requests)

    def since(self, mark: int) -> list[Any]:
        return self.requests[mark:]


def _body_size(request: Any) -> int:
    try:
        return int(request.sizes()["responseBodySize"])
    except Exception:  # a request without a response (failed, or from a closed page)
        return 0


def _callbacks(requests: list[Any]) -> list[Any]:
    return [r for r in requests if "_dash-update-component" in r.url and r.method == "POST"]


def _callback_name(body: str) -> str:
    output = json.loads(body).get("output", "?")
    return output.strip(".").split(".")[0]


def wait_quiet(page: Any, network: Network, timeout: float = ACTION_TIMEOUT_S) -> None:
    """Wait until no callback is in flight and no component is loading, for ``QUIET_S``."""
    start, calm = time.perf_counter(), None
    while True:
        page.wait_for_timeout(100)
        now = time.perf_counter()
        if network.pending or page.evaluate(BUSY_JS):
            calm = None
        elif calm is None:
            calm = now
        elif now - calm >= QUIET_S:
            return
        if now - start > timeout:
            raise TimeoutError(f"the page did not settle in {timeout:.0f} s")


class Server:
    """Replays captured callback requests through Flask's test client.

    A replay starts from the dashboard's cache (masks, cohort importances and metrics) as it
    was before the browser's action, so it computes what the live server computed, and leaves
    the cache as the browser's action left it.
    """

    def __init__(self, dashboard: Any) -> None:
        self.dashboard = dashboard
        self.client = dashboard.app.server.test_client()
        self.per_callback: dict[str, list[float]] = {}

    def snapshot(self) -> dict[Any, Any]:
        return dict(self.dashboard.data._cache)

    def _restore(self, state: dict[Any, Any]) -> None:
        cache = self.dashboard.data._cache
        cache.clear()
        cache.update(state)

    def replay(self, requests: list[Any], before: dict[Any, Any]) -> dict[str, float]:
        """Server seconds of each callback request, in order (first output's id -> seconds)."""
        after = self.snapshot()
        self._restore(before)
        times: dict[str, float] = {}
        try:
            for request in _callbacks(requests):
                body = request.post_data or "{}"
                start = time.perf_counter()
                response = self.client.post("/_dash-update-component", data=body,
                                            content_type="application/json")
                seconds = time.perf_counter() - start
                if response.status_code not in (200, 204):
                    raise RuntimeError(f"replay of {_callback_name(body)} answered {response.status_code}")
                name = _callback_name(body)
                times[name] = times.get(name, 0.0) + seconds
                self.per_callback.setdefault(name, []).append(seconds)
        finally:
            self._restore(after)
        return times

    def get(self, path: str) -> float:
        start = time.perf_counter()
        self.client.get(path)
        return time.perf_counter() - start


@dataclass
class Action:
    """One interaction: ``prepare`` (untimed) then ``act`` (timed from its call) then the wait."""

    key: str
    prepare: Callable[[int], Any]
    act: Callable[[int, Any], None]
    done_js: Callable[[int, Any], tuple[str, Any]]
    then_js: Callable[[int, Any], tuple[str, Any]] | None = None
    then_key: str | None = None  # reports the time until then_js holds, and all callbacks' server time
    target: str | None = None  # the callback whose server time is the action's (default: all it fires)
    settled_key: str | None = None  # reports when the last callback fired had answered


def _pick(page: Any, dropdown: str, option: str) -> None:
    """Open ``dropdown`` and narrow it to ``option`` with its search box (the click is the action)."""
    page.click(f"#{dropdown}")
    search = page.locator(".dash-dropdown-content input.dash-dropdown-search")
    if search.count():
        search.fill(option)


def _choose(page: Any, option: str) -> None:
    page.get_by_role("option", name=option, exact=True).click()


def _close(page: Any) -> None:
    if page.locator(".dash-dropdown-content").count():
        page.keyboard.press("Escape")


def _title_js(graph: str, test: str) -> str:
    """A JS predicate of one argument ``v``: whether ``graph``'s title ``t`` passes ``test``."""
    return (f"(v) => {{ const g = document.querySelector('#{graph} .js-plotly-plot'); "
            "const t = g && g.layout && g.layout.title ? (g.layout.title.text || '') : ''; "
            f"return {test}; }}")


def _signatures(page: Any, ids: list[str]) -> list[Any]:
    return [page.evaluate("(id) => window.__benchSig(id)", i) for i in ids]


def _changed(page: Any, ids: list[str]) -> tuple[str, Any]:
    return CHANGED_JS, [ids, _signatures(page, ids)]


def build_actions(page: Any, rows: int, features: int, repeat: int) -> list[tuple[str, list[Action]]]:
    """The interactions, grouped by the tab they need (tab name, actions)."""
    top = min(features, 50)
    topk_values = [v for v in (25, 5, 40, 15, 30, 20) if v <= top and v != 10] or [top]
    # The highest-numbered names: no other name starts with them, so the search box shows just one.
    names = [f"f{j}" for j in range(features - 1, max(0, features - 40), -1)]

    def topk_prepare(i: int) -> int:
        value = topk_values[i % len(topk_values)]
        page.fill("#agg-topk input[type=number]", str(value))
        return value

    def class_prepare(i: int) -> Any:
        before = _changed(page, ["agg-summary", "agg-dependence"])
        page.click("#agg-class")
        return before

    def cohort_prepare(i: int) -> str:
        name = f"bench{i}"
        page.fill("#cohort-name", name)
        page.fill("#cohort-filter", f"f0 > {0.05 * (i + 1):.2f} and f1 < {1.5 - 0.1 * i:.1f}")
        return name

    def select_prepare(i: int) -> str:
        _pick(page, "agg-cohorts", f"bench{i}")
        return f"bench{i}"

    def explorer_prepare(i: int) -> tuple[str, Any]:
        option = names[i % len(names)]
        before = _changed(page, ["explorer-graph"])
        _pick(page, "explorer-x", option)
        return option, before

    def row_prepare(i: int) -> tuple[int, Any, str]:
        row = (i + 1) * rows // (repeat + 2) + 1
        before = _changed(page, ["ice-graph"])
        text = page.inner_text("#whatif-result")
        page.fill("#row-index", str(row))
        return row, before, text

    def whatif_prepare(i: int) -> str:
        value = f"{(3.5 if i % 2 == 0 else -2.5) + 0.25 * i:g}"
        page.locator('#whatif-table td[data-dash-column="value"]').first.click()
        page.keyboard.type(value)
        return value

    def ice_prepare(i: int) -> str:
        current = page.inner_text("#ice-feature").strip()
        choices = [n for n in names if n != current]
        option = choices[(i * 3 + 1) % len(choices)]
        _pick(page, "ice-feature", option)
        return option

    def row_done(i: int, state: Any) -> tuple[str, Any]:
        return _title_js("ind-bars", "t.startsWith('Row ' + v + ':')"), state[0]

    def row_then(i: int, state: Any) -> tuple[str, Any]:
        ids, before = state[1][1]
        return "([ids, before, text]) => ids.every((id, i) => { const s = window.__benchSig(id); " \
               "return s !== null && s !== before[i]; }) && " \
               "document.getElementById('whatif-result').innerText !== text", [ids, before, state[2]]

    aggregate = [
        Action("topk", topk_prepare, lambda i, s: page.keyboard.press("Tab"),
               lambda i, s: (_title_js("agg-bars", "t.startsWith('Top ' + v + ' ')"), s)),
        Action("class", class_prepare, lambda i, s: _choose(page, f"class {i % 2}"), lambda i, s: s),
        Action("cohort_save", cohort_prepare, lambda i, s: page.click("#cohort-add"),
               lambda i, s: ("(n) => document.getElementById('cohort-message').innerText"
                             ".includes(\"Saved cohort '\" + n + \"'\")", s),
               target="cohorts", settled_key="cohort_all"),
        Action("cohort_select", select_prepare, lambda i, s: _choose(page, s),
               lambda i, s: ("(n) => window.__benchTraces('agg-bars').length === 2 && "
                             "window.__benchTraces('agg-bars').includes(n)", s)),
    ]
    explorer = [Action("explorer_x", explorer_prepare, lambda i, s: _choose(page, s[0]), lambda i, s: s[1])]
    individual = [
        Action("row", row_prepare, lambda i, s: page.keyboard.press("Enter"), row_done, row_then, "row_all",
               target="ind-bars"),
        Action("whatif", whatif_prepare, lambda i, s: page.keyboard.press("Enter"),
               lambda i, s: ("(v) => document.getElementById('whatif-result').innerText"
                             ".includes('\u2192 ' + v)", s)),
        Action("ice", ice_prepare, lambda i, s: _choose(page, s),
               lambda i, s: (_title_js("ice-graph", "t.includes('as ' + v + ' varies')"), s)),
    ]
    return [("Aggregate importance", aggregate), ("Dataset explorer", explorer),
            ("Individual importance & what-if", individual)]


def after_action(page: Any, network: Network, action: Action, i: int, state: Any) -> None:
    """Undo what must not carry over to the next run (the selected cohort)."""
    if action.key == "cohort_select":
        _close(page)
        wait_quiet(page, network)
        _pick(page, "agg-cohorts", state)
        _choose(page, state)
        _close(page)
        page.wait_for_function("() => window.__benchTraces('agg-bars').length === 1",
                               timeout=ACTION_TIMEOUT_S * 1000)
    _close(page)


def measure_action(page: Any, network: Network, server: Server, action: Action, repeat: int
                   ) -> dict[str, dict[str, Any]]:
    """Run ``action`` ``repeat`` times; medians under its key (and ``then_key``, ``settled_key``)."""
    runs: dict[str, list[float]] = {name: [] for name in
                                    ("latency", "followed", "settled", "server", "target", "bytes")}
    failed = {"browser": None, "server": None, "bytes": None}
    for i in range(repeat):
        wait_quiet(page, network)
        state = action.prepare(i)
        mark, before = network.mark(), server.snapshot()
        t0 = time.perf_counter()
        try:
            action.act(i, state)
            script, argument = action.done_js(i, state)
            page.wait_for_function(script, arg=argument, timeout=ACTION_TIMEOUT_S * 1000)
            runs["latency"].append(time.perf_counter() - t0)
            if action.then_js is not None:
                script, argument = action.then_js(i, state)
                page.wait_for_function(script, arg=argument, timeout=ACTION_TIMEOUT_S * 1000)
                runs["followed"].append(time.perf_counter() - t0)
        except Exception as exc:  # a timeout: report it in the table, go on with the next action
            log(f"    {action.key}: run {i + 1} failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            _close(page)
            wait_quiet(page, network, timeout=2 * ACTION_TIMEOUT_S)
            return {key: dict(failed) for key in (action.key, action.then_key, action.settled_key) if key}
        wait_quiet(page, network)
        requests = _callbacks(network.since(mark))
        answered = network.answered(requests, t0)
        runs["settled"].append(max(answered.values(), default=float("nan")))
        runs["bytes"].append(sum(_body_size(r) for r in requests))
        replayed = server.replay(requests, before)
        runs["server"].append(sum(replayed.values()))
        runs["target"].append(replayed.get(action.target, 0.0) if action.target else runs["server"][-1])
        log(f"    {action.key} run {i + 1}: {runs['latency'][-1]:.3f} s"
            + (f" (then {runs['followed'][-1]:.3f} s)" if runs["followed"] else "")
            + f"; {runs['bytes'][-1] / 1e6:.3f} MB; callback answered at / server s: "
            + ", ".join(f"{name} {answered.get(name, float('nan')):.3f}/{seconds:.3f}"
                        for name, seconds in replayed.items()))
        after_action(page, network, action, i, state)
    median = {name: statistics.median(values) for name, values in runs.items() if values}
    result = {action.key: {"browser": median["latency"], "server": median["target"],
                           "bytes": median["bytes"]}}
    if action.then_key:
        result[action.then_key] = {"browser": median["followed"], "server": median["server"],
                                   "bytes": median["bytes"]}
    if action.settled_key:
        result[action.settled_key] = {"browser": median["settled"], "server": median["server"],
                                      "bytes": median["bytes"]}
    return result


def measure_case(rows: int, features: int, repeat: int) -> None:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    import explain

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    load = os.getloadavg()[0]
    log(f"load average at start: {load:.2f}")
    with threadpool_limits(1):
        frame, y = make_case(rows, features)
        fit_rows = min(rows, 20_000 if features <= 1_000 else 2_000)
        model = LogisticRegression(max_iter=1_000).fit(frame.iloc[:fit_rows], y[:fit_rows])
        start = time.perf_counter()
        explanation = explain.LinearExplainer(model, frame.iloc[:BACKGROUND_ROWS]).explain_global(frame)
        explain_s = time.perf_counter() - start
        local = explanation.local_values
        log(f"explain_global over {rows:,} rows: {explain_s:.2f} s; local values {local.shape} "
            f"{local.dtype} = {local.nbytes / 1e9:.2f} GB")
        gc.collect()
        _run_dashboard(explanation, model, frame, y, rows, features, repeat, explain_s, load)


def _run_dashboard(explanation: Any, model: Any, frame: Any, y: Any, rows: int, features: int, repeat: int,
                   explain_s: float, load: float) -> None:
    import dash
    from dash import dash_table, dcc, html  # noqa: F401 - imported before the timed construction
    from playwright.sync_api import sync_playwright

    from explain.dashboard import ExplanationDashboard
    from explain.dashboard._callbacks import register_callbacks
    from explain.dashboard._layout import build_layout

    start = time.perf_counter()
    dashboard = ExplanationDashboard(explanation, model, dataset=frame, true_y=y, start=False)
    construct_s = time.perf_counter() - start
    start = time.perf_counter()
    spare = dash.Dash("bench", serve_locally=True)
    spare.layout = build_layout(dashboard.data, None)
    register_callbacks(spare, dashboard.data, None, None)
    app_s = time.perf_counter() - start
    del spare
    log(f"construction {construct_s:.2f} s (validation + predictions {construct_s - app_s:.2f} s, "
        f"layout + callbacks {app_s:.2f} s)")
    url = dashboard.start()
    server = Server(dashboard)
    result: dict[str, Any] = {"rows": rows, "features": features, "load": load, "explain_s": explain_s,
                              "construct_s": construct_s, "app_s": app_s, "actions": {}}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.add_init_script(SIGNATURE_JS)
            page = context.new_page()
            network = Network()
            network.attach(page)
            _page_load(page, network, server, url, result)
            for tab, actions in build_actions(page, rows, features, repeat):
                page.get_by_text(tab, exact=True).click()
                wait_quiet(page, network)
                for action in actions:
                    result["actions"].update(measure_action(page, network, server, action, repeat))
            result["js_heap_bytes"] = page.evaluate(
                "() => performance.memory ? performance.memory.usedJSHeapSize : 0")
            browser.close()
    finally:
        dashboard.stop()
    result["callbacks"] = {name: (statistics.median(times), max(times))
                           for name, times in server.per_callback.items()}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(RESULT + json.dumps(result), flush=True)


def _page_load(page: Any, network: Network, server: Server, url: str, result: dict[str, Any]) -> None:
    mark = network.mark()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=LOAD_TIMEOUT_S * 1000)
    page.wait_for_function(LOADED_JS, timeout=LOAD_TIMEOUT_S * 1000)
    result["load_s"] = time.perf_counter() - t0
    wait_quiet(page, network, timeout=LOAD_TIMEOUT_S)
    requests = network.since(mark)
    answered = network.answered(requests, t0)
    result["settled_s"] = max(answered.values())
    sizes = [(_body_size(r), r.url) for r in requests]
    result["load_bytes"] = sum(s for s, _ in sizes)
    data = [(s, u) for s, u in sizes if "_dash-layout" in u or "_dash-dependencies" in u
            or "_dash-update-component" in u]
    result["load_data_bytes"] = sum(s for s, _ in data)
    result["load_largest_bytes"] = max(s for s, _ in data)
    layout_s = server.get("/_dash-layout") + server.get("/_dash-dependencies")
    replayed = server.replay(requests, {})
    result["load_server_s"] = layout_s + sum(replayed.values())
    largest = sorted(((s, _callback_name(r.post_data or "{}")) for r in _callbacks(requests)
                      for s in [_body_size(r)]), reverse=True)[:3]
    log(f"page load {result['load_s']:.2f} s, settled {result['settled_s']:.2f} s, server "
        f"{result['load_server_s']:.2f} s (layout {layout_s:.3f} s), {len(_callbacks(requests))} callbacks, "
        f"{result['load_bytes'] / 1e6:.2f} MB ({result['load_data_bytes'] / 1e6:.3f} MB layout + callbacks; "
        f"largest callbacks: {', '.join(f'{n} {s / 1e6:.3f} MB' for s, n in largest)})")
    log("  callbacks answered at (s after goto) / server s: " + ", ".join(
        f"{name} {seconds:.2f}/{replayed.get(name, 0.0):.2f}"
        for name, seconds in sorted(answered.items(), key=lambda kv: kv[1])))


if __name__ == "__main__":
    sys.exit(main())
