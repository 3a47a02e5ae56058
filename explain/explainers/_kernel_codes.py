"""Sums over a row's coalitions grouped by coalition code, compiled by numba.

The regression adjustment (:mod:`explain.explainers._kernel_adjust`) regresses a row's
coalition values on products of its ``k`` leading players. A product's regressor takes one of
``2**(k + 1)`` values per coalition (its *code*: which leading players and whether the last
player are in it), so every sum over the coalitions of a product regressor times something
else (``R^T W C``, the sandwich variance's mixed and product blocks) is a sum over codes of a
per-code sum. These kernels take the per-code sums in one pass over the coalitions, where
forming the product regressors for every coalition (``n_coalitions x p`` per row) and
multiplying would cost ``p`` times more (``p`` = 26 products for ``k = 5``).

Why hand-written: NumPy's ``bincount`` takes one weight column per call and needs an index
array as large as the data; a grouped sum over several columns at once is not in NumPy or
SciPy. Each row is summed on its own, in coalition order, so a row's sums do not depend on
the rows beside it.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["code_sums", "pair_sums"]


@numba.njit(nogil=True, cache=True)
def _code_sums(codes: np.ndarray, values_t: np.ndarray, n_codes: int) -> np.ndarray:  # pragma: no cover
    n_rows, n = codes.shape
    q = values_t.shape[0]
    out = np.zeros((n_rows, q, n_codes))
    for r in range(n_rows):
        for i in range(n):
            c = codes[r, i]
            for j in range(q):
                out[r, j, c] += values_t[j, i]
    return out


def code_sums(codes: np.ndarray, values_t: np.ndarray, n_codes: int) -> np.ndarray:
    """``out[r, j, c] = sum of values_t[j, i] over the coalitions i of row r with code c``.

    Parameters
    ----------
    codes : ndarray of shape (n_rows, n_coalitions)
        Each row's code of every coalition, in ``[0, n_codes)``.
    values_t : ndarray of shape (q, n_coalitions)
        Values shared by the rows (e.g. the weighted regressors ``R^T W``).
    n_codes : int
        Number of codes.

    Returns
    -------
    ndarray of shape (n_rows, q, n_codes)
    """
    return _code_sums(np.ascontiguousarray(codes, dtype=np.int64),
                      np.ascontiguousarray(values_t, dtype=np.float64), int(n_codes))


@numba.njit(nogil=True, cache=True)
def _pair_sums(codes: np.ndarray, scalars: np.ndarray, vectors: np.ndarray, starts: np.ndarray,
               players: np.ndarray, entries: np.ndarray, q: int,
               n_codes: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    n_rows, n_units = codes.shape
    n_scalars, n_vectors = scalars.shape[1], vectors.shape[1]
    out_s = np.zeros((n_rows, n_scalars, n_codes))
    out_v = np.zeros((n_rows, n_vectors, q, n_codes))
    for r in range(n_rows):
        for u in range(n_units):
            c = codes[r, u]
            for s in range(n_scalars):
                out_s[r, s, c] += scalars[r, s, u]
            lo, hi = starts[u], starts[u + 1]
            for v in range(n_vectors):
                b = vectors[r, v, u]
                for t in range(lo, hi):
                    out_v[r, v, players[t], c] += b * entries[t]
    return out_s, out_v


def pair_sums(codes: np.ndarray, scalars: np.ndarray, vectors: np.ndarray, additive: np.ndarray,
              regressors: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-code sums over each row's sampled pairs, and the additive block of the variance.

    A sampled pair's first member does not hold the last player, so its regressor ``r_u`` is
    its 0/1 mask of the other players: the per-code sums run over each regressor's nonzero
    entries only (about half the players) instead of products with every regressor.

    Parameters
    ----------
    codes : ndarray of shape (n_rows, n_units)
        The code of every pair's first member, per row.
    scalars : ndarray of shape (n_rows, n_scalars, n_units)
        Per-pair scalars to sum by code.
    vectors : ndarray of shape (n_rows, n_vectors, n_units)
        Per-pair scalars ``b_u`` whose products with the pair's regressor ``r_u`` are summed.
    additive : ndarray of shape (n_rows, n_units)
        Per-pair weights ``a_u`` of the additive block.
    regressors : ndarray of shape (n_units, q)
        The pairs' regressors, shared by the rows.
    n_codes : int
        Number of codes.

    Returns
    -------
    scalar_sums : ndarray of shape (n_rows, n_scalars, n_codes)
    vector_sums : ndarray of shape (n_rows, n_vectors, q, n_codes)
    additive_block : ndarray of shape (n_rows, q, q)
        ``sum_u a_u r_u r_u^T`` per row.
    """
    units, players = np.nonzero(regressors)
    starts = np.searchsorted(units, np.arange(regressors.shape[0] + 1))
    sums, vector_sums = _pair_sums(np.ascontiguousarray(codes, dtype=np.int64),
                                   np.ascontiguousarray(scalars, dtype=np.float64),
                                   np.ascontiguousarray(vectors, dtype=np.float64),
                                   starts.astype(np.int64), players.astype(np.int64),
                                   np.ascontiguousarray(regressors[units, players], dtype=np.float64),
                                   int(regressors.shape[1]), int(n_codes))
    # the additive block is a dense product (BLAS): two to three times faster than summing
    # each pair's outer product over its nonzero entries; one product per row (a stack), so
    # that a row's rounding does not depend on the rows beside it
    block = np.matmul(regressors.T[None] * np.asarray(additive, dtype=np.float64)[:, None, :], regressors)
    return sums, vector_sums, block
