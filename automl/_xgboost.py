"""``LabelEncodedXGBClassifier``: XGBoost's classifier for any class labels.

XGBoost wants labels ``0..k-1``; this subclass encodes them in ``fit`` and decodes them in
``predict``, with ``classes_`` holding the original labels, so it behaves like any
scikit-learn classifier. Imported only when XGBoost is searched.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xgboost
from sklearn.preprocessing import LabelEncoder

__all__ = ["LabelEncodedXGBClassifier"]


class LabelEncodedXGBClassifier(xgboost.XGBClassifier):
    """``xgboost.XGBClassifier`` that accepts string (or any) class labels."""

    def fit(self, X: Any, y: Any, **kwargs: Any) -> LabelEncodedXGBClassifier:
        self.label_encoder_ = LabelEncoder().fit(y)
        self._fitting = True  # XGBoost checks classes_ against the encoded labels in fit
        try:
            super().fit(X, self.label_encoder_.transform(y), **kwargs)
        finally:
            self._fitting = False
        return self

    @property
    def classes_(self) -> np.ndarray:  # type: ignore[override]
        """The original class labels (encoded ones while fitting)."""
        encoder = getattr(self, "label_encoder_", None)
        if encoder is None or getattr(self, "_fitting", False):
            return np.arange(self.n_classes_)
        return encoder.classes_

    def predict(self, X: Any, output_margin: bool = False, **kwargs: Any) -> np.ndarray:
        """Predicted class labels (the original ones); with ``output_margin=True`` the raw
        margins, as ``XGBClassifier.predict`` gives them (the ensemble and the explanations
        combine members in margin space)."""
        if output_margin:
            return np.asarray(super().predict(X, output_margin=True, **kwargs))
        return self.classes_[np.argmax(self.predict_proba(X, **kwargs), axis=1)]
