"""The README's porting table: every replacement imports, and is used as its original was.

Each row of the table (between ``<!-- porting-table -->`` markers in README.md) gives an
interpret-community / azureml-interpret import and the one to use here. This test reads the
table, runs each replacement import, and runs an exercise of the imported names for every
row, so a row the library stops honouring fails here.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(?P<old>[^`]+)` \| (?:`(?P<new>[^`]+)`|—) \|(?P<note>.*)\|$")


def porting_rows() -> list[tuple[str, str | None, str]]:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- porting-table -->")[1].split("<!-- /porting-table -->")[0]
    rows = []
    for line in table.strip().splitlines()[2:]:
        match = ROW.match(line)
        assert match, f"README porting table: cannot read the row {line!r}"
        rows.append((match["old"], match["new"], match["note"].strip()))
    return rows


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:200, :6]
    y = y.iloc[:200]
    Xr, yr = make_regression(n_samples=120, n_features=4, random_state=0)
    return {"X": X, "y": y, "forest": RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y),
            "logistic": LogisticRegression(max_iter=2000).fit(X, y), "Xr": Xr,
            "linear": LinearRegression().fit(Xr, yr), "yr": yr}


def _explainers(ns: dict[str, Any], data: dict[str, Any]) -> None:
    X, y = data["X"], data["y"]
    for name in ("TabularExplainer", "KernelExplainer", "TreeExplainer", "LinearExplainer", "LIMEExplainer"):
        if name in ns:
            model = data["forest"] if name == "TreeExplainer" else data["logistic"]
            options = {"nsamples": 64} if name == "KernelExplainer" else {}
            e = ns[name](model, X.iloc[:30], **options).explain_local(X.iloc[:3])
            assert np.shape(e.local_importance_values) == (2, 3, 6)
    if "MimicExplainer" in ns:
        from explain.models import LGBMExplainableModel

        mimic = ns["MimicExplainer"](data["forest"], X, LGBMExplainableModel)
        assert mimic.explain_global().num_features == 6
    if "PFIExplainer" in ns:
        assert len(ns["PFIExplainer"](data["logistic"]).explain_global(X, y).global_importance_values) == 6
    if "DeepExplainer" in ns:
        torch = pytest.importorskip("torch")
        from explain import TorchModel

        net = TorchModel(torch.nn.Sequential(torch.nn.Linear(4, 1)), model_task="regression")
        e = ns["DeepExplainer"](net, data["Xr"][:20]).explain_local(data["Xr"][:2])
        assert e.local_values.shape == (1, 2, 4)


def _surrogates(ns: dict[str, Any], data: dict[str, Any]) -> None:
    from explain import MimicExplainer

    for name, cls in ns.items():
        if name == "BaseExplainableModel":  # the base the surrogates derive from
            from explain.models import LGBMExplainableModel

            assert issubclass(LGBMExplainableModel, cls)
            continue
        explainer = MimicExplainer(data["linear"], data["Xr"], cls, augment_data=False)
        assert explainer.surrogate_model.predict(data["Xr"][:2]).shape == (2,), name


def _save_load(ns: dict[str, Any], data: dict[str, Any], tmp_path: Path) -> None:
    from explain import TabularExplainer

    e = TabularExplainer(data["forest"], data["X"]).explain_global(data["X"].iloc[:5])
    save = ns.get("save_explanation") or ns["log_explanation"]
    load = ns.get("load_explanation") or ns["get_explanation"]
    path = save(e, tmp_path / "saved", exist_ok=True)
    assert load(path).global_importance_values == e.global_importance_values


def _constants(ns: dict[str, Any], data: dict[str, Any]) -> None:
    from explain import TabularExplainer

    assert ns["ModelTask"].Classification == "classification"
    assert ns["ExplainParams"].GLOBAL_IMPORTANCE_VALUES == "global_importance_values"
    assert ns["InterpretData"].SCORES == "scores" and ns["Scipy"].CSR_FORMAT == "csr"
    assert ns["ExplainType"].SHAP_TREE == "shap_tree" and ns["ResetIndex"].Ignore == "ignore"
    explainer = TabularExplainer(data["logistic"].predict_proba, data["X"].iloc[:20], is_function=True,
                                 model_task=ns["ModelTask"].Classification)
    assert explainer.explain_local(data["X"].iloc[:2]).num_classes == 2
    assert ns["ShapValuesOutput"].PROBABILITY == "probability"


def _small_data(ns: dict[str, Any], data: dict[str, Any]) -> None:
    from explain import MimicExplainer
    from explain.models import LGBMExplainableModel

    few = data["Xr"][: ns["SMALL_DATA_THRESHOLD"] - 10]
    explanation = MimicExplainer(data["linear"], few, LGBMExplainableModel).explain_global(few)
    assert np.count_nonzero(explanation.local_values) > 0  # not a constant surrogate


def _scenario(ns: dict[str, Any], data: dict[str, Any]) -> None:
    from explain import MimicExplainer
    from explain.models import LinearExplainableModel

    explainer = MimicExplainer(data["linear"], data["Xr"], LinearExplainableModel)
    with pytest.raises(ns["ScenarioNotSupportedException"], match="single instance"):
        explainer.get_surrogate_model_replication_measure(data["Xr"][:1])


def _dashboard(ns: dict[str, Any], data: dict[str, Any]) -> None:
    pytest.importorskip("dash")
    from explain import TabularExplainer

    e = TabularExplainer(data["forest"], data["X"]).explain_local(data["X"].iloc[:20])
    board = ns["ExplanationDashboard"](e, data["forest"], datasetX=data["X"].iloc[:20], start=False)
    assert board.data.n_rows == 20


def _adapter(ns: dict[str, Any], data: dict[str, Any]) -> None:
    adapter = ns["ExplanationAdapter"](features=["a", "b"], classification=False)
    assert adapter.create_global(np.array([[1.0, -1.0], [3.0, 0.0]])).global_importance_values == [2.0, 0.5]


def _sampling(ns: dict[str, Any], data: dict[str, Any]) -> None:
    from explain import TabularExplainer

    policy = ns["SamplingPolicy"](allow_eval_sampling=True, sampling_method="hdbscan", max_rows=50)
    X = pd.concat([data["X"]] * 2, ignore_index=True)
    e = TabularExplainer(data["forest"], data["X"]).explain_global(X, sampling_policy=policy)
    assert e.fidelity.sampled_from == 400


def _featurizer(ns: dict[str, Any], data: dict[str, Any]) -> None:
    from explain import TabularExplainer

    frame = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=60, freq="D"),
                          "x": np.arange(60.0)})
    featurizer = ns["CustomTimestampFeaturizer"]().fit(frame)
    model = LinearRegression().fit(featurizer.transform(frame), np.arange(60.0))
    e = TabularExplainer(model, frame, transformations=featurizer).explain_global(frame.iloc[:5])
    assert e.is_raw and e.features == ["when", "x"]


def _torch_model(ns: dict[str, Any], data: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    model = ns["TorchModel"](torch.nn.Linear(4, 3), model_task="classification")
    assert model.predict_proba(np.zeros((2, 4))).shape == (2, 3)


def _client(ns: dict[str, Any], data: dict[str, Any], tmp_path: Path) -> None:
    from explain import DirectoryRun, TabularExplainer

    e = TabularExplainer(data["forest"], data["X"]).explain_global(data["X"].iloc[:5])
    if "MimicExplainer" in ns:
        from explain.models import LGBMExplainableModel

        e = ns["MimicExplainer"](data["forest"], data["X"], LGBMExplainableModel).explain_global()
    client = ns["ExplanationClient"].from_run(DirectoryRun(tmp_path / "run"))
    client.upload_model_explanation(e, comment="c")
    assert client.download_model_explanation(comment="c").id == e.id
    again = ns["ExplanationClient"].from_run_id(tmp_path / "ws", "experiment", "run")
    again.upload_model_explanation(e)
    assert len(again.list_model_explanations()) == 1


def _scoring(ns: dict[str, Any], data: dict[str, Any], tmp_path: Path) -> None:
    from explain import TreeExplainer

    scoring = ns["TreeScoringExplainer"](TreeExplainer(data["forest"], data["X"]))
    ns["save"](scoring, tmp_path / "scoring")
    loaded = ns["load"](tmp_path / "scoring")
    values = np.asarray(loaded.explain(data["X"].iloc[:2]))
    assert values.shape[-2:] == (2, 6)
    assert {"KernelScoringExplainer", "LinearScoringExplainer", "DeepScoringExplainer"} <= set(ns)


def _automl_config(ns: dict[str, Any], data: dict[str, Any]) -> None:
    frame = data["X"].assign(label=data["y"].to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = ns["AutoMLConfig"]("classification", training_data=frame, label_column_name="label",
                                    experiment_timeout_hours=1, enable_voting_ensemble=False)
    assert config.experiment_timeout_minutes == 60 and config.ensemble is False


def _automl_explainer(ns: dict[str, Any], data: dict[str, Any]) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(data["X"], data["y"])
    _, expected, _, overall_imp, *_ = ns["explain_model"](
        model, data["X"].iloc[:100], data["X"].iloc[100:110], raw=True)
    assert len(overall_imp) == 6 and len(expected) == 2
    assert callable(ns["retrieve_model_explanation"])  # needs a finished search: tests/automl/test_compat.py


def _not_needed(ns: dict[str, Any], data: dict[str, Any]) -> None:
    """Rows whose replacement is '—': the note says what to do instead."""


EXERCISES: dict[str, Callable[..., None]] = {
    "interpret.ext.blackbox": _explainers, "interpret.ext.greybox": _explainers,
    "interpret.ext.glassbox": _surrogates, "interpret_community": _explainers,
    "interpret_community.tabular_explainer": _explainers, "interpret_community.mimic": _explainers,
    "interpret_community.mimic.mimic_explainer": _small_data,
    "interpret_community.mimic.models": _surrogates, "interpret_community.permutation": _explainers,
    "interpret_community.shap": _explainers, "interpret_community.lime": _explainers,
    "interpret_community.explanation": _save_load, "interpret_community.mlflow": _save_load,
    "interpret_community.adapter": _adapter, "interpret_community.common.policy": _sampling,
    "interpret_community.common.constants": _constants,
    "interpret_community.common.exception": _scenario, "interpret_community.widget": _dashboard,
    "interpret_community.dataset.dataset_wrapper": _featurizer,
    "interpret_community.common.model_wrapper": _torch_model,
    "interpret_community.common": _not_needed, "azureml.interpret": _client,
    "azureml.interpret.scoring.scoring_explainer": _scoring, "azureml.train.automl": _automl_config,
    "azureml.train.automl.automlexplainer": _automl_explainer,
}

ROWS = porting_rows()


def _module(statement: str) -> str:
    return statement.split()[1]


@pytest.mark.parametrize(("old", "new", "note"), ROWS, ids=[r[0] for r in ROWS])
def test_replacement_imports_and_does_what_the_original_did(old, new, note, data, tmp_path):
    if new is None:
        assert note, f"{old}: a row without a replacement must say what to do instead"
        return
    namespace: dict[str, Any] = {}
    exec(new, namespace)  # the README's own import line
    imported = {k: v for k, v in namespace.items() if k != "__builtins__"}
    old_names = [n.strip() for n in old.split(" import ")[1].split(",")]
    if sorted(imported) != sorted(old_names):  # other names: the note must say how to use them
        assert note, f"{new} does not give the names of {old}, and the row does not say why"
    exercise = EXERCISES[_module(old)]
    if exercise in (_save_load, _client, _scoring):
        exercise(imported, data, tmp_path)
    else:
        exercise(imported, data)


def test_every_alias_of_the_shim_is_in_the_table():
    """The shim that runs interpret-community's tests maps the same names as the README."""
    from tests.compat.shim.aliases import ALIASES
    table = " ".join(f"{old} {new}" for old, new, _ in ROWS if new)
    missing = sorted(f"{module}.{name}" for module, names in ALIASES.items() for name in names
                     if module.startswith(("interpret", "azureml")) and name not in table)
    assert not missing, f"shim aliases not in README's porting table: {missing[:5]}"
