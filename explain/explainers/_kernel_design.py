"""Coalition designs of Kernel SHAP: which coalitions are evaluated, with which weights.

A *design* is the set of coalitions (player masks) on which the Kernel SHAP regression is
solved, with their Shapley-kernel weights; a *game* pairs a design with the background rows
whose expectation defines the coalition values.  This module draws them; the estimator in
:mod:`explain.explainers._kernel_shap` evaluates and solves them.

* **Exact**: every coalition but the empty and the full one, weighted by the Shapley kernel;
  one game on the whole background.
* **Sampled**: one game per background row ``b``, each with its *own* independently drawn
  design (Shapley values are linear in the game, so the per-row solutions average to the
  solution for the weighted background).  The sampling errors of the background rows are then
  independent instead of strongly positively correlated, which cuts the variance for the same
  model calls: about 2x on the benchmark's SVC (``benchmarks/README.md``).  Within a design,
  complete subset sizes are enumerated from the outside in (sizes ``s`` and ``M - s``
  together) while the budget allows, as in shap; the remaining sizes are drawn in proportion to
  the *square root* of their Shapley-kernel mass (importance-weighted back to the kernel), *every*
  draw together with its complement (antithetic pairs, also for the middle size ``M / 2``, which
  shap leaves unpaired), duplicate pairs adding weight.  Paired sampling makes the additive
  regression exact for games without interactions of order three or more, so only those
  contribute error; drawing middle sizes more often than the kernel does helps the regression
  adjustment (:mod:`explain.explainers._kernel_adjust`) tell the leading players'
  interactions apart: on the walkthrough's SVC about 2x lower variance at 384-512 coalitions,
  no worse elsewhere (``benchmarks/README.md``).
* **Stages**: a sampled design is drawn once for the largest budget; its pairs are numbered in
  the order they were first drawn, so the first ``k`` pairs with the draws made until the
  ``k + 1``-th pair appeared form the design of a smaller budget (a *stage*).  The estimator
  stops a row at the first stage where its values have converged.  The enumerated sizes are
  chosen for the first stage, so that every stage contains them.

Everything here is drawn from one generator *before* any explained row is seen, so a row's
values do not depend on the other rows or on how they are chunked.

Why hand-written: shap draws one design per explained row (inside ``KernelExplainer``'s
per-row loop), shares it across background rows and leaves the middle size unpaired; neither
shap nor scikit-learn exposes a coalition sampler that could be reused.  Drawing designs
independently of the rows is what lets the estimator batch model calls across rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

__all__ = ["CoalitionDesign", "exact_design", "sampled_design"]


@dataclass(frozen=True)
class CoalitionDesign:
    """Coalitions shared by all rows: ``masks[:n_fixed]`` enumerated, then sampled pairs.

    Sampled pair ``u`` is the coalitions ``n_fixed + 2 * u`` (a draw, named so that it does not
    hold the last player) and ``n_fixed + 2 * u + 1`` (its complement); ``draw_units`` holds the
    pair of every random draw in draw order, so a pair's weight is its number of draws.

    Attributes
    ----------
    masks : ndarray of shape (n_coalitions, n_players)
        Boolean player masks, enumerated coalitions first.
    fixed_weights : ndarray of shape (n_fixed,)
        Shapley-kernel weights of the enumerated coalitions (their kernel mass).
    n_fixed : int
        Number of enumerated coalitions.
    draw_units : ndarray of shape (n_draws,)
        Sampled pair of every random draw, duplicates included; pairs are numbered in order
        of first appearance.
    sampled_weight : float
        Kernel mass of the sampled sizes (``1 - fixed_weights.sum()``).
    unit_factors : ndarray of shape (n_units,)
        Importance weight of a draw of each pair: its size's kernel mass over its probability.
    """

    masks: np.ndarray
    fixed_weights: np.ndarray
    n_fixed: int
    draw_units: np.ndarray
    sampled_weight: float
    unit_factors: np.ndarray

    @property
    def n_units(self) -> int:
        """Number of sampled pairs."""
        return (self.masks.shape[0] - self.n_fixed) // 2

    def stage(self, n_units: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """The design of the first ``n_units`` pairs (``0 <= n_units <= self.n_units``).

        Returns
        -------
        n_coalitions : int
            ``n_fixed + 2 * n_units``: the stage is a prefix of :attr:`masks`.
        weights : ndarray of shape (n_coalitions,)
            Regression weights; they sum to 1.
        counts : ndarray of shape (n_units,)
            Draws of every pair before pair ``n_units`` was first drawn.
        factors : ndarray of shape (n_units,)
            Importance weight of a draw of every pair.
        """
        if n_units == 0:
            return self.n_fixed, self.fixed_weights / self.fixed_weights.sum(), np.zeros(0), np.zeros(0)
        stop = self.draw_units.size
        if n_units < self.n_units:
            stop = int(np.argmax(self.draw_units == n_units))
        counts = np.bincount(self.draw_units[:stop], minlength=n_units).astype(np.float64)
        factors = self.unit_factors[:n_units]
        mass = counts * factors
        sampled = np.repeat(mass * (self.sampled_weight / (2.0 * mass.sum())), 2)
        return self.n_fixed + 2 * n_units, np.concatenate([self.fixed_weights, sampled]), counts, factors


def exact_design(n_players: int) -> CoalitionDesign:
    """Every coalition but the empty and the full one, weighted by the Shapley kernel."""
    codes = np.arange(1, 2**n_players - 1, dtype=np.int64)
    masks = ((codes[:, None] >> np.arange(n_players)) & 1).astype(bool)
    sizes = masks.sum(axis=1)
    binomials = np.array([comb(n_players, k) for k in range(n_players + 1)], dtype=np.float64)
    weights = (n_players - 1.0) / (binomials[sizes] * sizes * (n_players - sizes))
    empty = np.zeros(0, dtype=np.intp)
    return CoalitionDesign(masks, weights / weights.sum(), masks.shape[0], empty, 0.0, np.zeros(0))


def sampled_design(n_players: int, budget: int, rng: np.random.Generator,
                   first_stage: int | None = None) -> CoalitionDesign:
    """Enumerated outer sizes plus antithetic pairs drawn from the other sizes.

    Parameters
    ----------
    n_players : int
        Number of players, at least 2.
    budget : int
        Largest number of coalitions in the design.
    rng : Generator
        Source of the draws.
    first_stage : int, default=None
        Budget of the smallest stage, which decides the enumerated sizes; ``budget`` when
        ``None``.

    Returns
    -------
    CoalitionDesign
        At most ``budget`` distinct coalitions.

    Examples
    --------
    >>> design = sampled_design(10, 300, np.random.default_rng(0))
    >>> n_coalitions, weights, _, _ = design.stage(design.n_units)
    >>> bool(n_coalitions <= 300 and np.isclose(weights.sum(), 1.0))
    True
    """
    fixed, fixed_weights, n_full = _enumerated_part(n_players, first_stage or budget)
    sizes, mass, _ = _size_weights(n_players)
    rest = mass[n_full:]
    drawn = np.sqrt(rest)
    probabilities = drawn / drawn.sum() if rest.size else rest
    n_pairs = (budget - fixed.shape[0]) // 2
    pairs, draw_units = _draw_pairs(n_players, sizes[n_full:], probabilities, n_pairs, rng)
    interleaved = np.empty((2 * pairs.shape[0], n_players), dtype=bool)
    interleaved[0::2], interleaved[1::2] = pairs, ~pairs
    factor_of_size = np.zeros(n_players + 1)
    if rest.size:
        factor_of_size[sizes[n_full:]] = (rest / rest.sum()) / probabilities
        factor_of_size[n_players - sizes[n_full:]] = factor_of_size[sizes[n_full:]]
    return CoalitionDesign(np.vstack([fixed, interleaved]), fixed_weights, fixed.shape[0],
                           draw_units, float(rest.sum()), factor_of_size[pairs.sum(axis=1)])


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


def _enumerated_part(n_players: int, budget: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Complete subset sizes, from the outside in, while the budget allows (shap's rule).

    Returns the enumerated masks, their kernel weights (the sizes' kernel mass, spread evenly)
    and the number of size classes enumerated.
    """
    sizes, mass, paired = _size_weights(n_players)
    remaining, left, blocks, block_weights = mass.copy(), budget, [], []
    for k, size in enumerate(sizes):
        n_subsets = comb(n_players, int(size)) * (2 if paired[k] else 1)
        if left * remaining[k] / n_subsets < 1.0 - 1e-8:
            break
        left -= n_subsets
        if remaining[k] < 1.0:
            remaining /= 1.0 - remaining[k]
        masks = _subsets_of_size(n_players, int(size))
        blocks.append(np.vstack([masks, ~masks]) if paired[k] else masks)
        block_weights.append(np.full(n_subsets, mass[k] / n_subsets))
    fixed = np.vstack(blocks) if blocks else np.zeros((0, n_players), dtype=bool)
    weights = np.concatenate(block_weights) if blocks else np.zeros(0)
    return fixed, weights, len(blocks)


def _draw(n_players: int, sizes: np.ndarray, probabilities: np.ndarray, n_draws: int,
          rng: np.random.Generator) -> np.ndarray:
    """``n_draws`` coalitions: a size class by ``probabilities``, then a uniform subset of that
    size, named by the member of its pair without the last player."""
    draw_sizes = sizes[rng.choice(sizes.size, size=n_draws, p=probabilities)]
    order = np.argsort(rng.random((n_draws, n_players)), axis=1)
    draws = np.empty((n_draws, n_players), dtype=bool)
    np.put_along_axis(draws, order, np.arange(n_players) < draw_sizes[:, None], axis=1)
    named_by_complement = draws[:, -1]
    draws[named_by_complement] = ~draws[named_by_complement]  # one name per pair
    return draws


def _draw_pairs(
    n_players: int,
    sizes: np.ndarray,
    probabilities: np.ndarray,
    n_pairs: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw coalitions with their complements until ``n_pairs`` distinct pairs are found.

    A size class (sizes ``s`` and ``M - s``) is drawn with ``probabilities``, then a uniform
    subset of that size.  Returns the pairs' members without the last player,
    in order of first appearance, and the pair of every draw (duplicates included: they add
    weight) up to the draw that would have started pair ``n_pairs``.
    """
    empty = np.zeros(0, dtype=np.intp)
    if n_pairs <= 0 or sizes.size == 0:
        return np.zeros((0, n_players), dtype=bool), empty
    # draws in batches until pair ``n_pairs + 1`` appears (a few more than ``n_pairs`` draws
    # when duplicates are rare), at most ``4 * n_pairs`` in all
    limit, batch = 4 * n_pairs, n_pairs + n_pairs // 4 + 8
    draws = _draw(n_players, sizes, probabilities, min(limit, batch), rng)
    while draws.shape[0] < limit and np.unique(draws, axis=0).shape[0] <= n_pairs:
        more = _draw(n_players, sizes, probabilities, min(limit - draws.shape[0], batch), rng)
        draws = np.concatenate([draws, more])
    n_draws = draws.shape[0]
    unique, first, inverse = np.unique(draws, axis=0, return_index=True, return_inverse=True)
    by_first = np.argsort(first)  # pairs numbered in order of first appearance
    rank = np.empty_like(by_first)
    rank[by_first] = np.arange(by_first.size)
    n_units = min(n_pairs, by_first.size)
    stop = first[by_first[n_units]] if n_units < by_first.size else n_draws
    return unique[by_first[:n_units]], rank[inverse.reshape(-1)[:stop]]
