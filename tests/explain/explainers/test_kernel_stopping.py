"""Kernel SHAP's staged designs: when a row stops, and the designs the stages share."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from explain.explainers._kernel_design import sampled_design
from explain.explainers._kernel_plan import build_plan
from explain.explainers._kernel_shap import kernel_shap_values, resolve_budgets


def _products(Z: np.ndarray) -> np.ndarray:
    """Interactions of every order among the first six columns (what an additive fit misses)."""
    return np.prod(1.0 + np.tanh(Z[:, :6]), axis=1) + 0.2 * Z[:, 6:].sum(axis=1)


def test_stages_grow_by_half_from_eight_coalitions_per_player() -> None:
    exact, stages = resolve_budgets("auto", 30, 12, tolerance=0.02)
    assert not exact and stages[0] == 240 and stages[-1] == 2 * 30 + 2048
    assert all(b == min(3 * a // 2, stages[-1]) for a, b in pairwise(stages))
    assert resolve_budgets("auto", 30, 12) == (False, (2108,))


def test_plan_spread_is_the_standard_deviation_of_the_output_over_the_background() -> None:
    rng = np.random.default_rng(0)
    background, weights = rng.normal(size=(5, 14)), rng.random(5)
    weights /= weights.sum()
    output = _products(background)[:, None]
    plan = build_plan(np.arange(14), False, (128, 192), background, weights, output, rng, tolerance=0.1)
    mean = weights @ output[:, 0]
    assert plan.spread == pytest.approx(np.sqrt(weights @ (output[:, 0] - mean) ** 2))


def test_rows_stop_once_their_error_is_small_for_the_coalitions_spent() -> None:
    # a row equal to a background row has a null game there (no error); rows far from the
    # background have interactions the additive fit misses and get more coalitions, the
    # noisier the more, while a threshold growing with the stage stops them before the end
    rng = np.random.default_rng(1)
    background = rng.normal(size=(3, 14))
    X = np.vstack([background[:2], 1.5 * rng.normal(size=(6, 14))])
    result = kernel_shap_values(_products, X, background, nsamples=1_000, max_exact_players=0,
                                tolerance=0.02, interactions=0)
    assert result.evaluations[:2].max() < result.evaluations[2:].max() < 3 * 1_000
    gap = result.values.sum(axis=2) + result.expected_values[:, None] - result.model_output
    assert np.abs(gap).max() < 1e-10
    loose = kernel_shap_values(_products, X, background, nsamples=1_000, max_exact_players=0,
                               tolerance=0.2, interactions=0)
    assert loose.evaluations.sum() < result.evaluations.sum()


def test_a_game_the_regression_fits_exactly_stops_every_row_at_the_first_stage() -> None:
    rng = np.random.default_rng(2)
    X, background = rng.normal(size=(4, 14)), rng.normal(size=(3, 14))
    result = kernel_shap_values(lambda Z: Z @ np.arange(14.0), X, background, nsamples=1_000,
                                max_exact_players=0, tolerance=0.01)
    assert np.all(result.evaluations == 3 * 128)
    np.testing.assert_allclose(result.values[0], (X - background.mean(axis=0)) * np.arange(14.0), atol=1e-9)


def test_sampled_designs_draw_distinct_pairs_with_their_repeats() -> None:
    design = sampled_design(30, 2_108, np.random.default_rng(3), 240)
    units = design.masks[design.n_fixed::2]
    assert np.unique(units, axis=0).shape[0] == units.shape[0] == design.n_units
    assert not units[:, -1].any() and np.array_equal(design.masks[design.n_fixed + 1::2], ~units)
    # every pair was drawn at least once, in order of first appearance
    counts = np.bincount(design.draw_units, minlength=design.n_units)
    assert counts.min() >= 1
    assert np.all(np.diff(np.unique(design.draw_units, return_index=True)[1]) > 0)


def test_one_background_row_scales_the_rule_by_each_row() -> None:
    # the model is constant on a one-row background (no spread): the rule falls back on
    # |f(x) - E f|, so an additive game still stops every row at the first stage
    rng = np.random.default_rng(4)
    X, background = rng.normal(size=(3, 14)), rng.normal(size=(1, 14))
    result = kernel_shap_values(lambda Z: Z @ np.arange(14.0), X, background, nsamples=1_000,
                                max_exact_players=0, tolerance=0.01)
    assert np.all(result.evaluations == 128)
