"""interpret-community's arguments at the façades: TabularExplainer, MimicExplainer, PFIExplainer."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_iris, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from explain import CompatibilityWarning, MimicExplainer, PFIExplainer, TabularExplainer
from explain.compat import ModelTask, ScenarioNotSupportedException, ShapValuesOutput
from explain.explainers._ic_options import as_rows, named_columns
from explain.models import DecisionTreeExplainableModel, LGBMExplainableModel, LinearExplainableModel


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:, :8]
    return X, y, LogisticRegression(max_iter=2000).fit(X, y)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y, RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)


# ---------------------------------------------------------------------- TabularExplainer
def test_tabular_use_gpu_warns_and_explains_on_cpu(cancer):
    X, _, model = cancer
    TabularExplainer(model, X, use_gpu=False)
    with pytest.warns(CompatibilityWarning, match="use_gpu=True .* explained on the CPU"):
        explainer = TabularExplainer(model, X, use_gpu=True)
    assert explainer.explain_local(X[:3]).num_examples == 3


def test_tabular_refuses_unknown_arguments_naming_itself(cancer):
    X, _, model = cancer
    with pytest.raises(TypeError, match=r"TabularExplainer: unexpected keyword arguments \['colour'\]"):
        TabularExplainer(model, X, colour="red")


def test_tabular_ignores_options_of_another_explainer_of_the_family(iris):
    X, _, model = iris  # a forest: TreeExplainer, which takes no nsamples
    assert TabularExplainer(model, X, nsamples=100, nclusters=5).method == "shap.tree"


def test_tabular_show_progress_and_verbose_set_the_default(cancer, monkeypatch):
    X, _, model = cancer
    seen = []
    explainer = TabularExplainer(model, X, verbose=True)
    inner = explainer.explainer.explain_local

    def spy(rows, **kwargs):
        seen.append(kwargs["show_progress"])
        return inner(rows, **kwargs)

    monkeypatch.setattr(explainer.explainer, "explain_local", spy)
    explainer.explain_local(X[:2])
    explainer.explain_local(X[:2], show_progress=False)
    assert seen == [True, False]
    with pytest.raises(ValueError, match="show_progress must be True, False or None"):
        TabularExplainer(model, X, show_progress="yes")


def test_tabular_shap_values_output_warns_when_values_are_not_probabilities(cancer, iris):
    X, _, model = cancer  # linear: margin space
    with pytest.warns(CompatibilityWarning, match="explains this model in 'log_odds' space"):
        TabularExplainer(model, X, shap_values_output=ShapValuesOutput.PROBABILITY)
    Xi, _, forest = iris  # a forest's values add up to probabilities already
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompatibilityWarning)
        TabularExplainer(forest, Xi, shap_values_output="probability")
    with pytest.raises(ValueError, match="shap_values_output must be one of"):
        TabularExplainer(forest, Xi, shap_values_output="logit")


def test_tabular_explains_a_one_dimensional_row(iris):
    X, _, model = iris
    explainer = TabularExplainer(model, X)
    np.testing.assert_array_equal(explainer.explain_local(X[0]).local_values,
                                  explainer.explain_local(X[:1]).local_values)


def test_model_task_enum_is_accepted(cancer):
    X, _, model = cancer
    assert TabularExplainer(model.predict_proba, X[:20], is_function=True,
                            model_task=ModelTask.Classification).explain_local(X[:2]).num_classes == 2


# ---------------------------------------------------------------------- helpers
def test_named_columns_turns_positions_into_names():
    scaler = StandardScaler()
    assert named_columns([([0, 2], scaler)], np.zeros((3, 4))) == [(["x0", "x2"], scaler)]
    frame = pd.DataFrame(np.zeros((3, 2)), columns=["a", "b"])
    assert named_columns([(1, None), (["a"], scaler)], frame) == [("b", None), (["a"], scaler)]
    untouched = [(["a"], scaler)]
    assert named_columns(untouched, frame) is untouched
    with pytest.raises(ValueError, match="column position 5 is out of range"):
        named_columns([([5], scaler)], frame)


def test_as_rows_makes_one_row_of_a_vector():
    assert as_rows(np.arange(3.0)).shape == (1, 3)
    assert as_rows([1.0, 2.0]) == [[1.0, 2.0]]
    frame = as_rows(pd.Series({"a": 1.0, "b": 2.0}))
    assert list(frame.columns) == ["a", "b"] and frame.shape == (1, 2)
    table = np.zeros((2, 2))
    assert as_rows(table) is table


# ---------------------------------------------------------------------- MimicExplainer
def test_mimic_takes_explainable_model_args_as_fourth_positional(cancer):
    X, _, model = cancer
    explainer = MimicExplainer(model, X, LGBMExplainableModel, {"n_estimators": 7})
    assert explainer.surrogate_model is explainer.surrogate_
    assert explainer.surrogate_.model_.n_estimators == 7


@pytest.mark.parametrize("output", ["probability", "teacher_probability"])
def test_mimic_binary_probability_values_add_up_to_probabilities(cancer, output):
    X, _, model = cancer
    explainer = MimicExplainer(model, X, LGBMExplainableModel, {"n_estimators": 30},
                               shap_values_output=output)
    explanation = explainer.explain_local(X[:25])
    total = explanation.local_values.sum(axis=2) + explanation.expected_values_[:, None]
    assert explanation.output_space == "probability"
    assert np.all((total >= -1e-9) & (total <= 1 + 1e-9))
    np.testing.assert_allclose(total.sum(axis=0), 1.0)
    if output == "teacher_probability":
        np.testing.assert_allclose(total, model.predict_proba(X[:25]).T, atol=1e-9)
    else:  # the surrogate's probability: its log-odds through the logistic
        logit = explainer.surrogate_.predict(X[:25])
        np.testing.assert_allclose(total[1], 1 / (1 + np.exp(-logit)), atol=1e-9)
        default = MimicExplainer(model, X, LGBMExplainableModel, {"n_estimators": 30}).explain_local(X[:25])
        same_sign = np.sign(default.local_values) == np.sign(explanation.local_values)
        assert same_sign[np.abs(default.local_values) > 1e-12].all()  # rescaled, not reshuffled
    assert any("probability" in note or "model's own output" in note for note in explanation.fidelity.notes)


def test_mimic_multiclass_probability_values_add_up(iris):
    X, _, model = iris
    explanation = MimicExplainer(model, X, LGBMExplainableModel, shap_values_output="probability",
                                 augment_data=False).explain_local(X[::10])
    total = explanation.local_values.sum(axis=2) + explanation.expected_values_[:, None]
    np.testing.assert_allclose(total.sum(axis=0), 1.0)
    assert explanation.fidelity.additivity_error < 1e-9


def test_mimic_regression_teacher_values_add_up_to_the_model():
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    model = LinearRegression().fit(X, y)
    explanation = MimicExplainer(model, X, DecisionTreeExplainableModel,
                                 shap_values_output=ShapValuesOutput.TEACHER_PROBABILITY).explain_local(X[:30])
    total = explanation.local_values[0].sum(axis=1) + explanation.expected_values_[0]
    np.testing.assert_allclose(total, model.predict(X[:30]), atol=1e-8)


def test_mimic_reset_index_and_surrogate_options(cancer):
    X, _, model = cancer
    with pytest.warns(CompatibilityWarning, match="reset_index='reset_teacher' is accepted"):
        MimicExplainer(model, X, LinearExplainableModel, reset_index="reset_teacher")
    with pytest.raises(ValueError, match="reset_index must be 'ignore', 'reset' or 'reset_teacher'"):
        MimicExplainer(model, X, LinearExplainableModel, reset_index="drop")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompatibilityWarning)  # sparse_data: handled as such anyway
        MimicExplainer(model, sp.csr_matrix(X), LinearExplainableModel, {"sparse_data": True})
    with pytest.warns(CompatibilityWarning, match=r"explainable_model_args\['multiclass'\] is decided"):
        MimicExplainer(model, X, LinearExplainableModel, {"multiclass": True})
    with pytest.raises(TypeError, match=r"MimicExplainer: unexpected keyword arguments \['colour'\]"):
        MimicExplainer(model, X, LinearExplainableModel, colour="red")


def test_mimic_replication_measure(cancer):
    X, _, model = cancer
    explainer = MimicExplainer(model, X, LGBMExplainableModel)
    score = explainer.get_surrogate_model_replication_measure(X[:100])
    surrogate_says = (explainer.surrogate_.predict(X[:100]) > 0).astype(int)
    assert score == pytest.approx(np.mean(surrogate_says == model.predict(X[:100])))
    Xr, yr = make_regression(n_samples=80, n_features=3, random_state=1)
    regression = MimicExplainer(LinearRegression().fit(Xr, yr), Xr, LinearExplainableModel)
    assert regression.get_surrogate_model_replication_measure(Xr) > 0.99
    with pytest.raises(ScenarioNotSupportedException, match="single instance in training data"):
        regression.get_surrogate_model_replication_measure(Xr[:1])


def test_mimic_classifier_without_predict_proba_is_mimicked_on_labels(iris):
    X, y, _ = iris
    model = SGDClassifier(random_state=0).fit(StandardScaler().fit_transform(X), y)
    Xs = StandardScaler().fit(X).transform(X)
    explainer = MimicExplainer(model, Xs, LGBMExplainableModel, augment_data=False)
    explanation = explainer.explain_local(Xs[:5])
    assert explanation.local_values.shape == (3, 5, 4) and explanation.output_space == "log_odds"
    assert explainer.get_surrogate_model_replication_measure(Xs) > 0.8
    with pytest.raises(ValueError, match="teacher_probability' needs the model's probabilities"):
        MimicExplainer(model, Xs, LGBMExplainableModel, shap_values_output="teacher_probability")


def test_mimic_transformations_with_column_positions():
    X, y = make_regression(n_samples=150, n_features=4, random_state=0)
    scaler = Pipeline([("s", StandardScaler())])
    model = Pipeline([("p", scaler), ("r", LinearRegression())]).fit(X, y)
    explanation = MimicExplainer(model, X, LGBMExplainableModel, transformations=[(list(range(4)), scaler)],
                                 augment_data=False).explain_global(X[:10])
    assert explanation.is_raw and explanation.features == ["x0", "x1", "x2", "x3"]


# ---------------------------------------------------------------------- PFIExplainer
def test_pfi_signature_is_interpret_communitys(cancer):
    X, y, model = cancer
    explainer = PFIExplainer(model, False, "accuracy")  # is_function, metric by position
    assert explainer.explain_global(X[:60], y[:60]).num_features == 8
    with pytest.raises(TypeError, match="true_labels is required"):
        explainer.explain_global(X[:60])
    with pytest.raises(TypeError, match=r"PFIExplainer: unexpected keyword arguments \['colour'\]"):
        PFIExplainer(model, colour="red")
    with pytest.warns(CompatibilityWarning, match="shows no progress bar"):
        PFIExplainer(model, show_progress=True)


def test_pfi_callable_metric_gets_probabilities_when_asked(cancer):
    X, y, model = cancer
    seen = []

    def brier(y_true, probabilities):
        seen.append(np.shape(probabilities))
        return float(np.mean((probabilities[:, 1] - (np.asarray(y_true) == 1)) ** 2))

    PFIExplainer(model, metric=brier, is_error_metric=True,
                 for_classifier_use_predict_proba=True).explain_global(X[:40], y[:40])
    assert seen and all(shape == (40, 2) for shape in seen)
    with pytest.warns(CompatibilityWarning, match="no effect with f1"):
        PFIExplainer(model, for_classifier_use_predict_proba=True).explain_global(X[:40], y[:40])


def test_pfi_takes_sparse_true_labels():
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    model = LinearRegression().fit(X, y)
    dense = PFIExplainer(model).explain_global(X, y)
    sparse = PFIExplainer(model).explain_global(X, sp.csr_matrix(y.reshape(-1, 1)))
    assert dense.global_importance_values == sparse.global_importance_values


def test_tree_explainer_takes_shap_values_output(iris, cancer):
    from lightgbm import LGBMClassifier

    from explain import TreeExplainer

    _, _, forest = iris  # a forest's values add up to probabilities
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompatibilityWarning)
        assert TreeExplainer(forest, shap_values_output="probability").output_space_ == "probability"
    X, y, _ = cancer
    boosted = LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1).fit(X, y)
    assert TreeExplainer(boosted, shap_values_output=ShapValuesOutput.DEFAULT).output_space_ == "log_odds"
    with pytest.warns(CompatibilityWarning, match="add up to its 'log_odds' output"):
        TreeExplainer(boosted, shap_values_output="teacher_probability")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_tree_explainer_rescales_log_odds_to_probabilities_when_asked(n_classes):
    """As interpret-community's TreeExplainer(shap_values_output='probability'): additive in
    probability space, each row's values keeping the signs of its log-odds values (binary)."""
    from lightgbm import LGBMClassifier

    from explain import TreeExplainer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (n_classes == 3) * (X[:, 2] > 0.5)
    boosted = LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1).fit(X, y)
    explanation = TreeExplainer(boosted, shap_values_output="probability").explain_local(X[:25])
    log_odds = TreeExplainer(boosted).explain_local(X[:25])
    assert explanation.output_space == "probability" and "rescaled" in explanation.fidelity.notes[-1]
    values = explanation.local_values
    total = values.sum(axis=2) + explanation.expected_values_[:, None]
    np.testing.assert_allclose(total.T, boosted.predict_proba(X[:25]), atol=1e-9)
    if n_classes == 2:
        assert np.all(np.sign(values[1]) == np.sign(log_odds.local_values[1]))
