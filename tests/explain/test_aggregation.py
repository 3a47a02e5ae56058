import numpy as np

from explain._aggregation import ImportanceAccumulator, aggregate_local


def test_streaming_accumulation_equals_one_shot():
    rng = np.random.default_rng(0)
    local = rng.normal(size=(3, 50, 4))
    per_class, global_values = aggregate_local(local)
    accumulator = ImportanceAccumulator(3, 4)
    for start in range(0, 50, 7):
        accumulator.add(local[:, start:start + 7])
    streamed = accumulator.result()
    np.testing.assert_allclose(streamed[0], per_class, rtol=1e-12)
    np.testing.assert_allclose(streamed[1], global_values, rtol=1e-12)
    np.testing.assert_allclose(global_values, np.abs(local).mean(axis=1).mean(axis=0))


def test_weights_act_like_repeated_rows():
    local = np.array([[[1.0, -1.0], [3.0, 0.0]]])
    per_class, _ = aggregate_local(local, weights=np.array([3.0, 1.0]))
    repeated, _ = aggregate_local(local[:, [0, 0, 0, 1]])
    np.testing.assert_allclose(per_class, repeated)
