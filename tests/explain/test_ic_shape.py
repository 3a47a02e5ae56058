"""interpret-community's shapes and labels that depend on the explainer call (explain/_ic_shape.py)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from explain import (
    ExplanationFileError,
    LinearExplainer,
    TabularExplainer,
    load_explanation,
    save_explanation,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 4))
Y_REG = X @ np.array([1.0, -3.0, 0.5, 2.0])
Y_CLS = (Y_REG > 0).astype(int)
NAMES = ["a", "b", "c", "d"]


def regressor() -> LinearRegression:
    return LinearRegression().fit(X, Y_REG)


def test_features_given_as_integers_rank_as_integers_and_explain_subset_reads_them_as_positions():
    explanation = LinearExplainer(regressor(), X, features=[0, 1, 2, 3]).explain_global(X)
    ranked = explanation.get_ranked_global_names()
    assert ranked == [1, 3, 0, 2] and all(type(i) is int for i in ranked)
    subset = LinearExplainer(regressor(), X, features=NAMES, explain_subset=ranked[:2]).explain_global(X)
    assert list(subset.features) == ["b", "d"]
    assert subset.get_ranked_global_names() == ["b", "d"]


def test_unnamed_columns_rank_as_positions_and_named_ones_by_name():
    explanation = LinearExplainer(regressor(), X).explain_global(X)
    assert list(explanation.features) == ["x0", "x1", "x2", "x3"]  # the names stay
    assert explanation.get_ranked_global_names() == [1, 3, 0, 2]
    assert explanation.get_ranked_local_names()[0][0] in range(4)
    assert explanation.get_feature_importance_dict() == dict(
        zip([1, 3, 0, 2], explanation.get_ranked_global_values(), strict=True))
    frame = pd.DataFrame(X, columns=NAMES)
    named = LinearExplainer(LinearRegression().fit(frame, Y_REG), frame).explain_global(frame)
    assert named.get_ranked_global_names() == ["b", "d", "a", "c"]


def test_out_of_range_integer_in_explain_subset_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"explain_subset .* indices in \[0, 4\), got 7"):
        LinearExplainer(regressor(), X, features=NAMES, explain_subset=[1, 7])


def test_one_row_given_as_a_vector_has_no_row_axis_in_the_lists():
    model = LogisticRegression().fit(X, Y_CLS)
    single = TabularExplainer(model, X, features=NAMES).explain_local(X[0])
    assert np.asarray(single.local_importance_values).shape == (2, 4)
    assert np.asarray(single.get_local_importance_rank()).shape == (2, 4)
    assert np.asarray(single.get_ranked_local_names()).shape == (2, 4)
    assert np.asarray(single.get_ranked_local_values()).shape == (2, 4)
    assert single.local_values.shape == (2, 1, 4)  # the array keeps its axes
    table = TabularExplainer(model, X, features=NAMES).explain_local(X[:1])
    assert np.asarray(table.get_ranked_local_values()).shape == (2, 1, 4)
    regression = TabularExplainer(regressor(), X).explain_local(X[3])
    values = regression.get_ranked_local_values()
    assert len(values) == 4 and values == sorted(values, reverse=True)


def test_raw_importances_and_data_follow_the_call_that_made_the_explanation():
    explainer = LinearExplainer(regressor(), X, features=NAMES)
    raw_map = [np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])]
    global_ = explainer.explain_global(X)
    np.testing.assert_allclose(global_.get_raw_feature_importances(raw_map),
                               [global_.global_values[[0, 2]].sum(), global_.global_values[[1, 3]].sum()])
    local = explainer.explain_local(X[:5])
    assert np.asarray(local.get_raw_feature_importances(raw_map)).shape == (5, 2)
    assert local.data() == {"mli": []}
    assert global_.data()["names"] == NAMES


def test_the_call_is_saved_with_the_explanation(tmp_path):
    model = LogisticRegression().fit(X, Y_CLS)
    single = TabularExplainer(model, X, features=[0, 1, 2, 3]).explain_local(X[0])
    loaded = load_explanation(save_explanation(single, tmp_path / "single.npz"))
    assert loaded.ic_view == single.ic_view
    assert loaded.get_ranked_local_names() == single.get_ranked_local_names()
    assert loaded.local_importance_values == single.local_importance_values


def test_a_damaged_saved_call_is_refused(tmp_path):
    import json
    import zipfile

    path = save_explanation(LinearExplainer(regressor(), X).explain_global(X), tmp_path / "e.npz")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    metadata = json.loads(members["metadata.json"])
    metadata["ic_view"]["labels"] = [0, 1]
    members["metadata.json"] = json.dumps(metadata).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    with pytest.raises(ExplanationFileError, match=r"ic_view\.labels must have one label per feature"):
        load_explanation(path)


def test_lime_takes_one_row_as_a_vector_as_interpret_community_did():
    from explain import LIMEExplainer

    model = LogisticRegression().fit(X, Y_CLS)
    single = LIMEExplainer(model, X).explain_local(X[0])
    assert single.local_values.shape == (2, 1, 4) and single.ic_view.single_row
    assert np.asarray(single.local_importance_values).shape == (2, 4)
    with pytest.raises(ValueError, match="must be 2-D"):  # the SHAP explainers keep refusing it
        LinearExplainer(model, X).explain_local(X[0])
