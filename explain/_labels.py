"""Labels to classes: one rule for true labels and model predictions, everywhere.

A classifier's outputs are named by ``classes`` (an explainer's or the dashboard's
``classes=``, else the model's own ``classes_``), in output order. Labels — the true labels a
user passes, or the predictions a model returns — are turned into positions in ``classes``
(integer codes) by one rule, applied to each array of labels as a whole:

1. every label is one of ``classes`` → by value (``"benign"`` is where ``"benign"`` is);
2. else every label is one of the model's own labels (``model.classes_``) → by position
   there (the model's ``0`` and ``1`` with ``classes=["malignant", "benign"]``);
3. else every label is an integer in ``0..k-1`` → by position;
4. else the labels do not match: :class:`~explain.ExplanationValueError` showing both sets.

Rule 3 is not used when some class (or model label) is itself an integer standing at another
position (``classes=[2, 1]``), since by value and by position would then disagree. Labels
compare as text, integer-valued numbers without a decimal point, so ``1``, ``1.0``, ``True``,
``numpy.int64(1)`` and ``"1"`` are the same label. The dashboard's performance tab, PFI's
metrics and the scoring explainers' predictions all go through :class:`LabelMap`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from explain._exceptions import ExplanationTypeError, ExplanationValueError

__all__ = ["LabelMap", "label_key", "observed_classes", "to_label_array"]


def label_key(value: Any) -> str:
    """The text a label is compared by: integer-valued numbers without a decimal point.

    Examples
    --------
    >>> [label_key(v) for v in (1, 1.0, True, "1", 0.5, "yes")]
    ['1', '1', '1', '1', '0.5', 'yes']
    """
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def _shown(items: Sequence[Any], limit: int = 5) -> str:
    items = list(items)
    text = ", ".join(repr(i) for i in items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def to_label_array(labels: Any, *, argument: str, caller: str, n_rows: int | None = None) -> np.ndarray:
    """``labels`` as a 1-D NumPy array: lists, arrays, pandas / polars Series, pyarrow arrays,
    and one-column frames are accepted; with ``n_rows``, exactly that many labels."""
    if labels is None:
        raise ExplanationValueError(f"{caller}: {argument} is required, got None.")
    module = type(labels).__module__.split(".")[0]
    if module == "polars" or module == "pyarrow":
        if type(labels).__name__ in ("DataFrame", "Table", "RecordBatch", "LazyFrame"):
            labels = _one_column(labels, argument, caller)
        elif module == "pyarrow":
            labels = labels.to_numpy(zero_copy_only=False)
        else:
            labels = labels.to_numpy()
    if isinstance(labels, pd.DataFrame):
        if labels.shape[1] != 1:
            raise ExplanationValueError(
                f"{caller}: {argument} must be one column of labels, got a frame with "
                f"{labels.shape[1]} columns.")
        labels = labels.iloc[:, 0]
    if isinstance(labels, pd.Series | pd.Index):
        labels = labels.to_numpy()
    array = np.asarray(labels)
    if array.dtype.kind == "U" and isinstance(labels, list | tuple) \
            and not all(isinstance(v, str) for v in labels):
        array = np.asarray(labels, dtype=object)  # NumPy would write 1.0 in [1.0, "a"] as "1.0"
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if n_rows is not None and array.shape != (n_rows,):
        raise ExplanationValueError(
            f"{caller}: {argument} must have shape ({n_rows},) to match evaluation_examples, got "
            f"{array.shape}.")
    if array.ndim != 1:
        raise ExplanationValueError(
            f"{caller}: {argument} must be 1-D (one label per row), got shape {array.shape}.")
    return array


def _one_column(frame: Any, argument: str, caller: str) -> Any:
    if type(frame).__name__ == "LazyFrame":
        raise ExplanationTypeError(f"{caller}: {argument} is a polars LazyFrame; collect() it first.")
    return frame.to_pandas()


@dataclass(frozen=True)
class LabelMap:
    """Positions of labels in ``classes`` (see the module docstring for the rule).

    Parameters
    ----------
    classes : tuple
        The class labels, in the order of the model's outputs.
    model_classes : tuple or None
        The labels the model itself predicts (``model.classes_``), in the same order.
    caller : str
        Public name, for error messages.

    Examples
    --------
    >>> labels = LabelMap.create(["malignant", "benign"], [0, 1], caller="demo")
    >>> labels.codes([1, 0, 1], argument="y").tolist()
    [1, 0, 1]
    >>> labels.to_classes(["benign", "malignant"], argument="y").tolist()
    ['benign', 'malignant']
    """

    classes: tuple[Any, ...]
    model_classes: tuple[Any, ...] | None
    caller: str

    @classmethod
    def create(cls, classes: Sequence[Any], model_classes: Sequence[Any] | None = None, *,
               caller: str) -> LabelMap:
        """Check ``classes`` against ``model_classes`` and build the map.

        Raises
        ------
        ExplanationValueError
            For duplicate classes, a length different from the model's, or a label that
            stands at different positions in ``classes`` and ``model_classes``.
        """
        names = tuple(_native(c) for c in np.asarray(list(classes), dtype=object).tolist())
        model = None if model_classes is None else tuple(
            _native(c) for c in np.asarray(list(model_classes), dtype=object).tolist())
        _check_unique(names, "classes", caller)
        if model is not None:
            _check_unique(model, "the model's classes_", caller)
            _check_agree(names, model, caller)
        return cls(names, model, caller)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def codes(self, labels: Any, *, argument: str) -> np.ndarray:
        """Integer positions in ``classes`` of each label, shape (n_rows,).

        Raises
        ------
        ExplanationValueError
            For missing labels, or labels that match neither rule.
        """
        array = to_label_array(labels, argument=argument, caller=self.caller)
        if array.size == 0:
            return np.zeros(0, dtype=np.int64)
        inverse, uniques = pd.factorize(array, use_na_sentinel=True)
        if (inverse < 0).any():
            raise ExplanationValueError(
                f"{self.caller}: {argument} has missing labels (None or NaN) in "
                f"{int((inverse < 0).sum())} rows; drop those rows or fill in their labels.")
        keys = [label_key(_native(u)) for u in np.asarray(uniques, dtype=object)]
        table = self._positions(keys, list(uniques), argument)
        return table[inverse]

    def names(self, codes: np.ndarray) -> np.ndarray:
        """The class label at each position; a NumPy array of the classes' own type."""
        return np.asarray(list(self.classes))[np.asarray(codes, dtype=np.int64)]

    def to_classes(self, labels: Any, *, argument: str) -> np.ndarray:
        """``labels`` expressed as values of ``classes``."""
        return self.names(self.codes(labels, argument=argument))

    def _positions(self, keys: list[str], uniques: list[Any], argument: str) -> np.ndarray:
        by_class = {label_key(c): i for i, c in enumerate(self.classes)}
        if all(k in by_class for k in keys):
            return np.array([by_class[k] for k in keys], dtype=np.int64)
        if self.model_classes is not None:
            by_model = {label_key(c): i for i, c in enumerate(self.model_classes)}
            if all(k in by_model for k in keys):
                return np.array([by_model[k] for k in keys], dtype=np.int64)
        positions = {str(i): i for i in range(self.n_classes)}
        if self._positions_unambiguous() and all(k in positions for k in keys):
            return np.array([positions[k] for k in keys], dtype=np.int64)
        raise self._mismatch(keys, uniques, argument)

    def _positions_unambiguous(self) -> bool:
        """Whether no class (nor model label) is an integer standing at another position."""
        for labels in (self.classes, self.model_classes or ()):
            for i, c in enumerate(labels):
                key = label_key(c)
                if key.isdigit() and int(key) < self.n_classes and int(key) != i:
                    return False
        return True

    def _mismatch(self, keys: list[str], uniques: list[Any], argument: str) -> ExplanationValueError:
        known = {label_key(c) for c in self.classes} | {label_key(c) for c in self.model_classes or ()}
        unknown = [_native(u) for u, k in zip(uniques, keys, strict=True) if k not in known]
        model = ("" if self.model_classes is None or self.model_classes == self.classes
                 else f"; the model's classes_: {_shown(self.model_classes)}")
        return ExplanationValueError(
            f"{self.caller}: {argument} does not match the classes. Labels found: "
            f"{_shown(sorted(map(_native, uniques), key=label_key))}; not among the classes: "
            f"{_shown(sorted(unknown, key=label_key))}; classes: {_shown(self.classes)}{model}. "
            f"Pass labels that are classes, the model's own labels, or positions 0..{self.n_classes - 1}; "
            "or pass classes= naming the model's outputs in order.")


def _check_unique(labels: tuple[Any, ...], what: str, caller: str) -> None:
    keys = [label_key(c) for c in labels]
    if len(set(keys)) != len(keys):
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        raise ExplanationValueError(
            f"{caller}: {what} has repeated labels {_shown(repeated)} (compared as text, so 1, 1.0 "
            "and '1' are the same); give each class once.")


def _check_agree(classes: tuple[Any, ...], model: tuple[Any, ...], caller: str) -> None:
    if len(classes) != len(model):
        raise ExplanationValueError(
            f"{caller}: classes has {len(classes)} labels but the model has {len(model)} classes: "
            f"{_shown(model)}.")
    where = {label_key(c): i for i, c in enumerate(model)}
    moved = [c for i, c in enumerate(classes) if where.get(label_key(c), i) != i]
    if moved:
        raise ExplanationValueError(
            f"{caller}: classes {_shown(classes)} name the model's own labels {_shown(model)} at other "
            f"positions ({_shown(moved)}); classes must follow the order of model.classes_, or be "
            "display names that are not the model's labels.")


def observed_classes(*labels: np.ndarray) -> tuple[Any, ...]:
    """The distinct labels of ``labels``, sorted (numbers before text), for when no classes are
    known: what scikit-learn's ``unique_labels`` would give."""
    seen: dict[str, Any] = {}
    for array in labels:
        for value in pd.unique(np.asarray(array, dtype=object)):
            if pd.isna(value):
                continue
            seen.setdefault(label_key(value), _native(value))

    def order(value: Any) -> tuple[int, float, str]:
        if isinstance(value, numbers.Real):
            return 0, float(value), ""
        return 1, 0.0, str(value)

    return tuple(sorted(seen.values(), key=order))
