"""Static export: an explanation as one self-contained HTML page, for sharing where no server runs.

Plotly's JavaScript is embedded once (in the first figure), so the page opens offline; all
text from the explanation goes through :func:`html.escape`; the file is written atomically.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from explain._explanation import Explanation
from explain._serialization import _atomic_write
from explain.dashboard._views import global_importance_figure, per_class_figure, summary_figure

__all__ = ["write_html"]

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}table{border-collapse:collapse;
font-size:.9em}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f4f4f4}
.note{color:#555;font-size:.9em}"""


def _section(explanation: Explanation, title: str, include_js: list[bool], top_k: int,
             feature_values: Any) -> str:
    parts = [f"<h2>{html.escape(title)}</h2>",
             f"<p class='note'>{html.escape(explanation.method)} · {explanation.num_examples} rows · "
             f"{explanation.num_features} features · fidelity: "
             f"{html.escape(explanation.fidelity.summary())}</p>"]
    figures = [global_importance_figure(explanation, top_k), per_class_figure(explanation, top_k),
               summary_figure(explanation, min(top_k, 15), feature_values=feature_values)]
    for figure in figures:
        if figure is None:
            continue
        parts.append(figure.to_html(full_html=False, include_plotlyjs=not include_js[0]))
        include_js[0] = True
    rows = "".join(
        f"<tr><td>{rank}</td><td>{html.escape(name)}</td><td>{value:.6g}</td></tr>"
        for rank, (name, value) in enumerate(explanation.get_feature_importance_dict(top_k).items(), 1)
    )
    parts.append(f"<table><tr><th>rank</th><th>feature</th><th>importance</th></tr>{rows}</table>")
    return "\n".join(parts)


def write_html(explanation: Explanation, path: str | Path, *, top_k: int = 20,
               feature_values: Any = None, title: str | None = None) -> Path:
    """Write ``explanation`` as a self-contained HTML page; return the path.

    Parameters
    ----------
    explanation : Explanation
        The explanation; a raw one also gets a section for its engineered explanation.
    path : str or path-like
        Target ``.html`` file (its folder must exist).
    top_k : int, default=20
        Features shown in each chart.
    feature_values : array-like of shape (n_rows, n_features), default=None
        The explained rows, to colour the summary plot by feature value.
    title : str, default=None
        Page title; default names the method and task.
    """
    title = title or f"Explanation: {explanation.method} ({explanation.model_task})"
    include_js = [False]
    space = "raw features" if explanation.is_raw else "engineered features"
    sections = [_section(explanation, f"Explanation in {space}", include_js, top_k, feature_values)]
    if explanation.engineered_explanation is not None:
        sections.append(_section(explanation.engineered_explanation, "Explanation in engineered features",
                                 include_js, top_k, None))
    expected = explanation.expected_values
    header = (f"<h1>{html.escape(title)}</h1><p class='note'>task: {html.escape(explanation.model_task)}"
              + (f" · classes: {html.escape(', '.join(map(str, explanation.classes)))}"
                 if explanation.classes else "")
              + (f" · expected values: {html.escape(str(expected))}" if expected is not None else "")
              + "</p>")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{header}{''.join(sections)}</body></html>")
    target = Path(path)
    _atomic_write(target, page.encode("utf-8"))
    return target
