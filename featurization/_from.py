"""``feature_map_from``: one entry point from any supported transformation to its feature map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.compose import ColumnTransformer

from featurization._exceptions import FeaturizationTypeError, FeaturizationValueError
from featurization._feature_map import FeatureMap
from featurization._lineage import column_transformer_map, step_map
from featurization._mapper import ColumnMapper, is_mapper_like

__all__ = ["as_transformer", "feature_map_from"]


def _input_names(transformations: Any, raw_feature_names: Sequence[str] | None) -> list[str]:
    if raw_feature_names is not None:
        return [str(n) for n in raw_feature_names]
    names = getattr(transformations, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    n_features = getattr(transformations, "n_features_in_", None)
    if n_features is None:
        raise FeaturizationValueError(
            f"feature_map_from: cannot tell the input columns of {type(transformations).__name__}; "
            "pass raw_feature_names."
        )
    return [f"x{i}" for i in range(int(n_features))]


def feature_map_from(transformations: Any, raw_feature_names: Sequence[str] | None = None, *,
                     allow_all_transformations: bool = False, example: Any = None) -> FeatureMap:
    """Build the raw -> engineered :class:`FeatureMap` of a fitted transformation.

    Parameters
    ----------
    transformations : object
        One of: a fitted ``ColumnTransformer``; a fitted ``Pipeline`` of transformers; a list
        of fitted ``(columns, transformer)`` tuples (sklearn-pandas style) or a
        ``DataFrameMapper``; skrub's ``TableVectorizer``; an :class:`AutoFeaturizer`; any
        fitted transformer; a :class:`FeatureMap`, or a list of them (composed in order).
    raw_feature_names : sequence of str, default=None
        Names of the raw columns; default: the transformation's ``feature_names_in_``.
    allow_all_transformations : bool, default=False
        Accept transformers that mix several inputs into several outputs (PCA, polynomial
        features, a text vectorizer over several columns) by splitting each output evenly
        over its inputs. Without it they raise :class:`UnsupportedTransformationError`.
    example : DataFrame, default=None
        A few raw rows. In a list of ``(columns, transformer)`` tuples, a transformer that
        cannot name its outputs (a ``FunctionTransformer`` of a function, a custom
        transformer) is traced by the number of outputs it gives on these rows: all of them
        from its one input column, or split evenly over several (allow_all_transformations).

    Returns
    -------
    FeatureMap

    Raises
    ------
    UnsupportedTransformationError
        For a multi-input, multi-output transformer without ``allow_all_transformations``.
    TypeError
        For an object that is none of the above.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from featurization import feature_map_from
    >>> frame = pd.DataFrame({"age": [30.0, 50.0, 40.0], "city": ["a", "b", "c"]})
    >>> ct = ColumnTransformer([("num", StandardScaler(), ["age"]),
    ...                         ("cat", OneHotEncoder(drop="first"), ["city"])]).fit(frame)
    >>> feature_map_from(ct).groups()
    {'age': ['num__age'], 'city': ['cat__city_b', 'cat__city_c']}
    """
    if isinstance(transformations, FeatureMap):
        return _checked(transformations, raw_feature_names)
    if isinstance(transformations, list | tuple) and transformations and all(
        isinstance(m, FeatureMap) for m in transformations
    ):
        chain = transformations[0]
        for nxt in transformations[1:]:
            chain = chain.compose(nxt)
        return _checked(chain, raw_feature_names)
    if is_mapper_like(transformations):
        return ColumnMapper(transformations).feature_map(
            raw_feature_names, allow_all_transformations=allow_all_transformations, example=example
        )
    if isinstance(transformations, ColumnTransformer):
        return column_transformer_map(transformations, _input_names(transformations, raw_feature_names),
                                      allow_all_transformations=allow_all_transformations)
    if hasattr(transformations, "transform"):
        return step_map(transformations, _input_names(transformations, raw_feature_names),
                        allow_all_transformations=allow_all_transformations)
    raise FeaturizationTypeError(
        "feature_map_from: expected a fitted ColumnTransformer, Pipeline, transformer, list of "
        "(columns, transformer) tuples, DataFrameMapper, FeatureMap or list of FeatureMaps; got "
        f"{type(transformations).__name__}."
    )


def _checked(fmap: FeatureMap, raw_feature_names: Sequence[str] | None) -> FeatureMap:
    if raw_feature_names is not None and tuple(map(str, raw_feature_names)) != fmap.raw_feature_names:
        raise FeaturizationValueError(
            f"feature_map_from: raw_feature_names {list(raw_feature_names)[:5]} differ from the "
            f"map's raw features {list(fmap.raw_feature_names)[:5]}."
        )
    return fmap


def as_transformer(transformations: Any) -> Any:
    """An object whose ``transform`` turns raw data into engineered data, or ``None``.

    Feature maps alone cannot transform data: for them this returns ``None``.
    """
    if isinstance(transformations, FeatureMap) or (
        isinstance(transformations, list | tuple) and transformations
        and all(isinstance(m, FeatureMap) for m in transformations)
    ):
        return None
    if is_mapper_like(transformations):
        return ColumnMapper(transformations)
    if hasattr(transformations, "transform"):
        return transformations
    raise FeaturizationTypeError(
        f"as_transformer: {type(transformations).__name__} has no transform method."
    )
