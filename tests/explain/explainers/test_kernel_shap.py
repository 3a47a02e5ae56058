"""Tests of the batched Kernel SHAP implementation against definitions and shap."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from math import factorial
from types import SimpleNamespace

import numpy as np
import pytest

from explain.explainers._kernel_shap import KernelShapResult, kernel_shap_values

Predict = Callable[[np.ndarray], np.ndarray]


def _interactions(Z: np.ndarray) -> np.ndarray:
    """Nonlinear function of >= 6 columns with pairwise and three-way interactions."""
    out = np.sin(Z[:, 0] * Z[:, 1]) + Z[:, 2] ** 2 + Z[:, 3] * Z[:, 4] * Z[:, 5]
    return out + 0.3 * Z[:, 5:].sum(axis=1) + 0.5 * np.tanh(Z[:, -1] * Z[:, 0])


def _three_outputs(Z: np.ndarray) -> np.ndarray:
    base = _interactions(Z)
    return np.column_stack([base, np.exp(-(Z[:, 1] ** 2)) * Z[:, 2], Z[:, 0] * Z[:, 3] - base])


def _brute_force(
    predict: Predict,
    X: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray,
    groups: Sequence[Sequence[int]] | None = None,
) -> np.ndarray:
    """Shapley values of v_x(S) = sum_b w_b f(x_S, bg_b) from the subset formula."""
    groups = [[j] for j in range(X.shape[1])] if groups is None else groups
    n_players = len(groups)
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    codes = np.arange(2**n_players)
    player_masks = ((codes[:, None] >> np.arange(n_players)) & 1).astype(bool)
    column_masks = np.zeros((codes.size, X.shape[1]), dtype=bool)
    for player, columns in enumerate(groups):
        column_masks[:, columns] = player_masks[:, [player]]
    sizes = player_masks.sum(axis=1)
    kernel = [factorial(s) * factorial(n_players - s - 1) / factorial(n_players) for s in range(n_players)]
    result = []
    for x in X:
        synthetic = np.where(column_masks[:, None, :], x, background[None])
        out = np.asarray(predict(synthetic.reshape(-1, X.shape[1])), dtype=float)
        out = out.reshape(codes.size, background.shape[0], -1)
        v = np.einsum("cbo,b->co", out, weights)
        phi = np.zeros((n_players, v.shape[1]))
        for player in range(n_players):
            bit = 1 << player
            without = codes[(codes & bit) == 0]
            coef = np.array([kernel[s] for s in sizes[without]])
            phi[player] = coef @ (v[without | bit] - v[without])
        result.append(phi.T)
    return np.stack(result, axis=1)


def _efficiency_gap(result: KernelShapResult) -> float:
    target = result.model_output - result.expected_values[:, None]
    return float(np.max(np.abs(result.values.sum(axis=2) - target)))


@pytest.fixture(scope="module")
def problem10() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.normal(size=(15, 10)), rng.normal(size=(8, 10)), rng.random(8) + 0.2


@pytest.fixture(scope="module")
def exact10(problem10: tuple[np.ndarray, np.ndarray, np.ndarray]) -> KernelShapResult:
    X, background, weights = problem10
    return kernel_shap_values(_interactions, X, background, weights)


def test_exact_matches_brute_force_on_function() -> None:
    rng = np.random.default_rng(0)
    X, background, weights = rng.normal(size=(4, 6)), rng.normal(size=(5, 6)), rng.random(5)
    result = kernel_shap_values(_interactions, X, background, weights)
    expected = _brute_force(_interactions, X, background, weights)
    assert result.exact and result.n_coalitions == 2**6 - 2
    np.testing.assert_allclose(result.values, expected, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(result.standard_errors, 0.0)
    assert _efficiency_gap(result) < 1e-10


def test_exact_matches_brute_force_on_mlp_probabilities() -> None:
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(1)
    data = rng.normal(size=(150, 9))
    labels = (data[:, 0] * data[:, 1] > 0).astype(int) + (data[:, 2] > 0.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(12,), max_iter=300, random_state=0)
        model.fit(data, labels)
    X, background, weights = data[:3], data[100:106], np.array([1.0, 2, 0.5, 1, 3, 0.25])
    result = kernel_shap_values(model.predict_proba, X, background, weights)
    expected = _brute_force(model.predict_proba, X, background, weights)
    assert result.values.shape == (3, 3, 9)
    np.testing.assert_allclose(result.values, expected, rtol=0, atol=1e-10)
    assert _efficiency_gap(result) < 1e-10


@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_sampled_is_within_five_percent_of_exact(
    problem10: tuple[np.ndarray, np.ndarray, np.ndarray],
    exact10: KernelShapResult,
    random_state: int,
) -> None:
    # About half of the 1022 coalitions; the test function has strong 2- and 3-way
    # interactions, so at 300 the error averages ~5% (as with shap.KernelExplainer).
    X, background, weights = problem10
    sampled = kernel_shap_values(
        _interactions,
        X,
        background,
        weights,
        nsamples=500,
        max_exact_players=0,
        random_state=random_state,
    )
    assert exact10.exact and not sampled.exact
    assert sampled.n_coalitions <= 500
    error = np.mean(np.abs(sampled.values - exact10.values))
    assert error <= 0.05 * np.mean(np.abs(exact10.values))
    assert _efficiency_gap(sampled) < 1e-10
    np.testing.assert_allclose(sampled.expected_values, exact10.expected_values, rtol=1e-12)


def test_standard_errors_track_actual_error(
    problem10: tuple[np.ndarray, np.ndarray, np.ndarray], exact10: KernelShapResult
) -> None:
    X, background, weights = problem10
    sampled = kernel_shap_values(
        _interactions, X, background, weights, nsamples=150, max_exact_players=0, random_state=3
    )
    assert np.all(sampled.standard_errors > 0)
    error = np.abs(sampled.values - exact10.values)
    assert np.mean(error <= 5 * sampled.standard_errors) >= 0.9
    # errors are not wildly overstated either
    assert np.mean(sampled.standard_errors) <= 5 * np.mean(error)


def test_no_bootstrap_gives_nan_standard_errors(
    problem10: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    X, background, _ = problem10
    result = kernel_shap_values(
        _interactions, X[:2], background, nsamples=100, max_exact_players=0, standard_errors=False
    )
    assert np.all(np.isnan(result.standard_errors))


@pytest.mark.parametrize(
    "groups",
    [
        [[0, 3], [1], [2, 4, 5], [6, 7]],
        [[0, 1, 2, 3, 4, 5, 6], [7]],
        [np.array([7, 0]), np.array([1, 2, 3, 4, 5, 6])],
    ],
)
def test_groups_match_brute_force_on_grouped_game(groups: list[Sequence[int]]) -> None:
    rng = np.random.default_rng(2)
    X, background, weights = rng.normal(size=(3, 8)), rng.normal(size=(4, 8)), rng.random(4)
    result = kernel_shap_values(_interactions, X, background, weights, groups=[np.asarray(g) for g in groups])
    expected = _brute_force(_interactions, X, background, weights, groups)
    assert result.values.shape == (1, 3, len(groups))
    np.testing.assert_allclose(result.values, expected, rtol=0, atol=1e-10)


def test_single_player_is_total_difference() -> None:
    rng = np.random.default_rng(3)
    X, background = rng.normal(size=(5, 6)), rng.normal(size=(4, 6))
    result = kernel_shap_values(_three_outputs, X, background, groups=[np.arange(6)])
    target = result.model_output - result.expected_values[:, None]
    np.testing.assert_allclose(result.values[:, :, 0], target, rtol=0, atol=1e-14)
    assert result.exact and result.n_coalitions == 0


def test_multi_output_shapes_and_values() -> None:
    rng = np.random.default_rng(4)
    X, background = rng.normal(size=(5, 7)), rng.normal(size=(6, 7))
    result = kernel_shap_values(_three_outputs, X, background)
    assert result.values.shape == (3, 5, 7)
    assert result.standard_errors.shape == (3, 5, 7)
    assert result.expected_values.shape == (3,)
    assert result.model_output.shape == (3, 5)
    np.testing.assert_allclose(result.model_output, _three_outputs(X).T)
    np.testing.assert_allclose(result.expected_values, _three_outputs(background).mean(axis=0))
    expected = _brute_force(_three_outputs, X, background, np.ones(6))
    np.testing.assert_allclose(result.values, expected, rtol=0, atol=1e-10)


def test_one_dimensional_output_is_one_output() -> None:
    rng = np.random.default_rng(5)
    X, background = rng.normal(size=(4, 6)), rng.normal(size=(3, 6))
    flat = kernel_shap_values(_interactions, X, background)
    column = kernel_shap_values(lambda Z: _interactions(Z)[:, None], X, background)
    assert flat.values.shape == (1, 4, 6)
    np.testing.assert_array_equal(flat.values, column.values)


@pytest.mark.parametrize("max_exact_players", [12, 0])
def test_chunking_does_not_change_results(max_exact_players: int) -> None:
    rng = np.random.default_rng(6)
    X, background, weights = rng.normal(size=(6, 7)), rng.normal(size=(5, 7)), rng.random(5)
    largest_call = [0]

    def predict(Z: np.ndarray) -> np.ndarray:
        largest_call[0] = max(largest_call[0], Z.shape[0])
        return _three_outputs(Z)

    options = {"nsamples": 40 if max_exact_players == 0 else "auto"}
    full = kernel_shap_values(predict, X, background, weights, max_exact_players=max_exact_players, **options)
    for limit in (3, 11, 400):
        largest_call[0] = 0
        chunked = kernel_shap_values(
            predict,
            X,
            background,
            weights,
            max_exact_players=max_exact_players,
            max_rows_per_call=limit,
            **options,
        )
        assert largest_call[0] <= limit
        np.testing.assert_allclose(chunked.values, full.values, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(chunked.standard_errors, full.standard_errors, atol=1e-12)


def test_reproducible_with_same_random_state(
    problem10: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    X, background, weights = problem10
    options = {"nsamples": 120, "max_exact_players": 0}
    first = kernel_shap_values(_interactions, X, background, weights, random_state=11, **options)
    again = kernel_shap_values(_interactions, X, background, weights, random_state=11, **options)
    other = kernel_shap_values(_interactions, X, background, weights, random_state=12, **options)
    np.testing.assert_array_equal(first.values, again.values)
    np.testing.assert_array_equal(first.standard_errors, again.standard_errors)
    assert not np.array_equal(first.values, other.values)
    generator = kernel_shap_values(
        _interactions, X, background, weights, random_state=np.random.default_rng(11), **options
    )
    np.testing.assert_array_equal(first.values, generator.values)


def test_budget_selection() -> None:
    rng = np.random.default_rng(8)
    X, background = rng.normal(size=(2, 14)), rng.normal(size=(2, 14))
    auto = kernel_shap_values(_interactions, X, background, standard_errors=False)
    assert not auto.exact and auto.n_coalitions <= 2 * 14 + 2048
    assert _efficiency_gap(auto) < 1e-10
    small = X[:, :5], background[:, :5]
    covered = kernel_shap_values(lambda Z: Z @ np.arange(5.0), *small, nsamples=30)
    assert covered.exact and covered.n_coalitions == 30
    forced = kernel_shap_values(lambda Z: Z @ np.arange(5.0), *small, nsamples=29, max_exact_players=0)
    assert not forced.exact and forced.n_coalitions <= 29
    # a linear model is explained exactly even by a partial design
    expected = (small[0] - small[1].mean(axis=0)) * np.arange(5.0)
    np.testing.assert_allclose(forced.values[0], expected, atol=1e-10)


def test_zero_weight_background_rows_are_ignored() -> None:
    rng = np.random.default_rng(9)
    X, background = rng.normal(size=(3, 6)), rng.normal(size=(5, 6))
    weights = np.array([1.0, 0.0, 2.0, 0.0, 1.0])
    result = kernel_shap_values(_interactions, X, background, weights)
    reduced = kernel_shap_values(_interactions, X, background[[0, 2, 4]], weights[[0, 2, 4]])
    np.testing.assert_allclose(result.values, reduced.values, rtol=0, atol=1e-12)


def test_matches_shap_kernel_explainer() -> None:
    shap = pytest.importorskip("shap")
    rng = np.random.default_rng(10)
    X, background = rng.normal(size=(3, 6)), rng.normal(size=(5, 6))
    ours = kernel_shap_values(_three_outputs, X, background)
    explainer = shap.KernelExplainer(_three_outputs, background)
    theirs = explainer.shap_values(X, nsamples=2**6, l1_reg=False, silent=True)
    theirs = np.stack(theirs, axis=0) if isinstance(theirs, list) else np.moveaxis(theirs, -1, 0)
    np.testing.assert_allclose(ours.values, theirs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.expected_values, explainer.expected_value, atol=1e-10)


_X = np.zeros((2, 3))
_BG = np.ones((4, 3))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"X": np.zeros(3)}, "X must be a non-empty 2-D array"),
        ({"X": np.zeros((0, 3))}, "X must be a non-empty 2-D array"),
        ({"X": [["a", "b", "c"]]}, "X must be a dense numeric array"),
        ({"background": np.ones((4, 2))}, "background has 2 columns but X has 3"),
        ({"background": np.ones((0, 3))}, "background must be a non-empty 2-D array"),
        ({"background_weights": np.ones(3)}, "background_weights must have shape"),
        ({"background_weights": np.array([1.0, -1, 1, 1])}, "background_weights must be finite"),
        ({"background_weights": np.array([1.0, np.nan, 1, 1])}, "background_weights must be"),
        ({"background_weights": np.zeros(4)}, "background_weights must have a positive sum"),
        ({"groups": []}, "groups must contain at least one group"),
        ({"groups": [np.array([0, 1])]}, r"columns \[2\] are missing"),
        ({"groups": [np.array([0, 1]), np.array([1, 2])]}, "groups overlap"),
        ({"groups": [np.array([0, 0]), np.array([1, 2])]}, "groups overlap"),
        ({"groups": [np.array([0, 1]), np.array([2, 3])]}, r"outside range\(3\)"),
        ({"groups": [np.array([0, 1]), np.array([], dtype=int)]}, "groups\\[1\\] must be"),
        ({"groups": [np.array([0.0, 1.0]), np.array([2])]}, "groups\\[0\\] must be"),
        ({"nsamples": "many"}, "nsamples must be 'auto' or an int"),
        ({"nsamples": 0}, "nsamples must be an int >= 1"),
        ({"nsamples": 2.5}, "nsamples must be an int"),
        (
            {"nsamples": 5, "X": np.zeros((2, 4)), "background": np.ones((4, 4))},
            r"nsamples must be at least 2 \* n_players = 8",
        ),
        ({"max_exact_players": -1}, "max_exact_players must be an int >= 0"),
        ({"tolerance": 0.0}, r"tolerance must be None or a number in \(0, 1\]"),
        ({"tolerance": True}, "tolerance must be None or a number"),
        ({"tolerance": 0.1, "standard_errors": False}, "tolerance needs standard errors"),
        ({"tolerance": 0.1, "first_stage": 0, "nsamples": 100, "max_exact_players": 0},
         "first_stage must be an int >= 1"),
        ({"max_rows_per_call": 0}, "max_rows_per_call must be an int >= 1"),
        ({"predict": lambda Z: np.zeros((Z.shape[0] + 1, 2))}, "predict must return an array"),
        ({"predict": lambda Z: np.zeros((Z.shape[0], 2, 2))}, "predict must return an array"),
    ],
)
def test_validation_errors(kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {"predict": _sum_columns, "X": _X, "background": _BG}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        kernel_shap_values(**arguments)  # type: ignore[arg-type]


def test_inconsistent_output_count_is_rejected() -> None:
    def predict(Z: np.ndarray) -> np.ndarray:
        return np.zeros((Z.shape[0], 1 if Z.shape[0] == 2 else 2))

    with pytest.raises(ValueError, match=r"predict returned \d outputs, earlier calls returned \d"):
        kernel_shap_values(predict, _X, _BG)


def _sum_columns(Z: np.ndarray) -> np.ndarray:
    return Z.sum(axis=1)


# ---------------------------------------------------------------------- sampled estimator


@pytest.fixture(scope="module")
def exact_even(problem10: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    X, background, weights = problem10
    return _brute_force(_interactions, X[:6], background, weights)


def _sampled(
    problem: tuple[np.ndarray, np.ndarray, np.ndarray], nsamples: int, seed: int
) -> KernelShapResult:
    X, background, weights = problem
    return kernel_shap_values(
        _interactions, X[:6], background, weights, nsamples=nsamples, max_exact_players=0, random_state=seed
    )


def test_sampled_error_shrinks_as_the_budget_grows(
    problem10: tuple[np.ndarray, np.ndarray, np.ndarray], exact_even: np.ndarray
) -> None:
    # consistency: the error against exact values falls with the budget, about as 1/sqrt(n)
    def rmse(nsamples: int, seed: int) -> float:
        return float(np.sqrt(np.mean((_sampled(problem10, nsamples, seed).values - exact_even) ** 2)))

    errors = [np.mean([rmse(n, seed) for seed in range(4)]) for n in (60, 240, 900)]
    assert errors[0] > 1.5 * errors[1] and errors[1] > 1.5 * errors[2]
    assert errors[2] < 0.02 * np.mean(np.abs(exact_even))


def test_sampled_estimator_is_nearly_unbiased(
    problem10: tuple[np.ndarray, np.ndarray, np.ndarray], exact_even: np.ndarray
) -> None:
    runs = np.stack([_sampled(problem10, 100, seed).values for seed in range(40)])
    single_error = np.sqrt(np.mean((runs - exact_even) ** 2))
    bias = np.sqrt(np.mean((runs.mean(axis=0) - exact_even) ** 2))
    # averaging 40 independent runs removes most of the error: what is left is the noise of
    # the mean (single / sqrt(40)) plus a small ratio-estimator bias
    assert bias < 0.3 * single_error


def test_standard_errors_are_calibrated(
    problem10: tuple[np.ndarray, np.ndarray, np.ndarray], exact_even: np.ndarray
) -> None:
    covered, z_squares = [], []
    for seed in range(8):
        result = _sampled(problem10, 200, seed)
        z = (result.values - exact_even) / result.standard_errors
        covered.append(np.mean(np.abs(z) <= 2))
        z_squares.append(np.mean(z**2))
    assert np.mean(covered) >= 0.85
    assert 0.5 < np.sqrt(np.mean(z_squares)) < 1.6


def test_sampled_designs_are_complementary_pairs() -> None:
    from explain.explainers._kernel_design import sampled_design

    for n_players, budget in ((10, 300), (11, 200), (30, 400)):
        design = sampled_design(n_players, budget, np.random.default_rng(0))
        drawn = design.masks[design.n_fixed :]
        assert design.masks.shape[0] <= budget and drawn.shape[0] == 2 * design.n_units > 0
        np.testing.assert_array_equal(drawn[1::2], ~drawn[0::2])  # middle size too (n even)
        assert not drawn[0::2, -1].any()  # a pair is named by its member without the last player
        assert np.unique(drawn, axis=0).shape[0] == drawn.shape[0]
        n_coalitions, weights, counts, _ = design.stage(design.n_units)
        assert n_coalitions == design.masks.shape[0] and weights.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(weights[design.n_fixed :][1::2], weights[design.n_fixed :][0::2])
        assert counts.sum() == design.draw_units.size and np.all(counts >= 1)


def test_sizes_drawn_by_the_square_root_of_their_kernel_mass_are_weighted_back_to_it() -> None:
    from explain.explainers._kernel_design import _size_weights, sampled_design

    n_players = 20
    design = sampled_design(n_players, 6_000, np.random.default_rng(0), first_stage=600)
    assert design.n_fixed == 40  # sizes 1 and 19 enumerated
    _, weights, counts, _ = design.stage(design.n_units)
    sizes = design.masks[design.n_fixed :: 2].sum(axis=1)
    sizes = np.minimum(sizes, n_players - sizes)
    drawn_share = np.bincount(sizes, weights=counts, minlength=11)[2:] / counts.sum()
    _, mass, _ = _size_weights(n_players)
    rest = mass[1:] / mass[1:].sum()  # size 1 (and 19) enumerated
    np.testing.assert_allclose(drawn_share, np.sqrt(rest) / np.sqrt(rest).sum(), atol=0.02)
    weight_share = np.bincount(sizes, weights=weights[design.n_fixed :: 2], minlength=11)[2:]
    np.testing.assert_allclose(weight_share / weight_share.sum(), rest, atol=0.01)  # the kernel's


def test_design_stages_are_prefixes_with_their_own_draws() -> None:
    from explain.explainers._kernel_design import sampled_design

    design = sampled_design(30, 1000, np.random.default_rng(1), first_stage=200)
    small = sampled_design(30, 200, np.random.default_rng(1))
    assert design.n_fixed == small.n_fixed  # the enumerated sizes are the first stage's
    n_units = (200 - design.n_fixed) // 2
    n_coalitions, weights, counts, _ = design.stage(n_units)
    assert n_coalitions == design.n_fixed + 2 * n_units and weights.sum() == pytest.approx(1.0)
    # the draws of a stage are those made before its last pair's successor first appeared
    first_new = int(np.argmax(design.draw_units == n_units))
    assert counts.sum() == first_new and np.all(design.draw_units[:first_new] < n_units)
    np.testing.assert_array_equal(design.stage(0)[1], design.stage(0)[1] / design.stage(0)[1].sum())


def test_row_blocks_do_not_change_results(
    problem10: tuple[np.ndarray, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    from explain.explainers import _kernel_shap

    full = _sampled(problem10, 120, 5)
    monkeypatch.setattr(_kernel_shap, "_BLOCK_ELEMENTS", 1)  # one row per block
    blocked = _sampled(problem10, 120, 5)
    # bit for bit: the solver is applied row by row, so BLAS blocking cannot differ
    np.testing.assert_array_equal(blocked.values, full.values)
    np.testing.assert_array_equal(blocked.standard_errors, full.standard_errors)
    for row in range(3):  # and each row's values do not depend on the other rows
        alone = kernel_shap_values(
            _interactions, problem10[0][row : row + 1], problem10[1], problem10[2],
            nsamples=120, max_exact_players=0, random_state=5,
        )
        np.testing.assert_array_equal(alone.values[:, 0], full.values[:, row])
        np.testing.assert_array_equal(alone.standard_errors[:, 0], full.standard_errors[:, row])


@pytest.mark.parametrize("missing", [False, True])
def test_synthetic_rows_take_x_in_the_coalition_and_the_background_elsewhere(missing: bool) -> None:
    from explain.explainers._kernel_plan import _SyntheticWriter

    rng = np.random.default_rng(0)
    rows = rng.normal(size=(3, 4))
    # two games: 5 coalitions on 2 background rows (3 of them evaluated), 4 on 1 (all of them)
    games = [SimpleNamespace(column_masks=rng.random((5, 4)) < 0.5, background=rng.normal(size=(2, 4))),
             SimpleNamespace(column_masks=rng.random((4, 4)) < 0.5, background=rng.normal(size=(1, 4)))]
    pieces = [(games[0], slice(1, 4)), (games[1], slice(0, 4))]
    if missing:  # NaN and infinity must not leak into cells that come from the background
        rows[0, 1], rows[2, 3], games[0].background[1, 0] = np.nan, np.inf, -np.inf
    masks = np.concatenate([np.repeat(games[0].column_masks[1:4], 2, axis=0), games[1].column_masks])
    fill = np.concatenate([np.tile(games[0].background, (3, 1)), np.tile(games[1].background, (4, 1))])
    writer = _SyntheticWriter(pieces)  # type: ignore[arg-type]
    assert writer.n_synthetic == 10
    out = np.empty((3, 5, 4))
    writer.write(out, rows, slice(1, 6))
    np.testing.assert_array_equal(out, np.where(masks[None, 1:6], rows[:, None, :], fill[None, 1:6]))
