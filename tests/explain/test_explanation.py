import numpy as np
import pandas as pd
import pytest

from explain import Explanation, ExplanationValueError, Fidelity


def make_classification_explanation(keep_local: bool = True) -> Explanation:
    local = np.array([
        [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]],
        [[-1.0, 2.0, -0.5], [-3.0, 0.0, 1.0]],
    ])
    return Explanation.from_local(
        local, np.array([0.2, -0.2]), keep_local=keep_local, method="demo",
        model_task="classification", features=["a", "b", "c"], classes=["no", "yes"],
        output_space="log_odds", fidelity=Fidelity(additivity_error=1e-12),
    )


def test_global_is_mean_abs_local_per_class_then_mean_over_classes():
    e = make_classification_explanation()
    np.testing.assert_allclose(e.per_class_values, [[2.0, 1.0, 0.75], [2.0, 1.0, 0.75]])
    np.testing.assert_allclose(e.global_importance_values, [2.0, 1.0, 0.75])


def test_shapes_and_interpret_community_accessors():
    e = make_classification_explanation()
    assert np.shape(e.local_importance_values) == (2, 2, 3) and e.local_values.shape == (2, 2, 3)
    assert e.expected_values == [0.2, -0.2]
    assert e.num_features == 3 and e.num_examples == 2
    assert not e.is_engineered and not e.is_raw  # no featurization known: neither
    assert e.get_ranked_global_names() == ["a", "b", "c"]
    assert e.get_ranked_global_values(top_k=2) == [2.0, 1.0]
    assert list(e.get_feature_importance_dict()) == ["a", "b", "c"]
    assert e.get_ranked_per_class_names(top_k=1) == [["a"], ["a"]]
    assert e.get_ranked_per_class_values()[1] == [2.0, 1.0, 0.75]


def test_local_ranking_is_by_signed_value_descending():
    e = make_classification_explanation()
    assert e.get_ranked_local_names()[0][0] == ["a", "c", "b"]
    assert e.get_ranked_local_values()[0][0] == [1.0, 0.5, -2.0]
    assert e.get_ranked_local_names(top_k=1)[1] == [["b"], ["c"]]


def test_regression_shapes():
    local = np.arange(6, dtype=float).reshape(1, 2, 3)
    e = Explanation.from_local(local, np.array([1.5]), method="demo", model_task="regression",
                               features=["a", "b", "c"])
    assert np.shape(e.local_importance_values) == (2, 3) and e.local_values.shape == (1, 2, 3)
    assert e.expected_values == [1.5]  # a list of one, as in interpret-community
    assert e.per_class_values is None
    assert e.get_ranked_local_names(top_k=1) == [["c"], ["c"]]
    with pytest.raises(ValueError, match="per-class importances exist only"):
        e.get_ranked_per_class_names()


def test_arrays_are_read_only():
    e = make_classification_explanation()
    with pytest.raises(ValueError):
        e.local_values[0, 0, 0] = 99.0
    e.local_importance_values[0][0][0] = 99.0  # a fresh list each time: the explanation is unchanged
    assert e.local_values[0, 0, 0] == 1.0
    with pytest.raises(AttributeError):
        e.method = "other"  # type: ignore[misc]


def test_global_only_explanation_refuses_local_accessors():
    e = make_classification_explanation(keep_local=False)
    assert e.local_values is None
    assert e.num_examples == 2
    with pytest.raises(ValueError, match="global only"):
        e.get_ranked_local_names()
    with pytest.raises(ValueError, match="global only"):
        _ = e.local_importance_values
    assert not hasattr(e, "local_importance_values")  # an AttributeError too, as in interpret-community


def test_to_dataframe_global_and_local():
    e = make_classification_explanation()
    frame = e.to_dataframe()
    assert list(frame.index) == ["a", "b", "c"]
    assert list(frame.columns) == ["importance", "importance[no]", "importance[yes]"]
    local = e.to_dataframe("local")
    assert isinstance(local.index, pd.MultiIndex)
    assert local.loc[("yes", 1), "c"] == 1.0
    with pytest.raises(ValueError, match="scope must be"):
        e.to_dataframe("rows")


def test_repr_shows_top_features_and_fidelity():
    text = repr(make_classification_explanation())
    assert "method='demo'" in text and "top features: a=2" in text
    assert "additivity error 1e-12" in text


@pytest.mark.parametrize("top_k", [0, -1, 1.5, True])
def test_bad_top_k(top_k):
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        make_classification_explanation().get_ranked_global_names(top_k=top_k)


def test_invariants_are_checked_on_construction():
    with pytest.raises(ValueError, match="model_task must be one of"):
        Explanation(method="m", model_task="ranking", features=["a"], global_values=[1.0])
    with pytest.raises(ValueError, match="not unique"):
        Explanation(method="m", model_task="regression", features=["a", "a"],
                    global_values=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"global_values must have shape \(2,\)"):
        Explanation(method="m", model_task="regression", features=["a", "b"], global_values=[1.0])
    with pytest.raises(ValueError, match="local_values must have shape"):
        Explanation(method="m", model_task="regression", features=["a"], global_values=[1.0],
                    local_values=np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match="regression explanation has one output"):
        Explanation(method="m", model_task="regression", features=["a"], global_values=[1.0],
                    local_values=np.zeros((2, 2, 1)), expected_values_=[0.0, 0.0])
    with pytest.raises(ValueError, match="3 classes given for 2 outputs"):
        Explanation(method="m", model_task="classification", features=["a"], global_values=[1.0],
                    local_values=np.zeros((2, 2, 1)), classes=["x", "y", "z"])
    with pytest.raises(ExplanationValueError, match="NaN or inf"):
        Explanation(method="m", model_task="regression", features=["a"], global_values=[np.nan])


def test_fidelity_summary():
    assert Fidelity().summary() == "no diagnostics recorded"
    summary = Fidelity(surrogate_metric="r2", surrogate_score=0.93, surrogate_holdout_rows=20,
                       notes=("sampled",)).summary()
    assert summary == "SHAP values of a surrogate model, not of the model: it agrees with the model at r2 " \
                      "0.930 on 20 held-out rows; sampled"


@pytest.mark.parametrize(("fidelity", "expected"), [
    (Fidelity(additivity_error=3e-14, exact=True), "exact SHAP values of the model (additivity error 3e-14)"),
    (Fidelity(additivity_error=1e-3, exact=False, max_standard_error=0.01),
     "sampled estimate of the model's SHAP values (additivity error 0.001); max standard error 0.01"),
    (Fidelity(additivity_error=4.1e-14, exact=True, surrogate_model="LightGBM", surrogate_metric="r2",
              surrogate_score=0.47, surrogate_holdout_rows=500, model_additivity_error=1.4,
              explained_rows="200 held-out rows (not used to fit the model)"),
     "SHAP values of a LightGBM surrogate, not of the model: it agrees with the model at r2 0.470 on 500 "
     "held-out rows; they add up to the surrogate's output (error 4.1e-14); their sums differ from the "
     "model's own output by up to 1.4; explained on 200 held-out rows (not used to fit the model); low "
     "agreement: treat these values as a rough guide to the model"),
    (Fidelity(surrogate_share=0.25, surrogate_metric="r2", surrogate_score=0.97, surrogate_holdout_rows=50,
              model_additivity_error=0.02),
     "exact SHAP values of the members holding 75% of the model's weight; the other 25% from surrogates "
     "agreeing with their members at r2 0.970 on 50 held-out rows; their sums differ from the model's own "
     "output by up to 0.02"),
])
def test_fidelity_summary_says_whose_values_these_are(fidelity: Fidelity, expected: str) -> None:
    summary = fidelity.summary()
    assert summary == expected
    assert fidelity.is_surrogate == ("surrogate model" in summary or "LightGBM surrogate" in summary)
    if fidelity.is_surrogate:
        assert "exact" not in summary
