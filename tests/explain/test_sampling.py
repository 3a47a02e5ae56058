import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Ridge

from explain import LinearExplainer, SamplingPolicy
from explain._sampling import sample_rows


def test_no_sampling_unless_allowed_and_large():
    X = np.arange(20.0).reshape(10, 2)
    assert sample_rows(X, SamplingPolicy())[0] is X
    assert sample_rows(X, SamplingPolicy(allow_eval_sampling=True, max_rows=10))[0] is X


def test_kmeans_sampling_keeps_real_rows_weighted_by_cluster_size():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 60))
    rows, weights, notes = sample_rows(X, SamplingPolicy(allow_eval_sampling=True, max_rows=50,
                                                         max_dim_clustering=5))
    assert rows.shape[0] <= 50 and weights.sum() == 3000
    assert all(any(np.array_equal(r, x) for x in X) for r in rows[:5])
    assert "of 3000 rows" in notes[0]


def test_random_sampling_on_sparse_data():
    X = sp.random(500, 5, density=0.3, format="csr", random_state=0)
    rows, weights, notes = sample_rows(X, SamplingPolicy(allow_eval_sampling=True, max_rows=100,
                                                         sampling_method="random"))
    assert rows.shape == (100, 5) and weights is None and "random sample" in notes[0]


def test_sampled_global_explanation_records_it_and_stays_close():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4000, 4)) * [1.0, 2.0, 3.0, 0.1]
    model = Ridge().fit(X, X @ [1.0, 1.0, 1.0, 1.0])
    explainer = LinearExplainer(model, X)
    full = explainer.explain_global(X)
    sampled = explainer.explain_global(X, sampling_policy=SamplingPolicy(allow_eval_sampling=True,
                                                                        max_rows=400))
    assert sampled.num_examples == 400 and "representatives of 4000 rows" in sampled.fidelity.notes[0]
    # k-means representatives sit near cluster centres, so they understate spread a little
    np.testing.assert_allclose(sampled.global_importance_values, full.global_importance_values,
                               rtol=0.2)
    assert sampled.get_ranked_global_names() == full.get_ranked_global_names()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"sampling_method": "optics"}, "sampling_method must be one of"),
    ({"max_rows": 0}, "max_rows must be a positive integer"),
])
def test_bad_policy(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SamplingPolicy(**kwargs)


def test_kmeans_sampling_tolerates_missing_values():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, 80))
    X[::7, 3] = np.nan
    rows, weights, _ = sample_rows(X, SamplingPolicy(allow_eval_sampling=True, max_rows=30))
    assert rows.shape[1] == 80 and weights.sum() == 2000


def test_sample_of_a_larger_collection_names_the_population_and_scales_weights():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 3))
    rows, weights, notes = sample_rows(X, SamplingPolicy(allow_eval_sampling=True, max_rows=20),
                                       total_rows=50_000)
    assert rows.shape[0] <= 20 and weights.sum() == pytest.approx(50_000)
    assert "of 50000 rows (clustered on a uniform random sample of 500)" in notes[0]
    kept, none, notes = sample_rows(X[:20], SamplingPolicy(allow_eval_sampling=True, max_rows=20),
                                    total_rows=50_000)
    assert kept.shape[0] == 20 and none is None
    assert notes == ("explained a random sample of 20 of 50000 rows",)


def test_sampling_is_recorded_in_fields_and_survives_saving(tmp_path):
    import json
    import zipfile

    from explain import load_explanation, save_explanation

    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 4))
    model = Ridge().fit(X, X @ np.arange(4.0))
    explainer = LinearExplainer(model, X)
    for method in ("kmeans", "random"):
        policy = SamplingPolicy(allow_eval_sampling=True, max_rows=200, sampling_method=method)
        explanation = explainer.explain_global(X, sampling_policy=policy)
        assert explanation.fidelity.sampled and explanation.fidelity.sampled_from == 3000
        assert explanation.fidelity.sampling_method == method and explanation.num_examples == 200
        path = save_explanation(explanation, tmp_path / f"{method}.npz", include_data=False)
        with zipfile.ZipFile(path) as archive:
            assert json.loads(archive.read("metadata.json"))["schema_version"] == 4
        loaded = load_explanation(path)
        assert loaded.fidelity.sampled_from == 3000 and loaded.fidelity.sampling_method == method
    full = explainer.explain_global(X)
    assert not full.fidelity.sampled and full.fidelity.sampling_method is None
    path = save_explanation(full, tmp_path / "full.npz", include_data=False)
    with zipfile.ZipFile(path) as archive:
        metadata = json.loads(archive.read("metadata.json"))
    assert metadata["schema_version"] == 2 and "sampled_from" not in metadata["fidelity"]


def test_hdbscan_sampling_chooses_how_many_rows_by_its_clusters():
    """sampling_method="hdbscan", interpret-community's default: five representatives per cluster."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.vstack([c + rng.normal(0, 0.01, (400, 2)) for c in centres])
    policy = SamplingPolicy(allow_eval_sampling=True, sampling_method="hdbscan", max_rows=1000)
    rows, weights, notes = sample_rows(np.vstack([X, X[:1000]]), policy)  # 2200 rows
    found = int(notes[0].split("HDBSCAN found ")[1].split()[0])
    # as many k-means clusters as that (a cluster can end up empty: at most that many rows)
    assert 0.8 * min(5 * found, 1000) <= rows.shape[0] <= min(5 * found, 1000)
    assert weights.sum() == 2200
    assert "k-means representatives of 2200 rows (HDBSCAN found" in notes[0]
    with pytest.raises(ValueError, match="sampling_method must be one of"):
        SamplingPolicy(sampling_method="dbscan")
