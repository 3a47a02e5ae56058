"""A fitted featurizer compiled for scoring: a few rows in, the pipeline's numbers out.

``featurizer.transform(frame)`` on skrub's ``TableVectorizer`` runs a pipeline of column-wise
steps, each building data frames; for one row of a wide table that costs tens of
milliseconds, almost all of it bookkeeping. :func:`compile_featurizer` reads the fitted
objects once (category tables, datetime formats and parts, imputation values, the text
encoders' fitted vectorizers) and returns a :class:`CompiledFeaturizer` that takes the rows
as columns of Python values and gives the same float64 matrix as the pipeline, value for value
(the tests hold it so on every column kind). A column whose chain of fitted steps has no
compiled form runs those steps on a one-column Series (``CompiledFeaturizer.fallback_columns``
names them); steps after the featurizer that work on arrays (a scaler) are applied as they are.

Compiled: :class:`~featurization.AutoFeaturizer`, skrub's ``TableVectorizer`` (pandas), and
the identity ``FunctionTransformer`` (AutoML's ``featurization="off"``), alone or first in a
``Pipeline``. Anything else returns ``None``: the caller keeps the pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from featurization._auto import AutoFeaturizer
from featurization._column_plans import (
    ColumnPlan,
    FallbackPlan,
    NumberPlan,
    UnusedPlan,
)
from featurization._exceptions import FeaturizationValueError
from featurization._input_contract import ColumnSpec
from featurization._number_block import NumberBlock

__all__ = ["CompiledFeaturizer", "Featurized", "compile_featurizer"]


@dataclass(frozen=True)
class Featurized:
    """What :meth:`CompiledFeaturizer.transform_columns` returns.

    Attributes
    ----------
    matrix : ndarray of shape (n_rows, n_features)
        The engineered rows, as the pipeline computes them.
    unknown : tuple of (int, str, object)
        ``(row, column, value)`` of each category ``fit`` did not see (encoded as the fitted
        encoder encodes unknown categories; ``value`` is ``None`` for a missing value in a
        column that had none in ``fit``).
    """

    matrix: np.ndarray
    unknown: tuple[tuple[int, str, Any], ...]


class CompiledFeaturizer:
    """The transform of a fitted featurizer for rows given column by column.

    Built by :func:`compile_featurizer`; holds references to the fitted objects (nothing is
    copied or refitted) and no state that changes, so it may serve concurrent requests.

    Attributes
    ----------
    specs : dict of str to ColumnSpec
        The input contract of every raw column, in input order.
    feature_names : tuple of str
        The engineered features, in output order.
    fallback_columns : tuple of str
        Columns whose fitted steps run on a pandas Series (no compiled form).
    """

    def __init__(self, plans: list[ColumnPlan], feature_names: Sequence[str], fill: np.ndarray | None,
                 rest: Sequence[Any]) -> None:
        self.plans = plans
        self.specs = {plan.spec.name: plan.spec for plan in plans}
        self.feature_names = tuple(feature_names)
        self.fill = fill
        self.rest = list(rest)
        self.fallback_columns = tuple(p.spec.name for p in plans if isinstance(p, FallbackPlan))
        self.required = tuple(p.spec.name for p in plans if not isinstance(p, UnusedPlan))
        numbers = [p for p in plans if type(p) is NumberPlan and p.float32 and p.spec.kind != "boolean"]
        self.units: list[Any] = [NumberBlock(numbers)] if numbers else []
        self.units += [p for p in plans if p not in numbers and not isinstance(p, UnusedPlan)]

    def transform_columns(self, columns: Mapping[str, Sequence[Any]], n_rows: int) -> Featurized:
        """Featurize ``n_rows`` rows given as ``{column: values}`` (extra columns are ignored).

        Raises
        ------
        FeaturizationValueError
            If a used column is missing.
        ColumnValueError
            For a value the featurization cannot take (wrong type, not a date, a number beyond
            float32, text where a number is expected), naming its column and row.
        """
        absent = [name for name in self.required if name not in columns]
        if absent:
            raise FeaturizationValueError(
                f"CompiledFeaturizer: missing columns {', '.join(map(repr, absent[:5]))}"
                f"{' and more' if len(absent) > 5 else ''}.")
        out = np.empty((n_rows, len(self.feature_names)), dtype=np.float64)
        unknown: list[tuple[int, str, Any]] = []
        for unit in self.units:
            if isinstance(unit, NumberBlock):
                unit.encode(columns, out, unknown)
            else:
                unit.encode(columns[unit.spec.name], out, unknown)
        if self.fill is not None:  # SimpleImputer.transform: NaN replaced by the learnt statistics
            rows, cols = np.nonzero(np.isnan(out))
            out[rows, cols] = self.fill[cols]
        result: Any = out
        for step in self.rest:
            result = step.transform(result)
        return Featurized(np.asarray(result, dtype=np.float64), tuple(unknown))

    def transform(self, X: Any) -> np.ndarray:
        """Featurize a DataFrame or a list of records (dicts); the engineered matrix."""
        if isinstance(X, pd.DataFrame):
            columns = {str(c): X[c].tolist() for c in X.columns}
            n_rows = len(X)
        else:
            records = list(X)
            columns = {name: [r.get(name) for r in records] for name in self.specs}
            n_rows = len(records)
        return self.transform_columns(columns, n_rows).matrix

    def __repr__(self) -> str:
        return (f"CompiledFeaturizer({len(self.specs)} columns -> {len(self.feature_names)} features, "
                f"{len(self.fallback_columns)} through their pipeline steps)")


def compile_featurizer(featurizer: Any, kinds: Mapping[str, str] | None = None) -> CompiledFeaturizer | None:
    """Compile a fitted featurizer (see the module docstring); ``None`` if it has no compiled form.

    Parameters
    ----------
    featurizer : fitted transformer, Pipeline, or list of fitted steps
        An ``AutoFeaturizer``, a pandas-fitted ``TableVectorizer`` or an identity
        ``FunctionTransformer``, optionally followed by steps that transform arrays.
    kinds : dict of str to str, default=None
        The training columns' kinds (``"number"``, ``"integer"``, ``"boolean"``, ``"string"``)
        where known: they tell integers and booleans from other numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> from featurization import AutoFeaturizer, compile_featurizer
    >>> frame = pd.DataFrame({"age": [30.0, None, 50.0, 40.0], "city": ["a", "b", "a", "b"]})
    >>> compiled = compile_featurizer(AutoFeaturizer().fit(frame))
    >>> compiled.transform([{"age": None, "city": "b"}]).tolist()
    [[40.0, 1.0]]
    """
    steps = _flatten(featurizer)
    if not steps:
        return None
    first, rest = steps[0], steps[1:]
    kinds = dict(kinds or {})
    if isinstance(first, AutoFeaturizer) and hasattr(first, "vectorizer_"):
        compiled = _compile_auto(first, kinds)
    elif _is_table_vectorizer(first) and hasattr(first, "transformers_"):
        compiled = _compile_vectorizer(first, kinds, list(first.feature_names_in_), None)
    elif isinstance(first, FunctionTransformer) and first.func is None and first.inverse_func is None \
            and hasattr(first, "feature_names_in_"):
        compiled = _compile_identity(first, kinds)
    else:
        return None
    if compiled is None:
        return None
    plans, names, fill = compiled
    return CompiledFeaturizer(plans, names, fill, rest)


def _flatten(featurizer: Any) -> list[Any]:
    items = featurizer if isinstance(featurizer, list | tuple) else [featurizer]
    steps: list[Any] = []
    for item in items:
        if isinstance(item, Pipeline):
            steps.extend(_flatten([step for _, step in item.steps if step not in (None, "passthrough")]))
        else:
            steps.append(item)
    return steps


def _is_table_vectorizer(step: Any) -> bool:
    return type(step).__name__ == "TableVectorizer" and type(step).__module__.startswith("skrub")


def _compile_auto(auto: AutoFeaturizer, kinds: dict[str, str]
                  ) -> tuple[list[ColumnPlan], list[str], np.ndarray | None] | None:
    imputer = auto.imputer_
    if not (isinstance(imputer, SimpleImputer) and not imputer.add_indicator
            and isinstance(imputer.missing_values, float) and np.isnan(imputer.missing_values)
            and imputer.keep_empty_features):
        return None
    compiled = _compile_vectorizer(auto.vectorizer_, kinds, list(auto.feature_names_in_), auto.dropped_)
    if compiled is None:
        return None
    plans, names, _ = compiled
    for plan in plans:  # NaN reaching the imputer is replaced by a learnt value
        if plan.spec.missing == "passed":
            plan.spec = _with(plan.spec, missing="imputed")
    return plans, names, np.asarray(imputer.statistics_, dtype=np.float64)


def _with(spec: ColumnSpec, **changes: Any) -> ColumnSpec:
    from dataclasses import replace

    return replace(spec, **changes)


def _compile_identity(step: FunctionTransformer, kinds: dict[str, str]
                      ) -> tuple[list[ColumnPlan], list[str], None] | None:
    names = [str(c) for c in step.feature_names_in_]
    if any(kinds.get(name, "number") == "string" for name in names):
        return None
    plans: list[ColumnPlan] = [
        NumberPlan(ColumnSpec(name, _numeric_kind(kinds, name), "passed", outputs=(name,)), np.array([i]),
                   float32=False)
        for i, name in enumerate(names)]
    return plans, names, None


def _numeric_kind(kinds: dict[str, str], name: str) -> Any:
    kind = kinds.get(name, "number")
    return kind if kind in ("integer", "boolean") else "number"


def _compile_vectorizer(vectorizer: Any, kinds: dict[str, str], inputs: list[str],
                        dropped: dict[str, str] | None
                        ) -> tuple[list[ColumnPlan], list[str], None] | None:
    from featurization._skrub_chains import plan_for

    if getattr(vectorizer._preprocessors[0], "module_name_", "pandas") != "pandas":
        return None
    outputs = [str(c) for c in vectorizer.all_outputs_]
    index = {name: i for i, name in enumerate(outputs)}
    plans: list[ColumnPlan] = []
    for name in inputs:
        if dropped and name in dropped:
            plans.append(UnusedPlan(ColumnSpec(name, "unused", "ignored"), np.array([], dtype=np.int64)))
            continue
        produced = [str(c) for c in vectorizer.input_to_outputs_.get(name, [])]
        positions = np.array([index[c] for c in produced], dtype=np.int64)
        plans.append(plan_for(name, list(vectorizer.all_processing_steps_.get(name, [])), produced,
                              positions, kinds.get(name)))
    return plans, outputs, None
