"""Automatic featurization of mixed tables, with feature maps from raw to engineered columns.

:class:`FeatureMap` records which raw column produced which engineered columns;
:func:`feature_map_from` reads it off fitted scikit-learn ``ColumnTransformer`` /
``Pipeline`` objects, sklearn-pandas-style ``(columns, transformer)`` lists, skrub's
``TableVectorizer`` and :class:`AutoFeaturizer`, the automatic featurization AutoML uses.
:func:`compile_featurizer` turns a fitted featurizer into a :class:`CompiledFeaturizer` for
scoring a few rows at a time, with the input contract of each raw column (:class:`ColumnSpec`).
"""

from featurization._auto import AutoFeaturizer
from featurization._compiled import CompiledFeaturizer, Featurized, compile_featurizer
from featurization._exceptions import (
    FeaturizationError,
    FeaturizationTypeError,
    FeaturizationValueError,
    UnknownCategoryWarning,
    UnsupportedTransformationError,
)
from featurization._feature_map import FeatureMap
from featurization._from import as_transformer, feature_map_from
from featurization._input_contract import ColumnSpec, ColumnValueError
from featurization._mapper import ColumnMapper

__all__ = [
    "AutoFeaturizer",
    "ColumnMapper",
    "ColumnSpec",
    "ColumnValueError",
    "CompiledFeaturizer",
    "FeatureMap",
    "FeaturizationError",
    "FeaturizationTypeError",
    "FeaturizationValueError",
    "Featurized",
    "UnknownCategoryWarning",
    "UnsupportedTransformationError",
    "as_transformer",
    "compile_featurizer",
    "feature_map_from",
]
