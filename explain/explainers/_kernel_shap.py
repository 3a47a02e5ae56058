"""Batched Kernel SHAP (Lundberg & Lee, 2017) in pure NumPy: the estimator and its solver.

The value of a coalition ``S`` of players (groups of columns) for a row ``x`` is the
interventional expectation used by ``shap.KernelExplainer``::

    v_x(S) = sum_b w_b * f(x_S, background_b[not S]) = sum_b w_b * v_{x,b}(S)

Shapley values are the solution of a weighted least-squares problem over coalitions, with the
Shapley kernel as weights and the efficiency constraint imposed exactly: one variable is
eliminated, as in shap, and the ``(M-1) x (M-1)`` normal system is solved through its
symmetric pseudo-inverse.  The weighted Shapley-kernel design is very well conditioned
(condition number ``sqrt(M)`` when exact), so the normal equations lose nothing, and the
pseudo-inverse also covers rank-deficient sampled designs.

* **Exact** (``M`` players, ``2**M - 2`` coalitions affordable): every coalition is enumerated
  and the constrained regression returns exactly the Shapley values.
* **Sampled**: Shapley values are linear in the game, so ``phi(v_x) = sum_b w_b phi(v_{x,b})``.
  Each background row ``b`` has its own sampled coalition design, and the game ``v_{x,b}``
  (one model call per coalition) is solved on it with its own efficiency constraint
  ``f(x) - f(b)``; the results are averaged with the background weights.  This costs exactly
  the model calls of one design shared by all background rows (``n_coalitions *
  n_background`` per row) at about half the variance.
* **Standard errors** are the standard deviation of the result over bootstrap resamples of
  the designs' random draws.

How the designs and resamples are drawn (outside-in enumeration, antithetic pairs, one design
per background row) is :mod:`explain.explainers._kernel_design`; this module validates the
arguments, evaluates the model on the coalitions in bounded batches, and solves.

Why hand-written: ``shap.KernelExplainer`` calls the model once per explained row, solves
one regression per row and output, and shares one design across background rows.  Here the
designs are shared by every row, so the synthetic data of many rows go to the model in large
chunks (at most ``max_rows_per_call`` rows per call), and all rows and outputs are solved
with one matrix product per design against the pseudo-inverse of its small system, computed
once (and once per bootstrap resample).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from explain._exceptions import ExplanationValueError
from explain.explainers._kernel_design import Game, draw_games

__all__ = ["KernelShapResult", "kernel_shap_values"]

_AUTO_EXTRA_SAMPLES = 2048  # shap's default budget is 2 * M + 2048
_BLOCK_ELEMENTS = 2**22  # bound on n_coalitions * n_outputs * rows held at once (32 MB)


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
        Bootstrap standard errors of ``values``; zeros when exact, NaN when sampled with
        ``n_bootstrap=0``.
    model_output : ndarray of shape (n_outputs, n_rows)
        Model output on the explained rows.
    exact : bool
        Whether every coalition was enumerated.
    n_coalitions : int
        Coalitions evaluated per row, excluding the empty and the full coalition.
    """

    values: np.ndarray
    expected_values: np.ndarray
    standard_errors: np.ndarray
    model_output: np.ndarray
    exact: bool
    n_coalitions: int


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
    n_bootstrap: int = 20,
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
        Coalitions per row and background row (sampled: each background row has its own
        design of this size, so the model evaluations per row are ``nsamples * n_background``
        as with one shared design).  ``"auto"`` enumerates all coalitions when
        ``n_players <= max_exact_players`` and otherwise samples ``2 * n_players + 2048``.  An
        int enumerates when ``2**n_players - 2 <= nsamples`` and must otherwise be at least
        ``2 * n_players``.
    max_exact_players : int, default=12
        Largest number of players enumerated exactly under ``nsamples="auto"``; enumeration
        evaluates ``2**n_players - 2`` coalitions per row.
    random_state : int, Generator or None, default=0
        Seed of the coalition sampling and the bootstrap.
    n_bootstrap : int, default=20
        Bootstrap resamples for the standard errors (0 or at least 2; 0 gives NaN errors).
    max_rows_per_call : int, default=200_000
        Largest number of rows passed to ``predict`` in one call.

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
    besides the synthetic chunks (bounded by ``max_rows_per_call``).  The designs and bootstrap
    resamples are drawn before any row is seen, and the regression is solved row by row, so a
    row's values do not depend on the other rows or on how they are batched: calls on any
    split of ``X`` give bit-for-bit the same values (for a model whose output on a row does
    not depend on the rows it is called with).

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
    player_of_column, n_players = _validate_groups(groups, X.shape[1])
    _check_int(max_exact_players, "max_exact_players", 0)
    _check_int(max_rows_per_call, "max_rows_per_call", 1)
    if _check_int(n_bootstrap, "n_bootstrap", 0) == 1:
        raise ExplanationValueError("n_bootstrap must be 0 or at least 2; got 1")
    exact, budget = _resolve_budget(nsamples, n_players, max_exact_players)
    rng = np.random.default_rng(random_state)

    fx = _predict_chunked(predict, X, max_rows_per_call, None)
    n_outputs = fx.shape[1]
    background_output = _predict_chunked(predict, background, max_rows_per_call, n_outputs)
    expected = weights @ background_output
    delta = fx.T - expected[:, None]
    zeros = np.zeros((*delta.shape, n_players))
    if n_players == 1:
        return KernelShapResult(delta[:, :, None].copy(), expected, zeros, fx.T.copy(), True, 0)

    games = draw_games(n_players, exact, budget, background, weights, background_output, n_bootstrap, rng)
    values, errors = np.empty_like(zeros), np.empty_like(zeros)
    largest = max(game.design.masks.shape[0] for game in games)
    row_step = max(1, _BLOCK_ELEMENTS // (n_outputs * max(largest, (n_bootstrap + 2) * n_players)))
    for rows in _blocks(X.shape[0], row_step):
        values[:, rows], errors[:, rows] = _explain_rows(
            predict, X[rows], fx[rows], games, player_of_column, max_rows_per_call, n_bootstrap, exact
        )
    return KernelShapResult(values, expected, errors, fx.T.copy(), exact, largest)


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


def _validate_groups(groups: Sequence[np.ndarray] | None, n_columns: int) -> tuple[np.ndarray, int]:
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
            f"groups must partition range({n_columns}); columns {missing.tolist()} are missing"
        )
    return player_of_column, len(groups)


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ExplanationValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    return int(value)


def _resolve_budget(
    nsamples: int | Literal["auto"], n_players: int, max_exact_players: int
) -> tuple[bool, int]:
    """Return whether to enumerate all coalitions, and the coalition budget."""
    n_coalitions = 2**n_players - 2
    if isinstance(nsamples, str) and nsamples == "auto":
        if n_players <= max_exact_players:
            return True, n_coalitions
        budget = 2 * n_players + _AUTO_EXTRA_SAMPLES
    elif isinstance(nsamples, str):
        raise ExplanationValueError(f"nsamples must be 'auto' or an int; got {nsamples!r}")
    else:
        budget = _check_int(nsamples, "nsamples", 1)
    if n_coalitions <= budget:
        return True, n_coalitions
    if budget < 2 * n_players:
        raise ExplanationValueError(
            f"nsamples must be at least 2 * n_players = {2 * n_players} when coalitions are "
            f"sampled; got {budget}"
        )
    return False, budget


def _blocks(n: int, step: int) -> Iterator[slice]:
    return (slice(start, min(start + step, n)) for start in range(0, n, step))


def _call_predict(
    predict: Callable[[np.ndarray], np.ndarray], data: np.ndarray, n_outputs: int | None
) -> np.ndarray:
    output = np.asarray(predict(data), dtype=np.float64)
    if output.ndim == 1:
        output = output[:, None]
    if output.ndim != 2 or output.shape[0] != data.shape[0] or output.shape[1] == 0:
        raise ExplanationValueError(
            f"predict must return an array of shape (m,) or (m, n_outputs) for m = "
            f"{data.shape[0]} input rows; got shape {output.shape}"
        )
    if n_outputs is not None and output.shape[1] != n_outputs:
        raise ExplanationValueError(
            f"predict returned {output.shape[1]} outputs, earlier calls returned {n_outputs}"
        )
    return output


def _predict_chunked(
    predict: Callable[[np.ndarray], np.ndarray],
    data: np.ndarray,
    limit: int,
    n_outputs: int | None,
) -> np.ndarray:
    parts = []
    for rows in _blocks(data.shape[0], limit):
        parts.append(_call_predict(predict, data[rows], n_outputs))
        n_outputs = parts[-1].shape[1]
    return np.concatenate(parts, axis=0)


def _evaluate_coalitions(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray,
    column_masks: np.ndarray,
    limit: int,
    n_outputs: int,
) -> np.ndarray:
    """Return ``v_x(S)`` of shape (n_rows, n_coalitions, n_outputs) in bounded chunks.

    Chunks split rows first; when one row's coalitions x background exceed ``limit`` they split
    coalitions, and (for a background larger than ``limit``) background rows.
    """
    n_rows, n_columns = X.shape
    n_coalitions, n_background = column_masks.shape[0], background.shape[0]
    row_step = max(1, limit // (n_coalitions * n_background))
    coalition_step = max(1, limit // n_background)
    values = np.zeros((n_rows, n_coalitions, n_outputs))
    for rows in _blocks(n_rows, row_step):
        for coalitions in _blocks(n_coalitions, coalition_step):
            for members in _blocks(n_background, limit):
                synthetic = _synthetic(X[rows], column_masks[coalitions], background[members])
                output = _call_predict(predict, synthetic.reshape(-1, n_columns), n_outputs)
                output = output.reshape((*synthetic.shape[:3], n_outputs))
                values[rows, coalitions] += np.matmul(weights[members], output)
    return values


def _synthetic(rows: np.ndarray, masks: np.ndarray, background: np.ndarray) -> np.ndarray:
    """C-ordered (rows, coalitions, background, columns): ``rows`` where masked, else background."""
    shape = (rows.shape[0], masks.shape[0], background.shape[0], rows.shape[1])
    synthetic = np.empty(shape)
    synthetic[...] = background[None, None]
    coalitions, columns = np.nonzero(masks)  # scatter x into the masked (coalition, column) cells
    synthetic.transpose(0, 1, 3, 2)[:, coalitions, columns, :] = rows[:, columns, None]
    return synthetic


def _regression_inputs(
    masks: np.ndarray, values: np.ndarray, expected: np.ndarray, delta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Eliminate the last player with the efficiency constraint.

    ``values`` (n_rows, n_coalitions, n_outputs) holds ``v(S)``, ``expected`` holds
    ``v(empty)`` and ``delta`` (n_outputs, n_rows) holds ``v(full) - v(empty)``.  Returns the
    regressors ``z[:, :-1] - z[:, -1]`` and the targets ``v(S) - v(empty) - z[:, -1] * delta``,
    computed in place in ``values`` to save memory.
    """
    values -= expected
    values[:, masks[:, -1]] -= delta.T[:, None, :]
    z = masks.astype(np.float64)
    return z[:, :-1] - z[:, -1:], values


def _solve(
    regressors: np.ndarray, adjusted: np.ndarray, weights: np.ndarray, delta: np.ndarray
) -> np.ndarray:
    """Solve the weighted least squares for all rows and outputs with one small system.

    ``adjusted`` has shape (n_rows, n_coalitions, n_outputs).  Returns values of shape
    (n_outputs, n_rows, n_players) satisfying efficiency exactly.

    The solver is applied row by row (a stack of ``(n_players - 1, n_coalitions) @
    (n_coalitions, n_outputs)`` products) rather than as one product over all rows: BLAS
    rounds a column of one large product differently depending on its position in the block,
    so a row's values would change in the last bits with the rows explained beside it.
    Applied per row they are bit-for-bit the same however the rows are chunked, at the same
    number of operations.
    """
    weighted = regressors * weights[:, None]
    solver = np.linalg.pinv(regressors.T @ weighted, hermitian=True) @ weighted.T
    head = np.matmul(solver, adjusted)  # (n_rows, n_players - 1, n_outputs)
    last = delta.T - head.sum(axis=1)
    return np.concatenate([head, last[:, None, :]], axis=1).transpose(2, 0, 1)


def _explain_rows(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    fx: np.ndarray,
    games: list[Game],
    player_of_column: np.ndarray,
    limit: int,
    n_bootstrap: int,
    exact: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Values and standard errors of a block of rows, each (n_outputs, n_rows, n_players).

    The values are the weighted mean of the games' solutions; the standard error is the
    standard deviation of that mean over bootstrap resamples (resample ``r`` of every game).
    """
    shape = (fx.shape[1], X.shape[0], int(player_of_column.max()) + 1)
    values, resampled = np.zeros(shape), np.zeros((n_bootstrap, *shape))
    for game in games:
        masks = game.design.masks
        outputs = _evaluate_coalitions(
            predict, X, game.background, game.background_weights,
            np.ascontiguousarray(masks[:, player_of_column]), limit, shape[0],
        )
        delta = fx.T - game.expected[:, None]
        regressors, adjusted = _regression_inputs(masks, outputs, game.expected, delta)
        values += game.weight * _solve(regressors, adjusted, game.design.weights, delta)
        if game.bootstrap is None:  # exact, or n_bootstrap=0
            continue
        for resample, weights in zip(resampled, game.bootstrap, strict=True):
            resample += game.weight * _solve(regressors, adjusted, weights, delta)
    if exact:
        return values, np.zeros_like(values)
    if n_bootstrap == 0:
        return values, np.full_like(values, np.nan)
    return values, resampled.std(axis=0, ddof=1)
