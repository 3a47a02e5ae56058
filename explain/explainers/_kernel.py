"""Kernel SHAP for any model: the model-agnostic explainer."""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import Any, Literal

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits

from explain._exceptions import ExplanationValueError
from explain._explanation import Explanation
from explain._validation import Matrix, check_positive_int
from explain.explainers._adapters import model_family, require_proba
from explain.explainers._background import summarize_background
from explain.explainers._base import BaseExplainer, LocalResult, additivity_error
from explain.explainers._groups import player_columns
from explain.explainers._kernel_plan import KernelPlan, build_plan
from explain.explainers._kernel_shap import (
    check_interactions,
    check_tolerance,
    explain_rows,
    resolve_budgets,
    validate_groups,
)

__all__ = ["KernelExplainer"]

DEFAULT_TOLERANCE = 0.0125
"""Convergence tolerance of ``nsamples="auto"``: a row stops once its largest standard error is
at most this share of the model output's spread over the background, times the growth of its
design since the first stage (see :mod:`explain.explainers._kernel_shap`). On the walkthrough's
SVC (breast cancer, 30 features) the global importances are then within 6.7-9.6 % of an
accurate reference over twelve design seeds (0.015 gave 8.2-13.1 %) at about 3,100 model
evaluations per row (``benchmarks/README.md``)."""
DEFAULT_INTERACTIONS = 5
"""Leading players per row whose interactions are fitted when sampling (regression adjustment)."""
MANY_PLAYERS = 100
"""From this many players on, explaining warns first with the estimated time and the ways out."""
CHUNK_SECONDS = 2.0
"""Automatic chunks of rows are sized to take about this long, so that progress moves."""
_PROBE_ROWS = 256
_THREAD_PARAMETERS = ("n_jobs", "num_threads", "nthread", "thread_count")


class KernelExplainer(BaseExplainer):
    """Model-agnostic SHAP values by Kernel SHAP (weighted linear regression on coalitions).

    Classifiers are explained in probability space (``predict_proba``), regressors in their
    prediction. With 12 players or fewer (``nsamples="auto"``) every coalition is enumerated
    and the values are the exact Shapley values for the background; above that, coalitions
    are sampled in complementary pairs, with an independent design for every background row
    (half the variance of one shared design for the same model calls), and each value comes
    with a standard error in the explanation's ``fidelity``. Sampling grows in stages and
    stops for each row once its values have converged (``tolerance``). Model calls are
    batched across rows, and rows are explained in chunks of a second or two, on all cores
    when the model allows (``n_jobs``), with a progress bar for long runs.

    Parameters
    ----------
    model : estimator or callable
        A fitted model with ``predict`` / ``predict_proba``, or a function (``is_function=True``)
        mapping a 2-D array to predictions or class probabilities.
    initialization_examples : array-like, DataFrame or sparse matrix of shape (n_rows, n_features)
        Background data. More than ``10 * nclusters`` rows are summarized by k-means to
        ``nclusters`` weighted rows.
    is_function : bool, default=False
        Whether ``model`` is a prediction function.
    nsamples : int or "auto", default="auto"
        Largest number of coalitions per row and background row. ``"auto"``: exact
        enumeration up to 12 players, else up to ``2 * n_players + 2048`` (shap's default),
        each row stopping once converged.
    tolerance : float, None or "auto", default="auto"
        Stop a row once its largest standard error is at most ``tolerance`` times the
        standard deviation of the model output over the background, times the stage's
        coalitions over the first stage's (rows with noisier games get more coalitions, but
        less than a fixed error would demand). ``"auto"``: 0.0125 with
        ``nsamples="auto"``, ``None`` (every row gets ``nsamples``) with an int ``nsamples``.
    interactions : int, default=5
        Regression adjustment when sampling: the products of every row's ``interactions``
        leading players (by their values) join the regression, and their Shapley values are
        added in closed form (Witter et al. 2025). On models whose few leading features
        interact, this cuts the error several-fold at the same budget; 0 is classic Kernel
        SHAP. See :mod:`explain.explainers._kernel_adjust`.
    players : {"engineered", "raw"}, default="engineered"
        With ``transformations``, ``"raw"`` plays one player per raw column (its engineered
        columns switched on and off together) instead of one per engineered feature; see
        ``groups``.
    groups : dict of str to list of str, default=None
        Groups of columns (raw columns with ``transformations``, else features) explained as
        one player: the group's columns are switched on and off together (a grouped game).
        Its value is the group's Shapley value, which differs from the sum of its columns'
        values when the model has interactions inside the group; it never evaluates rows that
        mix a group's columns (e.g. two categories of a one-hot encoding switched on).
    explain_subset : list of int or str, default=None
        Explain only these features; the others act together as one player, so the budget is
        spent on the features of interest and values still add up.
    features : list of str, default=None
        Feature names.
    classes : list, default=None
        Class labels.
    nclusters : int, default=10
        Size of the k-means background summary.
    transformations : object, default=None
        The fitted featurization from raw data to the model's input (see
        :class:`TabularExplainer`); explanations are then returned for the raw columns.
    allow_all_transformations : bool, default=False
        Accept transformers that mix several inputs into several outputs, splitting each
        output evenly over its inputs.
    model_task : {"unknown", "classification", "regression"}, default="unknown"
        Set for functions and models whose type does not tell.
    random_state : int or None, default=0
        Seed of the k-means summary and the coalition sampling. ``None`` draws a seed once,
        at construction (kept as :attr:`seed_`), so that every chunk of rows uses the same
        coalition designs.
    n_jobs : int or None, default=None
        Chunks of rows explained in parallel (threads; ``-1``: all cores). ``None``: all
        cores for a scikit-learn model that runs no threads of its own (no ``n_jobs`` /
        ``num_threads`` other than 1 inside it), one for anything else. The values do not
        depend on it: the coalition designs are drawn from :attr:`seed_` alone.

    Attributes
    ----------
    background_ : ndarray of shape (n_background, n_features)
        Background rows (the k-means summary, or the initialization examples).
    background_weights_ : ndarray of shape (n_background,)
        Share of the initialization examples each background row stands for.
    seed_ : int
        Seed of the coalition designs (``random_state``, or the seed drawn for ``None``).
    plan_ : KernelPlan
        The coalition designs and their solvers, fixed before any row is explained.
    model_cost_ : tuple of float
        Seconds per model call and per row, measured at set-up on 8 and 264 rows; they size
        the chunks (a few seconds each) and the many-players warning's estimate.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from explain import KernelExplainer
    >>> X, y = load_iris(return_X_y=True)
    >>> explainer = KernelExplainer(SVC(probability=True, random_state=0).fit(X, y), X)
    >>> explainer.explain_local(X[:2]).local_values.shape
    (3, 2, 4)
    """

    method = "shap.kernel"

    def __init__(self, model: Any, initialization_examples: Any, *, is_function: bool = False,
                 nsamples: int | Literal["auto"] = "auto", tolerance: float | str | None = "auto",
                 interactions: int = DEFAULT_INTERACTIONS, players: str = "engineered",
                 groups: Any = None, explain_subset: Any = None,
                 features: Any = None, classes: Any = None, nclusters: int = 10,
                 transformations: Any = None, allow_all_transformations: bool = False,
                 model_task: str = "unknown", random_state: int | None = 0,
                 n_jobs: int | None = None) -> None:
        if nsamples != "auto" and (not isinstance(nsamples, int) or isinstance(nsamples, bool)
                                   or nsamples < 1):
            raise ExplanationValueError(
                f"KernelExplainer: nsamples must be 'auto' or a positive integer, got {nsamples!r}."
            )
        check_positive_int(nclusters, "nclusters", "KernelExplainer")
        if players not in ("engineered", "raw"):
            raise ExplanationValueError(
                f"KernelExplainer: players must be 'engineered' or 'raw', got {players!r}.")
        self.seed_ = _resolve_seed(random_state)
        self.nsamples, self.nclusters, self.players = nsamples, nclusters, players
        self.tolerance = _resolve_tolerance(tolerance, nsamples)
        self.interactions = check_interactions(interactions)
        self.random_state = random_state
        self.allow_all_transformations = allow_all_transformations
        self._set_up(model, initialization_examples, is_function=is_function,
                     explain_subset=explain_subset, features=features, classes=classes,
                     transformations=transformations,
                     allow_all_transformations=allow_all_transformations, model_task=model_task,
                     n_jobs=_auto_jobs(model, is_function) if n_jobs is None else n_jobs,
                     groups=groups)
        self.background_, self.background_weights_ = summarize_background(
            self.initialization_examples_, nclusters, random_state=self.seed_
        )
        require_proba(self.adapter_, "KernelExplainer", classes_given=classes is not None)
        self.output_space_ = "probability" if self.model_task == "classification" else "raw"
        self._set_players()
        if isinstance(nsamples, int) and nsamples < 2 * self.n_players_ + 2 \
                and 2 ** self.n_players_ - 2 > nsamples:
            raise ExplanationValueError(
                f"KernelExplainer: nsamples={nsamples} is too small for {self.n_players_} "
                f"players; use at least {2 * self.n_players_ + 2} or 'auto'."
            )
        with threadpool_limits(1, user_api="blas"):  # small products: see _explain
            self.plan_ = self._plan()
        self.model_cost_ = self._time_model()

    # ------------------------------------------------------------------ players
    def _set_players(self) -> None:
        """The game's players: columns, groups, raw columns, or the subset and the rest."""
        caller = type(self).__name__
        grouped = self.group_map_ is not None or (self.players == "raw" and self.feature_map_ is not None)
        if grouped and self.explain_subset_ is not None:
            raise ExplanationValueError(
                f"{caller}: explain_subset cannot be combined with groups or players='raw'; put the "
                "features of no interest into one group instead.")
        self.player_names_: tuple[str, ...] | None = None
        self.raw_players_ = grouped and self.feature_map_ is not None
        if grouped:
            player_map = self.feature_map_ if self.group_map_ is None else (
                self.group_map_ if self.feature_map_ is None else self.group_map_.compose(self.feature_map_))
            assert player_map is not None
            columns = player_columns(player_map, caller)
            self.player_names_ = player_map.raw_feature_names
            self.player_index_ = np.flatnonzero([c.size > 0 for c in columns])
            self.players_: list[np.ndarray] | None = [columns[i] for i in self.player_index_]
        elif self.explain_subset_ is not None:
            rest = np.setdiff1d(np.arange(self.n_features_in_), self.explain_subset_)
            singles = [np.array([i]) for i in self.explain_subset_]
            self.players_ = [*singles, rest] if rest.size else singles
        else:
            self.players_ = None

    @property
    def n_players_(self) -> int:
        """Number of players in the coalition game (features, groups, or subset + the rest)."""
        return self.n_features_in_ if self.players_ is None else len(self.players_)

    def _explained_map(self) -> Any:
        return None if self.player_names_ is not None else super()._explained_map()

    def _explained_features(self) -> tuple[str, ...]:
        return self.player_names_ if self.player_names_ is not None else super()._explained_features()

    # ------------------------------------------------------------------ plan and cost
    def _plan(self) -> KernelPlan:
        player_of_column, n_players = validate_groups(self.players_, self.n_features_in_)
        exact, budgets = resolve_budgets(self.nsamples, n_players, 12, self.tolerance)
        background_output = np.asarray(self.adapter_.predict_output(self.background_), dtype=np.float64)
        return build_plan(player_of_column, exact, budgets, self.background_, self.background_weights_,
                          background_output, np.random.default_rng(self.seed_), self.tolerance,
                          self.interactions)

    def _time_model(self) -> tuple[float, float]:
        """Seconds per model call and per row, from calls on 8 and 264 rows."""
        rows = np.resize(self.background_, (_PROBE_ROWS + 8, self.background_.shape[1]))
        start = time.perf_counter()
        self.adapter_.predict_output(rows[:8])
        few = time.perf_counter() - start
        start = time.perf_counter()
        self.adapter_.predict_output(rows)
        many = time.perf_counter() - start
        per_row = max(many - few, 1e-9) / _PROBE_ROWS
        return max(few - 8 * per_row, 0.0), per_row

    @property
    def seconds_per_evaluation_(self) -> float:
        """Model time of one synthetic row, measured at set-up."""
        return self.model_cost_[1]

    def _seconds_per_row(self, stage: int | None = None) -> float:
        """Model time of one row's evaluations up to ``stage`` (default: the last)."""
        if self.n_players_ == 1:
            return self.seconds_per_evaluation_
        stage = self.plan_.n_stages - 1 if stage is None else stage
        return self.plan_.evaluations(stage) * self.seconds_per_evaluation_

    def _max_chunk_rows(self) -> int | None:
        """Rows per chunk: about :data:`CHUNK_SECONDS` of model time for a typical row (the
        geometric mean of the first and last stages), but enough rows that one model call's
        fixed cost stays under 5 % of the first stage's model time."""
        per_call = self.model_cost_[0]
        first, last = self._seconds_per_row(0), self._seconds_per_row()
        by_time = CHUNK_SECONDS / max(np.sqrt(first * last), 1e-12)
        by_call = 20.0 * per_call / max(first, 1e-12)
        return max(1, int(max(by_time, by_call)))

    def _explain(self, X: Any, **kwargs: Any) -> Explanation:
        n_rows = getattr(X, "shape", (None,))[0]
        if self.n_players_ >= MANY_PLAYERS and not self.plan_.exact and n_rows:
            warnings.warn(self._cost_message(int(n_rows)), UserWarning, stacklevel=4)
        # the regressions are many small matrix products and eigendecompositions, which BLAS
        # threads slow down (5x for a batch of 26 x 26 eigh on two cores) and which the chunks'
        # threads would oversubscribe; the limit is process-wide, so it is set here, around
        # all the chunks, rather than in each chunk's thread
        with threadpool_limits(1, user_api="blas"):
            explanation = super()._explain(X, **kwargs)
        return replace(explanation, is_raw=True) if self.raw_players_ else explanation

    def _cost_message(self, n_rows: int) -> str:
        per_row = self._seconds_per_row()
        workers = joblib.effective_n_jobs(self.n_jobs)
        total = per_row * n_rows / max(1, min(workers, n_rows))
        return (
            f"KernelExplainer: Kernel SHAP on {self.n_players_} players evaluates the model up to "
            f"{self.plan_.evaluations(self.plan_.n_stages - 1):,} times per row (about {per_row:.1f} s "
            f"per row here); {n_rows} rows may take up to {_duration(total)}. Faster: explain only the "
            "features of interest (explain_subset=[...]), explain groups of columns as one player "
            "(groups={name: [columns]}), use MimicExplainer (a global surrogate, seconds), or pass a "
            "smaller nsamples."
        )

    # ------------------------------------------------------------------ values
    def _local_values(self, X: Matrix) -> LocalResult:
        # BaseExplainer's chunk contract: the plan (designs and solvers) was fixed at set-up
        # from the int seed_, a row's stopping depends on that row alone, nothing on self is
        # written, and the work is NumPy in this thread.
        dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
        result = explain_rows(self.plan_, self.adapter_.predict_output, dense)
        values, errors = result.values, result.standard_errors
        if self.player_names_ is not None:
            values, errors = self._scatter(values), self._scatter(errors)
        elif self.explain_subset_ is not None:
            n_explained = len(self.explain_subset_)
            values, errors = values[:, :, :n_explained], errors[:, :, :n_explained]
        return LocalResult(
            values=values, expected=result.expected_values,
            additivity=additivity_error(result.values, result.expected_values, result.model_output),
            standard_errors=errors, exact=result.exact,
        )

    def _scatter(self, values: np.ndarray) -> np.ndarray:
        """Values of the game's players placed among all players (those without columns: 0)."""
        assert self.player_names_ is not None
        if len(self.player_index_) == len(self.player_names_):
            return values
        out = np.zeros((*values.shape[:2], len(self.player_names_)))
        out[:, :, self.player_index_] = values
        return out


def _resolve_tolerance(tolerance: Any, nsamples: Any) -> float | None:
    if isinstance(tolerance, str) and tolerance == "auto":
        return DEFAULT_TOLERANCE if nsamples == "auto" else None
    try:
        return check_tolerance(tolerance)
    except ExplanationValueError as exc:
        raise ExplanationValueError(f"KernelExplainer: {exc} (or 'auto').") from exc


def _auto_jobs(model: Any, is_function: bool) -> int:
    """All cores for a scikit-learn model that runs no threads of its own, else one.

    scikit-learn's ``predict`` is thread-safe and its compiled parts release the GIL, so
    chunks explained in threads use the cores; a model with its own thread pool (LightGBM,
    XGBoost, ``n_jobs`` other than 1) would be oversubscribed, and a function may not be
    thread-safe.
    """
    if is_function or not isinstance(model, BaseEstimator):
        return 1
    for name, value in model.get_params(deep=True).items():
        if name.rsplit("__", 1)[-1] in _THREAD_PARAMETERS and value != 1:
            if value is None and name.rsplit("__", 1)[-1] == "n_jobs" and _sklearn_owner(model, name):
                continue  # scikit-learn's n_jobs=None is one thread
            return 1
    return -1


def _sklearn_owner(model: Any, name: str) -> bool:
    """Whether the estimator holding parameter ``name`` (``a__b__n_jobs``) is scikit-learn's."""
    owner = model
    for part in name.split("__")[:-1]:
        owner = owner.get_params(deep=False).get(part) if hasattr(owner, "get_params") else None
    return owner is not None and model_family(owner) == "sklearn"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _resolve_seed(random_state: Any) -> int:
    """The int seed of the explainer: ``random_state``, or one drawn now for ``None``.

    A generator or ``None`` passed on to every chunk would give each chunk its own designs
    (and a shared generator would be mutated from several threads), so the seed is fixed here.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer) \
            or random_state < 0:
        raise ExplanationValueError(
            f"KernelExplainer: random_state must be a non-negative integer or None, got "
            f"{random_state!r}; pass an int seed for reproducible values."
        )
    return int(random_state)
