"""``ExplanationAdapter``: an :class:`~explain.Explanation` from importance values computed elsewhere."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from explain._datasets import ExplanationData
from explain._exceptions import ExplanationTypeError, ExplanationValueError
from explain._explanation import Explanation
from explain._fidelity import Fidelity

__all__ = ["ExplanationAdapter"]

_NOTE = "values given to ExplanationAdapter; their additivity was not checked here"


class ExplanationAdapter:
    """Build explanations from local importance values of another framework (shap, Captum, ...).

    As interpret-community's ``interpret_community.adapter.ExplanationAdapter``.

    Parameters
    ----------
    features : sequence of str, default=None
        Feature names; default ``"x0"``, ``"x1"``, ...
    classification : bool, default=False
        Whether the values explain a classifier.
    method : str, default="Adapter"
        Recorded as the explanation's ``method``.

    Examples
    --------
    >>> import numpy as np
    >>> from explain.compat import ExplanationAdapter
    >>> adapter = ExplanationAdapter(features=["a", "b"], classification=False)
    >>> explanation = adapter.create_global(np.array([[1.0, -2.0], [3.0, 0.0]]), expected_values=0.5)
    >>> explanation.global_importance_values
    [2.0, 1.0]
    """

    def __init__(self, features: Any = None, classification: bool = False, method: str = "Adapter") -> None:
        self.features = features
        self.classification = classification
        self.method = method

    def create_local(self, local_importance_values: Any, evaluation_examples: Any = None,
                     expected_values: Any = None) -> Explanation:
        """A local (and global) explanation of the given values.

        Parameters
        ----------
        local_importance_values : array-like, list of arrays or tensor
            (rows, features) for regression, or a classifier's positive class (the negative
            class gets the opposite values); a list of (rows, features) per class; or a 3-D
            array (rows, features, classes) as shap >= 0.46 returns.
        evaluation_examples : array-like of shape (rows, features), default=None
            The explained rows, kept as ``eval_data``.
        expected_values : float or array-like of shape (outputs,), default=None
            Base values.
        """
        return self._build(local_importance_values, evaluation_examples, expected_values, keep_local=True)

    def create_global(self, local_importance_values: Any, evaluation_examples: Any = None,
                      expected_values: Any = None, include_local: bool = True,
                      batch_size: int = 100) -> Explanation:
        """A global explanation aggregating the given values (mean |value| per feature).

        ``include_local=False`` keeps only the aggregate; ``batch_size`` is accepted for
        interpret-community's signature (the values are already in memory).
        """
        return self._build(local_importance_values, evaluation_examples, expected_values,
                           keep_local=bool(include_local))

    def _build(self, values: Any, evaluation_examples: Any, expected_values: Any,
               keep_local: bool) -> Explanation:
        local = self._local_array(values)
        n_outputs, _, n_features = local.shape
        expected = None
        if expected_values is not None:
            expected = np.atleast_1d(np.asarray(_numpy(expected_values), dtype=np.float64)).ravel()
            if self.classification and n_outputs == 2 and expected.size == 1:
                expected = np.concatenate([-expected, expected])
            if expected.size != n_outputs:
                raise ExplanationValueError(
                    f"ExplanationAdapter: expected_values has {expected.size} values for "
                    f"{n_outputs} outputs.")
        features = self.features
        if features is None:
            features = [f"x{i}" for i in range(n_features)]
        explanation = Explanation.from_local(
            local, expected, keep_local=keep_local, method=self.method,
            model_task="classification" if self.classification else "regression",
            features=list(features), fidelity=Fidelity(notes=(_NOTE,)),
        )
        if evaluation_examples is not None:
            explanation = replace(explanation, datasets=ExplanationData(eval_data=evaluation_examples))
        return explanation

    def _local_array(self, values: Any) -> np.ndarray:
        """Values as (outputs, rows, features)."""
        if isinstance(values, list) and values and not np.isscalar(values[0]):
            array = np.stack([np.asarray(_numpy(v), dtype=np.float64) for v in values])
        else:
            array = np.asarray(_numpy(values), dtype=np.float64)
            if array.ndim == 3:  # shap >= 0.46: (rows, features, classes)
                array = np.moveaxis(array, 2, 0)
        if array.ndim == 2:
            array = np.stack([-array, array]) if self.classification else array[None]
        if array.ndim != 3 or (not self.classification and array.shape[0] != 1):
            raise ExplanationValueError(
                "ExplanationAdapter: local_importance_values must be (rows, features), a list of "
                f"(rows, features) per class, or (rows, features, classes); got shape {array.shape} "
                f"for a {'classification' if self.classification else 'regression'} explanation.")
        return array


def _numpy(values: Any) -> Any:
    """Sparse matrices, torch tensors (detached) and lists as NumPy-convertible objects."""
    if sp.issparse(values):
        return values.toarray()
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        return values.detach().cpu().numpy()
    if isinstance(values, str | bytes):
        raise ExplanationTypeError("ExplanationAdapter: importance values must be numbers, got text.")
    return values
