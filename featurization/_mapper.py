"""The sklearn-pandas ``(columns, transformer)`` list form, without sklearn-pandas itself.

sklearn-pandas 2.2 no longer imports with current scikit-learn, but its format is common in
existing code: a list of fitted ``(columns, transformer)`` or ``(columns, transformer,
options)`` tuples, or a ``DataFrameMapper`` whose ``built_features`` (or ``features``) holds
them. :class:`ColumnMapper` reads either (duck-typed) and applies it as sklearn-pandas does:
a column given as a string is passed as a 1-D vector, a list of columns as a 2-D frame, and
``None`` as transformer passes the columns through; a list of transformers is applied in
sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from featurization._exceptions import FeaturizationTypeError, FeaturizationValueError
from featurization._feature_map import FeatureMap
from featurization._lineage import names_outputs, step_map

__all__ = ["ColumnMapper", "is_mapper_like"]


def is_mapper_like(obj: Any) -> bool:
    """Whether ``obj`` is a list of ``(columns, transformer)`` tuples or a DataFrameMapper."""
    if isinstance(obj, list | tuple):
        return len(obj) > 0 and all(
            isinstance(t, tuple) and len(t) in (2, 3)
            and isinstance(t[0], str | list | tuple | pd.Index | np.ndarray)
            for t in obj
        )
    return hasattr(obj, "built_features") or (
        type(obj).__name__ == "DataFrameMapper" and hasattr(obj, "features")
    )


class ColumnMapper:
    """Apply a list of fitted ``(columns, transformer)`` tuples to a DataFrame.

    Parameters
    ----------
    features : list of tuple, or a DataFrameMapper
        Fitted ``(columns, transformer[, options])`` tuples; ``columns`` is a column name
        or a list of names (a ``pandas.Index`` or NumPy array of names too), ``transformer``
        a fitted transformer, a list of them, or ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import StandardScaler
    >>> from featurization import ColumnMapper
    >>> frame = pd.DataFrame({"age": [20.0, 40.0], "income": [1.0, 3.0]})
    >>> mapper = ColumnMapper([(["age"], StandardScaler().fit(frame[["age"]])), ("income", None)])
    >>> mapper.transform(frame)
    array([[-1.,  1.],
           [ 1.,  3.]])
    """

    def __init__(self, features: Any) -> None:
        source: Any
        if isinstance(features, list | tuple):
            source = features
        else:  # a DataFrameMapper: fitted tuples live in built_features
            source = getattr(features, "built_features", None) or getattr(features, "features", None)
        if not source:
            raise FeaturizationTypeError(
                "ColumnMapper: expected a list of (columns, transformer) tuples or a "
                f"DataFrameMapper, got {type(features).__name__}."
            )
        self.features = [self._check(item, i) for i, item in enumerate(source)]

    @staticmethod
    def _check(item: Any, position: int) -> tuple[Any, Any]:
        if not isinstance(item, tuple) or len(item) not in (2, 3):
            raise FeaturizationTypeError(
                f"ColumnMapper: item {position} must be a (columns, transformer) tuple, got {item!r}."
            )
        columns, transformer = item[0], item[1]
        if isinstance(columns, pd.Index | np.ndarray):  # a list of names in pandas' or NumPy's form
            columns = [c.item() if isinstance(c, np.generic) else c for c in columns.tolist()]
        if not isinstance(columns, str) and not (
            isinstance(columns, list | tuple) and all(isinstance(c, str) for c in columns)
        ):
            raise FeaturizationTypeError(
                f"ColumnMapper: item {position} columns must be a name or a list of names, "
                f"got {columns!r}."
            )
        return columns, transformer

    @property
    def input_columns(self) -> list[str]:
        """The raw columns the mapper reads, in order of first use."""
        seen: dict[str, None] = {}
        for columns, _ in self.features:
            seen.update(dict.fromkeys([columns] if isinstance(columns, str) else columns))
        return list(seen)

    def _steps(self, transformer: Any) -> list[Any]:
        if transformer is None:
            return []
        return list(transformer) if isinstance(transformer, list | tuple) else [transformer]

    def transform(self, X: pd.DataFrame) -> Any:
        """Transform a DataFrame; returns a dense array, or CSR if any block is sparse."""
        if not isinstance(X, pd.DataFrame):
            raise FeaturizationTypeError(
                f"ColumnMapper.transform: expected a pandas DataFrame, got {type(X).__name__}."
            )
        missing = [c for c in self.input_columns if c not in X.columns]
        if missing:
            raise FeaturizationValueError(f"ColumnMapper.transform: missing columns {missing[:5]}.")
        blocks = []
        for columns, transformer in self.features:
            data: Any = X[columns].to_numpy() if isinstance(columns, str) else X[list(columns)]
            steps = self._steps(transformer)
            if steps and hasattr(steps[0], "n_features_in_") and not hasattr(steps[0], "feature_names_in_"):
                data = np.asarray(data)  # fitted on an array, as sklearn-pandas fits without input_df
            for step in steps:
                data = step.transform(data)
            block = data if sp.issparse(data) else np.asarray(data)
            blocks.append(block.reshape(-1, 1) if block.ndim == 1 else block)
        if any(sp.issparse(b) for b in blocks):
            return sp.hstack([sp.csr_matrix(b) for b in blocks], format="csr")
        return np.hstack([np.asarray(b, dtype=np.float64) for b in blocks])

    def feature_map(self, raw_feature_names: Sequence[str] | None = None, *,
                    allow_all_transformations: bool = False, example: pd.DataFrame | None = None
                    ) -> FeatureMap:
        """The map from the raw columns to the mapper's outputs.

        ``example`` (raw rows) counts the outputs of a transformer that cannot name them; see
        :func:`featurization.feature_map_from`.
        """
        raw = list(raw_feature_names) if raw_feature_names is not None else self.input_columns
        unknown = [c for c in self.input_columns if c not in raw]
        if unknown:
            raise FeaturizationValueError(f"ColumnMapper: unknown raw columns {unknown[:5]}.")
        groups: dict[str, list[str]] = {}
        outputs: list[str] = []
        for columns, transformer in self.features:
            inputs = [columns] if isinstance(columns, str) else list(columns)
            part = FeatureMap.identity(inputs)
            steps = self._steps(transformer)
            counted = self._n_outputs(columns, steps, example)
            for i, step in enumerate(steps):
                part = part.compose(self._step(step, part.engineered_feature_names,
                                               allow_all_transformations,
                                               counted if i == len(steps) - 1 else None))
            names = _unique(outputs, part.engineered_feature_names)
            for raw_name, produced in part.groups().items():
                index = [part.engineered_feature_names.index(p) for p in produced]
                groups.setdefault(raw_name, []).extend(names[i] for i in index)
            outputs.extend(names)
        return FeatureMap.from_groups(raw, groups, outputs)

    def _n_outputs(self, columns: Any, steps: list[Any], example: pd.DataFrame | None) -> int | None:
        """Outputs of an item's steps on ``example`` (only when its last step names none)."""
        if example is None or not steps:
            return None
        if names_outputs(steps[-1]):
            return None
        try:
            data = ColumnMapper([(columns, steps)]).transform(example)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # the user's transformer failed
            raise FeaturizationValueError(
                f"ColumnMapper: the transformer of columns {columns!r} failed on the example rows: "
                f"{type(exc).__name__}: {exc}") from exc
        return int(data.shape[1])

    @staticmethod
    def _step(step: Any, inputs: Sequence[str], allow_all: bool,
              n_outputs: int | None = None) -> FeatureMap:
        classes = getattr(step, "classes_", None)
        if type(step).__name__ == "LabelBinarizer" and classes is not None and len(inputs) == 1:
            labels = list(classes) if len(classes) > 2 else [classes[-1]]
            return FeatureMap.from_groups(inputs, {inputs[0]: [f"{inputs[0]}_{c}" for c in labels]})
        if type(step).__name__ == "LabelEncoder" and len(inputs) == 1:  # 1-D in, 1-D out
            return FeatureMap.identity(inputs)
        return step_map(step, inputs, allow_all_transformations=allow_all, n_outputs=n_outputs)


def _unique(taken: list[str], names: Sequence[str]) -> list[str]:
    """Make ``names`` unique against ``taken`` by suffixing repeats, as output names must be."""
    used = set(taken)
    out = []
    for name in names:
        candidate, k = name, 1
        while candidate in used:
            candidate, k = f"{name}_{k}", k + 1
        used.add(candidate)
        out.append(candidate)
    return out
