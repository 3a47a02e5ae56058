"""The HTML report of an experiment, with its tables as CSV files beside it.

The report is one self-contained file: plotly.js is embedded once (in the first figure), so
it opens offline and can be mailed around. Every piece of user text (experiment, column,
class and estimator names, error messages) goes through :func:`html.escape`; figure data is
JSON-encoded by Plotly, which escapes ``<`` and ``/``.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl._components import component_labels
from automl._exceptions import RunNotFoundError
from automl._metrics import get_metric
from automl._runs import ONE_SPLIT_ATTR, AutoMLRun, ChildRun
from automl._text import SHORT_NAMES, format_value, ranked_leaderboard
from explain import Explanation, ExplanationClient
from explain._wording import importance_title

__all__ = ["BEST_MODEL", "companion_paths", "format_expected_values", "load_run_explanation", "output_unit",
           "write_report"]

TOP_FEATURES = 20
MAX_CLASSES = 6  # classes drawn side by side in the per-class chart
BEST_MODEL = "best model"  # the comment automl._finalize stores the best model's explanation with
_UNITS = {"log_odds": "log-odds", "raw": "prediction", "margin": "decision function",
          "probability": "probability", "metric": "metric"}
_STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}table{border-collapse:collapse;
font-size:.88em;margin:.6em 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right}.note{color:#555;font-size:.9em}.best{background:#eef7ee}
table.fit{width:100%;font-size:.8em}table.fit th,table.fit td{overflow-wrap:anywhere;padding:3px 5px}"""


def write_report(run: AutoMLRun, path: str) -> str:
    """Write the experiment's HTML report and its CSV tables; return the report's path.

    The report: settings, leaderboard (table, and scores by run colored by estimator), the best
    model's top-20 raw and engineered global importances, per-class raw importances of a
    classifier, the featurization summary and the explanation's fidelity. Beside it, atomically
    written like it: ``<stem>_leaderboard.csv`` and, if the best model's explanation is stored,
    ``<stem>_importance_raw.csv`` and ``<stem>_importance_engineered.csv`` (``rank``,
    ``feature``, ``importance``), ``<stem>_per_class_raw.csv`` (``class`` + those; classifiers).

    Parameters
    ----------
    run : AutoMLRun
        The experiment.
    path : str
        Where to write the HTML file (its folder is created if missing).

    Returns
    -------
    str
        ``path``.

    Examples
    --------
    >>> run = AutoMLRun.load("my-experiment", storage="sqlite:///runs.db")  # doctest: +SKIP
    >>> write_report(run, "report.html")  # doctest: +SKIP
    'report.html'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    files = companion_paths(str(target))
    board = ranked_leaderboard(run)
    try:
        best: ChildRun | None = run.best_child()
    except RunNotFoundError:
        best = None
    raw = engineered = None
    if best is not None:
        try:
            raw = load_run_explanation(best, raw=True, comment=BEST_MODEL)
            engineered = raw.engineered_explanation or load_run_explanation(best, False, BEST_MODEL)
        except RunNotFoundError:
            pass
    tables = {"leaderboard": board}
    for key, explanation in (("importance_raw", raw), ("importance_engineered", engineered)):
        if explanation is not None:
            tables[key] = _importance_table(explanation)
    if raw is not None and raw.per_class_values is not None:
        tables["per_class_raw"] = _per_class_table(raw)
    for key, file in files.items():
        if key in tables:
            _atomic_write(file, tables[key].to_csv(index=False))
        elif key != "html":
            file.unlink(missing_ok=True)  # a table of an earlier report that no longer applies
    figures = _Figures()  # sections are rendered in page order: plotly.js goes in the first figure
    labels = component_labels(best.get_model()) if best is not None else {}
    sections = [_settings_section(run), _leaderboard_section(run, board, figures),
                _best_section(run, best), _importance_section(raw, engineered, figures, labels),
                _featurization_section(best), _fidelity_section(raw, engineered),
                _files_section(files)]
    _atomic_write(target, _page(run, sections))
    return str(target)


def companion_paths(path: str) -> dict[str, Path]:
    """The report ``path`` and the CSVs beside it: ``html``, ``leaderboard``, ``importance_raw``, ...."""
    target = Path(path)
    names = ("leaderboard", "importance_raw", "importance_engineered", "per_class_raw")
    return {"html": target, **{n: target.with_name(f"{target.stem}_{n}.csv") for n in names}}


def load_run_explanation(child: ChildRun, raw: bool, comment: str | None = None) -> Explanation:
    """The stored explanation of a run: the best model's if there is one, else the newest.

    Parameters
    ----------
    child : ChildRun
        The run.
    raw : bool
        Raw columns (``True``) or engineered features (``False``).
    comment : str, default=None
        Only explanations stored with this comment: ``"best model"`` (the best run refitted
        on all data) or ``"run"`` (a run's cheap explanation from its last fold).

    Returns
    -------
    Explanation

    Raises
    ------
    RunNotFoundError
        When the run has no stored explanation in that feature space.
    """
    client = ExplanationClient.from_run(child)
    found = client.list_model_explanations(comment, raw=True if raw else None,
                                           engineered=None if raw else True)
    if not found:
        why = child.trial.user_attrs.get("explain_error")
        raise RunNotFoundError(
            f"run {child.id!r} has no stored {'raw' if raw else 'engineered'} explanation"
            + (f" with comment {comment!r}" if comment else "")
            + (f" (explaining it failed: {why})" if why else "")
            + "; the best run is explained when model_explainability=True, others when explain_runs=True."
        )
    chosen = [m for m in found if m.get("comment") == BEST_MODEL] or found
    return client.download_model_explanation(chosen[-1]["id"], raw=True if raw else None,
                                             engineered=None if raw else True)


# ---------------------------------------------------------------------- tables
def _importance_table(explanation: Explanation) -> pd.DataFrame:
    """Ranked global importances: ``rank``, ``feature``, ``importance``."""
    names = explanation.get_ranked_global_names()
    return pd.DataFrame({"rank": range(1, len(names) + 1), "feature": names,
                         "importance": explanation.get_ranked_global_values()})


def _per_class_table(explanation: Explanation) -> pd.DataFrame:
    """Ranked importances per class: ``class``, ``rank``, ``feature``, ``importance``."""
    classes = explanation.classes or tuple(range(len(explanation.get_ranked_per_class_names())))
    rows = [{"class": label, "rank": rank, "feature": name, "importance": value}
            for label, names, values in zip(classes, explanation.get_ranked_per_class_names(),
                                            explanation.get_ranked_per_class_values(), strict=True)
            for rank, (name, value) in enumerate(zip(names, values, strict=True), start=1)]
    return pd.DataFrame(rows, columns=["class", "rank", "feature", "importance"])


def _html_table(frame: pd.DataFrame, index: bool = False, highlight_first: bool = False,
                fit: bool = False) -> str:
    """``frame`` as an HTML table, every cell escaped; ``fit``: as wide as the page, no wider
    (cells wrap, anywhere if they must), for tables of many columns."""
    if index:
        frame = frame.reset_index()
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for i, record in enumerate(frame.itertuples(index=False)):
        cells = "".join(
            f'<td class="num">{format_value(v)}</td>' if isinstance(v, int | float | np.number)
            and not isinstance(v, bool)
            else f"<td>{html.escape(format_value(v))}</td>" for v in record)
        cls = ' class="best"' if highlight_first and i == 0 else ""
        rows.append(f"<tr{cls}>{cells}</tr>")
    kind = ' class="fit"' if fit else ""
    return f"<table{kind}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# ---------------------------------------------------------------------- figures
class _Figures:
    """Renders figures to HTML, embedding plotly.js in the first one only."""

    def __init__(self) -> None:
        """Nothing embedded yet."""
        self.embedded = False

    def render(self, figure: Any, height: int) -> str:
        """The figure's HTML (with plotly.js the first time)."""
        figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                             template="plotly_white")
        out = figure.to_html(full_html=False, include_plotlyjs=not self.embedded,
                             default_height=f"{height}px", config={"displaylogo": False})
        self.embedded = True
        return str(out)


def _score_figure(run: AutoMLRun, board: pd.DataFrame, figures: _Figures) -> str:
    """Scores of the completed runs, best first, colored by estimator."""
    import plotly.graph_objects as go

    metric = run.primary_metric
    done = board[board["status"] == "Completed"]
    if done.empty or metric not in done:
        return ""
    figure = go.Figure()
    for estimator, rows in done.groupby("estimator", sort=False):
        figure.add_trace(go.Bar(x=rows["run"], y=rows[metric], name=str(estimator)))
    low, high = float(done[metric].min()), float(done[metric].max())
    pad = (high - low) * 0.15 or abs(high) * 0.01 or 0.01
    figure.update_layout(
        title=f"{metric} by run (completed runs, best first)", barmode="overlay",
        xaxis={"categoryorder": "array", "categoryarray": list(done["run"]), "title": "run"},
        yaxis={"range": [low - pad, high + pad], "title": f"{metric} (axis not from 0)"},
        legend_title_text="estimator")
    return figures.render(figure, 420)


def _importance_figure(explanation: Explanation, title: str, figures: _Figures,
                       labels: dict[str, str] | None = None) -> str:
    """Horizontal bars of the top global importances (features shown by ``labels`` where given)."""
    import plotly.graph_objects as go

    names = [(labels or {}).get(n, n) for n in explanation.get_ranked_global_names(TOP_FEATURES)]
    values = explanation.get_ranked_global_values(TOP_FEATURES)
    figure = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color="#4c78a8"))
    figure.update_layout(title=title, yaxis={"autorange": "reversed"},
                         xaxis={"title": _importance_unit(explanation)})
    return figures.render(figure, 140 + 22 * len(names))


def _per_class_figure(explanation: Explanation, figures: _Figures) -> str:
    """Grouped bars: each shown class's importance of the globally top features."""
    figure = _per_class_plot(explanation)
    return "" if figure is None else figures.render(figure, 480)


def _per_class_plot(explanation: Explanation) -> Any:
    """The per-class bar chart of the top :data:`TOP_FEATURES` features, or ``None``.

    A binary classifier has one output, so both classes have the same importances: one series
    is drawn (the second class's), not the same bars twice. With more than
    :data:`MAX_CLASSES` classes, the :data:`MAX_CLASSES` with the largest total importance are
    drawn (the per-class CSV has them all), and the title says so.
    """
    import plotly.graph_objects as go

    per_class = explanation.per_class_values_
    if per_class is None:
        return None
    names = explanation.get_ranked_global_names(TOP_FEATURES)
    where = [explanation.features.index(n) for n in names]
    classes = explanation.classes or tuple(range(per_class.shape[0]))
    shown, note = list(range(len(classes))), ""
    if len(classes) == 2 and np.allclose(per_class[0], per_class[1]):
        shown, note = [1], f"; the same for {classes[0]}: a binary model has one output"
    elif len(classes) > MAX_CLASSES:
        shown = sorted(np.argsort(-per_class.sum(axis=1), kind="stable")[:MAX_CLASSES].tolist())
        note = f"; the {MAX_CLASSES} of {len(classes)} classes with the largest total importance"
    figure = go.Figure([go.Bar(x=names, y=per_class[i, where], name=str(classes[i])) for i in shown])
    title = (f"Raw importance for class {classes[shown[0]]}" if len(shown) == 1
             else "Raw importance per class") + f" (top {len(names)} features{note})"
    figure.update_layout(title=title, barmode="group", xaxis={"tickangle": -40},
                         yaxis={"title": _importance_unit(explanation)}, legend_title_text="class",
                         showlegend=len(shown) > 1)
    return figure


def format_expected_values(explanation: Explanation) -> str:
    """Expected value(s) as text, ``"benign: -1.2, malignant: 1.2"`` or ``"152.1"`` (or empty)."""
    expected = explanation.expected_values
    if expected is None:
        return ""
    if explanation.is_classification:
        labels = explanation.classes or tuple(range(len(expected)))
        return ", ".join(f"{c}: {v:.4g}" for c, v in zip(labels, expected, strict=True))
    return f"{expected[0]:.4g}"  # a regression's one value (a list of one, as in interpret-community)


def output_unit(explanation: Explanation) -> str:
    """What the explanation's values add up to, in words: ``"log-odds"``, ``"prediction"``, ..."""
    return _UNITS.get(explanation.output_space, explanation.output_space)


def _importance_unit(explanation: Explanation) -> str:
    """The importance axis title."""
    return f"mean |contribution| ({output_unit(explanation)})"


# ---------------------------------------------------------------------- sections
def _settings_section(run: AutoMLRun) -> str:
    """The experiment's settings and where it is stored."""
    settings = run.settings
    features = [str(f) for f in settings.pop("features", [])]
    rows = [(k, ", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in settings.items()]
    rows.append(("features", f"{len(features)}: " + ", ".join(features[:30])
                 + (", ..." if len(features) > 30 else "")))
    rows.append(("storage", run.store.url))
    rows.append(("artifact path", run.store.artifact_path))
    frame = pd.DataFrame(rows, columns=["setting", "value"]).astype({"value": str})
    return "<h2>Settings</h2>" + _html_table(frame)


def _leaderboard_section(run: AutoMLRun, board: pd.DataFrame, figures: _Figures) -> str:
    """The leaderboard: run counts, the score chart and the table."""
    if board.empty:
        return "<h2>Leaderboard</h2><p>No runs yet.</p>"
    greater = get_metric(run.primary_metric, run.task).greater_is_better
    counts = board["status"].value_counts().to_dict()
    summary = ", ".join(f"{n} {html.escape(str(s)).lower()}" for s, n in counts.items())
    shown = board.assign(error=board["error"].astype(str).str.slice(0, 120))
    shown = shown.rename(columns={**SHORT_NAMES, "explain_seconds": "explain s"})
    return (f"<h2>Leaderboard</h2><p>{len(board)} runs ({summary}), ranked by "
            f"<b>{html.escape(run.primary_metric)}</b> ({'higher' if greater else 'lower'} is better; "
            f"{_validation_words(run)}). Pruned runs stopped early; their "
            "score covers the folds or row samples they finished.</p>"
            + _score_figure(run, board, figures) + _html_table(shown, highlight_first=True, fit=True))


def _validation_words(run: AutoMLRun) -> str:
    """How the runs were scored, as the search recorded it."""
    if run.study.user_attrs.get(ONE_SPLIT_ATTR):
        return ("scored on one validation split: the validation data, or a share of a large table's "
                "rows, with runs fitted on growing samples of the rest")
    return "cross-validated unless validation data were given"


def _best_section(run: AutoMLRun, best: ChildRun | None) -> str:
    """The best run's metrics and hyperparameters."""
    if best is None:
        return "<h2>Best run</h2><p>No completed run.</p>"
    params = pd.DataFrame(sorted(best.params.items()), columns=["hyperparameter", "value"])
    params["value"] = params["value"].astype(str)
    metrics = pd.DataFrame(sorted(best.metrics.items()), columns=["metric", "value"])
    return (f"<h2>Best run</h2><p><b>{html.escape(best.id)}</b> — {html.escape(best.estimator)}, "
            f"{html.escape(run.primary_metric)} = {format_value(best.score)}</p>"
            + _html_table(metrics) + _html_table(params))


def _importance_section(raw: Explanation | None, engineered: Explanation | None,
                        figures: _Figures, labels: dict[str, str]) -> str:
    """The raw and engineered (and per-class) importance charts; text components labelled with
    their top tokens (``labels``)."""
    head = "<h2>Global feature importance of the best model</h2>"
    if raw is None and engineered is None:
        return head + "<p>No stored explanation for the best run.</p>"
    shown = raw if raw is not None else engineered
    assert shown is not None
    rows = f"{shown.fidelity.explained_rows}" if shown.fidelity.explained_rows else \
        f"{shown.num_examples} explained rows"
    parts = [head, f"<p class='note'>{html.escape(importance_title(shown))}: mean absolute contribution "
             f"of each feature to the model output over {html.escape(rows)}. Raw importances are the "
             "user's columns; engineered ones the features the estimator saw (one-hot columns, "
             "imputation indicators, ...).</p>",
             f"<p class='note'><b>Fidelity:</b> {html.escape(shown.fidelity.summary())}</p>"]
    if raw is not None:
        parts.append(_importance_figure(raw, f"Raw columns (top {min(TOP_FEATURES, raw.num_features)} "
                                             f"of {raw.num_features})", figures))
    if engineered is not None:
        parts.append(_importance_figure(
            engineered, f"Engineered features (top {min(TOP_FEATURES, engineered.num_features)} "
                        f"of {engineered.num_features})", figures, labels))
    if raw is not None and raw.per_class_values is not None:
        parts.append("<h3>Per class (raw columns)</h3>" + _per_class_figure(raw, figures))
    return "".join(parts)


def _featurization_section(best: ChildRun | None) -> str:
    """The featurizer's ``describe()`` table, when the model's first step has one."""
    if best is None:
        return ""
    model = best.get_model()
    steps = getattr(model, "steps", None)
    first = steps[0][1] if steps else None
    if first is None or not hasattr(first, "describe"):
        return "<h2>Featurization</h2><p>The model's first step has no featurization summary.</p>"
    return ("<h2>Featurization</h2><p class='note'>What the automatic featurization did to each raw "
            "column.</p>" + _html_table(first.describe(), index=True))


def _fidelity_section(raw: Explanation | None, engineered: Explanation | None) -> str:
    """Method, output space, expected values and fidelity of the explanation."""
    explanation = raw if raw is not None else engineered
    if explanation is None:
        return ""
    expected = format_expected_values(explanation)
    rows = [("method", explanation.method), ("model", explanation.model_type or ""),
            ("values add up to", output_unit(explanation)), ("rows explained", explanation.num_examples),
            ("expected value(s)", expected),
            ("fidelity", explanation.fidelity.summary())]
    if engineered is not None and engineered is not explanation:
        rows.append(("fidelity (engineered)", engineered.fidelity.summary()))
    frame = pd.DataFrame(rows, columns=["", "value"]).astype({"value": str})
    return "<h2>Explanation fidelity</h2>" + _html_table(frame)


def _files_section(files: dict[str, Path]) -> str:
    """Links to the CSV files written beside the report."""
    links = "".join(f'<li><a href="{html.escape(p.name, quote=True)}">{html.escape(p.name)}</a></li>'
                    for key, p in files.items() if key != "html" and p.exists())
    return f"<h2>Tables</h2><ul>{links}</ul>"


def _page(run: AutoMLRun, sections: list[str]) -> str:
    """The whole HTML document."""
    body = "".join(sections)
    title = html.escape(f"AutoML report: {run.experiment_name}")
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
            f"<p class='note'>{html.escape(run.task)} · written {stamp}</p>{body}</body></html>")


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    # open(..., "x") rather than tempfile.mkstemp: mkstemp's files are private (0600), a report is shared
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "x", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
