"""The Kernel SHAP regression of one coalition design, and its standard errors.

The coalition values of a row ``x`` and a game are ``v(S)``; Shapley values solve the
weighted least squares ``min sum_j w_j (v(S_j) - v(empty) - z_j . phi)^2`` subject to
``sum(phi) = v(full) - v(empty)``.  The last player is eliminated with the constraint, as in
shap, and the ``(M-1) x (M-1)`` normal system is solved through its symmetric pseudo-inverse.
The weighted Shapley-kernel design is very well conditioned (condition number ``sqrt(M)`` when
exact), so the normal equations lose nothing, and the pseudo-inverse also covers
rank-deficient sampled designs.  Everything that depends on the design alone (the solver
matrix, the variance projections) is computed once per design and stage by
:func:`stage_solver`; :func:`solve_rows` applies it to the values of many rows.

**Standard errors** are the *infinitesimal jackknife* (delta-method) approximation of the
bootstrap that resamples a design's random draws: with ``c_u`` draws of pair ``u`` among ``n``,
each of importance weight ``rho_u``, a resample changes the pair weights by
``s rho_u (c*_u - c_u)`` (and their normalization), and to first order the solution by
``A^-1 R^T (W* - W) e`` (``A = R^T W R``, ``e`` the residuals, ``R^T W e = 0``).  A pair's
complement has the opposite regressor, so a unit of weight on pair ``u`` moves the values by
``m_u = A^-1 r_u d_u`` with ``d_u = e_u - e_u'``, and the multinomial covariance of the counts
gives (:func:`resampled_variance`)::

    Var(phi_i) = s^2 sum_u c_u rho_u^2 (m_iu - m_bar_i)^2,   m_bar = sum c rho m / sum c rho

(the eliminated player moves by ``-sum_i m_iu``), times the degrees-of-freedom correction of
:func:`small_sample_factor`.  This is what the bootstrap estimates with infinitely many
resamples, up to the curvature of ``A^-1`` (small: ``A`` averages many draws), at the cost of
about two extra products per row instead of one solve per resample.
Calibration against exact values is checked in ``tests/explain/explainers/test_kernel_shap.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "StageSolver",
    "additive_rows",
    "finish_rows",
    "resampled_variance",
    "small_sample_factor",
    "stage_solver",
]


@dataclass(frozen=True)
class StageSolver:
    """What one design stage contributes to every row's solution.

    Attributes
    ----------
    masks : ndarray of shape (n_coalitions, n_players)
        The stage's coalitions (a prefix of the design's masks).
    weights : ndarray of shape (n_coalitions,)
        Regression weights.
    inverse : ndarray of shape (n_players - 1, n_players - 1)
        ``A^+``, the pseudo-inverse of the additive normal matrix ``A = R^T W R``.
    regressors : ndarray of shape (n_coalitions, n_players - 1)
        ``R``: ``z_i - z_M`` (the last player eliminated).
    weighted_t : ndarray of shape (n_players - 1, n_coalitions)
        ``R^T W``, contiguous.
    players_t : ndarray of shape (n_players, n_coalitions)
        The masks transposed, as bytes (to read a row's leading players quickly).
    n_fixed : int
        Enumerated coalitions; pairs follow (first member, complement).
    counts : ndarray of shape (n_units,)
        Draws ``c_u`` of every pair.
    factors : ndarray of shape (n_units,)
        Importance weight ``rho_u`` of a draw of every pair (its size's kernel mass over its
        probability); a pair's coalitions weigh ``s c_u rho_u`` each.
    scale : float
        ``s = sampled_weight / (2 sum_u c_u rho_u)``.
    moves_and_squares : ndarray of shape (2 * n_players, n_units)
        :attr:`moves` with their squares stacked below (for the variance's matrix products).
    n_draws : int
        Draws of the stage; 0 when nothing is sampled (no standard errors).
    fixed_gram : ndarray of shape (n_players - 1, n_players - 1)
        ``R_f^T W_f R_f``: the enumerated coalitions' part of ``A``.
    """

    masks: np.ndarray
    weights: np.ndarray
    inverse: np.ndarray
    regressors: np.ndarray
    weighted_t: np.ndarray
    players_t: np.ndarray
    n_fixed: int
    counts: np.ndarray
    factors: np.ndarray
    scale: float
    moves_and_squares: np.ndarray
    n_draws: int
    fixed_gram: np.ndarray

    @property
    def n_coalitions(self) -> int:
        """Coalitions of the stage."""
        return int(self.masks.shape[0])

    @property
    def moves(self) -> np.ndarray:
        """``A^+ r_u`` with the last player's ``-sum_i`` appended, (n_players, n_units): how the
        additive values move with a unit of weight on pair ``u`` per unit of its residual
        difference ``d_u``."""
        return self.moves_and_squares[:self.moves_and_squares.shape[0] // 2]

    @property
    def pair_regressors(self) -> np.ndarray:
        """Regressor ``r_u`` of each pair's first member, (n_units, n_players - 1)."""
        return self.regressors[self.n_fixed::2]


def stage_solver(masks: np.ndarray, weights: np.ndarray, n_fixed: int, counts: np.ndarray,
                 factors: np.ndarray, sampled_weight: float) -> StageSolver:
    """Precompute the regression of one design stage.

    Parameters
    ----------
    masks : ndarray of shape (n_coalitions, n_players)
        The stage's coalitions: ``n_fixed`` enumerated, then pairs (coalition, complement).
    weights : ndarray of shape (n_coalitions,)
        Regression weights.
    n_fixed : int
        Number of enumerated coalitions.
    counts : ndarray of shape (n_units,)
        Draws of every pair.
    factors : ndarray of shape (n_units,)
        Importance weight of a draw of every pair.
    sampled_weight : float
        Total weight of the sampled coalitions.
    """
    z = masks.astype(np.float64)
    regressors = z[:, :-1] - z[:, -1:]
    weighted = regressors * weights[:, None]
    inverse = np.linalg.pinv(regressors.T @ weighted, hermitian=True)
    n_draws = int(counts.sum())
    pair_inverse = inverse @ regressors[n_fixed::2].T
    moves = np.vstack([pair_inverse, -pair_inverse.sum(axis=0)])
    mass = float(np.sum(counts * factors))
    return StageSolver(
        masks=masks, weights=weights, inverse=inverse, regressors=regressors,
        weighted_t=np.ascontiguousarray(weighted.T), players_t=np.ascontiguousarray(masks.T, dtype=np.uint8),
        n_fixed=n_fixed, counts=counts, factors=factors,
        scale=sampled_weight / (2.0 * mass) if n_draws else 0.0,
        moves_and_squares=np.vstack([moves, moves**2]), n_draws=n_draws,
        fixed_gram=regressors[:n_fixed].T @ weighted[:n_fixed],
    )


def resampled_variance(stage: StageSolver, moves: np.ndarray) -> np.ndarray:
    """Variance of ``sum_u dw_u moves[..., u]`` over multinomial resamples of the draws.

    ``moves`` (..., n_units) holds how a value moves per unit of weight on each pair. A
    resample changes pair ``u``'s weight by ``s rho_u (c*_u - c_u)``, the normalization
    ``sum_u c*_u rho_u`` too; to first order the value moves by
    ``s sum_u (c*_u - c_u) rho_u (m_u - m_bar)`` with ``m_bar = sum c rho m / sum c rho``, whose
    multinomial variance is ``s^2 sum_u c_u rho_u^2 (m_u - m_bar)^2``.
    """
    mass = stage.counts * stage.factors
    centre = (moves @ mass / mass.sum())[..., None]
    return stage.scale**2 * (((moves - centre) * stage.factors) ** 2 @ stage.counts)


def additive_rows(stage: StageSolver, values: np.ndarray, expected: np.ndarray,
                  delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The additive regression of many rows on one stage.

    Parameters
    ----------
    stage : StageSolver
        The precomputed stage.
    values : ndarray of shape (n_rows, n_coalitions, n_outputs)
        ``v(S)`` of the stage's coalitions (not modified).
    expected : ndarray of shape (n_outputs,)
        ``v(empty)``.
    delta : ndarray of shape (n_rows, n_outputs)
        ``v(full) - v(empty)``.

    Returns
    -------
    adjusted : ndarray of shape (n_rows, n_coalitions, n_outputs)
        Targets after eliminating the last player with the efficiency constraint.
    head : ndarray of shape (n_rows, n_players - 1, n_outputs)
        The first ``M - 1`` coefficients.

    Notes
    -----
    The products are stacked row by row (``matmul`` of the solver with each row's matrix)
    rather than one product over all rows: BLAS rounds a column of a large product
    differently depending on its position in the block, so a row's values would change in
    the last bits with the rows beside it.  Row by row they are bit-for-bit the same however
    the rows are chunked, at the same number of operations.
    """
    adjusted = values - expected
    adjusted[:, stage.masks[:, -1]] -= delta[:, None, :]
    return adjusted, np.matmul(stage.inverse, np.matmul(stage.weighted_t, adjusted))


def finish_rows(stage: StageSolver, adjusted: np.ndarray, head: np.ndarray, delta: np.ndarray, *,
                with_variance: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Values (and variances) of many rows from their additive fit.

    Parameters
    ----------
    stage, adjusted, head, delta
        As for and from :func:`additive_rows`.
    with_variance : bool
        Also return the (infinitesimal jackknife) variance of every value.

    Returns
    -------
    phi : ndarray of shape (n_rows, n_players, n_outputs)
        Values satisfying efficiency exactly.
    variance : ndarray like ``phi``, or None
        ``None`` without ``with_variance`` or when the stage samples nothing.
    """
    phi = np.concatenate([head, (delta - head.sum(axis=1))[:, None, :]], axis=1)
    if not with_variance or stage.n_draws == 0:
        return phi, None
    # d_u = e_u - e_u' from the targets: the regressors of a pair's members are opposite
    pairs = adjusted[:, stage.n_fixed::2] - adjusted[:, stage.n_fixed + 1::2]
    pairs -= 2.0 * np.matmul(stage.pair_regressors, head)  # (rows, U, outputs)
    variance = _pair_variance(stage, pairs)
    sampled_dof = stage.inverse.shape[0] - float(np.sum(stage.inverse * stage.fixed_gram))
    return phi, variance * small_sample_factor(stage.counts.size, sampled_dof)


def _pair_variance(stage: StageSolver, pairs: np.ndarray) -> np.ndarray:
    """:func:`resampled_variance` of the moves ``stage.moves * d_u`` of many rows and outputs.

    Expanded as ``s^2 (M^2 (b d^2) - 2 m_bar M (b d) + m_bar^2 sum b)`` with ``b = c rho^2``
    and ``m_bar = M (c rho d) / sum c rho``: three matrix-vector products per row and output
    against the stage's ``M`` and ``M^2`` instead of forming ``M d`` for every pair.
    ``pairs`` is (n_rows, n_units, n_outputs); returns (n_rows, n_players, n_outputs).
    """
    mass = stage.counts * stage.factors
    weight = mass * stage.factors
    n_players = stage.moves.shape[0]
    # (rows, outputs, units, 3): per row and output, the three weighted vectors as columns
    d = pairs.transpose(0, 2, 1)[..., None]
    vectors = np.concatenate([d * mass[:, None], d * weight[:, None], d**2 * weight[:, None]], axis=3)
    # one stacked product per row and output: a row's rounding does not depend on its neighbours
    sums = np.matmul(stage.moves_and_squares, vectors)  # (rows, outputs, 2 * players, 3)
    centre = sums[..., :n_players, 0] / mass.sum()
    variance = (sums[..., n_players:, 2] - 2.0 * centre * sums[..., :n_players, 1]
                + centre**2 * weight.sum())
    # a sum of squares, negative only by rounding
    return np.abs(stage.scale**2 * variance).transpose(0, 2, 1)


def small_sample_factor(n_units: int, dof: float | np.ndarray) -> float | np.ndarray:
    """``U / (U - d)``: the residuals of ``U`` sampled pairs that fitted ``d`` coefficients are
    smaller than the errors, and the infinitesimal jackknife inherits that (as the sandwich
    estimator does; this is its usual degrees-of-freedom correction, HC1).

    ``d`` is the coefficients' share taken by the sampled pairs: the trace of
    ``(X^T W X)^-1 X_s^T W_s X_s``, the number of coefficients minus the enumerated coalitions'
    share. With no residual degree of freedom left the factor is ``U``.
    """
    return n_units / np.maximum(n_units - np.asarray(dof), 1.0)
