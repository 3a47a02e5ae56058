"""Automatic featurization of mixed tables, with feature maps from raw to engineered columns.

:class:`FeatureMap` records which raw column produced which engineered columns;
:func:`feature_map_from` reads it off fitted scikit-learn ``ColumnTransformer`` /
``Pipeline`` objects, sklearn-pandas-style ``(columns, transformer)`` lists, skrub's
``TableVectorizer`` and :class:`AutoFeaturizer`, the automatic featurization AutoML uses.
"""

from featurization._auto import AutoFeaturizer
from featurization._exceptions import (
    FeaturizationError,
    FeaturizationTypeError,
    FeaturizationValueError,
    UnsupportedTransformationError,
)
from featurization._feature_map import FeatureMap
from featurization._from import as_transformer, feature_map_from
from featurization._mapper import ColumnMapper

__all__ = [
    "AutoFeaturizer",
    "ColumnMapper",
    "FeatureMap",
    "FeaturizationError",
    "FeaturizationTypeError",
    "FeaturizationValueError",
    "UnsupportedTransformationError",
    "as_transformer",
    "feature_map_from",
]
