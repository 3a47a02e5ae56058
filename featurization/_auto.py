"""``AutoFeaturizer``: automatic featurization of mixed tables, with its feature map."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.utils.validation import check_is_fitted

from featurization._exceptions import FeaturizationTypeError, FeaturizationValueError, UnknownCategoryWarning
from featurization._feature_map import FeatureMap
from featurization._frames import foreign_to_pandas, frame_origin, is_foreign_frame
from featurization._imports import defer_pyplot
from featurization._lineage import step_map

__all__ = ["AutoFeaturizer"]

_UNKNOWN_CATEGORIES = "Found unknown categories in columns"  # scikit-learn's OneHotEncoder

_KIND_LABELS = {
    "numeric": "numeric", "datetime": "datetime", "low_cardinality": "categorical",
    "high_cardinality": "text / high-cardinality", "specific": "specific",
}


_ID_NAMES = ("id", "index", "rownames", "row", "key", "uuid")


def _is_id_like(column: pd.Series) -> bool:
    """All values distinct and either single-token strings or densely packed integers.

    Row numbers and keys (``1..n``, or a sample of them after a train/test split) cover a
    range at most twice the number of rows; a measured quantity whose values happen to be
    distinct (incomes, timestamps) spreads far wider. An integer column named like an ID
    (``id``, ``*_id``, ``rownames``, ...) with distinct values counts too.
    """
    values = column.dropna()
    if len(values) < 20 or values.nunique() != len(values):
        return False
    if pd.api.types.is_integer_dtype(values):
        name = str(column.name).lower()
        named = name in _ID_NAMES or name.endswith(("_id", "id"))
        return bool(named or values.max() - values.min() + 1 <= 2 * len(values))
    if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
        return bool(values.astype(str).str.split().str.len().max() <= 1)
    return False


class AutoFeaturizer(TransformerMixin, BaseEstimator):
    """Featurize a mixed table automatically and record which column produced which features.

    Built on skrub's ``TableVectorizer``, which detects each column's kind: numeric columns
    pass through, datetimes become year / month / day / seconds, low-cardinality
    categoricals are one-hot encoded, high-cardinality strings and free text are embedded
    (TF-IDF + SVD). Before that, constant columns and ID-like columns (all values distinct:
    integer runs or single-token strings) are dropped; after it, missing values are imputed
    with the median. After ``fit``, ``feature_map_`` maps every raw column to its engineered
    features and :meth:`describe` summarizes what was done to each column.

    Parameters
    ----------
    cardinality_threshold : int, default=40
        String columns with fewer distinct values are one-hot encoded, others embedded.
    text_components : int, default=30
        Dimensions of the embedding of each high-cardinality / text column.
    drop_constant : bool, default=True
        Drop columns with a single value (missing counts as a value).
    drop_id_like : bool, default=True
        Drop ID-like columns.
    random_state : int, default=0
        Seed of the text embedding.

    Attributes
    ----------
    feature_map_ : FeatureMap
        Raw columns x engineered features.
    feature_names_in_ : ndarray of str
        The raw columns seen in ``fit``.
    dropped_ : dict of str to str
        Dropped columns and why.

    Examples
    --------
    >>> import pandas as pd
    >>> from featurization import AutoFeaturizer
    >>> frame = pd.DataFrame({"age": [30.0, None, 50.0, 40.0], "city": ["a", "b", "a", "b"]})
    >>> featurizer = AutoFeaturizer().fit(frame)
    >>> list(featurizer.get_feature_names_out())
    ['age', 'city_b']
    >>> featurizer.transform(frame)[1].tolist()
    [40.0, 1.0]
    """

    def __init__(self, *, cardinality_threshold: int = 40, text_components: int = 30,
                 drop_constant: bool = True, drop_id_like: bool = True,
                 random_state: int = 0) -> None:
        self.cardinality_threshold = cardinality_threshold
        self.text_components = text_components
        self.drop_constant = drop_constant
        self.drop_id_like = drop_id_like
        self.random_state = random_state

    def _frame(self, X: Any, caller: str) -> pd.DataFrame:
        if is_foreign_frame(X):  # polars / pyarrow: columns are matched by name, as in pandas
            if frame_origin(X)[1] == "LazyFrame":
                raise FeaturizationTypeError(
                    f"AutoFeaturizer.{caller}: X is a polars LazyFrame; call .collect() to pass its rows.")
            X = foreign_to_pandas(X)
        if isinstance(X, pd.DataFrame):
            frame = X
        elif isinstance(X, np.ndarray) and X.ndim == 2:
            frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        else:
            raise FeaturizationTypeError(
                f"AutoFeaturizer.{caller}: expected a pandas DataFrame or a 2-D array (or a polars "
                "DataFrame or a pyarrow Table), "
                f"got {type(X).__name__}."
            )
        if frame.shape[0] == 0 or frame.shape[1] == 0:
            raise FeaturizationValueError(f"AutoFeaturizer.{caller}: X is empty (shape {frame.shape}).")
        frame = frame.copy()
        frame.columns = [str(c) for c in frame.columns]
        return frame

    def fit(self, X: Any, y: Any = None) -> AutoFeaturizer:
        """Learn the featurization of ``X``; return ``self``."""
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit and return the engineered matrix, shape (n_rows, n_engineered)."""
        defer_pyplot()
        import skrub

        frame = self._frame(X, "fit")
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.dropped_ = self._columns_to_drop(frame)
        self.kept_columns_ = [c for c in frame.columns if c not in self.dropped_]
        if not self.kept_columns_:
            raise FeaturizationValueError(
                "AutoFeaturizer.fit: every column was dropped as constant or ID-like: "
                f"{list(self.dropped_)[:5]}."
            )
        self.vectorizer_ = skrub.TableVectorizer(
            cardinality_threshold=self.cardinality_threshold,
            high_cardinality=skrub.StringEncoder(n_components=self.text_components,
                                                 random_state=self.random_state),
        )
        vectorized = self.vectorizer_.fit_transform(frame[self.kept_columns_])
        self.imputer_ = SimpleImputer(strategy="median", keep_empty_features=True)
        out = self.imputer_.fit_transform(vectorized.to_numpy(dtype=np.float64, na_value=np.nan))
        self.feature_map_ = self._build_map(list(frame.columns), vectorized)
        return np.asarray(out, dtype=np.float64)

    def _columns_to_drop(self, frame: pd.DataFrame) -> dict[str, str]:
        dropped = {}
        for name in frame.columns:
            column = frame[name]
            if self.drop_constant and column.nunique(dropna=False) <= 1:
                dropped[name] = "constant"
            elif self.drop_id_like and _is_id_like(column):
                dropped[name] = "ID-like (every value distinct)"
        return dropped

    def _build_map(self, raw: list[str], vectorized: pd.DataFrame) -> FeatureMap:
        outputs = [str(c) for c in vectorized.columns]
        groups = {str(k): [str(v) for v in vs] for k, vs in self.vectorizer_.input_to_outputs_.items()}
        kept_map = FeatureMap.from_groups(raw, groups, outputs)
        return kept_map.compose(step_map(self.imputer_, outputs))

    def transform(self, X: Any) -> np.ndarray:
        """Featurize ``X`` (the columns seen in ``fit``); shape (n_rows, n_engineered)."""
        check_is_fitted(self, "feature_map_")
        frame = self._frame(X, "transform")
        missing = [c for c in self.kept_columns_ if c not in frame.columns]
        if missing:
            raise FeaturizationValueError(
                f"AutoFeaturizer.transform: X lacks columns seen in fit: {missing[:5]}."
            )
        # skrub encodes column by column, so scikit-learn's warning says "columns [0]": name them
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            vectorized = self.vectorizer_.transform(frame[self.kept_columns_])
        unknown = False
        for warning in caught:
            if str(warning.message).startswith(_UNKNOWN_CATEGORIES):
                unknown = True
            else:  # anything else as it came
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        if unknown:
            # stacklevel 3: the caller of transform (scikit-learn's set_output wraps it)
            warnings.warn(self._unknown_categories(frame), UnknownCategoryWarning, stacklevel=3)
        out = self.imputer_.transform(vectorized.to_numpy(dtype=np.float64, na_value=np.nan))
        return np.asarray(out, dtype=np.float64)

    def _unknown_categories(self, frame: pd.DataFrame) -> str:
        """The warning for categories ``fit`` did not see, naming the columns and values (five each)."""
        found = []
        for name, step in getattr(self.vectorizer_, "transformers_", {}).items():
            categories = getattr(step, "categories_", None)
            if categories is None or name not in frame.columns:
                continue
            seen = {str(c) for c in categories[0]}
            new = [v for v in dict.fromkeys(str(v) for v in frame[name].dropna()) if v not in seen]
            if new:
                shown = ", ".join(repr(v) for v in new[:5]) + (", ..." if len(new) > 5 else "")
                found.append(f"{name!r} ({shown})")
        where = "; ".join(found[:5]) + ("; ..." if len(found) > 5 else "") if found else "some columns"
        return (f"AutoFeaturizer.transform: unknown categories (not seen in fit) in {where}: encoded as "
                "all zeros (as no category).")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the engineered features."""
        check_is_fitted(self, "feature_map_")
        return np.asarray(self.feature_map_.engineered_feature_names, dtype=object)

    def describe(self) -> pd.DataFrame:
        """What was done to each raw column, like AutoML's featurization summary.

        Returns
        -------
        DataFrame
            One row per raw column: ``kind`` detected, ``dropped`` (reason or empty),
            ``transformer``, ``n_engineered`` and the first ``engineered`` feature names.
        """
        check_is_fitted(self, "feature_map_")
        kinds = getattr(self.vectorizer_, "column_to_kind_", {})
        steps = getattr(self.vectorizer_, "transformers_", {})
        groups = self.feature_map_.groups()
        rows = []
        for name in self.feature_names_in_:
            produced = groups.get(name, [])
            transformer = steps.get(name)
            rows.append({
                "column": name,
                "kind": _KIND_LABELS.get(kinds.get(name, ""), "") if name not in self.dropped_ else "",
                "dropped": self.dropped_.get(name, ""),
                "transformer": "" if transformer is None else type(transformer).__name__,
                "n_engineered": len(produced),
                "engineered": ", ".join(produced[:4]) + (" ..." if len(produced) > 4 else ""),
            })
        return pd.DataFrame(rows).set_index("column")
