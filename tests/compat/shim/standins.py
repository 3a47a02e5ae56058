"""Offline stand-ins for the data sets interpret-community's tests download.

Its tests fetch files from a public blob store (``retrieve_dataset``), scikit-learn's
``fetch_20newsgroups`` / ``fetch_california_housing`` and a Titanic CSV from GitHub; this
machine downloads nothing at test time. Each stand-in here is seeded synthetic data with the
original's file type, column names, column types and label values (numbers of rows are
smaller), and a label that depends on the features, so that models learn something. Values
differ from the originals: a test that asserts a number learnt from a real data set can fail
here for that reason alone, and ``skips.py`` says so where it happens. The ancestor's own
helpers that stopped working on today's scikit-learn and pandas are patched to run there
(:func:`_patch_helpers`, :func:`_fillna_method`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils import Bunch

_read_csv = pd.read_csv


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(sum(map(ord, name)))


def breast_cancer(**kwargs: Any) -> pd.DataFrame:
    """UCI breast-cancer (Wisconsin): a 0/1 class, then nine integer scores 1..10, a few missing."""
    rng = _rng("breast-cancer")
    n = 560
    y = (rng.random(n) < 0.35).astype(int)
    names = ["Clump_Thickness", "Uniformity_of_Cell_Size", "Uniformity_of_Cell_Shape",
             "Marginal_Adhesion", "Single_Epithelial_Cell_Size", "Bare_Nuclei", "Bland_Chromatin",
             "Normal_Nucleoli", "Mitoses"]
    frame = pd.DataFrame({"Class": y})
    for i, name in enumerate(names):
        score = 2 + 5 * y * (1 - i / 12) + rng.normal(0, 1.8, n)
        frame[name] = np.clip(np.round(score), 1, 10)
    frame.loc[rng.choice(n, 8, replace=False), "Bare_Nuclei"] = np.nan
    return frame


def energy_efficiency(**kwargs: Any) -> pd.DataFrame:
    """Energy efficiency 2012: eight building features, heating and cooling loads, a label."""
    rng = _rng("energy")
    n = 614
    frame = pd.DataFrame({
        "Relative_Compactness": rng.choice([0.62, 0.66, 0.71, 0.76, 0.82, 0.9, 0.98], n),
        "Surface_Area": rng.choice([514.5, 563.5, 612.5, 661.5, 710.5, 759.5, 808.5], n),
        "Wall_Area": rng.choice([245.0, 294.0, 318.5, 343.0, 367.5, 416.5], n),
        "Roof_Area": rng.choice([110.25, 122.5, 147.0, 220.5], n),
        "Overall_Height": rng.choice([3.5, 7.0], n),
        "Orientation": rng.integers(2, 6, n).astype(float),
        "Glazing_Area": rng.choice([0.0, 0.1, 0.25, 0.4], n),
        "Glazing_Area_Distribution": rng.integers(0, 6, n).astype(float),
    })
    heating = (4 * frame["Overall_Height"] + 30 * frame["Glazing_Area"]
               - 0.02 * frame["Roof_Area"] + rng.normal(0, 1, n))
    frame["Heating_Load"] = heating
    frame["Cooling_Load"] = heating * 1.1 + rng.normal(0, 1, n)
    frame["Label"] = (heating > heating.median()).astype(int)
    return frame


def msx(**kwargs: Any) -> sp.csr_matrix:
    """A sparse design matrix of 2226 columns, then a numeric target column and one more."""
    rng = _rng("msx")
    n, f = 600, 2226
    X = sp.random(n, f, density=0.01, format="csr", random_state=1, dtype=np.float64)
    weights = np.zeros(f)
    weights[:40] = rng.normal(0, 3, 40)
    y = X @ weights + rng.normal(0, 0.1, n)
    extra = rng.integers(0, 2, n).astype(float)
    return sp.hstack([X, sp.csr_matrix(y.reshape(-1, 1)), sp.csr_matrix(extra.reshape(-1, 1))],
                     format="csr")


def a1a(**kwargs: Any) -> tuple[sp.csr_matrix, np.ndarray]:
    """LIBSVM's a1a: 119 binary (one-hot) features, labels -1 / +1."""
    rng = _rng("a1a")
    n, f = 1605, 119
    X = sp.csr_matrix((rng.random((n, f)) < 0.11).astype(np.float64))
    score = X[:, :10] @ rng.normal(0, 1.5, 10) + rng.normal(0, 0.5, n)
    return X, np.where(score > np.median(score), 1.0, -1.0)


def imports_85(header: Any = None, names: Any = None, na_values: Any = None,
               **kwargs: Any) -> pd.DataFrame:
    """UCI automobile (imports-85): 26 mixed columns, ``price`` last, some missing values."""
    rng = _rng("imports-85")
    n = 205
    cols = list(names) if names is not None else [f"c{i}" for i in range(26)]
    makes = ["toyota", "nissan", "mazda", "honda", "mitsubishi", "subaru", "volvo", "bmw"]
    text = {
        "make": makes, "fuel_type": ["gas", "diesel"], "aspiration": ["std", "turbo"],
        "num_doors": ["two", "four"], "body_style": ["sedan", "hatchback", "wagon", "convertible"],
        "drive_wheels": ["fwd", "rwd", "4wd"], "engine_location": ["front", "rear"],
        "engine_type": ["ohc", "ohcf", "dohc", "l"], "num_cylinders": ["four", "six", "five"],
        "fuel_system": ["mpfi", "2bbl", "idi", "1bbl"],
    }
    data: dict[str, Any] = {}
    for col in cols:
        if col in text:
            data[col] = rng.choice(text[col], n)
        elif col == "symboling":
            data[col] = rng.integers(-2, 4, n)
        else:
            data[col] = np.round(rng.normal(100, 20, n), 1)
    frame = pd.DataFrame(data)
    if "price" in frame:
        frame["price"] = (5000 + 80 * frame.get("engine_size", 0) + 40 * frame.get("horsepower", 0)
                          + rng.normal(0, 500, n))
    for col in ("normalized_losses", "bore", "price", "num_doors"):
        if col in frame:
            frame[col] = frame[col].astype(object if col == "num_doors" else float)
            frame.loc[rng.choice(n, 4, replace=False), col] = np.nan
    return frame


def attrition(**kwargs: Any) -> pd.DataFrame:
    """IBM HR employee attrition: 35 columns, ``Attrition`` Yes/No."""
    rng = _rng("attrition")
    n = 600
    frame = pd.DataFrame({
        "Age": rng.integers(18, 60, n),
        "Attrition": "No",
        "BusinessTravel": rng.choice(["Travel_Rarely", "Travel_Frequently", "Non-Travel"], n),
        "DailyRate": rng.integers(100, 1500, n),
        "Department": rng.choice(["Sales", "Research & Development", "Human Resources"], n),
        "DistanceFromHome": rng.integers(1, 30, n),
        "Education": rng.integers(1, 6, n),
        "EducationField": rng.choice(["Life Sciences", "Medical", "Marketing", "Other"], n),
        "EmployeeCount": 1,
        "EmployeeNumber": np.arange(1, n + 1),
        "EnvironmentSatisfaction": rng.integers(1, 5, n),
        "Gender": rng.choice(["Female", "Male"], n),
        "HourlyRate": rng.integers(30, 100, n),
        "JobInvolvement": rng.integers(1, 5, n),
        "JobLevel": rng.integers(1, 6, n),
        "JobRole": rng.choice(["Sales Executive", "Research Scientist", "Laboratory Technician",
                               "Manager"], n),
        "JobSatisfaction": rng.integers(1, 5, n),
        "MaritalStatus": rng.choice(["Single", "Married", "Divorced"], n),
        "MonthlyIncome": rng.integers(1000, 20000, n),
        "MonthlyRate": rng.integers(2000, 27000, n),
        "NumCompaniesWorked": rng.integers(0, 10, n),
        "Over18": "Y",
        "OverTime": rng.choice(["Yes", "No"], n),
        "PercentSalaryHike": rng.integers(11, 26, n),
        "PerformanceRating": rng.integers(3, 5, n),
        "RelationshipSatisfaction": rng.integers(1, 5, n),
        "StandardHours": 80,
        "StockOptionLevel": rng.integers(0, 4, n),
        "TotalWorkingYears": rng.integers(0, 40, n),
        "TrainingTimesLastYear": rng.integers(0, 7, n),
        "WorkLifeBalance": rng.integers(1, 5, n),
        "YearsAtCompany": rng.integers(0, 40, n),
        "YearsInCurrentRole": rng.integers(0, 18, n),
        "YearsSinceLastPromotion": rng.integers(0, 15, n),
        "YearsWithCurrManager": rng.integers(0, 17, n),
    })
    risk = (frame["OverTime"] == "Yes") * 1.5 - frame["JobSatisfaction"] * 0.4 + rng.normal(0, 1, n)
    frame["Attrition"] = np.where(risk > np.quantile(risk, 0.8), "Yes", "No")
    return frame


def insurance_claims(parse_dates: Any = None, na_values: Any = None, **kwargs: Any) -> pd.DataFrame:
    """Insurance claims: numbers, categories with missing values, two dates, ``fraud_reported`` Y/N."""
    rng = _rng("insurance")
    n = 400
    frame = pd.DataFrame({
        "months_as_customer": rng.integers(0, 480, n),
        "age": rng.integers(19, 65, n),
        "policy_bind_date": pd.to_datetime("1990-01-01") + pd.to_timedelta(rng.integers(0, 9000, n), "D"),
        "policy_state": rng.choice(["OH", "IN", "IL"], n),
        "policy_deductable": rng.choice([500, 1000, 2000], n),
        "policy_annual_premium": np.round(rng.normal(1250, 240, n), 2),
        "insured_sex": rng.choice(["MALE", "FEMALE"], n),
        "insured_hobbies": rng.choice(["chess", "cross-fit", "reading", "golf", "movies"], n),
        "incident_date": pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 60, n), "D"),
        "incident_type": rng.choice(["Single Vehicle Collision", "Vehicle Theft", "Parked Car"], n),
        "collision_type": rng.choice(["Side Collision", "Rear Collision", "Front Collision", None], n),
        "incident_severity": rng.choice(["Minor Damage", "Major Damage", "Total Loss"], n),
        "property_damage": rng.choice(["YES", "NO", None], n),
        "total_claim_amount": rng.integers(100, 115000, n),
    })
    risk = ((frame["incident_severity"] == "Major Damage") * 2.0
            + frame["insured_hobbies"].isin(["chess", "cross-fit"]) * 1.5 + rng.normal(0, 1, n))
    frame["fraud_reported"] = np.where(risk > np.quantile(risk, 0.75), "Y", "N")
    return frame


def unbalanced(**kwargs: Any) -> sp.csr_matrix:
    """A sparse matrix of 1585 columns (the model under test predicts from it, not a label)."""
    return sp.random(400, 1585, density=0.02, format="csr", random_state=3, dtype=np.float64)


def adult(skipinitialspace: bool = False, **kwargs: Any) -> pd.DataFrame:
    """UCI adult census income: ints, categories, ``income`` <=50K / >50K."""
    rng = _rng("adult")
    n = 1500
    frame = pd.DataFrame({
        "age": rng.integers(17, 90, n),
        "workclass": rng.choice(["Private", "Self-emp-not-inc", "Local-gov", "?"], n),
        "fnlwgt": rng.integers(12000, 1500000, n),
        "education": rng.choice(["HS-grad", "Some-college", "Bachelors", "Masters"], n),
        "education-num": rng.integers(1, 17, n),
        "marital-status": rng.choice(["Married-civ-spouse", "Never-married", "Divorced"], n),
        "occupation": rng.choice(["Prof-specialty", "Craft-repair", "Sales", "?"], n),
        "relationship": rng.choice(["Husband", "Not-in-family", "Own-child", "Wife"], n),
        "race": rng.choice(["White", "Black", "Asian-Pac-Islander"], n),
        "sex": rng.choice(["Male", "Female"], n),
        "capital-gain": rng.integers(0, 5000, n) * (rng.random(n) < 0.1),
        "capital-loss": rng.integers(0, 2000, n) * (rng.random(n) < 0.05),
        "hours-per-week": rng.integers(10, 80, n),
        "native-country": rng.choice(["United-States", "Mexico", "India"], n),
    })
    score = frame["education-num"] * 0.4 + (frame["marital-status"] == "Married-civ-spouse") * 2
    score = score + rng.normal(0, 1, n)
    frame["income"] = np.where(score > np.quantile(score, 0.75), ">50K", "<=50K")
    return frame


def shap_adult(**kwargs: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """``shap.datasets.adult()``: twelve numerically coded columns, a boolean label (>50K)."""
    rng = _rng("shap-adult")
    n = 5000
    X = pd.DataFrame({
        "Age": rng.integers(17, 90, n).astype(np.float32),
        "Workclass": rng.integers(0, 9, n),
        "Education-Num": rng.integers(1, 17, n).astype(np.float32),
        "Marital Status": rng.integers(0, 7, n),
        "Occupation": rng.integers(0, 15, n),
        "Relationship": rng.integers(0, 6, n),
        "Race": rng.integers(0, 5, n),
        "Sex": rng.integers(0, 2, n),
        "Capital Gain": (rng.integers(0, 20000, n) * (rng.random(n) < 0.08)).astype(np.float32),
        "Capital Loss": (rng.integers(0, 3000, n) * (rng.random(n) < 0.05)).astype(np.float32),
        "Hours per week": rng.integers(10, 80, n).astype(np.float32),
        "Country": rng.integers(0, 42, n),
    })
    score = (0.3 * X["Education-Num"] + 1.5 * (X["Marital Status"] == 2) + 0.03 * X["Age"]
             + 0.0002 * X["Capital Gain"] + rng.normal(0, 1, n))
    return X, np.asarray(score > np.quantile(score, 0.76))


DATASETS: dict[str, Callable[..., Any]] = {
    "breast-cancer.train.csv": breast_cancer,
    "energyefficiency2012_data.train.csv": energy_efficiency,
    "msx_transformed_2226.npz": msx,
    "a1a.svmlight": a1a,
    "imports-85.csv": imports_85,
    "WA_Fn-UseC_-HR-Employee-Attrition.csv": attrition,
    "insurance_claims.csv": insurance_claims,
    "unbalanced_dataset.npz": unbalanced,
    "AdultCensusIncome.csv": adult,
}


def retrieve_dataset(dataset: str, **kwargs: Any) -> Any:
    """Stand-in for the ancestor's ``datasets.retrieve_dataset`` (same file names)."""
    if dataset not in DATASETS:
        import pytest

        pytest.skip(f"the data set {dataset!r} is downloaded by interpret-community's tests and "
                    "has no offline stand-in here")
    return _text_as_object(DATASETS[dataset](**kwargs))


def _text_as_object(data: Any) -> Any:
    """Text columns of a stand-in frame as ``object``, the dtype ``read_csv`` gave them before
    pandas 3 (the ancestor's tests find categorical columns by ``dtype == 'object'``)."""
    if not isinstance(data, pd.DataFrame):
        return data
    text = [c for c in data.columns if pd.api.types.is_string_dtype(data[c].dtype)
            and data[c].dtype != object]
    return data.astype({c: object for c in text}) if text else data


def fetch_california_housing(**kwargs: Any) -> Bunch:
    """California housing: eight numeric features, median house value."""
    rng = _rng("housing")
    n = 2000
    names = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude",
             "Longitude"]
    data = np.column_stack([
        rng.gamma(4, 1, n), rng.integers(1, 52, n), rng.normal(5, 1, n), rng.normal(1, 0.1, n),
        rng.integers(3, 5000, n), rng.normal(3, 0.7, n), rng.uniform(32, 42, n),
        rng.uniform(-124, -114, n),
    ]).astype(np.float64)
    target = 0.4 * data[:, 0] + 0.01 * data[:, 1] - 0.1 * (data[:, 6] - 37) + rng.normal(0, 0.3, n)
    return Bunch(data=data, target=target, feature_names=names)


_TOPICS = {
    "alt.atheism": "god belief atheism religion evidence argument morality",
    "soc.religion.christian": "jesus church christian bible faith prayer god",
    "talk.religion.misc": "religion cult moral koresh belief church",
    "comp.graphics": "image graphics polygon render software jpeg format",
    "sci.space": "orbit nasa launch shuttle moon space satellite",
}


def fetch_20newsgroups(subset: str = "train", categories: Any = None, **kwargs: Any) -> Bunch:
    """20 newsgroups: short texts drawn from each category's own words plus common ones."""
    categories = list(categories or _TOPICS)
    rng = _rng("newsgroups" + subset)
    common = "the of and to in is that for it with as was on be at by this".split()
    docs, target = [], []
    for _ in range(120 * len(categories)):
        label = int(rng.integers(len(categories)))
        words = _TOPICS.get(categories[label], "misc words").split()
        text = rng.choice(words + common, int(rng.integers(20, 60)))
        docs.append(" ".join(text))
        target.append(label)
    return Bunch(data=docs, target=np.asarray(target), target_names=categories)


def titanic() -> pd.DataFrame:
    """titanic3.csv: pclass, survived, name, sex, age, sibsp, parch, ticket, fare, cabin, embarked, ..."""
    rng = _rng("titanic")
    n = 1309
    sex = rng.choice(["male", "female"], n, p=[0.64, 0.36])
    pclass = rng.choice([1, 2, 3], n, p=[0.25, 0.21, 0.54])
    age = np.where(rng.random(n) < 0.2, np.nan, np.round(rng.gamma(6, 5, n), 1))
    score = (sex == "female") * 2.2 - (pclass - 2) * 0.9 + rng.normal(0, 1, n)
    return pd.DataFrame({
        "pclass": pclass, "survived": (score > 0.9).astype(int),
        "name": [f"Passenger {i}" for i in range(n)], "sex": sex, "age": age,
        "sibsp": rng.integers(0, 4, n), "parch": rng.integers(0, 3, n),
        "ticket": [f"T{rng.integers(10000, 99999)}" for _ in range(n)],
        "fare": np.round(rng.gamma(2, 16, n), 4),
        "cabin": np.where(rng.random(n) < 0.77, None, "C85"),
        "embarked": rng.choice(["S", "C", "Q"], n, p=[0.7, 0.2, 0.1]),
        "boat": np.where(score > 0.9, "13", None), "body": np.nan,
        "home.dest": rng.choice(["New York, NY", "London", "Montreal, PQ"], n),
    })


def read_csv(path: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """``pandas.read_csv``, except the Titanic URL of the ancestor's tests (offline stand-in)."""
    if isinstance(path, str) and path.startswith("http") and path.endswith("titanic3.csv"):
        return titanic()
    return _read_csv(path, *args, **kwargs)


def install() -> None:
    """Make the ancestor's helpers find the stand-ins instead of downloading."""
    import sys
    import types

    import shap
    import sklearn.datasets

    shap.datasets.adult = shap_adult
    sklearn.datasets.fetch_california_housing = fetch_california_housing
    sklearn.datasets.fetch_20newsgroups = fetch_20newsgroups
    pd.read_csv = read_csv
    datasets = types.ModuleType("datasets", "offline stand-in of the ancestor's tests/datasets.py")
    datasets.retrieve_dataset = retrieve_dataset  # type: ignore[attr-defined]
    sys.modules["datasets"] = datasets
    _fillna_method()
    _patch_helpers()


# the ancestor's own helpers on today's scikit-learn and pandas (they ran on older ones); these
# change how its tests build models and data, never anything of this library


def _fillna_method() -> None:
    """``DataFrame.fillna(method="ffill" | "bfill")``, removed in pandas 3, as ``ffill()`` /
    ``bfill()`` (the ancestor's Titanic helper and test call it); other calls are unchanged."""
    fillna = pd.DataFrame.fillna
    import inspect

    if "method" in inspect.signature(fillna).parameters:
        return  # pandas < 3 still has it

    def fillna_with_method(self: pd.DataFrame, value: Any = None, *args: Any, method: Any = None,
                           **kwargs: Any) -> Any:
        if method is None:
            return fillna(self, value, *args, **kwargs)
        return {"ffill": self.ffill, "pad": self.ffill, "bfill": self.bfill,
                "backfill": self.bfill}[method](**kwargs)

    pd.DataFrame.fillna = fillna_with_method  # type: ignore[method-assign]


def _patch_helpers() -> None:
    """Patch the ancestor's ``common_utils`` and ``raw_explain.utils`` before its tests import them.

    ``create_sklearn_logistic_regressor`` fits ``LogisticRegression(solver="liblinear")``, which
    was one-vs-rest on more than two classes and is refused there from scikit-learn 1.8: such
    targets get the same one-vs-rest fit through ``OneVsRestClassifier``. The identity-like
    transformers of ``raw_explain.utils`` have no fitted attribute, so scikit-learn >= 1.8 calls
    a Pipeline holding them not fitted: they say they are fitted (they learn nothing); so does
    ``models.DataFrameTestModel``, which also gets scikit-learn's default tags.
    """
    import sys
    from pathlib import Path

    import sklearn
    import sklearn.pipeline
    from packaging.version import Version
    from sklearn import linear_model
    from sklearn.multiclass import OneVsRestClassifier

    refuses_liblinear_multiclass = Version(sklearn.__version__) >= Version("1.8")
    tests = str(Path(__file__).resolve().parents[1] / "ancestor" / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import common_utils
    from raw_explain import utils

    def create_sklearn_logistic_regressor(X: Any, y: Any, pipeline: bool = False) -> Any:
        lin: Any = linear_model.LogisticRegression(solver="liblinear")
        if refuses_liblinear_multiclass and len(np.unique(np.asarray(y))) > 2:
            lin = OneVsRestClassifier(lin)
        if pipeline:
            lin = sklearn.pipeline.Pipeline([("lin", lin)])
        return lin.fit(X, y)

    common_utils.create_sklearn_logistic_regressor = create_sklearn_logistic_regressor
    # models.DataFrameTestModel is put in a Pipeline by the ancestor's tests; scikit-learn >= 1.7
    # reads every step's tags (and >= 1.8 its fitted state): it gets the defaults (it is fitted)
    import models
    from sklearn.base import BaseEstimator

    models.DataFrameTestModel.__sklearn_tags__ = BaseEstimator.__sklearn_tags__
    models.DataFrameTestModel.__sklearn_is_fitted__ = lambda self: True
    for name in ("IdentityTransformer", "FuncTransformer", "SparseTransformer"):
        transformer = getattr(utils, name, None)
        if transformer is not None:
            transformer.__sklearn_is_fitted__ = lambda self: True
