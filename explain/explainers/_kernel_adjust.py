"""Regression adjustment of Kernel SHAP: the interactions of a row's leading players.

Kernel SHAP fits an additive function of the coalition; what it cannot fit (the game's
interactions) is its sampling error.  On most models a few features dominate and so do their
interactions.  This module fits them too: for each row, every product
``m_T(z) = prod_{i in T} z_i`` of two or more of its ``k`` leading players (by the additive
values) joins the regression, and the Shapley value of a product is known in closed form
(its coefficient split evenly among the members of ``T``).

This is the regression-adjusted estimator of Witter, Liu & Musco (2025), "Regression-adjusted
Monte Carlo estimators for Shapley values and probabilistic values", with a multilinear
surrogate ``g`` fitted jointly with the additive part: ``phi = phi(g) + KernelSHAP(v - g)``.
With every coalition enumerated it returns the exact Shapley values; sampled, its error comes
only from what the products do not fit, which on models with a few dominant features is a
fraction of the unadjusted error (``benchmarks/README.md``).  A product enters both members
of a complementary pair (``m_T(z)`` and ``m_T(1 - z)``), so its coefficient is also informed by
the even part of the game, which the additive fit cannot use.

The joint fit is computed by partialling out (Frisch-Waugh-Lovell) on top of the stage's
additive solver; its standard errors are the same infinitesimal jackknife as the additive
fit's (:mod:`explain.explainers._kernel_solve`), with the products' coefficients varying too.
For ``p = 2**k - k - 1`` products this costs about ``n_coalitions * (n_players + p) * p``
operations per row and design.  A row whose products a design cannot tell from additive
terms (a singular Schur complement) fits the products of fewer leading players.
"""

from __future__ import annotations

import functools
from itertools import combinations

import numpy as np

from explain.explainers._kernel_codes import code_sums, pair_sums
from explain.explainers._kernel_solve import StageSolver, finish_rows, small_sample_factor

__all__ = ["adjusted_rows", "leading_players", "product_count", "products"]

_IDENTIFIED = 1e-6  # smallest / largest eigenvalue of a Schur complement that counts as regular


@functools.cache
def products(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Products of two or more of ``k`` local players, as regressors.

    Returns
    -------
    table : ndarray of shape (2**(k + 1), p)
        ``m_T(z) - z_M`` for every code: bit ``i < k`` says whether local player ``i`` is in
        the coalition, bit ``k`` whether the last player is (it is eliminated by the
        efficiency constraint).
    shares : ndarray of shape (p, k)
        Each member's share of a product's Shapley value per unit coefficient: ``1 / |T|``.
    """
    members = [T for size in range(2, k + 1) for T in combinations(range(k), size)]
    codes = np.arange(2 ** (k + 1))
    table = np.zeros((codes.size, len(members)))
    shares = np.zeros((len(members), k))
    for t, product in enumerate(members):
        bits = sum(1 << i for i in product)
        table[:, t] = ((codes & bits) == bits).astype(np.float64) - ((codes >> k) & 1)
        shares[t, list(product)] = 1.0 / len(product)
    return table, shares


def product_count(k: int) -> int:
    """Number of products (two or more members) of ``k`` players."""
    return 2**k - k - 1


def leading_players(phi: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` players of largest ``|value|`` (over outputs) of each row, largest first.

    ``phi`` has shape (n_rows, n_players, n_outputs); returns (n_rows, k) indices.
    """
    return np.argsort(-np.abs(phi).max(axis=2), axis=1, kind="stable")[:, :k]


def adjusted_rows(stage: StageSolver, adjusted: np.ndarray, head: np.ndarray, delta: np.ndarray,
                  top: np.ndarray, *, with_variance: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Values (and variances) of many rows with the products of ``top`` in the regression.

    A row whose products the design cannot tell apart from additive terms (a singular Schur
    complement) drops its least important leading player and tries again, down to the
    additive fit: a direction the design cannot see would otherwise be left to the additive
    terms, an error its residuals do not show.

    Parameters
    ----------
    stage : StageSolver
        The precomputed stage.
    adjusted : ndarray of shape (n_rows, n_coalitions, n_outputs)
        Targets after eliminating the last player (:func:`~._kernel_solve.additive_rows`).
    head : ndarray of shape (n_rows, n_players - 1, n_outputs)
        The additive fit's first ``M - 1`` coefficients.
    delta : ndarray of shape (n_rows, n_outputs)
        ``v(full) - v(empty)``.
    top : ndarray of shape (n_rows, k)
        Each row's leading players, most important first (``k >= 2``).
    with_variance : bool
        Also return the variances.

    Returns
    -------
    phi : ndarray of shape (n_rows, n_players, n_outputs)
        Values satisfying efficiency exactly.
    variance : ndarray like ``phi``, or None
        ``None`` without ``with_variance`` or when the stage samples nothing.
    """
    phi = np.empty((adjusted.shape[0], stage.masks.shape[1], adjusted.shape[2]))
    variance = np.zeros_like(phi) if with_variance and stage.n_draws else None
    left = np.arange(adjusted.shape[0])
    for k in range(top.shape[1], 1, -1):
        done, part, var = _adjusted(stage, adjusted[left], head[left], delta[left], top[left, :k],
                                    variance is not None)
        phi[left[done]] = part
        if variance is not None and var is not None:
            variance[left[done]] = var
        left = left[~done]
        if left.size == 0:
            return phi, variance
    part, var = finish_rows(stage, adjusted[left], head[left], delta[left],
                            with_variance=variance is not None)
    phi[left] = part
    if variance is not None and var is not None:
        variance[left] = var
    return phi, variance


def _adjusted(stage: StageSolver, adjusted: np.ndarray, head: np.ndarray, delta: np.ndarray,
              top: np.ndarray, with_variance: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Rows whose Schur complement is regular, and their values and variances."""
    k = top.shape[1]
    table, shares = products(k)
    regressors = stage.regressors
    # the code of a coalition: bit i for the row's leading player i, bit k for the last player
    codes = (stage.players_t[top] << np.arange(k, dtype=np.uint8)[:, None]).sum(axis=1, dtype=np.intp)
    codes += stage.players_t[-1].astype(np.intp) << k
    # the products take one of 2**(k + 1) rows of the table per coalition, so sums of their
    # products with narrow columns (C^T W C, C^T W e) are sums over codes (bincount) instead of
    # products over every coalition
    n_codes = table.shape[0]
    # B = R^T W C, C = table[codes] (m_T(z) - z_M, the last player eliminated): per-code sums of
    # R^T W times the table
    cross = np.matmul(code_sums(codes, stage.weighted_t, n_codes), table)
    through = np.matmul(stage.inverse, cross)  # A^+ B
    mass = _by_code(codes, stage.weights[:, None], n_codes)  # (rows, codes, 1)
    gram = np.matmul(table.T, mass * table) - np.matmul(cross.transpose(0, 2, 1), through)
    eigenvalues, vectors = np.linalg.eigh(gram)  # the Schur complement of A
    done = eigenvalues[:, 0] > _IDENTIFIED * np.maximum(eigenvalues[:, -1], 0.0)
    eigenvalues, vectors = eigenvalues[done], vectors[done]
    schur = np.matmul(vectors / eigenvalues[:, None, :], vectors.transpose(0, 2, 1))
    codes, through, top = codes[done], through[done], top[done]
    adjusted, head, delta = adjusted[done], head[done], delta[done]
    residual = adjusted - np.matmul(regressors, head)
    weighted_residual = _by_code(codes, residual * stage.weights[:, None], n_codes)  # (rows, codes, out)
    coefficients = np.matmul(schur, np.matmul(table.T, weighted_residual))  # (rows, p, out)
    head = head - np.matmul(through, coefficients)
    phi = _values(head, coefficients, delta, top, shares)
    if not with_variance:
        return done, phi, None
    fitted = np.take_along_axis(np.matmul(table, coefficients), codes[:, :, None], axis=1)
    residual = adjusted - np.matmul(regressors, head) - fitted
    return done, phi, _variance(stage, codes, table, residual, through, schur, top, shares)


def _by_code(codes: np.ndarray, values: np.ndarray, n_codes: int) -> np.ndarray:
    """Sums of ``values`` over each row's coalitions of every code, (rows, n_codes, m).

    ``codes`` is (rows, n); ``values`` (n, m) shared by the rows or (rows, n, m).
    """
    n_rows, n = codes.shape
    m = values.shape[-1]
    index = (codes + n_codes * np.arange(n_rows)[:, None])[:, :, None] * m + np.arange(m)
    weights = np.broadcast_to(values, (n_rows, n, m))
    sums = np.bincount(index.ravel(), weights=weights.ravel(), minlength=n_rows * n_codes * m)
    return sums.reshape(n_rows, n_codes, m)


def _values(head: np.ndarray, coefficients: np.ndarray, delta: np.ndarray, top: np.ndarray,
            shares: np.ndarray) -> np.ndarray:
    """All players' values from the additive head and the products' coefficients.

    The eliminated last player gets ``delta - sum(head) - sum(a)`` (every product goes from 0
    to 1), and each product's coefficient is shared among its members.
    """
    last = delta - head.sum(axis=-2) - coefficients.sum(axis=-2)
    out = np.concatenate([head, last[..., None, :]], axis=-2)
    out[np.arange(out.shape[0])[:, None], top] += np.matmul(shares.T, coefficients)  # distinct per row
    return out


def _variance(stage: StageSolver, codes: np.ndarray, table: np.ndarray, residual: np.ndarray,
              through: np.ndarray, schur: np.ndarray, top: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Infinitesimal-jackknife variance of the joint fit, (n_rows, n_players, n_outputs).

    A unit of weight on pair ``u`` moves the coefficients by ``(X^T W X)^-1 g_u`` with
    ``g_u = (r_u d_u, c_u e_u + c_u' e_u')`` (``d_u = e_u - e_u'``), and the values by
    ``L' g_u`` with ``L' = L (X^T W X)^-1``; as in
    :func:`~explain.explainers._kernel_solve.resampled_variance`, value ``i`` varies by
    ``s^2 L'_i G L'_i^T`` with ``G = sum_u b_u (g_u - g_bar)(g_u - g_bar)^T`` (``b_u = c_u
    rho_u^2``), computed without forming the values' moves pair by pair, as ``S - g_bar t^T -
    t g_bar^T + (sum b) g_bar g_bar^T`` (``S = sum b g g^T``, ``t = sum b g``). A pair's first
    member has a code ``c`` (its row ``c_u`` of the table), its complement the code with every
    bit flipped, so every sum with a product part is a sum over codes of per-code sums
    (:func:`~explain.explainers._kernel_codes.pair_sums`, which also takes the additive block
    ``sum b d^2 r r^T`` over each pair's members).
    """
    first, second = slice(stage.n_fixed, None, 2), slice(stage.n_fixed + 1, None, 2)
    bread, inverse = _bread(stage.inverse, through, schur, top, shares)  # (rows, M, q + p)
    variance = np.empty((residual.shape[0], bread.shape[1], residual.shape[2]))
    regressors, mass = stage.pair_regressors, stage.counts * stage.factors
    weight = mass * stage.factors
    code_first = codes[:, first]
    n_codes = table.shape[0]
    other = table[(n_codes - 1) ^ np.arange(n_codes)]  # the complement's row of every code
    q, size = regressors.shape[1], regressors.shape[1] + table.shape[1]
    for o in range(residual.shape[2]):
        e_first, e_second = residual[:, first, o], residual[:, second, o]
        d = e_first - e_second
        scalars = np.stack([mass * e_first, mass * e_second, weight * e_first, weight * e_second,
                            weight * e_first**2, weight * e_second**2, weight * e_first * e_second], axis=1)
        wd = weight * d
        sums, vectors, additive = pair_sums(code_first, scalars,
                                            np.stack([wd * e_first, wd * e_second], axis=1), wd * d,
                                            regressors, n_codes)
        # row by row (a stack of one-row products), so that a row's rounding does not depend on
        # the rows beside it (see _kernel_solve.additive_rows)
        by_code = (np.matmul(sums[:, :4, None, :], table)[:, :, 0],
                   np.matmul(sums[:, :4, None, :], other)[:, :, 0])
        centre = np.concatenate([np.matmul((mass * d)[:, None], regressors)[:, 0],
                                 by_code[0][:, 0] + by_code[1][:, 1]], axis=1) / mass.sum()
        total = np.concatenate([np.matmul(wd[:, None], regressors)[:, 0],
                                by_code[0][:, 2] + by_code[1][:, 3]], axis=1)
        meat = np.empty((d.shape[0], size, size))
        meat[:, :q, :q] = additive
        meat[:, :q, q:] = np.matmul(vectors[:, 0], table) + np.matmul(vectors[:, 1], other)
        meat[:, q:, :q] = meat[:, :q, q:].transpose(0, 2, 1)
        mixed = np.matmul(table.T, sums[:, 6, :, None] * other)
        meat[:, q:, q:] = (np.matmul(table.T, sums[:, 4, :, None] * table)
                           + np.matmul(other.T, sums[:, 5, :, None] * other) + mixed
                           + mixed.transpose(0, 2, 1))
        outer = centre[:, :, None] * total[:, None, :]  # G = S - g t' - t g' + (sum b) g g'
        meat += (weight.sum() * centre[:, :, None] * centre[:, None, :] - outer
                 - outer.transpose(0, 2, 1))
        variance[:, :, o] = (np.matmul(bread, meat) * bread).sum(axis=2)
    fixed_products = table[codes[:, :stage.n_fixed]]
    factor = small_sample_factor(stage.counts.size, _sampled_dof(stage, fixed_products, inverse))
    # a quadratic form, negative only by rounding where the products fit the game exactly:
    # its size (not 0) keeps a standard error of the order of the values' rounding
    return np.abs(variance * stage.scale**2) * np.asarray(factor)[:, None, None]


def _sampled_dof(stage: StageSolver, products: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """Coefficients fitted by the sampled pairs: ``q + p - trace((X^T W X)^-1 X_f^T W_f X_f)``;
    ``products`` holds the enumerated coalitions' product regressors, (rows, n_fixed, p)."""
    fixed, weights = slice(0, stage.n_fixed), stage.weights[:stage.n_fixed]
    regressors = stage.regressors[fixed]
    cross = np.matmul((regressors * weights[:, None]).T, products)  # (rows, q, p)
    gram = np.matmul(products.transpose(0, 2, 1) * weights, products)  # (rows, p, p)
    q = regressors.shape[1]
    share = (np.sum(inverse[:, :q, :q] * stage.fixed_gram, axis=(1, 2))
             + 2.0 * np.sum(inverse[:, :q, q:] * cross, axis=(1, 2))
             + np.sum(inverse[:, q:, q:] * gram, axis=(1, 2)))
    return inverse.shape[1] - share


def _bread(inverse: np.ndarray, through: np.ndarray, schur: np.ndarray, top: np.ndarray,
           shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``L (X^T W X)^-1`` (how the values move with the normal equations' right-hand side),
    and ``(X^T W X)^-1`` itself, (rows, q + p, q + p).

    By blocks, ``(X^T W X)^-1 = [[A^-1 + T S^-1 T^T, -T S^-1], [-S^-1 T^T, S^-1]]`` with
    ``T = A^-1 B``; ``L`` maps (additive head, products) to all players' values.
    """
    across = np.matmul(schur, through.transpose(0, 2, 1))  # S^-1 T^T: (rows, p, q)
    head = np.concatenate([inverse + np.matmul(through, across), -across.transpose(0, 2, 1)], axis=2)
    products = np.concatenate([-across, schur], axis=2)  # (rows, p, q + p)
    last = -head.sum(axis=1) - products.sum(axis=1)
    out = np.concatenate([head, last[:, None, :]], axis=1)
    out[np.arange(out.shape[0])[:, None], top] += np.matmul(shares.T, products)
    return out, np.concatenate([head, products], axis=1)
