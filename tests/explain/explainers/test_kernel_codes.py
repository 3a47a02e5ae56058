"""Per-code sums of the regression adjustment: equal to the sums they replace."""

from __future__ import annotations

import numpy as np
import pytest

from explain.explainers._kernel_codes import code_sums, pair_sums

N_CODES = 8


@pytest.fixture()
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    n_rows, n, q = 3, 40, 5
    return {"codes": rng.integers(0, N_CODES, (n_rows, n)), "values_t": rng.normal(size=(q, n)),
            "scalars": rng.normal(size=(n_rows, 4, n)), "vectors": rng.normal(size=(n_rows, 2, n)),
            "additive": rng.normal(size=(n_rows, n)), "binary": (rng.random((n, q)) < 0.5).astype(float)}


def _by_code(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """sum over i with codes[i] == c of values[..., i], by plain indexing."""
    return np.stack([values[..., codes == c].sum(axis=-1) for c in range(N_CODES)], axis=-1)


def test_code_sums_equal_the_grouped_sums(data: dict[str, np.ndarray]) -> None:
    out = code_sums(data["codes"], data["values_t"], N_CODES)
    for r, codes in enumerate(data["codes"]):
        np.testing.assert_allclose(out[r], _by_code(codes, data["values_t"]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["binary", "dense"])
def test_pair_sums_equal_the_grouped_sums_and_the_additive_block(data: dict[str, np.ndarray],
                                                                  kind: str) -> None:
    regressors = data["binary"] if kind == "binary" else data["binary"] - 0.25  # not 0/1: the dense path
    sums, vectors, additive = pair_sums(data["codes"], data["scalars"], data["vectors"], data["additive"],
                                        regressors, N_CODES)
    for r, codes in enumerate(data["codes"]):
        np.testing.assert_allclose(sums[r], _by_code(codes, data["scalars"][r]), rtol=1e-12, atol=1e-12)
        for v in range(2):
            expected = _by_code(codes, data["vectors"][r, v][None, :] * regressors.T)
            np.testing.assert_allclose(vectors[r, v], expected, rtol=1e-12, atol=1e-12)
        block = (regressors * data["additive"][r][:, None]).T @ regressors
        np.testing.assert_allclose(additive[r], block, rtol=1e-12, atol=1e-12)
