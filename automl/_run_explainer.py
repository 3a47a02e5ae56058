"""The explainer of a run's model, as scoring uses it (``ChildRun.get_explainer``).

The search stores with the best run the explainer that produced its stored explanation
(``explainer.joblib``, see :mod:`automl._finalize`); its fidelity is that explanation's. A run
without one (not the best) gets it built once, the same way (the model's own exact explainer,
a LightGBM mimic, or a blend of its members), explained on up to :data:`PROBE_ROWS` of the
rows held out from its fit to record its fidelity, and both are stored with the run: later
calls, and every start of a scoring service, load them and train nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from automl._exceptions import RunNotFoundError
from automl._explanations import model_explainer, with_fidelity_fields, with_model_agreement
from explain import ExplanationClient
from explain._fidelity import Fidelity
from explain.scoring import RunExplainer

if TYPE_CHECKING:
    from automl._runs import AutoMLRun, ChildRun

__all__ = ["EXPLAINER", "EXPLAINER_FIDELITY", "run_explainer"]

logger = logging.getLogger("automl")
EXPLAINER = "explainer.joblib"  # the name automl._finalize stores the best run's explainer under
EXPLAINER_FIDELITY = "explainer_fidelity.joblib"
BEST_MODEL = "best model"  # the comment of the best run's stored explanation
BACKGROUND_ROWS = 2000
PROBE_ROWS = 200
EXAMPLE_ROWS = 20


def run_explainer(parent: AutoMLRun, child: ChildRun) -> RunExplainer:
    """The stored explainer of ``child`` with its fidelity (built and stored once if absent)."""
    store, study = parent.store, parent.study
    model = child.get_model()
    stored = store.latest_object(study, child.number, EXPLAINER)
    fidelity = store.latest_object(study, child.number, EXPLAINER_FIDELITY)
    if stored is None:
        stored, fidelity = _build(parent, child, model)
        store.upload_object(study, child.number, EXPLAINER, stored)
        store.upload_object(study, child.number, EXPLAINER_FIDELITY, fidelity)
    elif fidelity is None:
        fidelity = _stored_fidelity(child)
    examples = _examples(parent, child) if stored.featurizer is not None else None
    return RunExplainer(stored.explainer, model, stored.featurizer, fidelity, examples)


def _build(parent: AutoMLRun, child: ChildRun, model: Any) -> tuple[Any, Fidelity]:
    """The run's explainer, as the search builds the best run's, and its fidelity on held-out rows."""
    X, _ = parent.training_data()
    seed = int(parent.settings.get("random_state") or 0)
    held_out = parent.store.latest_object(parent.study, "experiment", "holdout.joblib")
    if held_out is not None and len(held_out):
        held = np.asarray(held_out)
        fit_rows = X.iloc[np.setdiff1d(np.arange(len(X)), held)]
        rows, source = X.iloc[held], "held-out rows (not used to fit the model)"
    else:
        fit_rows, rows, source = X, X, "rows of the training data (the model was fitted on them)"
    logger.info("run %s has no stored explainer: building it once (stored with the run)", child.id)
    background = fit_rows.sample(min(BACKGROUND_ROWS, len(fit_rows)), random_state=seed)
    explainer = model_explainer(model, background, random_state=seed)
    probe = rows.sample(min(PROBE_ROWS, len(rows)), random_state=seed).sort_index()
    explanation = explainer.explain(probe)
    if explanation.fidelity.is_surrogate:
        explanation = with_model_agreement(explanation, model, probe)
    explanation = with_fidelity_fields(explanation, explained_rows=f"{len(probe):,} {source}")
    return explainer, explanation.fidelity


def _stored_fidelity(child: ChildRun) -> Fidelity | None:
    """The fidelity of the run's stored best-model explanation (``None`` if it has none)."""
    client = ExplanationClient.from_run(child)
    found = client.list_model_explanations(BEST_MODEL, raw=True, engineered=None)
    if not found:
        return None
    explanation = client.download_model_explanation(found[-1]["id"], raw=True)
    return explanation.fidelity  # type: ignore[no-any-return]


def _examples(parent: AutoMLRun, child: ChildRun) -> pd.DataFrame:
    """A few raw rows, whose column kinds shape the scoring service's input schema."""
    rows = parent.store.latest_object(parent.study, child.number, "explained_rows.joblib")
    if rows is not None:
        return rows["X"].head(EXAMPLE_ROWS)
    X, _ = parent.training_data()
    if X is None:
        raise RunNotFoundError(f"experiment {parent.experiment_name!r} has no stored training data.")
    return X.head(EXAMPLE_ROWS)
