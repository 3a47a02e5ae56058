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

from explain.explainers._kernel_solve import StageSolver, finish_rows

__all__ = ["adjusted_rows", "leading_players", "product_count", "products"]

_IDENTIFIED = 1e-6  # smallest / largest eigenvalue of a Schur complement that counts as regular


@functools.cache
def products(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Products of two or more of ``k`` local players.

    Returns
    -------
    contains : ndarray of shape (2**k, p)
        ``m_T`` of every coalition code (bit ``i``: local player ``i`` present).
    shares : ndarray of shape (p, k)
        Each member's share of a product's Shapley value per unit coefficient: ``1 / |T|``.
    """
    members = [T for size in range(2, k + 1) for T in combinations(range(k), size)]
    codes = np.arange(2**k)
    contains = np.zeros((codes.size, len(members)))
    shares = np.zeros((len(members), k))
    for t, product in enumerate(members):
        bits = sum(1 << i for i in product)
        contains[:, t] = (codes & bits) == bits
        shares[t, list(product)] = 1.0 / len(product)
    return contains, shares


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
    contains, shares = products(top.shape[1])
    z = stage.masks.astype(np.float64)
    regressors = z[:, :-1] - z[:, -1:]
    codes = (stage.masks[:, top] * (1 << np.arange(top.shape[1]))).sum(axis=2).T  # (rows, n)
    extra = contains[codes] - z[:, -1:]  # m_T(z) - z_M: the last player eliminated
    weighted_extra_t = (extra * stage.weights[:, None]).transpose(0, 2, 1)
    cross = np.matmul((regressors * stage.weights[:, None]).T, extra)  # B = R^T W C
    through = np.matmul(stage.inverse, cross)  # A^+ B
    gram = np.matmul(weighted_extra_t, extra) - np.matmul(cross.transpose(0, 2, 1), through)
    eigenvalues, vectors = np.linalg.eigh(gram)  # the Schur complement of A
    done = eigenvalues[:, 0] > _IDENTIFIED * np.maximum(eigenvalues[:, -1], 0.0)
    eigenvalues, vectors = eigenvalues[done], vectors[done]
    schur = np.matmul(vectors / eigenvalues[:, None, :], vectors.transpose(0, 2, 1))
    extra, weighted_extra_t, through, top = extra[done], weighted_extra_t[done], through[done], top[done]
    adjusted, head, delta = adjusted[done], head[done], delta[done]
    residual = adjusted - np.matmul(regressors, head)
    coefficients = np.matmul(schur, np.matmul(weighted_extra_t, residual))  # (rows, p, out)
    head = head - np.matmul(through, coefficients)
    phi = _values(head, coefficients, delta, top, shares)
    if not with_variance:
        return done, phi, None
    residual = adjusted - np.matmul(regressors, head) - np.matmul(extra, coefficients)
    return done, phi, _variance(stage, extra, residual, through, schur, top, shares)


def _values(head: np.ndarray, coefficients: np.ndarray, delta: np.ndarray, top: np.ndarray,
            shares: np.ndarray) -> np.ndarray:
    """All players' values from the additive head and the products' coefficients.

    The eliminated last player gets ``delta - sum(head) - sum(a)`` (every product goes from 0
    to 1), and each product's coefficient is shared among its members.
    """
    last = delta - head.sum(axis=-2) - coefficients.sum(axis=-2)
    out = np.concatenate([head, last[..., None, :]], axis=-2)
    np.add.at(out, (np.arange(out.shape[0])[:, None], top), np.matmul(shares.T, coefficients))
    return out


def _variance(stage: StageSolver, extra: np.ndarray, residual: np.ndarray, through: np.ndarray,
              schur: np.ndarray, top: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Infinitesimal-jackknife variance of the joint fit, (n_rows, n_players, n_outputs).

    A unit of weight on pair ``u`` moves the coefficients by ``(X^T W X)^-1 g_u`` with
    ``g_u = (r_u d_u, c_u e_u + c_u' e_u')`` (``d_u = e_u - e_u'``); by blocks,
    ``da = S^-1 (g_c - B^T A^-1 g_r)`` and ``db = A^-1 g_r - A^-1 B da``.
    """
    first, second = slice(stage.n_fixed, None, 2), slice(stage.n_fixed + 1, None, 2)
    projected = np.matmul(through.transpose(0, 2, 1), stage.pair_inverse)  # B^T A^-1 r_u: (rows, p, U)
    variance = np.empty((residual.shape[0], stage.masks.shape[1], residual.shape[2]))
    for o in range(residual.shape[2]):
        e_first, e_second = residual[:, first, o], residual[:, second, o]
        d = (e_first - e_second)[:, None, :]  # (rows, 1, U)
        g_c = (extra[:, first] * e_first[:, :, None] + extra[:, second] * e_second[:, :, None])
        da = np.matmul(schur, g_c.transpose(0, 2, 1) - projected * d)
        db = stage.pair_inverse * d - np.matmul(through, da)
        moved = _values(db, da, np.zeros((db.shape[0], db.shape[2])), top, shares)  # (rows, M, U)
        spread = (moved * stage.counts).sum(axis=2)
        variance[:, :, o] = (moved * moved * stage.counts).sum(axis=2) - spread * spread / stage.n_draws
    return np.maximum(variance * stage.scale**2, 0.0)
