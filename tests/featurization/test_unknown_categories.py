"""A category ``fit`` did not see is reported naming its column and value, not "columns [0]"."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from featurization import AutoFeaturizer, UnknownCategoryWarning


def _fitted() -> tuple[AutoFeaturizer, pd.DataFrame]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=50), "color": rng.choice(["red", "blue", "green"], 50),
                      "city": rng.choice(["oslo", "rome"], 50)})
    return AutoFeaturizer().fit(X), X


def test_unknown_categories_are_named_by_column_and_value() -> None:
    featurizer, X = _fitted()
    rows = X.iloc[:5].copy()
    rows.loc[rows.index[0], "color"] = "purple"
    rows.loc[rows.index[1], "city"] = "lima"
    message = (r"AutoFeaturizer.transform: unknown categories \(not seen in fit\) in 'color' \('purple'\); "
               r"'city' \('lima'\): encoded as all zeros")
    with pytest.warns(UnknownCategoryWarning, match=message) as caught:
        out = featurizer.transform(rows)
    assert issubclass(UnknownCategoryWarning, UserWarning)  # shown by default
    assert not [w for w in caught if "columns [0]" in str(w.message)]  # scikit-learn's own is replaced
    assert len(caught) == 1
    names = list(featurizer.get_feature_names_out())
    color = [i for i, n in enumerate(names) if n.startswith("color")]
    assert np.all(out[0, color] == 0)  # all zeros, as the message says


def test_known_categories_warn_nothing() -> None:
    featurizer, X = _fitted()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        featurizer.transform(X.iloc[:5])


def test_the_warning_can_be_silenced_alone() -> None:
    featurizer, X = _fitted()
    rows = X.iloc[:5].copy()
    rows.loc[rows.index[0], "color"] = "purple"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", UnknownCategoryWarning)
        featurizer.transform(rows)
