"""Property-based tests of the explainers' boundary (Hypothesis, bounded).

Generated inputs — odd dtypes (object, category, bool, nullable Int64, datetime, text), odd
column names and orders, NaN and infinity, empty frames, single rows, too few or too many
columns — as pandas, polars, pyarrow and NumPy, go to ``explain_local`` / ``explain_global``
of small models' explainers, to their set-up, and (labels) to ``PFIExplainer``. An
independent oracle says whether the input is usable; then

* usable input gives finite values equal to those of the same rows as a clean float frame in
  the fitted column order (so a reordered named frame gives the ordered frame's values), with
  additivity where the explainer promises it;
* unusable input raises an :class:`explain.ExplanationError` subclass; any other exception
  fails the test.

Counts of what was tried are printed at the end of the module (``pytest -s``), including
errors whose message names neither the argument nor a column ("obscure").
"""

from __future__ import annotations

import collections
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from lightgbm import LGBMClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

from explain import (
    Explanation,
    ExplanationError,
    KernelExplainer,
    LinearExplainer,
    PFIExplainer,
    TabularExplainer,
    TreeExplainer,
)
from explain.dashboard._data import DashboardData

NAMES = ("a", "b c", "1", "é")
KINDS = ("float", "int", "Int64", "bool", "object", "numtext", "text", "category", "textcategory",
         "datetime")
FLAVOURS = ("pandas", "polars", "pyarrow", "numpy")
EXAMPLES = int(os.environ.get("BOUNDARY_EXAMPLES", "300"))  # per property: about 25 s on one core
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize="BOUNDARY_RANDOM" not in os.environ,
                    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
COUNTS: collections.Counter[str] = collections.Counter()
OBSCURE: list[str] = []


# ---------------------------------------------------------------------- models and explainers
@pytest.fixture(scope="module")
def explainers() -> dict[str, tuple[Any, bool]]:
    """name -> (fitted explainer, whether its model accepts NaN); all set up on clean frames."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list(NAMES))
    y = X["a"] - 2 * X["b c"] + 0.5 * X["1"] + rng.normal(scale=0.1, size=200)
    labels = np.where(y > 0, "yes", "no")
    linear = LinearRegression().fit(X, y)
    logistic = LogisticRegression().fit(X, labels)
    lgbm = LGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1, min_child_samples=5).fit(X, labels)
    background = X.iloc[:40]
    return {
        "linear regression": (TabularExplainer(linear, background), False),
        "logistic regression": (LinearExplainer(logistic, background), False),
        "lightgbm": (TreeExplainer(lgbm, background), True),
        "kernel": (KernelExplainer(linear, background, nclusters=3), False),
    }


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print("\nboundary properties:", dict(sorted(COUNTS.items())))
    for message in sorted(set(OBSCURE)):
        print("  obscure:", message)


# ---------------------------------------------------------------------- generated tables
@st.composite
def columns(draw: st.DrawFn, n_rows: int, tidy: bool) -> tuple[str, pd.Series]:
    """One column: its kind and values (some missing, rarely infinite); a tidy column holds
    numbers of some kind only, so that about half the tables are usable."""
    kinds = ("float", "int", "Int64", "bool", "object", "numtext", "category") if tidy else KINDS
    kind = draw(st.sampled_from(kinds))
    numbers = draw(st.lists(st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3)),
                            min_size=n_rows, max_size=n_rows))
    cells = ["value"] * 20 + ["missing"] if tidy else ["value"] * 12 + ["missing", "inf"]
    special = draw(st.lists(st.sampled_from(cells), min_size=n_rows, max_size=n_rows))
    if kind in ("int", "bool"):  # no missing values in NumPy's integers and booleans
        values = [int(v) for v in numbers] if kind == "int" else [v > 0 for v in numbers]
        return kind, pd.Series(values, dtype="int64" if kind == "int" else bool)
    if kind == "Int64":
        ints = [None if s == "missing" else int(v) for v, s in zip(numbers, special, strict=True)]
        return kind, pd.Series(ints, dtype="Int64")
    cells: list[Any] = [None if s == "missing" else math.inf if s == "inf" else v
                        for v, s in zip(numbers, special, strict=True)]
    if kind == "float":
        return kind, pd.Series([np.nan if c is None else c for c in cells], dtype=np.float64)
    if kind == "object":
        return kind, pd.Series(cells, dtype=object)
    if kind == "numtext":
        return kind, pd.Series([None if c is None else str(c) for c in cells], dtype=object)
    if kind == "category":
        finite = [c if c is None or math.isfinite(c) else None for c in cells]
        return kind, pd.Series(finite, dtype="category")
    if kind in ("text", "textcategory"):
        words = [None if c is None else draw(st.sampled_from(["x", "yes", "n/a"])) for c in cells]
        return kind, pd.Series(words, dtype="category" if kind == "textcategory" else object)
    start = pd.Timestamp("2020-01-01")
    stamps = [None if c is None or not math.isfinite(c) else start + pd.Timedelta(days=int(c)) for c in cells]
    return kind, pd.Series(pd.to_datetime(stamps))


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Any]:
    """A table to explain: its flavour, the data, and what the oracle needs to judge it."""
    flavour = draw(st.sampled_from(FLAVOURS))
    n_rows = draw(st.sampled_from([0, 1, 1, 2, 3, 4]))
    order = list(draw(st.permutations(range(4))))
    shape = draw(st.sampled_from(["same"] * 6 + ["drop", "extra", "duplicate", "rename"]))
    if shape == "drop":
        order = order[:-1]
    elif shape == "duplicate":
        order = [*order, order[0]]
    names: list[Any] = [NAMES[i] for i in order]
    if shape == "extra":
        names.append("zz")
    elif shape == "rename":
        names[0] = "A"
    if flavour == "pandas" and draw(st.booleans()):
        names = [1 if n == "1" else n for n in names]  # written "1" by str(): the same column
    kinds, data = [], {}
    tidy = draw(st.booleans())
    for i, _ in enumerate(names):
        kind, series = draw(columns(n_rows, tidy))
        kinds.append(kind)
        data[i] = series
    frame = pd.DataFrame(data)
    frame.columns = names
    return {"flavour": flavour, "frame": frame, "names": names, "kinds": kinds, "shape": shape}


def as_flavour(case: dict[str, Any]) -> Any:
    """The table in its flavour; ``None`` when that library cannot hold it (e.g. polars and
    repeated names), which the tests count as not constructible."""
    frame, flavour = case["frame"], case["flavour"]
    if flavour == "pandas":
        return frame
    if flavour == "numpy":
        return frame.to_numpy()
    try:
        if flavour == "polars":
            return pl.from_pandas(frame)
        arrays = [pa.Array.from_pandas(frame.iloc[:, i]) for i in range(frame.shape[1])]
        return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])
    except (pa.ArrowException, pl.exceptions.PolarsError, ValueError, TypeError):
        return None


# ---------------------------------------------------------------------- the oracle
def _cell(value: Any, kind: str) -> float | None:
    """The number a cell stands for; ``None`` when it is not a number."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if kind in ("text", "textcategory", "datetime"):
        return None
    return float(value)


def oracle(case: dict[str, Any], allow_nan: bool) -> np.ndarray | None:
    """The clean float matrix in the fitted column order, or ``None`` if the input is unusable."""
    frame, kinds = case["frame"], case["kinds"]
    if frame.shape[0] == 0:
        return None
    if case["flavour"] == "numpy":
        if frame.shape[1] != len(NAMES):
            return None
        matrix = np.empty(frame.shape)
        for j, kind in enumerate(kinds):  # cell by cell: an array has no column types
            cells = [_cell(v, kind) for v in frame.iloc[:, j].astype(object)]
            if any(c is None for c in cells):
                return None
            matrix[:, j] = cells
    else:
        names = [str(n) for n in case["names"]]
        if len(set(names)) != len(names) or set(names) != set(NAMES):
            return None
        matrix = np.empty((frame.shape[0], len(NAMES)))
        for j, kind in enumerate(kinds):
            cells = [_cell(v, kind) for v in frame.iloc[:, j].astype(object)]
            if kind == "datetime" or any(c is None for c in cells):
                return None
            matrix[:, NAMES.index(names[j])] = cells
    if np.isinf(matrix).any() or (not allow_nan and np.isnan(matrix).any()):
        return None
    return matrix


def classify(error: ExplanationError, arguments: tuple[str, ...]) -> str:
    """``clear`` when the message names the argument or a column, else ``obscure``."""
    message = str(error)
    named = any(a in message for a in arguments) or any(repr(n) in message for n in (*NAMES, "zz", "A"))
    if not named:
        OBSCURE.append(message)
    return f"{'clear' if named else 'obscure'} {type(error).__name__}"


def check(call: Callable[[Any], Any], reference: Callable[[pd.DataFrame], Any], data: Any,
          expected: np.ndarray | None, arguments: tuple[str, ...], label: str) -> Any:
    """Run ``call(data)``; an error exactly when the oracle says the input is unusable."""
    note(f"{label} on {type(data).__module__}.{type(data).__name__}:\n{data!r}")
    try:
        result = call(data)
    except ExplanationError as error:
        kind = classify(error, arguments)
        COUNTS[f"{label}: {kind}"] += 1
        assert expected is None, f"usable input refused: {error}"
        return None
    COUNTS[f"{label}: result"] += 1
    assert expected is not None, "unusable input explained without an error"
    return result, reference(pd.DataFrame(expected, columns=list(NAMES)))


# ---------------------------------------------------------------------- properties
@SETTINGS
@given(case=tables(), name=st.sampled_from(["linear regression", "logistic regression", "lightgbm",
                                            "kernel"]))
def test_explain_local_and_global_on_generated_tables(explainers, case, name):
    """Usable tables give the clean rows' local and global values (additive); others an
    ExplanationError."""
    explainer, allow_nan = explainers[name]
    data = as_flavour(case)
    if data is None:
        COUNTS["not constructible"] += 1
        return
    COUNTS[f"tried {case['flavour']}"] += 1
    expected = oracle(case, allow_nan)
    outcome = check(explainer.explain_local, explainer.explain_local, data, expected,
                    ("evaluation_examples",), "explain_local")
    if outcome is None:
        return
    result, reference = outcome
    assert np.isfinite(result.local_values).all()
    np.testing.assert_allclose(result.local_values, reference.local_values, rtol=1e-9, atol=1e-9)
    assert result.features == reference.features == NAMES
    assert result.fidelity.additivity_error is not None and result.fidelity.additivity_error < 1e-6
    explained = explainer.explain_global(data, include_local=False)
    assert np.isfinite(explained.global_values).all()
    np.testing.assert_allclose(explained.global_values, reference.global_values, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(case=tables(), name=st.sampled_from(["linear", "tree"]))
def test_set_up_on_generated_tables(explainers, case, name):
    """Generated initialization_examples: usable ones give the explainer of the clean rows."""
    model = explainers["linear regression" if name == "linear" else "lightgbm"][0]
    model = getattr(model, "explainer", model).model
    make = LinearExplainer if name == "linear" else TreeExplainer
    data = as_flavour(case)
    if data is None:
        COUNTS["not constructible"] += 1
        return
    expected = oracle(case, allow_nan=name == "tree")
    outcome = check(lambda rows: make(model, rows), lambda clean: make(model, clean), data, expected,
                    ("initialization_examples",), "set-up")
    if outcome is None:
        return
    explainer, reference = outcome
    rows = pd.DataFrame(np.random.default_rng(1).normal(size=(3, 4)), columns=list(NAMES))
    np.testing.assert_allclose(explainer.explain_local(rows).local_values,
                               reference.explain_local(rows).local_values, rtol=1e-9, atol=1e-9)


LABEL_FORMS = ("names", "model labels", "positions", "positions as text", "floats", "other text",
               "with missing", "out of range")


@st.composite
def label_cases(draw: st.DrawFn) -> dict[str, Any]:
    return {"form": draw(st.sampled_from(LABEL_FORMS)),
            "container": draw(st.sampled_from(["list", "numpy", "pandas", "polars", "pyarrow"])),
            "classes": draw(st.sampled_from([None, ("neg", "pos")])),
            "metric": draw(st.sampled_from(["accuracy", "roc_auc", "log_loss", "f1"]))}


@pytest.fixture(scope="module")
def pfi_problem() -> tuple[Any, pd.DataFrame, np.ndarray, dict[Any, Explanation]]:
    """A classifier of labels "n"/"p", its rows, their label positions, and its explanations
    with and without class names."""
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(60, 4)), columns=list(NAMES))
    codes = (X["a"] + rng.normal(scale=0.5, size=60) > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, np.array(["n", "p"])[codes])
    explanations = {classes: LinearExplainer(model, X, classes=classes).explain_global(X)
                    for classes in (None, ("neg", "pos"))}
    return model, X, codes, explanations


@settings(SETTINGS, max_examples=max(1, EXAMPLES * 2 // 5))  # 320 distinct cases in all
@given(case=label_cases())
def test_true_labels_in_every_form(pfi_problem, case):
    """Labels as class names, the model's labels, positions..., in any container: PFI gives
    the importances of the model's own labels and the dashboard their metrics, or both raise
    an error naming the labels' argument."""
    model, X, codes, explanations = pfi_problem
    classes = case["classes"]
    names = np.array(classes if classes is not None else ("n", "p"))
    form = case["form"]
    values: list[Any] = {
        "names": names[codes].tolist(), "model labels": np.array(["n", "p"])[codes].tolist(),
        "positions": codes.tolist(), "positions as text": [str(c) for c in codes],
        "floats": [float(c) for c in codes], "other text": ["u" if c else "v" for c in codes],
        "with missing": [None, *np.array(["n", "p"])[codes[1:]].tolist()],
        "out of range": (codes + 2).tolist(),
    }[form]
    usable = form in ("names", "model labels", "positions", "positions as text", "floats")
    container = case["container"]
    labels: Any = {"list": values, "numpy": np.array(values, dtype=object), "pandas": pd.Series(values),
                   "polars": pl.Series(values),
                   "pyarrow": pa.array(values)}[container]
    explainer = PFIExplainer(model, metric=case["metric"], classes=classes, n_repeats=2)
    COUNTS[f"tried labels {form}"] += 1
    reference = PFIExplainer(model, metric=case["metric"], n_repeats=2)
    outcome = check(lambda y: explainer.explain_global(X, y), lambda _: reference.explain_global(X, codes),
                    labels, np.zeros((1, 4)) if usable else None, ("true_labels",), "PFI labels")
    if outcome is None:
        with pytest.raises(ExplanationError, match="true_y"):
            DashboardData(explanations[classes], model, X, labels)
        return
    result, expected = outcome
    assert np.isfinite(result.global_values).all()
    np.testing.assert_allclose(result.global_values, expected.global_values, rtol=0, atol=1e-12)
    COUNTS[f"dashboard labels {form}"] += 1
    shown = check(lambda y: DashboardData(explanations[classes], model, X, y),
                  lambda _: DashboardData(explanations[classes], model, X, codes), labels,
                  np.zeros((1, 4)) if usable else None, ("true_y",), "dashboard labels")
    if shown is not None:
        data, reference_data = shown
        np.testing.assert_array_equal(data.true_codes, codes)
        assert data.true_y.tolist() == names[codes].tolist() == reference_data.true_y.tolist()
