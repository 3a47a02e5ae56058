"""A scoring explainer as an MLflow ``pyfunc`` model: predictions and local importances in one table.

``mlflow models serve`` (or any pyfunc consumer: ``mlflow.pyfunc.load_model``, Spark UDFs,
batch inference) then returns explanations with every prediction. The model's one artifact
is the folder :func:`explain.scoring.save` writes (model, explainer state, manifest with
checksums); loading it checks the checksums and library versions, as
:func:`explain.scoring.load` does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explain._exceptions import ExplanationTypeError
from explain._version import __version__
from explain.mlflow._run import model_name
from explain.scoring._explainers import ScoringExplainer
from explain.scoring._persist import load, save

try:
    import mlflow
    import mlflow.pyfunc
    from mlflow.pyfunc.model import PythonModel
except ImportError as exc:  # the [mlflow] extra
    raise ImportError("a scoring explainer as an MLflow model needs mlflow: "
                      "pip install 'automl-explain[mlflow]'") from exc

__all__ = ["ScoringExplainerModel", "log_scoring_explainer", "scored_frame"]

ARTIFACT = "scoring_explainer"


class ScoringExplainerModel(PythonModel):
    """The pyfunc model :func:`log_scoring_explainer` logs; ``predict`` returns :func:`scored_frame`.

    Parameters (of ``predict``, passed as MLflow ``params``)
    ----------
    raw : bool
        Raw-column importances (``True``) or engineered ones (``False``); the model's
        signature makes it default to raw when the scoring explainer has a featurization.
    """

    def load_context(self, context: Any) -> None:
        self.scoring_ = load(context.artifacts[ARTIFACT])

    # MLflow reads predict's type hints: a DataFrame (what pyfunc passes after checking the
    # signature) is taken as is; Any, or no hint, makes it warn
    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        raw = None if not params or params.get("raw") is None else bool(params["raw"])
        return scored_frame(self.scoring_, model_input, raw=raw)


def scored_frame(scoring: ScoringExplainer, rows: Any, raw: bool | None = None) -> pd.DataFrame:
    """Predictions, probabilities, expected values and local importances of ``rows``, one row each.

    Columns: ``prediction``; for a classifier ``probability[<class>]`` per class; then
    ``expected_value`` and ``importance[<feature>]`` for a regressor, or, per explained class,
    ``expected_value[<class>]`` and ``importance[<class>][<feature>]``. A binary classifier is
    explained for its second class only (the first one's values are the same, negated), so
    each row's importances plus its expected value add up to the model's output for that
    class (log-odds or probability, as ``scoring.output_space_`` says).

    Parameters
    ----------
    scoring : ScoringExplainer
        The scoring explainer.
    rows : DataFrame, polars DataFrame, pyarrow Table or array-like
        Rows in the scoring explainer's input columns (matched by name).
    raw : bool, default=None
        See :meth:`explain.scoring.ScoringExplainer.explain`.

    Returns
    -------
    DataFrame of shape (n_rows, n_columns)
    """
    if not isinstance(scoring, ScoringExplainer):
        raise ExplanationTypeError(
            f"scored_frame: expected a ScoringExplainer, got {type(scoring).__name__}.")
    scored = scoring.score(rows, explain=True, get_raw=raw)
    assert scored.values is not None and scored.expected is not None  # explain=True
    names = scoring.output_features(scored.raw)
    columns: dict[str, Any] = {"prediction": scored.predictions}
    if scoring.model_task_ == "regression":
        columns["expected_value"] = np.full(len(scored.predictions), scored.expected[0])
        columns.update({f"importance[{name}]": scored.values[0][:, j] for j, name in enumerate(names)})
        return pd.DataFrame(columns)
    classes = list(scoring.classes_ if scoring.classes_ is not None else range(scored.values.shape[0]))
    assert scored.probabilities is not None  # a classifier
    columns.update({f"probability[{label}]": scored.probabilities[:, k] for k, label in enumerate(classes)})
    explained = [1] if len(classes) == 2 else range(len(classes))
    for k in explained:
        columns[f"expected_value[{classes[k]}]"] = np.full(len(scored.predictions), scored.expected[k])
        columns.update({f"importance[{classes[k]}][{name}]": scored.values[k][:, j]
                        for j, name in enumerate(names)})
    return pd.DataFrame(columns)


def log_scoring_explainer(scoring: ScoringExplainer, name: str = "scoring_explainer",
                          input_example: Any = None, signature_rows: Any = None) -> Any:
    """Log ``scoring`` as a pyfunc model of the active MLflow run; return MLflow's ``ModelInfo``.

    Parameters
    ----------
    scoring : ScoringExplainer
        The scoring explainer (saved with :func:`explain.scoring.save` into the model).
    name : str, default="scoring_explainer"
        The model's name in the run.
    input_example : DataFrame, default=None
        A few input rows, stored with the model; with ``signature_rows`` they give its signature.
    signature_rows : DataFrame, default=None
        Rows to infer the input and output signature from (default ``input_example``): rows
        with missing values make those columns optional. The signature also holds the
        ``raw`` parameter of ``predict`` (default: raw columns when there is a featurization).

    Returns
    -------
    mlflow.models.model.ModelInfo
        Its ``model_uri`` loads or serves the model (``mlflow models serve -m URI``).

    Examples
    --------
    >>> import mlflow                                                    # doctest: +SKIP
    >>> with mlflow.start_run():                                         # doctest: +SKIP
    ...     info = log_scoring_explainer(scoring, input_example=X.head())
    >>> mlflow.pyfunc.load_model(info.model_uri).predict(X.head())       # doctest: +SKIP
    """
    if not isinstance(scoring, ScoringExplainer):
        raise ExplanationTypeError(
            f"log_scoring_explainer: expected a ScoringExplainer, got {type(scoring).__name__}.")
    signature = None
    sample = signature_rows if signature_rows is not None else input_example
    if sample is not None:
        # the params schema lets callers (and `mlflow models serve` requests) choose the space
        params = {"raw": scoring.feature_map_ is not None}
        signature = mlflow.models.infer_signature(sample, scored_frame(scoring, sample), params=params)
    with tempfile.TemporaryDirectory() as folder:
        saved = save(scoring, Path(folder) / ARTIFACT)
        return mlflow.pyfunc.log_model(
            **model_name(name), python_model=ScoringExplainerModel(), artifacts={ARTIFACT: str(saved)},
            signature=signature, input_example=input_example,
            pip_requirements=[f"automl-explain=={__version__}"])
