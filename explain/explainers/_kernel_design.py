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
  their Shapley-kernel mass, *every* draw together with its complement (antithetic pairs, also
  for the middle size ``M / 2``, which shap leaves unpaired), duplicate pairs adding weight.
  Paired sampling makes the regression exact for games without interactions of order three or
  more, so only those contribute error.
* **Bootstrap resamples** for the standard errors resample the random pairs of every design
  (the enumerated sizes are kept fixed), independently per background row as they were drawn.

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

__all__ = ["CoalitionDesign", "Game", "draw_games", "exact_design", "sampled_design"]


@dataclass(frozen=True)
class CoalitionDesign:
    """Coalitions shared by all rows: ``masks[:n_fixed]`` enumerated, the rest sampled.

    Sampled coalition ``j`` belongs to sampling unit ``unit_of_coalition[j]`` (a draw and, for
    paired sizes, its complement); ``draw_units`` holds the unit of every random draw, so a
    unit's weight is its number of draws.  Sampled weights sum to ``sampled_weight``.

    Attributes
    ----------
    masks : ndarray of shape (n_coalitions, n_players)
        Boolean player masks, enumerated coalitions first.
    weights : ndarray of shape (n_coalitions,)
        Shapley-kernel regression weights; they sum to 1.
    n_fixed : int
        Number of enumerated coalitions.
    unit_of_coalition : ndarray of shape (n_coalitions - n_fixed,)
        Sampling unit of every sampled coalition.
    draw_units : ndarray of shape (n_draws,)
        Sampling unit of every random draw, duplicates included.
    sampled_weight : float
        Kernel mass of the sampled sizes.
    """

    masks: np.ndarray
    weights: np.ndarray
    n_fixed: int
    unit_of_coalition: np.ndarray
    draw_units: np.ndarray
    sampled_weight: float


@dataclass(frozen=True)
class Game:
    """A coalition game solved on its own design.

    ``v(S) = sum_j background_weights[j] * f(x_S, background[j])``; its solution enters the
    result with weight ``weight``.  ``expected`` is ``v(empty)``; ``bootstrap`` holds the
    design weights of every bootstrap resample, (n_bootstrap, n_coalitions), or ``None``.
    """

    design: CoalitionDesign
    background: np.ndarray
    background_weights: np.ndarray
    weight: float
    expected: np.ndarray
    bootstrap: np.ndarray | None


def draw_games(
    n_players: int,
    exact: bool,
    budget: int,
    background: np.ndarray,
    weights: np.ndarray,
    background_output: np.ndarray,
    n_bootstrap: int,
    rng: np.random.Generator,
) -> list[Game]:
    """One game on the whole background when exact, else one per background row (own design).

    Parameters
    ----------
    n_players : int
        Number of players, at least 2.
    exact : bool
        Whether to enumerate every coalition (``rng`` is then not used).
    budget : int
        Coalitions per sampled design, at least ``2 * n_players``.
    background : ndarray of shape (n_background, n_columns)
        Background rows.
    weights : ndarray of shape (n_background,)
        Background weights summing to 1; rows of weight 0 get no game.
    background_output : ndarray of shape (n_background, n_outputs)
        Model output on the background rows.
    n_bootstrap : int
        Bootstrap resamples per sampled design (0: none).
    rng : Generator
        Source of the designs, then of the bootstrap resamples, in background-row order.

    Returns
    -------
    list of Game
    """
    keep = np.flatnonzero(weights > 0)
    if exact:
        normalised = weights[keep]
        expected = normalised @ background_output[keep]
        return [Game(exact_design(n_players), background[keep], normalised, 1.0, expected, None)]
    # every design is drawn before any bootstrap resample: the order fixes the seeded values
    designs = [sampled_design(n_players, budget, rng) for _ in keep]
    return [
        Game(
            design,
            background[[b]],
            np.ones(1),
            float(weights[b]),
            background_output[b],
            _bootstrap_weights(design, n_bootstrap, rng) if n_bootstrap else None,
        )
        for b, design in zip(keep, designs, strict=True)
    ]


def exact_design(n_players: int) -> CoalitionDesign:
    """Every coalition but the empty and the full one, weighted by the Shapley kernel."""
    codes = np.arange(1, 2**n_players - 1, dtype=np.int64)
    masks = ((codes[:, None] >> np.arange(n_players)) & 1).astype(bool)
    sizes = masks.sum(axis=1)
    binomials = np.array([comb(n_players, k) for k in range(n_players + 1)], dtype=np.float64)
    weights = (n_players - 1.0) / (binomials[sizes] * sizes * (n_players - sizes))
    empty = np.zeros(0, dtype=np.intp)
    return CoalitionDesign(masks, weights / weights.sum(), masks.shape[0], empty, empty, 0.0)


def sampled_design(n_players: int, budget: int, rng: np.random.Generator) -> CoalitionDesign:
    """Enumerated outer sizes plus antithetic pairs drawn from the other sizes.

    Parameters
    ----------
    n_players : int
        Number of players, at least 2.
    budget : int
        Largest number of coalitions in the design.
    rng : Generator
        Source of the draws.

    Returns
    -------
    CoalitionDesign
        At most ``budget`` distinct coalitions whose weights sum to 1.

    Examples
    --------
    >>> design = sampled_design(10, 300, np.random.default_rng(0))
    >>> bool(design.masks.shape[0] <= 300 and np.isclose(design.weights.sum(), 1.0))
    True
    """
    fixed, n_full = _enumerated_part(n_players, budget)
    sizes, mass, _ = _size_weights(n_players)
    rest = mass[n_full:]
    n_pairs = (budget - fixed.n_fixed) // 2
    masks, unit_of_coalition, draw_units = _draw_pairs(
        n_players, sizes[n_full:], rest / rest.sum() if rest.size else rest, n_pairs, rng
    )
    sampled = _unit_weights(draw_units, unit_of_coalition, fixed.sampled_weight)
    return CoalitionDesign(
        np.vstack([fixed.masks, masks]),
        np.concatenate([fixed.weights, sampled]),
        fixed.n_fixed,
        unit_of_coalition,
        draw_units,
        fixed.sampled_weight,
    )


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


def _enumerated_part(n_players: int, budget: int) -> tuple[CoalitionDesign, int]:
    """Complete subset sizes, from the outside in, while the budget allows (shap's rule).

    Returns the enumerated coalitions as a design without draws (``sampled_weight`` is the
    kernel mass left to sampling) and the number of size classes enumerated.
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
    empty = np.zeros(0, dtype=np.intp)
    n_full = len(blocks)
    left_mass = float(mass[n_full:].sum())
    return CoalitionDesign(fixed, weights, fixed.shape[0], empty, empty, left_mass), n_full


def _draw_pairs(
    n_players: int,
    sizes: np.ndarray,
    probabilities: np.ndarray,
    n_pairs: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw coalitions with their complements until ``n_pairs`` distinct pairs are found.

    A size class is drawn with ``probabilities`` (kernel mass of sizes ``s`` and ``M - s``),
    then a uniform subset of that size.  Returns the masks (the pairs' members without the
    last player, then their complements), the pair of every coalition and the pair of every
    draw (duplicates included: they add weight).
    """
    empty = np.zeros(0, dtype=np.intp)
    if n_pairs <= 0 or sizes.size == 0:
        return np.zeros((0, n_players), dtype=bool), empty, empty
    n_draws = 4 * n_pairs
    draw_sizes = sizes[rng.choice(sizes.size, size=n_draws, p=probabilities)]
    order = np.argsort(rng.random((n_draws, n_players)), axis=1)
    draws = np.empty((n_draws, n_players), dtype=bool)
    np.put_along_axis(draws, order, np.arange(n_players) < draw_sizes[:, None], axis=1)
    named_by_complement = draws[:, -1]
    draws[named_by_complement] = ~draws[named_by_complement]  # one name per pair
    unique, first, inverse = np.unique(draws, axis=0, return_index=True, return_inverse=True)
    by_first = np.argsort(first)  # pairs numbered in order of first appearance
    rank = np.empty_like(by_first)
    rank[by_first] = np.arange(by_first.size)
    n_units = min(n_pairs, by_first.size)
    stop = first[by_first[n_units]] if n_units < by_first.size else n_draws
    draw_units = rank[inverse.reshape(-1)[:stop]]
    unit_masks = unique[by_first[:n_units]]
    units = np.arange(n_units)
    return np.vstack([unit_masks, ~unit_masks]), np.concatenate([units, units]), draw_units


def _unit_weights(draws: np.ndarray, unit_of_coalition: np.ndarray, total: float) -> np.ndarray:
    """Weights of the sampled coalitions: draw counts, rescaled to sum ``total``."""
    if unit_of_coalition.size == 0:
        return np.zeros(0)
    counts = np.bincount(draws, minlength=int(unit_of_coalition.max()) + 1)
    weights = counts[unit_of_coalition].astype(np.float64)
    return weights * (total / weights.sum())


def _bootstrap_weights(
    design: CoalitionDesign, n_bootstrap: int, rng: np.random.Generator
) -> np.ndarray:
    """Design weights under ``n_bootstrap`` resamples of the random draws, (n_bootstrap, n)."""
    resampled = np.tile(design.weights, (n_bootstrap, 1))
    n_draws = design.draw_units.size
    for resample in resampled if n_draws else ():
        draws = design.draw_units[rng.integers(0, n_draws, size=n_draws)]
        resample[design.n_fixed :] = _unit_weights(draws, design.unit_of_coalition, design.sampled_weight)
    return resampled
