"""Batched Kernel SHAP (Lundberg & Lee, 2017) in pure NumPy.

The value of a coalition ``S`` of players (groups of columns) for a row ``x`` is the
interventional expectation used by ``shap.KernelExplainer``::

    v_x(S) = sum_b w_b * f(x_S, background_b[not S])

Shapley values are the solution of a weighted least-squares problem over coalitions, with the
Shapley kernel as weights and the efficiency constraint ``sum_i phi_i = f(x) - E_w f(background)``
imposed exactly: one variable is eliminated, as in shap, and the ``(M-1) x (M-1)`` normal system
is solved through its symmetric pseudo-inverse.  The weighted Shapley-kernel design is very well
conditioned (condition number ``sqrt(M)`` when exact), so the normal equations lose nothing, and
the pseudo-inverse also covers rank-deficient sampled designs.

* **Exact** (``M`` players, ``2**M - 2`` coalitions affordable): every coalition is enumerated;
  the constrained regression then returns exactly the Shapley values.
* **Sampled**: the scheme of ``shap.KernelExplainer``.  Complete subset sizes are enumerated from
  the outside in (sizes ``s`` and ``M - s`` together) while the budget allows; the remaining sizes
  are drawn in proportion to their Shapley-kernel mass, each draw together with its complement
  (antithetic pairs), duplicates adding weight.  Standard errors come from a bootstrap over the
  random draws, the enumerated sizes being kept fixed in every resample.

Why hand-written: ``shap.KernelExplainer`` calls the model once per explained row and solves
one regression per row and output.  Here one coalition design is shared by every row, so the
synthetic data of many rows go to the model in large chunks (at most ``max_rows_per_call`` rows
per call), and all rows and outputs are solved with one matrix product against the
pseudo-inverse of the small system, computed once (and once per bootstrap resample).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb
from typing import Literal

import numpy as np

from explain._exceptions import ExplanationValueError

__all__ = ["KernelShapResult", "kernel_shap_values"]

_AUTO_EXTRA_SAMPLES = 2048  # shap's default budget is 2 * M + 2048


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


@dataclass(frozen=True)
class _Design:
    """Coalitions shared by all rows: ``masks[:n_fixed]`` enumerated, the rest sampled.

    Sampled coalition ``j`` belongs to sampling unit ``unit_of_coalition[j]`` (a draw and, for
    paired sizes, its complement); ``draw_units`` holds the unit of every random draw, so a
    unit's weight is its number of draws.  Sampled weights sum to ``sampled_weight``.
    """

    masks: np.ndarray
    weights: np.ndarray
    n_fixed: int
    unit_of_coalition: np.ndarray
    draw_units: np.ndarray
    sampled_weight: float


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
        Coalition budget per row.  ``"auto"`` enumerates all coalitions when
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
    Besides the synthetic chunks (bounded by ``max_rows_per_call``), memory grows as
    ``n_rows * n_coalitions * n_outputs``; explain very many rows in batches.
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
    expected = weights @ _predict_chunked(predict, background, max_rows_per_call, n_outputs)
    delta = fx.T - expected[:, None]
    zeros = np.zeros((*delta.shape, n_players))
    if n_players == 1:
        return KernelShapResult(delta[:, :, None].copy(), expected, zeros, fx.T.copy(), True, 0)

    design = _exact_design(n_players) if exact else _sampled_design(n_players, budget, rng)
    keep = weights > 0
    values_of_coalitions = _evaluate_coalitions(
        predict,
        X,
        background[keep],
        weights[keep],
        np.ascontiguousarray(design.masks[:, player_of_column]),
        max_rows_per_call,
        n_outputs,
    )
    regressors, adjusted = _regression_inputs(design.masks, values_of_coalitions, expected, delta)
    values = _solve(regressors, adjusted, design.weights, delta)
    errors = zeros if exact else _bootstrap_errors(design, regressors, adjusted, delta, n_bootstrap, rng)
    return KernelShapResult(values, expected, errors, fx.T.copy(), exact, design.masks.shape[0])


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


def _size_weights(n_players: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subset sizes ``1..M//2``, their normalised kernel mass and whether they are paired."""
    sizes = np.arange(1, n_players // 2 + 1)
    paired = 2 * sizes < n_players
    mass = (n_players - 1.0) / (sizes * (n_players - sizes))
    mass[paired] *= 2.0
    return sizes, mass / mass.sum(), paired


def _subsets_of_size(n_players: int, size: int) -> np.ndarray:
    members = np.array(list(combinations(range(n_players), size)), dtype=np.intp)
    masks = np.zeros((members.shape[0], n_players), dtype=bool)
    masks[np.arange(members.shape[0])[:, None], members] = True
    return masks


def _exact_design(n_players: int) -> _Design:
    codes = np.arange(1, 2**n_players - 1, dtype=np.int64)
    masks = ((codes[:, None] >> np.arange(n_players)) & 1).astype(bool)
    sizes = masks.sum(axis=1)
    binomials = np.array([comb(n_players, k) for k in range(n_players + 1)], dtype=np.float64)
    weights = (n_players - 1.0) / (binomials[sizes] * sizes * (n_players - sizes))
    empty = np.zeros(0, dtype=np.intp)
    return _Design(masks, weights / weights.sum(), masks.shape[0], empty, empty, 0.0)


def _sampled_design(n_players: int, budget: int, rng: np.random.Generator) -> _Design:
    sizes, mass, paired = _size_weights(n_players)
    remaining, left, blocks, block_weights = mass.copy(), budget, [], []
    for k, size in enumerate(sizes):  # complete sizes, from the outside in
        n_subsets = comb(n_players, int(size)) * (2 if paired[k] else 1)
        if left * remaining[k] / n_subsets < 1.0 - 1e-8:
            break
        left -= n_subsets
        if remaining[k] < 1.0:
            remaining /= 1.0 - remaining[k]
        masks = _subsets_of_size(n_players, int(size))
        blocks.append(np.vstack([masks, ~masks]) if paired[k] else masks)
        block_weights.append(np.full(n_subsets, mass[k] / n_subsets))
    n_full = len(blocks)
    probabilities = np.where(paired, mass / 2.0, mass)[n_full:]
    masks, unit_of_coalition, draw_units = _draw_coalitions(
        n_players, sizes[n_full:], probabilities / probabilities.sum(), left, rng
    )
    sampled_weight = float(mass[n_full:].sum())
    fixed = np.vstack(blocks) if blocks else np.zeros((0, n_players), dtype=bool)
    weights = np.concatenate([*block_weights, _unit_weights(draw_units, unit_of_coalition, sampled_weight)])
    return _Design(
        np.vstack([fixed, masks]),
        weights,
        fixed.shape[0],
        unit_of_coalition,
        draw_units,
        sampled_weight,
    )


def _draw_coalitions(
    n_players: int,
    sizes: np.ndarray,
    probabilities: np.ndarray,
    budget: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw coalitions (with complements for paired sizes) until ``budget`` is spent.

    Returns the coalition masks, the unit of every coalition and the unit of every draw.
    """
    empty = np.zeros(0, dtype=np.intp)
    if budget <= 0:
        return np.zeros((0, n_players), dtype=bool), empty, empty
    n_draws = 4 * budget
    draw_sizes = sizes[rng.choice(sizes.size, size=n_draws, p=probabilities)]
    order = np.argsort(rng.random((n_draws, n_players)), axis=1)
    draws = np.empty((n_draws, n_players), dtype=bool)
    np.put_along_axis(draws, order, np.arange(n_players) < draw_sizes[:, None], axis=1)
    unique, first, inverse = np.unique(draws, axis=0, return_index=True, return_inverse=True)
    by_first = np.argsort(first)  # units numbered in order of first appearance
    rank = np.empty_like(by_first)
    rank[by_first] = np.arange(by_first.size)
    unit_masks = unique[by_first]
    unit_paired = 2 * unit_masks.sum(axis=1) < n_players
    n_units = int(np.searchsorted(np.cumsum(np.where(unit_paired, 2, 1)), budget, side="right"))
    stop = first[by_first[n_units]] if n_units < by_first.size else n_draws
    draw_units = rank[inverse.reshape(-1)[:stop]]
    unit_masks, unit_paired = unit_masks[:n_units], unit_paired[:n_units]
    units = np.arange(n_units)
    masks = np.vstack([unit_masks, ~unit_masks[unit_paired]])
    return masks, np.concatenate([units, units[unit_paired]]), draw_units


def _unit_weights(draws: np.ndarray, unit_of_coalition: np.ndarray, total: float) -> np.ndarray:
    """Weights of the sampled coalitions: draw counts, rescaled to sum ``total``."""
    if unit_of_coalition.size == 0:
        return np.zeros(0)
    counts = np.bincount(draws, minlength=int(unit_of_coalition.max()) + 1)
    weights = counts[unit_of_coalition].astype(np.float64)
    return weights * (total / weights.sum())


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
    """Return ``v_x(S)`` of shape (n_coalitions, n_outputs, n_rows) in bounded chunks.

    Chunks split rows first; when one row's coalitions x background exceed ``limit`` they split
    coalitions, and (for a background larger than ``limit``) background rows.
    """
    n_rows, n_columns = X.shape
    n_coalitions, n_background = column_masks.shape[0], background.shape[0]
    row_step = max(1, limit // (n_coalitions * n_background))
    coalition_step = max(1, limit // n_background)
    values = np.zeros((n_coalitions, n_outputs, n_rows))
    for rows in _blocks(n_rows, row_step):
        for coalitions in _blocks(n_coalitions, coalition_step):
            for members in _blocks(n_background, limit):
                synthetic = _synthetic(X[rows], column_masks[coalitions], background[members])
                output = _call_predict(predict, synthetic.reshape(-1, n_columns), n_outputs)
                output = output.reshape((*synthetic.shape[:3], n_outputs))
                values[coalitions, :, rows] += np.matmul(weights[members], output).transpose(1, 2, 0)
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

    ``values`` (n_coalitions, n_outputs, n_rows) holds ``v(S)``, ``expected`` holds
    ``v(empty)`` and ``delta`` (n_outputs, n_rows) holds ``v(full) - v(empty)``.  Returns the
    regressors ``z[:, :-1] - z[:, -1]`` and the targets ``v(S) - v(empty) - z[:, -1] * delta``,
    computed in place in ``values`` to save memory.
    """
    values -= expected[None, :, None]
    values[masks[:, -1]] -= delta[None]
    z = masks.astype(np.float64)
    return z[:, :-1] - z[:, -1:], values


def _solve(
    regressors: np.ndarray, adjusted: np.ndarray, weights: np.ndarray, delta: np.ndarray
) -> np.ndarray:
    """Solve the weighted least squares for all rows and outputs at once.

    Returns values of shape (n_outputs, n_rows, n_players) satisfying efficiency exactly.
    """
    weighted = regressors * weights[:, None]
    solver = np.linalg.pinv(regressors.T @ weighted, hermitian=True) @ weighted.T
    head = np.tensordot(solver, adjusted, axes=1)
    last = delta - head.sum(axis=0)
    return np.concatenate([head, last[None]], axis=0).transpose(1, 2, 0)


def _bootstrap_errors(
    design: _Design,
    regressors: np.ndarray,
    adjusted: np.ndarray,
    delta: np.ndarray,
    n_bootstrap: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Standard deviation of the values over resamples of the random draws."""
    shape = (*delta.shape, design.masks.shape[1])
    n_draws = design.draw_units.size
    if n_bootstrap == 0:
        return np.full(shape, np.nan)
    if n_draws == 0:
        return np.zeros(shape)
    mean, sum_squares = np.zeros(shape), np.zeros(shape)
    weights = design.weights.copy()
    for resample in range(n_bootstrap):  # Welford's running variance
        draws = design.draw_units[rng.integers(0, n_draws, size=n_draws)]
        weights[design.n_fixed :] = _unit_weights(draws, design.unit_of_coalition, design.sampled_weight)
        values = _solve(regressors, adjusted, weights, delta)
        step = values - mean
        mean += step / (resample + 1)
        sum_squares += step * (values - mean)
    return np.sqrt(sum_squares / (n_bootstrap - 1))
