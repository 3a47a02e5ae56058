"""The additive Kernel SHAP regression's standard errors: the expanded form equals the definition."""

from __future__ import annotations

import numpy as np

from explain.explainers._kernel_design import sampled_design
from explain.explainers._kernel_plan import _stages
from explain.explainers._kernel_solve import _pair_variance, resampled_variance


def test_pair_variance_equals_the_resampled_variance_of_every_row_and_output() -> None:
    rng = np.random.default_rng(0)
    design = sampled_design(9, 200, rng)
    stage = _stages(design, (200,))[0]
    pairs = rng.normal(size=(4, stage.counts.size, 3))
    pairs[1] *= 1e-6  # small residuals: the expansion keeps its relative accuracy
    out = _pair_variance(stage, pairs)
    assert out.shape == (4, 9, 3)
    for r in range(4):
        for o in range(3):
            expected = resampled_variance(stage, stage.moves * pairs[r, :, o])
            np.testing.assert_allclose(out[r, :, o], expected, rtol=1e-9)


def test_pair_variance_is_zero_when_the_residuals_are() -> None:
    design = sampled_design(6, 60, np.random.default_rng(1))
    stage = _stages(design, (60,))[0]
    out = _pair_variance(stage, np.zeros((2, stage.counts.size, 1)))
    np.testing.assert_array_equal(out, 0.0)
