import numpy as np
import pytest

from explain import Explanation
from explain.dashboard import global_importance_figure, per_class_figure, summary_figure


def explanation(task: str = "classification", n_rows: int = 50, keep_local: bool = True) -> Explanation:
    rng = np.random.default_rng(0)
    k = 3 if task == "classification" else 1
    local = rng.normal(size=(k, n_rows, 6)) * np.arange(1, 7)
    return Explanation.from_local(
        local, np.zeros(k), keep_local=keep_local, method="demo", model_task=task,
        features=[f"f{i}" for i in range(6)], classes=["a", "b", "c"] if k == 3 else None,
        output_space="log_odds" if k == 3 else "raw",
    )


def test_global_figure_ranks_most_important_on_top():
    figure = global_importance_figure(explanation(), top_k=4)
    bar = figure.data[0]
    assert list(bar.y) == ["f2", "f3", "f4", "f5"]  # plotly draws the last category on top
    assert np.all(np.diff(bar.x) > 0)


def test_per_class_figure_has_one_trace_per_class_and_none_for_regression():
    assert [t.name for t in per_class_figure(explanation()).data] == ["a", "b", "c"]
    assert per_class_figure(explanation("regression")) is None


def test_summary_figure_samples_large_data_and_needs_local_values():
    figure = summary_figure(explanation(n_rows=5000), top_k=5, max_points=1000)
    assert len(figure.data) == 5
    assert all(len(trace.x) == 200 for trace in figure.data)
    assert figure.data[0].type == "scattergl"
    assert summary_figure(explanation(keep_local=False)) is None


def test_summary_figure_colours_by_numeric_feature_values_only():
    values = np.random.default_rng(1).normal(size=(50, 6)).astype(object)
    values[:, 5] = "text"
    figure = summary_figure(explanation(), top_k=6, feature_values=values)
    coloured = {t.name: not isinstance(t.marker.color, str) for t in figure.data}  # text: plain grey
    assert coloured["f0"] and not coloured["f5"]


@pytest.mark.parametrize("top_k", [0, -3])
def test_bad_top_k_is_refused(top_k):
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        global_importance_figure(explanation(), top_k=top_k)
