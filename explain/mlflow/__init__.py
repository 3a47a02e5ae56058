"""Explanations and scoring explainers in MLflow (``pip install 'automl-explain[mlflow]'``).

:func:`log_explanation` stores an explanation with an MLflow run (the library's versioned
file, a PNG summary, optionally the HTML page); ``ExplanationClient.from_mlflow_run(run_id)``
(over :class:`MlflowRun`) lists and downloads them. :func:`log_scoring_explainer` logs a
scoring explainer as a ``pyfunc`` model whose ``predict`` returns predictions and local
importances (:func:`scored_frame`), so ``mlflow models serve`` serves explanations.
Importing this package imports MLflow; ``import explain`` does not.
"""

from explain.mlflow._log import log_explanation, summary_png
from explain.mlflow._pyfunc import ScoringExplainerModel, log_scoring_explainer, scored_frame
from explain.mlflow._run import MlflowRun, model_name

__all__ = [
    "MlflowRun",
    "ScoringExplainerModel",
    "log_explanation",
    "log_scoring_explainer",
    "model_name",
    "scored_frame",
    "summary_png",
]
