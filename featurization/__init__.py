"""Automatic featurization of mixed tables, with feature maps from raw to engineered columns.

The feature-map API (``FeatureMap``, ``feature_map_from``, ``AutoFeaturizer``) is being built;
this package currently exports nothing.
"""

__all__: list[str] = []
