"""A surrogate's SHAP values in probability space (``MimicExplainer(shap_values_output=...)``).

A classifier surrogate's exact SHAP values add up to its log-odds (or softmax logits). When
asked for probabilities, interpret-community corrected the values per row so that they add
up to a probability. The same is done here, in two steps, and the explanation records it:

1. binary surrogates: each row's log-odds values are multiplied by
   ``(expit(z) - expit(e)) / (z - e)`` (``z`` the row's log-odds, ``e`` the expected
   log-odds; the slope of the logistic at ``e`` when ``z == e``), which keeps every value's
   sign and share and makes them add up to the surrogate's probability exactly;
2. any remaining difference to the target (a multiclass surrogate's softmax probability, or
   the *model's* own probability or prediction for ``"teacher_probability"``) is spread
   over the features in proportion to ``|value|``, beyond their total evenly
   (interpret-community's correction, ``_scale_single_shap_matrix``).

The values then add up to the target exactly; they approximate probability-space Shapley
values (the logistic is not linear), which the fidelity notes say.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, softmax

__all__ = ["NOTES", "binary_probability", "softmax_probability", "spread_to_target"]

NOTES = {
    "probability": "values rescaled per row from the surrogate's log-odds to its probability "
                   "(additive; an approximation of probability-space Shapley values)",
    "teacher_probability": "values corrected per row to add up to the model's own output "
                           "(interpret-community's teacher_probability; approximate Shapley values)",
}


def binary_probability(values: np.ndarray, expected: np.ndarray, output: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-odds values of one output (1, n, f) as two-class probability values (2, n, f).

    Returns values, expected ``[1 - p0, p0]`` and output ``[1 - p, p]`` (p the surrogate's
    probability of the positive class).
    """
    z, e = output[0], float(expected[0])
    p, p0 = expit(z), float(expit(e))
    delta = z - e
    slope = p0 * (1.0 - p0)
    safe = np.abs(delta) > 1e-12
    scale = np.where(safe, (p - p0) / np.where(safe, delta, 1.0), slope)
    positive = values[0] * scale[:, None]
    return (np.stack([-positive, positive]), np.array([1.0 - p0, p0]),
            np.stack([1.0 - p, p]))


def softmax_probability(expected: np.ndarray, output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected and per-row probabilities (k,) and (k, n) of softmax logits (k,) and (k, n)."""
    return softmax(expected), softmax(output, axis=0)


def spread_to_target(values: np.ndarray, expected: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Correct values (k, n, f) so that each row adds up to ``target`` (k, n) minus ``expected``.

    The error is spread over the features in proportion to ``|value|`` up to the row's total
    ``|value|``, and the rest evenly (interpret-community's correction).
    """
    error = target - expected[:, None] - values.sum(axis=2)
    magnitude = np.abs(values)
    total = magnitude.sum(axis=2)
    sign = np.sign(error)
    proportional = (sign * np.minimum(np.abs(error), total))[:, :, None] * magnitude / np.where(
        total > 0, total, 1.0)[:, :, None]
    flat = (sign * np.maximum(np.abs(error) - total, 0.0))[:, :, None] / values.shape[2]
    return values + proportional + flat
