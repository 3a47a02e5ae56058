"""Tree ensembles as flat arrays: what the compiled TreeSHAP kernels read.

LightGBM models are read from their text format (``Booster.model_to_string``), which holds
every threshold at full precision, the categorical bitsets, the missing-value rules and the
data counts LightGBM's own TreeSHAP uses as cover. scikit-learn trees are read from their
``tree_`` attributes, with ``weighted_n_node_samples`` as cover, as in ``shap.TreeExplainer``.

Layout (over all trees, concatenated):

* internal nodes: ``feature``, ``threshold``, ``left``/``right`` children (``>= 0``: internal
  node of the same tree, local index; ``< 0``: leaf ``~child``, local index), ``default_left``,
  ``missing`` (0 none, 1 zero, 2 NaN), ``categorical`` with ``cat_start``/``cat_len`` into
  ``cat_bits`` (uint32 bitsets);
* leaves: ``leaf_values`` of shape (n_leaves, n_values) and ``leaf_cover``;
* trees: offsets into both, and ``out_start``, the first model output a tree adds to.

``rule`` says how a row's value is compared: ``"lightgbm"`` (LightGBM's numerical and
categorical decisions) or ``"sklearn"`` (the value cast to float32, ``<=`` the threshold, NaN
following ``missing_go_to_left``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TreeEnsemble", "from_lightgbm", "from_sklearn", "UnsupportedTrees"]


class UnsupportedTrees(ValueError):
    """The model holds trees this reader does not handle (the caller falls back)."""


@dataclass(frozen=True)
class TreeEnsemble:
    """Flat arrays of a tree ensemble; see the module docstring for the layout."""

    rule: str
    n_outputs: int
    n_features: int
    node_start: np.ndarray  # (n_trees + 1,) int64
    leaf_start: np.ndarray  # (n_trees + 1,) int64
    out_start: np.ndarray  # (n_trees,) int64
    feature: np.ndarray  # (n_nodes,) int64
    threshold: np.ndarray  # (n_nodes,) float64
    left: np.ndarray  # (n_nodes,) int64
    right: np.ndarray  # (n_nodes,) int64
    default_left: np.ndarray  # (n_nodes,) bool
    missing: np.ndarray  # (n_nodes,) int8
    categorical: np.ndarray  # (n_nodes,) bool
    cat_start: np.ndarray  # (n_nodes,) int64
    cat_len: np.ndarray  # (n_nodes,) int64
    cat_bits: np.ndarray  # (n_words,) uint32
    node_cover: np.ndarray  # (n_nodes,) float64
    leaf_values: np.ndarray  # (n_leaves, n_values) float64
    leaf_cover: np.ndarray  # (n_leaves,) float64
    output_scale: float = 1.0  # leaf values were multiplied by this (LightGBM's averaged forests)

    @property
    def n_trees(self) -> int:
        return int(self.out_start.size)


def _fields(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _numbers(fields: dict[str, str], key: str, dtype: Any) -> np.ndarray:
    value = fields.get(key, "")
    return np.array(value.split(), dtype=dtype) if value else np.zeros(0, dtype=dtype)


def from_lightgbm(booster: Any) -> TreeEnsemble:
    """Read a LightGBM ``Booster`` (up to its best iteration, as ``predict`` uses).

    A random-forest booster (``boosting="rf"``, ``average_output`` in its text) averages its
    trees: its probabilities are the sigmoid / softmax of the mean tree output. Its leaf values
    are scaled here so that the values explain that mean; LightGBM's own ``raw_score`` and
    ``pred_contrib`` return the sum instead (``output_scale`` records the factor).

    Raises
    ------
    UnsupportedTrees
        For linear trees, or a model text without data counts.
    """
    best = int(getattr(booster, "best_iteration", 0) or 0)
    text = booster.model_to_string(num_iteration=best if best > 0 else None)
    head, _, body = text.partition("\nTree=")
    header = _fields(head)
    per_iteration = int(header.get("num_tree_per_iteration", "1"))
    n_features = int(header["max_feature_idx"]) + 1
    average = "average_output" in head.split("\n")
    blocks = ("Tree=" + body).split("end of trees")[0].split("\nTree=")
    trees = [_fields(block) for block in blocks if block.strip()]
    scale = per_iteration / len(trees) if average and trees else 1.0
    parts = _new_parts()
    cat_words: list[np.ndarray] = []
    n_words = 0
    node_start, leaf_start, out_start = [0], [0], []
    for index, tree in enumerate(trees):
        if tree.get("is_linear", "0") != "0":
            raise UnsupportedTrees("linear trees")
        n_leaves = int(tree["num_leaves"])
        values = _numbers(tree, "leaf_value", np.float64) * scale
        if n_leaves == 1:
            leaf_cover = np.ones(1)
            n_nodes = 0
        else:
            if "leaf_count" not in tree or "internal_count" not in tree:
                raise UnsupportedTrees("no data counts in the model text")
            leaf_cover = _numbers(tree, "leaf_count", np.float64)
            n_nodes = n_leaves - 1
        decision = _numbers(tree, "decision_type", np.int64)
        categorical = (decision & 1).astype(bool)
        threshold = _numbers(tree, "threshold", np.float64)
        cat_start = np.zeros(n_nodes, dtype=np.int64)
        cat_len = np.zeros(n_nodes, dtype=np.int64)
        if categorical.any():
            bounds = _numbers(tree, "cat_boundaries", np.int64)
            words = _numbers(tree, "cat_threshold", np.uint64).astype(np.uint32)
            which = threshold[categorical].astype(np.int64)
            cat_start[categorical] = n_words + bounds[which]
            cat_len[categorical] = bounds[which + 1] - bounds[which]
            cat_words.append(words)
            n_words += words.size
        parts["feature"].append(_numbers(tree, "split_feature", np.int64))
        parts["threshold"].append(threshold)
        parts["left"].append(_numbers(tree, "left_child", np.int64))
        parts["right"].append(_numbers(tree, "right_child", np.int64))
        parts["default_left"].append((decision & 2).astype(bool))
        parts["missing"].append(((decision >> 2) & 3).astype(np.int8))
        parts["categorical"].append(categorical)
        parts["cat_start"].append(cat_start)
        parts["cat_len"].append(cat_len)
        parts["node_cover"].append(_numbers(tree, "internal_count", np.float64)[:n_nodes])
        parts["leaf_values"].append(values.reshape(-1, 1))
        parts["leaf_cover"].append(leaf_cover)
        node_start.append(node_start[-1] + n_nodes)
        leaf_start.append(leaf_start[-1] + n_leaves)
        out_start.append(index % per_iteration)
    return _assemble("lightgbm", per_iteration, n_features, parts, cat_words,
                     node_start, leaf_start, out_start, output_scale=scale)


def from_sklearn(model: Any, n_outputs: int) -> TreeEnsemble:
    """Read a fitted scikit-learn decision tree or random/extra-trees forest.

    Classifier leaves hold class proportions (normalized, as ``predict_proba``), regressor
    leaves the prediction; a forest's trees are each scaled by ``1 / n_estimators``.

    Raises
    ------
    UnsupportedTrees
        For multi-output models.
    """
    estimators = list(getattr(model, "estimators_", [model]))
    scale = 1.0 / len(estimators)
    classifier = hasattr(model, "classes_")
    parts = _new_parts()
    node_start, leaf_start, out_start = [0], [0], []
    n_features = int(model.n_features_in_)
    for estimator in estimators:
        tree = estimator.tree_
        if tree.n_outputs != 1:
            raise UnsupportedTrees("multi-output trees")
        children_left = np.asarray(tree.children_left, dtype=np.int64)
        is_leaf = children_left < 0
        # local indices: internal nodes and leaves numbered separately in node order
        local = np.empty(children_left.size, dtype=np.int64)
        local[~is_leaf] = np.arange(int((~is_leaf).sum()))
        local[is_leaf] = ~np.arange(int(is_leaf.sum()))
        internal = np.flatnonzero(~is_leaf)
        value = np.asarray(tree.value, dtype=np.float64)[:, 0, :]
        if classifier:
            totals = value.sum(axis=1, keepdims=True)
            value = np.divide(value, totals, out=np.zeros_like(value), where=totals > 0)
        missing_left = getattr(tree, "missing_go_to_left", None)
        default_left = (np.zeros(internal.size, dtype=bool) if missing_left is None
                        else np.asarray(missing_left, dtype=bool)[internal])
        cover = np.asarray(tree.weighted_n_node_samples, dtype=np.float64)
        parts["feature"].append(np.asarray(tree.feature, dtype=np.int64)[internal])
        parts["threshold"].append(np.asarray(tree.threshold, dtype=np.float64)[internal])
        parts["left"].append(local[children_left[internal]])
        parts["right"].append(local[np.asarray(tree.children_right, dtype=np.int64)[internal]])
        parts["default_left"].append(default_left)
        parts["missing"].append(np.full(internal.size, 2, dtype=np.int8))
        parts["categorical"].append(np.zeros(internal.size, dtype=bool))
        parts["cat_start"].append(np.zeros(internal.size, dtype=np.int64))
        parts["cat_len"].append(np.zeros(internal.size, dtype=np.int64))
        parts["node_cover"].append(cover[internal])
        parts["leaf_values"].append(value[is_leaf] * scale)
        parts["leaf_cover"].append(cover[is_leaf])
        node_start.append(node_start[-1] + internal.size)
        leaf_start.append(leaf_start[-1] + int(is_leaf.sum()))
        out_start.append(0)
    return _assemble("sklearn", n_outputs, n_features, parts, [], node_start, leaf_start,
                     out_start)


def _new_parts() -> dict[str, list[np.ndarray]]:
    """Per-tree arrays of each node and leaf field, concatenated by :func:`_assemble`."""
    return {key: [] for key in (
        "feature", "threshold", "left", "right", "default_left", "missing", "categorical",
        "cat_start", "cat_len", "node_cover", "leaf_values", "leaf_cover")}


def _assemble(rule: str, n_outputs: int, n_features: int, parts: dict[str, list[np.ndarray]],
              cat_words: list[np.ndarray], node_start: list[int], leaf_start: list[int],
              out_start: list[int], output_scale: float = 1.0) -> TreeEnsemble:
    def joined(key: str, dtype: Any) -> np.ndarray:
        arrays = parts[key]
        return (np.ascontiguousarray(np.concatenate(arrays), dtype=dtype) if arrays
                else np.zeros(0, dtype=dtype))

    n_values = parts["leaf_values"][0].shape[1] if parts["leaf_values"] else 1
    leaf_values = (np.ascontiguousarray(np.vstack(parts["leaf_values"]), dtype=np.float64)
                   if parts["leaf_values"] else np.zeros((0, n_values)))
    return TreeEnsemble(
        rule=rule, n_outputs=n_outputs, n_features=n_features,
        node_start=np.asarray(node_start, dtype=np.int64),
        leaf_start=np.asarray(leaf_start, dtype=np.int64),
        out_start=np.asarray(out_start, dtype=np.int64),
        feature=joined("feature", np.int64), threshold=joined("threshold", np.float64),
        left=joined("left", np.int64), right=joined("right", np.int64),
        default_left=joined("default_left", np.bool_), missing=joined("missing", np.int8),
        categorical=joined("categorical", np.bool_), cat_start=joined("cat_start", np.int64),
        cat_len=joined("cat_len", np.int64),
        cat_bits=(np.ascontiguousarray(np.concatenate(cat_words), dtype=np.uint32)
                  if cat_words else np.zeros(1, dtype=np.uint32)),
        node_cover=joined("node_cover", np.float64), leaf_values=leaf_values,
        leaf_cover=joined("leaf_cover", np.float64), output_scale=output_scale,
    )
