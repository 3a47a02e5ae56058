"""``ExplanationDashboard``: the interactive dashboard, served locally by Dash.

Construction validates every input (so bad input is refused before a server starts), builds
the Dash app and, unless ``start=False``, serves it on a background thread; in Jupyter the
object renders inline as an iframe of that server.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from typing import Any

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._optional import require
from explain.dashboard._data import DashboardData
from explain.dashboard._runs import ExperimentRun, leaderboard_from_runs

__all__ = ["ExplanationDashboard"]

logger = logging.getLogger("explain.dashboard")


class ExplanationDashboard:
    """Interactive explanation dashboard (cohorts, performance, importance, what-if, ICE).

    Parameters
    ----------
    explanation : Explanation
        The explanation to show; a raw explanation holding its engineered one gets a switch.
    model : object, default=None
        The fitted model taking ``dataset``'s rows. Without it, what-if and ICE are shown as
        unavailable and everything else works.
    dataset : DataFrame or array-like of shape (n_rows, n_columns), default=None
        The explained rows, in the model's input (raw) space; must have as many rows as the
        explanation has local importances.
    true_y : array-like of shape (n_rows,), default=None
        True labels or targets, for model performance and cohort filters.
    classes : sequence, default=None
        Class labels (classifiers).
    features : sequence of str, default=None
        Column names of an array ``dataset``.
    port : int, default=None
        Port to serve on; a free one when ``None``.
    host : str, default="127.0.0.1"
        Interface to serve on. Anything but loopback exposes the data to the network.
    runs : sequence of ExperimentRun, default=None
        AutoML runs for the leaderboard tab (scores and stored explanations side by side).
    metric : str, default="score"
        Name of the runs' score; ``greater_is_better`` orders them.
    greater_is_better : bool, default=True
        Whether a larger score is better.
    explainer : object, default=None
        Explainer used by what-if (``explain_local`` on edited rows); default: a
        :class:`~explain.TabularExplainer` over ``model``.
    title : str, default=None
        Heading of the page; default "Explanation dashboard".
    start : bool, default=True
        Serve at once on a background thread (the URL is printed).
    log_requests : bool, default=False
        Print werkzeug's line for every HTTP request (the browser makes several per click);
        errors are printed either way.
    datasetX, trueY : default=None
        The older spelling of ``dataset`` and ``true_y`` (interpret-community's widget and the
        seeds of azureml-interpret's notebooks); give one spelling, not both.
    public_ip : str, default=None
        raiwidgets' name for ``host``.

    Attributes
    ----------
    app : dash.Dash
        The Dash application (``app.server`` is its Flask server).
    url : str or None
        Where it is served, once started.

    Examples
    --------
    >>> dashboard = ExplanationDashboard(explanation, model, dataset=X_test, true_y=y_test)  # doctest: +SKIP
    >>> dashboard.url  # doctest: +SKIP
    'http://127.0.0.1:41823/'
    """

    def __init__(self, explanation: Explanation, model: Any = None, dataset: Any = None, true_y: Any = None,
                 classes: Sequence[Any] | None = None, features: Sequence[str] | None = None,
                 port: int | None = None, host: str = "127.0.0.1", *,
                 runs: Sequence[ExperimentRun] | None = None, metric: str = "score",
                 greater_is_better: bool = True, explainer: Any = None, title: str | None = None,
                 start: bool = True, datasetX: Any = None, trueY: Any = None,
                 public_ip: str | None = None, log_requests: bool = False) -> None:
        dataset = _one_of("dataset", dataset, "datasetX", datasetX)
        true_y = _one_of("true_y", true_y, "trueY", trueY)
        if public_ip is not None:
            host = public_ip
        dash = require("dash", "dashboard", "the dashboard")
        if port is not None and (not isinstance(port, int) or not 0 <= port <= 65535):
            raise ExplanationValueError(
                f"ExplanationDashboard: port must be an int in [0, 65535], got {port!r}.")
        if not isinstance(host, str) or not host:
            raise ExplanationTypeError(
                f"ExplanationDashboard: host must be a non-empty string, got {host!r}.")
        self.data = DashboardData(explanation, model, dataset, true_y, classes, features)
        self.leaderboard = None if runs is None else leaderboard_from_runs(runs, metric, greater_is_better)
        self.host, self.port = host, port
        self.log_requests = bool(log_requests)
        self.url: str | None = None
        self.title = title or "Explanation dashboard"
        self.app = self._build(dash, explainer)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        if start:
            self.start()

    def _build(self, dash: Any, explainer: Any) -> Any:
        from explain.dashboard._callbacks import register_callbacks
        from explain.dashboard._layout import build_layout
        from explain.dashboard._requests import check_callback_requests

        app = dash.Dash("explain.dashboard", title=self.title, serve_locally=True, update_title=None)
        app.layout = build_layout(self.data, self.leaderboard, self.title)
        register_callbacks(app, self.data, self.leaderboard, explainer)
        check_callback_requests(app)
        return app

    def _bind(self) -> tuple[Any, str]:
        """The server, listening (on a free port when ``port`` is None), and its URL."""
        from werkzeug.serving import WSGIRequestHandler, make_server

        if self._server is None:
            handler = WSGIRequestHandler if self.log_requests else _quiet_request_handler()
            self._server = make_server(self.host, self.port or 0, self.app.server, threaded=True,
                                       request_handler=handler)
            self.port = self._server.server_port
            self.url = f"http://{self.host}:{self.port}/"
        return self._server, self.url or ""

    def start(self) -> str:
        """Serve on a background (daemon) thread; print and return the URL."""
        if self._server is not None:
            return self.url or ""
        server, url = self._bind()
        self._thread = threading.Thread(target=server.serve_forever, name="explain-dashboard", daemon=True)
        self._thread.start()
        print(f"Explanation dashboard at {url}", flush=True)
        logger.info("explanation dashboard at %s", url)
        return url

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the command line uses this)."""
        server, url = self._bind()
        print(f"Explanation dashboard at {url} (Ctrl+C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _repr_html_(self) -> str:
        """Inline view in Jupyter: an iframe of the running server."""
        url = self.url if self._server is not None else self.start()
        return (f'<iframe src="{url}" width="100%" height="900" style="border:1px solid #ddd" '
                f'title="Explanation dashboard"></iframe>')

    def __repr__(self) -> str:
        state = f"serving at {self.url}" if self._server is not None else "not serving"
        return (f"ExplanationDashboard({self.data.explanation.method}, {self.data.n_rows} rows, "
                f"{self.data.explanation.num_features} features, {state})")


@functools.cache
def _quiet_request_handler() -> type:
    """werkzeug's request handler without its line per request (errors are still logged); made
    on first use, as werkzeug comes with Dash, an extra."""
    from werkzeug.serving import WSGIRequestHandler

    class QuietRequestHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    return QuietRequestHandler


def _one_of(name: str, value: Any, alias: str, alias_value: Any) -> Any:
    """``value``, or its older spelling ``alias_value``; both given is an error."""
    if alias_value is None:
        return value
    if value is not None:
        raise ExplanationValueError(f"ExplanationDashboard: give {name} or {alias}, not both.")
    return alias_value
