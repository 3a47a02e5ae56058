import numpy as np
import plotly.graph_objects as go

from explain.dashboard import _charts as charts

RNG = np.random.default_rng(0)


def types(figure: go.Figure) -> list[str]:
    return [trace.type for trace in figure.data]


def test_message_figure_only_says_why():
    figure = charts.message_figure("Nothing to show here.")
    assert isinstance(figure, go.Figure) and len(figure.data) == 0
    assert [a.text for a in figure.layout.annotations] == ["Nothing to show here."]
    assert figure.layout.xaxis.visible is False


def test_cohort_importance_bars_rank_the_first_cohort_with_the_largest_on_top():
    features = ["a", "b", "c", "d", "e"]
    values = {"All data": np.array([0.1, 0.5, 0.3, 0.05, 0.4]), "young": np.array([1.0, 2.0, 3.0, 4.0, 5.0])}
    figure = charts.cohort_importance_figure(features, values, top_k=3, unit="mean |contribution|")
    assert isinstance(figure, go.Figure) and types(figure) == ["bar", "bar"]
    first, second = figure.data
    assert list(first.y) == ["c", "e", "b"]  # plotly draws the last category on top
    assert list(first.x) == [0.3, 0.4, 0.5] and list(second.x) == [3.0, 5.0, 2.0]
    assert list(second.y) == list(first.y)
    assert list(first.customdata) == [2, 4, 1]  # feature indices, for the dependence plot
    assert [t.name for t in figure.data] == ["All data", "young"]
    assert first.orientation == "h" and figure.layout.barmode == "group"
    assert figure.layout.title.text.startswith("Top 3 features")
    assert len(charts.cohort_importance_figure(features, values, top_k=50, unit="u").data[0].y) == 5


def test_dependence_figure_has_one_webgl_cloud_per_cohort():
    traces = {"All data": (np.arange(100.0), RNG.normal(size=100)), "old": (np.arange(10.0), np.ones(10))}
    figure = charts.dependence_figure("age", traces, "log-odds", {"All data": 1000, "old": 10})
    assert types(figure) == ["scattergl", "scattergl"]
    assert [len(t.x) for t in figure.data] == [100, 10]
    assert [t.name for t in figure.data] == ["All data (100 of 1000 rows)", "old (10 of 10 rows)"]
    assert figure.layout.xaxis.title.text == "age"
    assert figure.layout.yaxis.title.text == "importance of age (log-odds)"


def test_local_importance_figure_puts_the_largest_absolute_value_on_top():
    names = ["a", "b", "c", "d"]
    values = np.array([0.2, -3.0, 1.0, -0.1])
    figure = charts.local_importance_figure(names, values, "Row 3", "log-odds")
    assert types(figure) == ["bar"] and figure.layout.showlegend is False
    bar = figure.data[0]
    assert list(bar.y) == ["d", "a", "c", "b"]
    assert list(bar.x) == [-0.1, 0.2, 1.0, -3.0]
    assert list(bar.marker.color) == ["#1f77b4", "#d62728", "#d62728", "#1f77b4"]  # blue down, red up
    compared = charts.local_importance_figure(names, values, "what-if", "log-odds",
                                              compare=np.array([1.0, 2.0, 3.0, 4.0]))
    assert types(compared) == ["bar", "bar"] and compared.layout.barmode == "group"
    # ordered by the larger |value| of the two, so a feature the edit made important shows on top
    assert list(compared.data[0].y) == ["a", "b", "c", "d"] == list(compared.data[1].y)
    assert list(compared.data[1].x) == [1.0, 2.0, 3.0, 4.0]
    assert compared.data[0].marker.color == "#1f77b4"  # one colour per trace when comparing
    assert compared.layout.showlegend is True


def test_ice_figure_draws_other_rows_their_mean_and_the_selected_row():
    grid = np.linspace(0, 1, 5)
    others = RNG.uniform(size=(3, 5))
    figure = charts.ice_figure("age", grid, np.arange(5.0), others, "probability of yes", False)
    assert types(figure) == ["scatter"] * 5
    np.testing.assert_allclose(figure.data[3].y, others.mean(axis=0))
    assert figure.data[3].name == "mean of cohort rows"
    assert figure.data[-1].name == "selected row" and list(figure.data[-1].y) == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(figure.data[-1].x, grid)
    alone = charts.ice_figure("city", np.array(["rome", 3]), np.array([0.2, 0.4]), None, "p", True)
    assert types(alone) == ["scatter"] and list(alone.data[0].x) == ["rome", "3"]


def test_scatter_figure_carries_row_indices_and_sampled_counts():
    rows = np.sort(RNG.choice(10_000, 500, replace=False))
    x, y = RNG.normal(size=500), RNG.normal(size=500)
    figure = charts.scatter_figure(x, y, ("age", "probability"), None, None, rows, 10_000)
    assert types(figure) == ["scattergl"]
    assert list(figure.data[0].customdata) == rows.tolist() and len(figure.data[0].x) == 500
    assert "500 of 10000 rows" in figure.layout.title.text
    assert figure.layout.clickmode == "event"


def test_scatter_figure_colours_numbers_on_a_scale():
    rows = np.arange(200)
    color = RNG.normal(size=200)
    figure = charts.scatter_figure(RNG.normal(size=200), RNG.normal(size=200), ("x", "y"), color, "income",
                                   rows, 200)
    assert types(figure) == ["scattergl"]
    trace = figure.data[0]
    np.testing.assert_allclose(trace.marker.color, color)
    assert trace.marker.showscale is True and list(trace.customdata) == rows.tolist()


def test_scatter_figure_colours_categories_with_one_trace_each():
    rows = np.arange(10, 16)
    labels = np.array(["yes", "no", "yes", "yes", "no", "maybe"])
    x = np.arange(6.0)
    figure = charts.scatter_figure(x, x * 2, ("x", "y"), labels, "true_y", rows, 6)
    assert types(figure) == ["scattergl"] * 3
    assert [t.name for t in figure.data] == ["true_y=yes", "true_y=no", "true_y=maybe"]
    assert [list(t.customdata) for t in figure.data] == [[10, 12, 13], [11, 14], [15]]
    assert list(figure.data[1].x) == [1.0, 4.0] and list(figure.data[1].y) == [2.0, 8.0]
    few_numbers = charts.scatter_figure(x, x, ("x", "y"), np.array([0, 1, 0, 1, 0, 1]), "error", rows, 6)
    assert len(few_numbers.data) == 2  # ten or fewer distinct numbers are categories


def test_scatter_figure_draws_every_sampled_point_whatever_the_colour():
    rows = np.arange(120)
    labels = np.array([f"city{i % 12}" for i in range(120)])
    figure = charts.scatter_figure(np.arange(120.0), np.arange(120.0), ("x", "y"), labels, "city", rows, 120)
    assert sum(len(t.x) for t in figure.data) == 120


def test_histogram_figure_has_a_bar_trace_per_group():
    bins = {"All data": ([1.0, 2.0, 3.0], np.array([0.2, 0.5, 0.3])),
            "old": (["a", "b"], np.array([0.4, 0.6]))}
    figure = charts.histogram_figure(bins, "age", "Histogram")
    assert types(figure) == ["bar", "bar"] and figure.layout.barmode == "overlay"
    assert list(figure.data[1].x) == ["a", "b"] and list(figure.data[0].y) == [0.2, 0.5, 0.3]
    assert figure.layout.yaxis.title.text == "share of rows"
    single = charts.histogram_figure({"All data": bins["All data"]}, "age", "Histogram")
    assert single.layout.barmode == "relative"


def test_leaderboard_figure_is_a_heatmap_of_runs_by_features():
    shares = np.array([[0.5, 0.25], [0.1, 0.9]])
    figure = charts.leaderboard_figure(["r1 (lgbm)", "r2 (lr)"], ["x", "y"], shares)
    assert types(figure) == ["heatmap"]
    np.testing.assert_allclose(figure.data[0].z, shares)
    assert list(figure.data[0].y) == ["r1 (lgbm)", "r2 (lr)"] and list(figure.data[0].x) == ["x", "y"]
    assert figure.layout.yaxis.autorange == "reversed"  # best run on top


def test_beeswarm_puts_the_first_name_on_top_and_scales_colours_to_the_unit_interval():
    names = ["most", "middle", "least"]
    local = RNG.normal(size=(300, 3))
    values = np.column_stack([RNG.normal(50, 10, 300), np.full(300, 7.0), RNG.choice(["a", "b"], 300)]
                             ).astype(object)
    values[:, 0] = values[:, 0].astype(float)
    values[:, 1] = 7.0
    figure = charts.beeswarm_figure(names, local, values, "Summary", "log-odds")
    assert types(figure) == ["scattergl"] * 3
    by_name = {t.name: t for t in figure.data}
    assert figure.layout.yaxis.ticktext == ("least", "middle", "most")
    assert list(figure.layout.yaxis.tickvals) == [0, 1, 2]
    assert np.all(np.abs(np.asarray(by_name["most"].y) - 2) <= 0.3)  # jittered around its row
    np.testing.assert_allclose(by_name["most"].x, local[:, 0])
    colour = np.asarray(by_name["most"].marker.color, dtype=float)
    assert colour.min() == 0.0 and colour.max() == 1.0 and np.unique(colour).size > 100
    assert (by_name["most"].marker.cmin, by_name["most"].marker.cmax) == (0.0, 1.0)
    assert np.all(np.asarray(by_name["middle"].marker.color) == 0.5)  # a constant column sits mid-scale
    assert by_name["least"].marker.color == "#999"  # text is grey, off the low -> high scale


def test_beeswarm_shows_one_colour_bar():
    values = RNG.normal(size=(50, 3))
    figure = charts.beeswarm_figure(["a", "b", "c"], RNG.normal(size=(50, 3)), values, "Summary", "log-odds")
    assert [t.marker.showscale for t in figure.data] == [True, False, False]
    assert list(figure.data[0].marker.colorbar.ticktext) == ["low", "high"]


def test_beeswarm_shows_a_colour_bar_when_the_bottom_feature_is_text():
    values = np.column_stack([RNG.normal(size=50), RNG.choice(["a", "b"], 50)]).astype(object)
    values[:, 0] = values[:, 0].astype(float)
    local = RNG.normal(size=(50, 2))
    figure = charts.beeswarm_figure(["number", "text"], local, values, "Summary", "log-odds")
    assert [t.marker.showscale for t in figure.data].count(True) == 1


def test_beeswarm_samples_nothing_itself_and_works_without_values():
    local = RNG.normal(size=(40, 2))
    figure = charts.beeswarm_figure(["a", "b"], local, None, "Summary", "prediction")
    assert [len(t.x) for t in figure.data] == [40, 40]
    assert all(t.marker.color == "#999" for t in figure.data)
    assert figure.layout.xaxis.title.text == "contribution to the prediction"


def test_dependence_figure_can_be_coloured_by_another_feature():
    x, y = np.arange(5.0), np.arange(5.0) * 2
    figure = charts.dependence_figure("a", {"All data": (x, y)}, "prediction", {"All data": 5},
                                      colour=("b", np.array([0.0, 1.0, 2.0, 3.0, 4.0])))
    marker = figure.data[0].marker
    colour = np.asarray(marker.color)
    assert colour[0] == 0.0 and colour[-1] == 1.0 and np.all(np.diff(colour) > 0)  # 5th-95th percentile
    assert "b" in marker.colorbar.title.text
