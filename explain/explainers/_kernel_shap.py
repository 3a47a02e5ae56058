"""Batched Kernel SHAP (Lundberg & Lee, 2017) in pure NumPy: the estimator.

The value of a coalition ``S`` of players (groups of columns) for a row ``x`` is the
interventional expectation used by ``shap.KernelExplainer``::

    v_x(S) = sum_b w_b * f(x_S, background_b[not S]) = sum_b w_b * v_{x,b}(S)

Shapley values are the solution of a weighted least-squares problem over coalitions, with the
Shapley kernel as weights and the efficiency constraint imposed exactly
(:mod:`explain.explainers._kernel_solve`).

* **Exact** (``M`` players, ``2**M - 2`` coalitions affordable): every coalition is enumerated
  and the constrained regression returns exactly the Shapley values.
* **Sampled**: Shapley values are linear in the game, so ``phi(v_x) = sum_b w_b phi(v_{x,b})``.
  Each background row ``b`` has its own sampled coalition design, and the game ``v_{x,b}``
  (one model call per coalition) is solved on it with its own efficiency constraint
  ``f(x) - f(b)``; the results are averaged with the background weights.  This costs exactly
  the model calls of one design shared by all background rows (``n_coalitions *
  n_background`` per row) at about half the variance.
* **Standard errors**: the infinitesimal-jackknife approximation of the bootstrap over the
  designs' random draws, about two matrix products per row and design.
* **Convergence** (``tolerance``): the designs grow in stages (budgets growing by half); a
  row stops at the first stage where its largest standard error is at most ``tolerance``
  times the spread of the model output over the background, times the stage's coalitions
  over the first stage's (convergence detection, as in Covert & Lee 2021, with a threshold
  that grows with the cost spent).  Rows that are easy (a nearly additive game, or a flat
  one) then cost a fraction of the largest budget, and the coalitions go where they cut the
  sum of the standard errors most (see :func:`_converged`).

How the designs are drawn is :mod:`explain.explainers._kernel_design`, the games and their
stage solvers :mod:`explain.explainers._kernel_plan`; this module validates the arguments and
runs the stages over blocks of rows.

Why hand-written: ``shap.KernelExplainer`` calls the model once per explained row, solves
one regression per row and output, and shares one design across background rows.  Here the
designs are shared by every row, so the synthetic data of many rows go to the model in large
chunks (at most ``max_rows_per_call`` rows per call), and all rows and outputs are solved
with one matrix product per design against the pseudo-inverse of its small system, computed
once per design stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from explain._exceptions import ExplanationValueError
from explain.explainers._kernel_adjust import adjusted_rows, leading_players, product_count
from explain.explainers._kernel_plan import KernelPlan, blocks, build_plan, call_predict, evaluate_coalitions
from explain.explainers._kernel_solve import additive_rows, finish_rows

__all__ = [
    "KernelShapResult",
    "check_interactions",
    "check_tolerance",
    "explain_rows",
    "kernel_shap_values",
    "resolve_budgets",
    "validate_groups",
]

AUTO_EXTRA_SAMPLES = 2048  # shap's default budget is 2 * M + 2048
COALITIONS_PER_PARAMETER = 2
"""Coalitions per regression coefficient a design needs for the products to join."""
_BLOCK_ELEMENTS = 2**22  # bound on rows * coalitions * n_outputs held at once (32 MB)


@dataclass(frozen=True)
class KernelShapResult:
    """Kernel SHAP values of a batch of rows.

    Attributes
    ----------
    values : ndarray of shape (n_outputs, n_rows, n_players)
        Shapley values; they sum to ``model_output - expected_values[:, None]``.
    expected_values : ndarray of shape (n_outputs,)
        Weighted mean model output over the background.
    standard_errors : ndarray of shape (n_outputs, n_rows, n_players)
        Standard errors of ``values``; zeros when exact, NaN when sampled without them.
    model_output : ndarray of shape (n_outputs, n_rows)
        Model output on the explained rows.
    exact : bool
        Whether every coalition was enumerated.
    n_coalitions : int
        Largest number of coalitions per design, excluding the empty and the full one.
    evaluations : ndarray of shape (n_rows,)
        Model evaluations spent on every row (coalitions x background rows).
    """

    values: np.ndarray
    expected_values: np.ndarray
    standard_errors: np.ndarray
    model_output: np.ndarray
    exact: bool
    n_coalitions: int
    evaluations: np.ndarray


def kernel_shap_values(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    background: np.ndarray,
    background_weights: np.ndarray | None = None,
    *,
    groups: Sequence[np.ndarray] | None = None,
    nsamples: int | Literal["auto"] = "auto",
    max_exact_players: int = 12,
    random_state: int | np.random.Generator | None = 0,
    standard_errors: bool = True,
    tolerance: float | None = None,
    first_stage: int | None = None,
    interactions: int = 5,
    max_rows_per_call: int = 200_000,
) -> KernelShapResult:
    """Compute interventional Kernel SHAP values for many rows with batched model calls.

    Parameters
    ----------
    predict : callable
        Maps an ``(m, n_columns)`` float64 array to ``(m, n_outputs)`` or ``(m,)`` outputs.
    X : ndarray of shape (n_rows, n_columns)
        Dense rows to explain.
    background : ndarray of shape (n_background, n_columns)
        Background rows that stand in for absent players.
    background_weights : ndarray of shape (n_background,), default=None
        Non-negative weights, normalised to sum 1; uniform when ``None``.
    groups : sequence of int arrays, default=None
        Players, each a set of column indices; must partition ``range(n_columns)``.  One
        player per column when ``None``.
    nsamples : int or "auto", default="auto"
        Largest number of coalitions per row and background row (sampled: each background
        row has its own design of this size, so the model evaluations per row are
        ``nsamples * n_background`` as with one shared design).  ``"auto"`` enumerates all
        coalitions when ``n_players <= max_exact_players`` and otherwise samples up to
        ``2 * n_players + 2048``.  An int enumerates when ``2**n_players - 2 <= nsamples`` and
        must otherwise be at least ``2 * n_players``.
    max_exact_players : int, default=12
        Largest number of players enumerated exactly under ``nsamples="auto"``.
    random_state : int, Generator or None, default=0
        Seed of the coalition sampling.
    standard_errors : bool, default=True
        Compute standard errors (else NaN when sampled); needed by ``tolerance``.
    tolerance : float, default=None
        Stop each row at the first stage whose largest standard error is at most
        ``tolerance`` times the standard deviation of the model output over the background,
        times the stage's coalitions over the first stage's; ``None`` spends ``nsamples`` on
        every row.
    first_stage : int, default=None
        Coalitions of the first stage under ``tolerance`` (the budget grows by half from
        there up to ``nsamples``); ``None``: ``max(8 * n_players, 128)``.
    interactions : int, default=5
        Regression adjustment when sampled: the interactions of every row's ``interactions``
        leading players are fitted with the additive part (see
        :mod:`explain.explainers._kernel_adjust`); 0 fits the additive part alone (classic
        Kernel SHAP).
    max_rows_per_call : int, default=200_000
        Largest number of rows passed to ``predict`` in one call; the synthetic rows also go in
        calls of at most about 2 million values (e.g. 69,905 rows of 30 columns), which stay
        in the processor's cache.

    Returns
    -------
    KernelShapResult
        Values, expected values, standard errors and model output, outputs first.

    Raises
    ------
    ExplanationValueError
        (a ``ValueError``) when an argument has an unusable shape or value, or ``predict``
        returns an array of the wrong shape.

    Notes
    -----
    Rows are processed in blocks so that about ``2**22`` coalition values are held at once,
    besides the synthetic chunks (bounded by ``max_rows_per_call``).  The designs are drawn
    before any row is seen, a row's stopping depends on that row alone, and the regression is
    solved row by row, so a row's values do not depend on the other rows or on how they are
    batched: calls on any split of ``X`` give bit-for-bit the same values (for a model whose
    output on a row does not depend on the rows it is called with).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, background = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    >>> result = kernel_shap_values(lambda Z: Z @ np.arange(5.0), X, background)
    >>> bool(np.allclose(result.values[0], (X - background.mean(axis=0)) * np.arange(5.0)))
    True
    """
    X, background, weights = _validate_data(X, background, background_weights)
    player_of_column, n_players = validate_groups(groups, X.shape[1])
    _check_int(max_exact_players, "max_exact_players", 0)
    _check_int(max_rows_per_call, "max_rows_per_call", 1)
    check_interactions(interactions)
    tolerance = check_tolerance(tolerance, standard_errors)
    if first_stage is not None:
        _check_int(first_stage, "first_stage", 1)
    exact, budgets = resolve_budgets(nsamples, n_players, max_exact_players, tolerance, first_stage)
    background_output = _predict_chunked(predict, background, max_rows_per_call, None)
    if n_players == 1:
        fx = _predict_chunked(predict, X, max_rows_per_call, background_output.shape[1])
        expected = weights @ background_output
        delta = fx.T - expected[:, None]
        zeros = np.zeros((*delta.shape, 1))
        return KernelShapResult(delta[:, :, None].copy(), expected, zeros, fx.T.copy(), True, 0,
                                np.zeros(X.shape[0], dtype=np.int64))
    plan = build_plan(player_of_column, exact, budgets, background, weights, background_output,
                      np.random.default_rng(random_state), tolerance, interactions)
    return explain_rows(plan, predict, X, max_rows_per_call=max_rows_per_call,
                        standard_errors=standard_errors)


def explain_rows(plan: KernelPlan, predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, *,
                 max_rows_per_call: int = 200_000, standard_errors: bool = True) -> KernelShapResult:
    """Kernel SHAP values of the rows ``X`` (validated, dense) under a prepared plan.

    Two outputs that sum to 1 (a binary classifier's probabilities) are solved once: the
    first output's game is ``1 -`` the second's, so its values are the second's negated.
    """
    n_outputs = plan.expected.shape[0]
    fx = _predict_chunked(predict, X, max_rows_per_call, n_outputs)
    mirrored = n_outputs == 2 and _sum_to_one(fx) and _sum_to_one(plan.expected[None])
    outputs = slice(1, 2) if mirrored else slice(None)
    solved = _second_output(predict) if mirrored else predict
    shape = (X.shape[0], plan.n_players, 1 if mirrored else n_outputs)
    values, variance = np.zeros(shape), np.zeros(shape)
    evaluations = np.zeros(X.shape[0], dtype=np.int64)
    per_row = sum(game.stages[-1].n_coalitions for game in plan.games) * shape[2]
    row_step = max(1, _BLOCK_ELEMENTS // per_row)
    for rows in blocks(X.shape[0], row_step):
        values[rows], variance[rows], evaluations[rows] = _explain_block(
            plan, solved, X[rows], fx[rows, outputs], outputs, max_rows_per_call, standard_errors)
    if mirrored:
        values = np.concatenate([-values, values], axis=2)
        variance = np.concatenate([variance, variance], axis=2)
    if plan.exact:
        errors = np.zeros_like(values)
    elif standard_errors:
        errors = np.sqrt(variance)
    else:
        errors = np.full_like(values, np.nan)
    return KernelShapResult(values.transpose(2, 0, 1), plan.expected.copy(), errors.transpose(2, 0, 1),
                            fx.T.copy(), plan.exact, plan.coalitions(plan.n_stages - 1), evaluations)


def _sum_to_one(output: np.ndarray) -> bool:
    return bool(np.all(np.abs(output.sum(axis=1) - 1.0) <= 1e-9))


def _second_output(predict: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    def second(Z: np.ndarray) -> np.ndarray:
        return call_predict(predict, Z, 2)[:, 1:]
    return second


def _explain_block(plan: KernelPlan, predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                   fx: np.ndarray, outputs: slice, limit: int,
                   standard_errors: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, variances (n_rows, n_players, n_outputs) and evaluations of a block of rows.

    Stage by stage, the still active rows get the stage's new coalitions evaluated and are
    solved on the stage's whole design; rows whose values converged leave. ``outputs``
    selects the solved outputs among the model's (``predict`` returns just those).
    """
    n_rows, n_outputs = X.shape[0], fx.shape[1]
    shape = (n_rows, plan.n_players, n_outputs)
    values, variance = np.zeros(shape), np.zeros(shape)
    evaluations = np.zeros(n_rows, dtype=np.int64)
    buffers = [np.empty((n_rows, game.stages[-1].n_coalitions, n_outputs)) for game in plan.games]
    active, done = np.arange(n_rows), [0] * len(plan.games)
    for stage in range(plan.n_stages):
        pieces = [(game, slice(done[g], game.stages[stage].n_coalitions))
                  for g, game in enumerate(plan.games)]
        new = evaluate_coalitions(predict, X[active], pieces, limit, n_outputs)
        for g, (buffer, part) in enumerate(zip(buffers, new, strict=True)):
            buffer[active, done[g]:done[g] + part.shape[1]] = part
            done[g] += part.shape[1]
        last = stage == plan.n_stages - 1
        phi, var = _solve_stage(plan, stage, buffers, active, fx[active], outputs, standard_errors)
        stop = np.ones(active.size, dtype=bool) if last else _converged(phi, var, plan, stage)
        finished = active[stop]
        values[finished], variance[finished] = phi[stop], var[stop]
        evaluations[finished] = plan.evaluations(stage)
        active = active[~stop]
        if active.size == 0:
            break
    return values, variance, evaluations


def _solve_stage(plan: KernelPlan, stage: int, buffers: list[np.ndarray], active: np.ndarray,
                 fx: np.ndarray, outputs: slice, standard_errors: bool) -> tuple[np.ndarray, np.ndarray]:
    """Values and variances of the active rows at ``stage``, summed over the games.

    With ``plan.interactions``, the additive fits of all games first name each row's leading
    players, whose interactions then join every game's regression.
    """
    shape = (active.size, plan.n_players, fx.shape[1])
    fits = []
    for game, buffer in zip(plan.games, buffers, strict=True):
        solver = game.stages[stage]
        fits.append(additive_rows(solver, buffer[active, :solver.n_coalitions], game.expected[outputs],
                                  fx - game.expected[outputs]))
    top, k = None, _affordable_products(plan, stage)
    if k:
        pooled = np.zeros(shape)
        for game, (_, head) in zip(plan.games, fits, strict=True):
            pooled[:, :-1] += game.weight * head
        pooled[:, -1] = (fx - plan.expected[outputs]) - pooled[:, :-1].sum(axis=1)
        top = leading_players(pooled, k)
    phi, variance = np.zeros(shape), np.zeros(shape)
    for game, (adjusted, head) in zip(plan.games, fits, strict=True):
        if top is None:
            part, var = finish_rows(game.stages[stage], adjusted, head, fx - game.expected[outputs],
                                    with_variance=standard_errors)
        else:
            part, var = adjusted_rows(game.stages[stage], adjusted, head, fx - game.expected[outputs], top,
                                      with_variance=standard_errors)
        phi += game.weight * part
        if var is not None:
            variance += game.weight**2 * var
    return phi, variance


def _affordable_products(plan: KernelPlan, stage: int) -> int:
    """Leading players whose products the stage's designs can fit (0: none).

    The products join the regression only when every design has at least
    :data:`COALITIONS_PER_PARAMETER` coalitions per coefficient: with fewer the fit would come
    close to interpolating the sampled values, and its residuals (hence its standard errors)
    would understate the error.
    """
    if plan.exact or plan.interactions < 2:
        return 0
    coalitions = min(game.stages[stage].n_coalitions for game in plan.games)
    for k in range(min(plan.interactions, plan.n_players), 1, -1):
        if coalitions >= COALITIONS_PER_PARAMETER * (plan.n_players - 1 + product_count(k)):
            return k
    return 0


def _converged(phi: np.ndarray, variance: np.ndarray, plan: KernelPlan, stage: int) -> np.ndarray:
    """Rows whose largest standard error is at most ``tolerance * spread * n / n_first``.

    ``spread`` is the standard deviation of the model output over the background (fixed
    before any row is seen), ``n`` the stage's coalitions and ``n_first`` the first stage's.
    Growing a row's design by a factor costs in proportion to ``n`` and cuts its standard
    error ``sigma / sqrt(n)`` by a fixed share, so stopping where the error is proportional to
    ``n`` gives ``n`` proportional to ``sigma^(2/3)``: the allocation that minimizes the sum
    of the rows' standard errors for the evaluations spent, which is what the noise in a
    global importance (mean |value|) grows with.  A threshold relative to each row's own
    values (tried first) spent most on rows with small values: on the walkthrough's SVC its
    sum of standard errors was 1.8 times a fixed budget's at the same cost.  A background on
    which the model is constant (one row) has no spread; each row's ``|f(x) - E f|`` is the
    scale then.
    """
    if plan.tolerance is None:
        return np.zeros(phi.shape[0], dtype=bool)
    largest = np.sqrt(variance.max(axis=(1, 2)))
    growth = plan.coalitions(stage) / plan.coalitions(0)
    scale = plan.spread if plan.spread > 0 else np.abs(phi.sum(axis=1)).max(axis=1)
    return largest <= plan.tolerance * scale * growth


def _as_matrix(value: np.ndarray, name: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ExplanationValueError(f"{name} must be a dense numeric array: {exc}") from exc
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ExplanationValueError(
            f"{name} must be a non-empty 2-D array (n, n_columns); got shape {array.shape}"
        )
    return array


def _validate_data(
    X: np.ndarray, background: np.ndarray, background_weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = _as_matrix(X, "X")
    background = _as_matrix(background, "background")
    if background.shape[1] != X.shape[1]:
        raise ExplanationValueError(f"background has {background.shape[1]} columns but X has {X.shape[1]}")
    n_background = background.shape[0]
    if background_weights is None:
        return X, background, np.full(n_background, 1.0 / n_background)
    weights = np.asarray(background_weights, dtype=np.float64)
    if weights.shape != (n_background,):
        raise ExplanationValueError(
            f"background_weights must have shape ({n_background},) to match background; got {weights.shape}"
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ExplanationValueError("background_weights must be finite and non-negative")
    total = weights.sum()
    if total <= 0:
        raise ExplanationValueError("background_weights must have a positive sum")
    return X, background, weights / total


def validate_groups(groups: Sequence[np.ndarray] | None, n_columns: int) -> tuple[np.ndarray, int]:
    """Return the player of every column and the number of players."""
    if groups is None:
        return np.arange(n_columns), n_columns
    if len(groups) == 0:
        raise ExplanationValueError("groups must contain at least one group")
    player_of_column = np.full(n_columns, -1, dtype=np.intp)
    for player, group in enumerate(groups):
        columns = np.asarray(group)
        if columns.ndim != 1 or columns.size == 0 or not np.issubdtype(columns.dtype, np.integer):
            raise ExplanationValueError(
                f"groups[{player}] must be a non-empty 1-D array of integer column indices"
            )
        if columns.min() < 0 or columns.max() >= n_columns:
            raise ExplanationValueError(f"groups[{player}] has column indices outside range({n_columns})")
        if np.unique(columns).size != columns.size or np.any(player_of_column[columns] >= 0):
            raise ExplanationValueError(f"groups overlap: groups[{player}] repeats a column")
        player_of_column[columns] = player
    missing = np.flatnonzero(player_of_column < 0)
    if missing.size:
        raise ExplanationValueError(
            f"groups must partition range({n_columns}); columns {missing.tolist()[:5]} are missing"
        )
    return player_of_column, len(groups)


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ExplanationValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    return int(value)


def check_interactions(interactions: object) -> int:
    """``interactions`` as an int in ``[0, 8]`` (``2**k`` products per row above that)."""
    value = _check_int(interactions, "interactions", 0)
    if value > 8:
        raise ExplanationValueError(f"interactions must be at most 8; got {interactions!r}")
    return value


def check_tolerance(tolerance: object, standard_errors: bool = True) -> float | None:
    """``tolerance`` as a float in (0, 1], or ``None``."""
    if tolerance is None:
        return None
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float, np.floating)) \
            or not 0 < float(tolerance) <= 1:
        raise ExplanationValueError(f"tolerance must be None or a number in (0, 1]; got {tolerance!r}")
    if not standard_errors:
        raise ExplanationValueError("tolerance needs standard errors; pass standard_errors=True")
    return float(tolerance)


def resolve_budgets(nsamples: int | Literal["auto"], n_players: int, max_exact_players: int,
                    tolerance: float | None = None,
                    first_stage: int | None = None) -> tuple[bool, tuple[int, ...]]:
    """Whether to enumerate all coalitions, and the coalition budget of every stage.

    One stage without ``tolerance``; with it, budgets growing by half from ``first_stage``
    (default ``max(8 * n_players, 128)``: enough coalitions for the regression adjustment's
    products at the first stage) up to the largest budget.
    """
    n_coalitions = 2**n_players - 2
    if isinstance(nsamples, str) and nsamples == "auto":
        if n_players <= max_exact_players:
            return True, (n_coalitions,)
        budget = 2 * n_players + AUTO_EXTRA_SAMPLES
    elif isinstance(nsamples, str):
        raise ExplanationValueError(f"nsamples must be 'auto' or an int; got {nsamples!r}")
    else:
        budget = _check_int(nsamples, "nsamples", 1)
    if n_coalitions <= budget:
        return True, (n_coalitions,)
    if budget < 2 * n_players:
        raise ExplanationValueError(
            f"nsamples must be at least 2 * n_players = {2 * n_players} when coalitions are "
            f"sampled; got {budget}"
        )
    if tolerance is None:
        return False, (budget,)
    start = max(8 * n_players, 128) if first_stage is None else _check_int(first_stage, "first_stage", 1)
    stages = [min(max(start, 2 * n_players), budget)]
    while stages[-1] < budget:
        stages.append(min(3 * stages[-1] // 2, budget))
    return False, tuple(stages)


def _predict_chunked(predict: Callable[[np.ndarray], np.ndarray], data: np.ndarray, limit: int,
                     n_outputs: int | None) -> np.ndarray:
    parts = []
    for rows in blocks(data.shape[0], limit):
        parts.append(call_predict(predict, data[rows], n_outputs))
        n_outputs = parts[-1].shape[1]
    return np.concatenate(parts, axis=0)
