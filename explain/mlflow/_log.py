"""Log an explanation to an MLflow run: the library's file, a PNG summary and (optionally) its page.

The explanation itself is stored by :class:`explain.ExplanationClient` over
:class:`~explain.mlflow.MlflowRun` (``explanations/<time>__explanation-<id>.npz`` and its
``.json`` metadata: the versioned format :func:`explain.load_explanation` checks), so
``ExplanationClient.from_mlflow_run(run_id)`` lists and downloads it as from any run. The PNG
(``explanations/explanation-<id>.png``) is what MLflow's UI previews; the HTML page
(``explanations/explanation-<id>.html``, Plotly embedded) is the interactive view.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from explain._client import ExplanationClient
from explain._exceptions import ExplanationTypeError
from explain._explanation import Explanation
from explain._optional import require
from explain._wording import importance_title
from explain.mlflow._run import EXPLANATIONS, MlflowRun

__all__ = ["log_explanation", "summary_png"]

TOP_K = 20


def log_explanation(explanation: Explanation, run_id: str, tracking_uri: str | None = None, *,
                    comment: str | None = None, html: bool = False, true_ys: Any = None) -> str:
    """Store ``explanation`` with the MLflow run ``run_id``; return its id.

    Parameters
    ----------
    explanation : Explanation
        What to store (a raw explanation keeps its engineered one inside).
    run_id : str
        The MLflow run.
    tracking_uri : str, default=None
        The tracking server or store; default MLflow's own.
    comment : str, default=None
        Stored with it; filters :meth:`ExplanationClient.list_model_explanations`.
    html : bool, default=False
        Also log the self-contained HTML page (a few MB: Plotly is embedded).
    true_ys : array-like, default=None
        One label per explained row, stored in the metadata.

    Returns
    -------
    str
        The explanation's id (``ExplanationClient.download_model_explanation(explanation_id)``).
    """
    if not isinstance(explanation, Explanation):
        raise ExplanationTypeError(
            f"log_explanation: expected an Explanation, got {type(explanation).__name__}.")
    run = MlflowRun(run_id, tracking_uri)
    explanation_id = ExplanationClient(run).upload_model_explanation(explanation, comment=comment,
                                                                     true_ys=true_ys)
    with tempfile.TemporaryDirectory() as folder:
        png = summary_png(explanation, Path(folder) / f"explanation-{explanation_id}.png")
        run.client.log_artifact(run.run_id, str(png), EXPLANATIONS)
        if html:
            page = explanation.to_html(Path(folder) / f"explanation-{explanation_id}.html")
            run.client.log_artifact(run.run_id, str(page), EXPLANATIONS)
    return explanation_id


def summary_png(explanation: Explanation, path: str | Path, top_k: int = TOP_K) -> Path:
    """Draw the ``top_k`` global importances of ``explanation`` as a bar chart in a PNG file.

    The title says what the values are (mean |contribution| over how many rows, by which
    method); the caption is the fidelity's one-line summary. Drawn on a figure of its own
    (not pyplot's), so the user's matplotlib backend and figures are left alone.
    """
    require("matplotlib", "mlflow", "the PNG summary of an explanation")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    order = np.argsort(-explanation.global_values, kind="stable")[:top_k][::-1]
    names = [explanation.features[i] for i in order]
    height = 1.5 + 0.3 * len(names)  # inches
    figure = Figure(figsize=(8, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.barh(range(len(names)), explanation.global_values[order], color="#1f77b4")
    axes.set_yticks(range(len(names)), labels=[_short(n) for n in names], fontsize=8)
    space = "raw columns" if explanation.is_raw else "engineered features"
    axes.set_title(f"{importance_title(explanation)} ({space}, {explanation.method})", fontsize=9)
    figure.text(0.01, 0.1 / height, _short(explanation.fidelity.summary(), 150), fontsize=7, ha="left",
                va="bottom")
    # fixed margins (tight_layout measures every text: slower): room for 40-character names
    figure.subplots_adjust(left=0.32, right=0.97, top=1 - 0.45 / height, bottom=0.55 / height)
    target = Path(path)
    figure.savefig(target)
    return target


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
