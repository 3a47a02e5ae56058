"""Tests of MimicExplainer: ground truth per surrogate and task, surrogate training, fidelity."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import Ridge
from sklearn.neural_network import MLPRegressor

from explain import Explanation, MimicExplainer, SamplingPolicy, load_explanation, save_explanation
from explain.models import (
    DecisionTreeExplainableModel,
    ExplainableModel,
    LGBMExplainableModel,
    LinearExplainableModel,
    SGDExplainableModel,
)
from tests._synthetic import assert_informative_first, make_ground_truth

SURROGATES = [LGBMExplainableModel, LinearExplainableModel, SGDExplainableModel,
              DecisionTreeExplainableModel]
TASKS = ["regression", "binary", "multiclass"]
N_INIT = 400


@dataclass(frozen=True)
class Teacher:
    """A fitted model with its initialization rows and held-out evaluation rows."""

    task: str
    model: Any
    X_init: pd.DataFrame
    X_eval: pd.DataFrame


def _fit_teacher(task: str) -> Teacher:
    X, y = make_ground_truth(task, n_rows=600)
    X_init, y_init = X.iloc[:N_INIT], y[:N_INIT]
    if task == "regression":
        model = MLPRegressor(hidden_layer_sizes=(32,), max_iter=1000, random_state=0)
    elif task == "binary":
        model = GradientBoostingClassifier(n_estimators=100, random_state=0)
    else:
        model = RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLP convergence; the teacher's quality is checked below
        model.fit(X_init, y_init)
    assert model.score(X.iloc[N_INIT:], y[N_INIT:]) > 0.85
    return Teacher(task, model, X_init, X.iloc[N_INIT:].reset_index(drop=True))


@pytest.fixture(scope="module")
def teachers() -> dict[str, Teacher]:
    return {task: _fit_teacher(task) for task in TASKS}


@pytest.fixture(scope="module", params=[(t, s) for t in TASKS for s in SURROGATES],
                ids=lambda p: f"{p[0]}-{p[1].kind}")
def mimic(request: pytest.FixtureRequest, teachers: dict[str, Teacher]
          ) -> tuple[Teacher, MimicExplainer]:
    task, surrogate_class = request.param
    teacher = teachers[task]
    return teacher, MimicExplainer(teacher.model, teacher.X_init, surrogate_class)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p) - np.log1p(-p)


def _surrogate_output(surrogate: ExplainableModel, X: np.ndarray) -> np.ndarray:
    """The surrogate's own output in its explained space, from the underlying model (k, n)."""
    model = surrogate.model_
    if isinstance(surrogate, LGBMExplainableModel):
        raw = model.booster_.predict(X, raw_score=True)
        return np.asarray(raw, dtype=float).reshape(X.shape[0], -1).T
    if isinstance(surrogate, DecisionTreeExplainableModel):
        out = model.predict_proba(X) if surrogate.classification else model.predict(X)
        return np.asarray(out, dtype=float).reshape(X.shape[0], -1).T
    scaled = surrogate.scaler_.transform(X)
    out = model.decision_function(scaled) if surrogate.classification else model.predict(scaled)
    return np.asarray(out, dtype=float).reshape(X.shape[0], -1).T


# ---------------------------------------------------------------------- ground truth
def test_ranks_informative_features_first_on_evaluation_rows(mimic: tuple) -> None:
    teacher, explainer = mimic
    explanation = explainer.explain_global(teacher.X_eval)
    assert_informative_first(explanation.get_ranked_global_names())
    assert explanation.num_examples == len(teacher.X_eval)
    assert explanation.features == tuple(teacher.X_init.columns)


def test_ranks_informative_features_first_without_evaluation_rows(mimic: tuple) -> None:
    teacher, explainer = mimic
    explanation = explainer.explain_global()
    assert_informative_first(explanation.get_ranked_global_names())
    assert explanation.num_examples == N_INIT  # the initialization rows are explained
    np.testing.assert_allclose(explanation.global_values,
                               explainer.explain_global(teacher.X_init).global_values, atol=1e-12)


def test_local_values_add_up_to_the_surrogate_output(mimic: tuple) -> None:
    teacher, explainer = mimic
    explanation = explainer.explain_local(teacher.X_eval.iloc[:60])
    assert explanation.fidelity.additivity_error < 1e-6
    assert explanation.fidelity.exact is True
    local = explanation.local_values
    expected = explanation.expected_values_
    output = _surrogate_output(explainer.surrogate_, teacher.X_eval.iloc[:60].to_numpy())
    if teacher.task == "binary":  # class "yes" carries the surrogate's log-odds
        np.testing.assert_allclose(local[1].sum(axis=1) + expected[1], output[0], atol=1e-6)
    else:
        np.testing.assert_allclose(local.sum(axis=2) + expected[:, None], output, atol=1e-6)


def test_fidelity_is_recorded(mimic: tuple) -> None:
    teacher, explainer = mimic
    fidelity = explainer.explain_global(teacher.X_eval).fidelity
    assert fidelity.surrogate_metric == ("r2" if teacher.task == "regression" else "accuracy")
    assert fidelity.surrogate_holdout_rows == round(0.2 * N_INIT)
    lower = 0.8 if isinstance(explainer.surrogate_, LGBMExplainableModel) else 0.5
    assert lower < fidelity.surrogate_score <= 1.0
    assert fidelity.notes == ()
    local = explainer.explain_local(teacher.X_eval.iloc[:3])
    assert local.fidelity.surrogate_score == fidelity.surrogate_score


# ---------------------------------------------------------------------- what the surrogate learns
def test_binary_surrogate_learns_log_odds(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["binary"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel)
    assert explainer.surrogate_.classification is False
    log_odds = _logit(teacher.model.predict_proba(teacher.X_eval)[:, 1])
    raw = explainer.surrogate_.predict(teacher.X_eval.to_numpy())
    assert np.corrcoef(raw, log_odds)[0, 1] > 0.9
    explanation = explainer.explain_local(teacher.X_eval)
    assert explanation.classes == ("no", "yes")
    assert explanation.output_space == "log_odds"
    assert explanation.method == "mimic.lightgbm"
    local = explanation.local_values
    assert local.shape == (2, len(teacher.X_eval), 8)
    np.testing.assert_array_equal(local[0], -local[1])
    assert explanation.expected_values[0] == -explanation.expected_values[1]


@pytest.mark.parametrize("surrogate_class", SURROGATES)
def test_binary_output_space_is_log_odds(surrogate_class: type, teachers: dict[str, Teacher]) -> None:
    # Regression test: the binary surrogate is a regressor on log-odds, and the explanation
    # used to report the regressor's own output space "raw".
    teacher = teachers["binary"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, surrogate_class)
    assert explainer.explain_global().output_space == "log_odds"


def test_multiclass_surrogate_is_a_classifier_on_labels(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["multiclass"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel)
    surrogate = explainer.surrogate_
    assert surrogate.classification is True
    assert type(surrogate.model_).__name__ == "LGBMClassifier"
    np.testing.assert_array_equal(surrogate.model_.classes_, [0, 1, 2])
    teacher_labels = teacher.model.predict_proba(teacher.X_eval).argmax(axis=1)
    assert np.mean(surrogate.predict(teacher.X_eval.to_numpy()) == teacher_labels) > 0.8
    explanation = explainer.explain_global(teacher.X_eval)
    assert explanation.classes == ("a", "b", "c")
    assert explanation.local_values.shape == (3, len(teacher.X_eval), 8)
    assert explanation.per_class_values_.shape == (3, 8)
    assert explanation.output_space == "log_odds"


@pytest.mark.parametrize(("surrogate_class", "space"), [(LinearExplainableModel, "log_odds"),
                                                        (SGDExplainableModel, "margin"),
                                                        (DecisionTreeExplainableModel, "probability")])
def test_multiclass_output_space(surrogate_class: type, space: str, teachers: dict[str, Teacher]) -> None:
    teacher = teachers["multiclass"]
    assert MimicExplainer(teacher.model, teacher.X_init, surrogate_class).output_space_ == space


def test_regression_surrogate_learns_predictions(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["regression"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel)
    assert explainer.surrogate_.classification is False
    raw = explainer.surrogate_.predict(teacher.X_eval.to_numpy())
    assert np.corrcoef(raw, teacher.model.predict(teacher.X_eval))[0, 1] > 0.95
    explanation = explainer.explain_global(teacher.X_eval)
    assert explanation.output_space == "raw"
    assert explanation.classes is None
    assert explanation.expected_values == [float(explanation.expected_values_[0])]
    assert explanation.local_values.shape == (1, len(teacher.X_eval), 8)


def test_holdout_fraction(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["regression"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, LinearExplainableModel, holdout_fraction=0.3)
    assert explainer.explain_global().fidelity.surrogate_holdout_rows == round(0.3 * N_INIT)


def test_too_few_rows_leaves_fidelity_unmeasured(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["regression"]
    explainer = MimicExplainer(teacher.model, teacher.X_init.iloc[:30], LGBMExplainableModel)
    fidelity = explainer.explain_global().fidelity
    assert fidelity.surrogate_score is None
    assert fidelity.surrogate_metric is None
    assert fidelity.surrogate_holdout_rows is None
    assert fidelity.notes == ("surrogate fidelity not measured: only 30 rows",)
    assert fidelity.additivity_error < 1e-6


# ---------------------------------------------------------------------- options
def test_explainable_model_args_reach_the_model(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["regression"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel,
                               explainable_model_args={"n_estimators": 7, "random_state": 11})
    model = explainer.surrogate_.model_
    assert model.booster_.num_trees() == 7
    assert model.get_params()["random_state"] == 11
    assert model.get_params()["n_jobs"] == 1
    tree = MimicExplainer(teacher.model, teacher.X_init, DecisionTreeExplainableModel,
                          explainable_model_args={"max_depth": 3})
    assert tree.surrogate_.model_.get_depth() == 3


def test_n_jobs_in_explainable_model_args(teachers: dict[str, Teacher]) -> None:
    # Regression test: LightGBM got n_jobs twice (from the explainer and from the args).
    teacher = teachers["regression"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel,
                               explainable_model_args={"n_jobs": 1, "n_estimators": 5})
    assert explainer.surrogate_.model_.get_params()["n_jobs"] == 1
    assert explainer.surrogate_.model_.booster_.num_trees() == 5


def test_augment_data_on_short_wide_data() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 60))
    model = Ridge().fit(X, 3 * X[:, 0] - 2 * X[:, 1] + X[:, 2])

    def rows_trained(**kwargs: Any) -> tuple[int, MimicExplainer]:
        explainer = MimicExplainer(model, X, DecisionTreeExplainableModel, **kwargs)
        return int(explainer.surrogate_.model_.tree_.n_node_samples[0]), explainer

    rows, explainer = rows_trained()
    assert rows == 60  # min(60 // 20 - 1, 10) = 2 permuted copies appended
    assert rows_trained(augment_data=False)[0] == 20
    assert rows_trained(max_num_of_augmentations=1)[0] == 40
    explanation = explainer.explain_global()
    assert explanation.num_examples == 20  # the user's rows, not the augmented ones
    assert explanation.fidelity.surrogate_holdout_rows == 12
    assert explainer.explain_global(X[:5]).num_examples == 5


def test_no_augmentation_when_rows_suffice(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["regression"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, DecisionTreeExplainableModel)
    assert explainer.surrogate_.model_.tree_.n_node_samples[0] == N_INIT


@pytest.mark.parametrize("categorical", [["f3"], [3], [np.int64(3)]])
def test_categorical_features_by_name_and_index(categorical: list, teachers: dict[str, Teacher]) -> None:
    teacher = teachers["binary"]
    X = teacher.X_init.copy()
    X["f3"] = np.random.default_rng(0).integers(0, 4, size=len(X)).astype(float)
    explainer = MimicExplainer(teacher.model, X, LGBMExplainableModel, categorical_features=categorical)
    assert explainer.categorical_features_ == [3]
    infos = explainer.surrogate_.model_.booster_.dump_model()["feature_infos"]
    assert infos["Column_3"]["values"], "f3 should be split on as a category"
    assert not infos["Column_4"]["values"]
    assert_informative_first(explainer.explain_global().get_ranked_global_names())


@pytest.mark.parametrize("categorical", [["nope"], [8], [-1]])
def test_unknown_categorical_feature_raises(categorical: list, teachers: dict[str, Teacher]) -> None:
    teacher = teachers["regression"]
    with pytest.raises(ValueError, match="categorical_features names unknown feature"):
        MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel, categorical_features=categorical)


def test_categorical_features_with_non_lgbm_surrogate(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["regression"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, LinearExplainableModel,
                               categorical_features=["f7"])
    assert_informative_first(explainer.explain_global().get_ranked_global_names())


def test_function_model_with_model_task(teachers: dict[str, Teacher]) -> None:
    binary = teachers["binary"]
    columns = list(binary.X_init.columns)
    calls: list[type] = []

    def predict_proba(data: np.ndarray) -> np.ndarray:
        calls.append(type(data))
        return binary.model.predict_proba(pd.DataFrame(data, columns=columns))

    explainer = MimicExplainer(predict_proba, binary.X_init, LGBMExplainableModel, is_function=True,
                               model_task="classification", classes=["no", "yes"])
    explanation = explainer.explain_global(binary.X_eval)
    assert calls and all(kind is np.ndarray for kind in calls)
    assert explanation.model_task == "classification"
    assert explanation.classes == ("no", "yes")
    assert explanation.output_space == "log_odds"
    assert explanation.model_type == "predict_proba"
    assert_informative_first(explanation.get_ranked_global_names())

    regression = teachers["regression"]
    regressor = MimicExplainer(lambda data: regression.model.predict(pd.DataFrame(data, columns=columns)),
                               regression.X_init, LinearExplainableModel, is_function=True,
                               model_task="regression")
    explanation = regressor.explain_global()
    assert explanation.model_task == "regression"
    assert explanation.fidelity.surrogate_metric == "r2"
    assert_informative_first(explanation.get_ranked_global_names())


def test_explain_subset(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["multiclass"]
    full = MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel)
    subset = MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel,
                            explain_subset=["f5", 1, "f0"])
    local = subset.explain_local(teacher.X_eval.iloc[:20])
    assert local.features == ("f5", "f1", "f0")
    assert local.local_values.shape == (3, 20, 3)
    reference = full.explain_local(teacher.X_eval.iloc[:20]).local_values[:, :, [5, 1, 0]]
    np.testing.assert_allclose(local.local_values, reference, atol=1e-12)
    assert local.fidelity.additivity_error < 1e-6  # measured on the full decomposition
    assert subset.explain_global().get_ranked_global_names()[-1] == "f5"


def test_same_random_state_gives_identical_values(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["binary"]
    for surrogate_class in (LGBMExplainableModel, SGDExplainableModel):
        first = MimicExplainer(teacher.model, teacher.X_init, surrogate_class, random_state=3)
        second = MimicExplainer(teacher.model, teacher.X_init, surrogate_class, random_state=3)
        a, b = first.explain_global(teacher.X_eval), second.explain_global(teacher.X_eval)
        np.testing.assert_array_equal(a.local_values, b.local_values)
        np.testing.assert_array_equal(a.global_values, b.global_values)
        assert a.fidelity.surrogate_score == b.fidelity.surrogate_score


def test_sampling_policy_without_evaluation_rows(teachers: dict[str, Teacher]) -> None:
    # Regression test: without evaluation_examples, the sampling policy was silently ignored.
    teacher = teachers["regression"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, LinearExplainableModel)
    policy = SamplingPolicy(allow_eval_sampling=True, sampling_method="random", max_rows=50)
    explanation = explainer.explain_global(sampling_policy=policy)
    assert explanation.num_examples == 50
    assert "explained a random sample of 50 of 400 rows" in explanation.fidelity.notes
    assert explanation.fidelity.surrogate_metric == "r2"


def test_global_only_without_evaluation_rows(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["binary"]
    explainer = MimicExplainer(teacher.model, teacher.X_init, LinearExplainableModel)
    full = explainer.explain_global()
    batched = explainer.explain_global(include_local=False, batch_size=64)
    assert batched.local_values is None
    np.testing.assert_allclose(batched.global_values, full.global_values, atol=1e-12)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        explainer.explain_global(include_local=False, batch_size=0)


# ---------------------------------------------------------------------- errors
def test_explainable_model_must_be_a_surrogate_class(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["regression"]
    with pytest.raises(TypeError, match="explainable_model must be a surrogate class"):
        MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel())
    with pytest.raises(TypeError, match="explainable_model must be a surrogate class"):
        MimicExplainer(teacher.model, teacher.X_init, Ridge)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_holdout_fraction_out_of_range(fraction: float, teachers: dict[str, Teacher]) -> None:
    teacher = teachers["regression"]
    with pytest.raises(ValueError, match=r"holdout_fraction must be in \(0, 1\)"):
        MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel, holdout_fraction=fraction)


def test_multiclass_model_must_predict_every_class(teachers: dict[str, Teacher]) -> None:
    teacher = teachers["multiclass"]
    predicted = teacher.model.predict(teacher.X_init)
    rows = teacher.X_init[predicted != "c"]
    with pytest.raises(ValueError, match="predicts only 2 of its 3 classes"):
        MimicExplainer(teacher.model, rows, LGBMExplainableModel)


# ---------------------------------------------------------------------- save / load
def _assert_same_explanation(loaded: Explanation, original: Explanation) -> None:
    for name in ("method", "model_task", "features", "classes", "output_space", "num_examples",
                 "model_type"):
        assert getattr(loaded, name) == getattr(original, name), name
    for name in ("global_values", "local_values", "expected_values_", "per_class_values_"):
        a, b = getattr(loaded, name), getattr(original, name)
        assert (a is None) == (b is None), name
        if a is not None:
            np.testing.assert_array_equal(a, b)
    assert loaded.fidelity.scalars() == original.fidelity.scalars()


def test_save_load_round_trip(teachers: dict[str, Teacher], tmp_path: Path) -> None:
    teacher = teachers["binary"]
    explanation = MimicExplainer(teacher.model, teacher.X_init, LGBMExplainableModel).explain_global()
    loaded = load_explanation(save_explanation(explanation, tmp_path / "mimic.npz"))
    _assert_same_explanation(loaded, explanation)
    assert loaded.fidelity.surrogate_score == explanation.fidelity.surrogate_score
    assert loaded.fidelity.surrogate_metric == "accuracy"
    assert loaded.fidelity.surrogate_holdout_rows == 80
    assert loaded.fidelity.additivity_error == explanation.fidelity.additivity_error

    short = MimicExplainer(teacher.model, teacher.X_init.iloc[:30], LinearExplainableModel)
    explanation = short.explain_global(teacher.X_eval, include_local=False)
    loaded = load_explanation(save_explanation(explanation, tmp_path / "short.npz"))
    _assert_same_explanation(loaded, explanation)
    assert loaded.fidelity.notes == ("surrogate fidelity not measured: only 30 rows",)
    assert loaded.local_values is None
    assert_informative_first(loaded.get_ranked_global_names())


def test_a_class_the_model_predicts_once_still_gets_a_surrogate_and_its_fidelity() -> None:
    """Hold-out rows cannot be stratified when a class is predicted on one row only (as on
    interpret-community's hashed text data): the split is then not stratified."""
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] > 0).astype(int)
    y[np.argmax(X[:, 1])] = 2  # one row of class 2: the fitted tree predicts it on that row only
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    assert (model.predict(X) == 2).sum() == 1
    explainer = MimicExplainer(model, X, LinearExplainableModel, augment_data=False)
    assert explainer.surrogate_fidelity_.surrogate_metric == "accuracy"
    assert explainer.surrogate_fidelity_.surrogate_score is not None
    assert explainer.explain_global(X).global_values.shape == (4,)


class _IndexedModel:
    """A model that reads its rows' datetime index (as a forecasting pipeline does)."""

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        assert isinstance(X, pd.DataFrame) and X.index.names == ["day", "shop"]
        assert X.index.get_level_values("day").dtype.kind == "M" and list(X.columns) == ["x"]
        return X["x"].to_numpy() + 0.01 * X.index.get_level_values("day").dayofyear.to_numpy()


def test_reset_index_explains_the_index_and_gives_it_back_to_the_model() -> None:
    """As interpret-community's MimicExplainer(reset_index='reset'): index levels are features."""
    rng = np.random.default_rng(0)
    n = 200
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D")
    index = pd.MultiIndex.from_arrays([days, rng.choice(["north", "south"], n)], names=["day", "shop"])
    X = pd.DataFrame({"x": rng.normal(size=n)}, index=index)
    explainer = MimicExplainer(_IndexedModel(), X, LGBMExplainableModel, reset_index=True,
                               model_task="regression", augment_data=False,
                               explainable_model_args={"n_jobs": 1})
    assert explainer.features_ == ("x", "day", "shop")
    explanation = explainer.explain_global(X.iloc[:50])
    assert explanation.features == ["x", "day", "shop"]
    np.testing.assert_allclose(explanation.eval_y_predicted, _IndexedModel().predict(X.iloc[:50]))
    assert explanation.global_values[1] > explanation.global_values[2]  # the day matters, the shop not
