"""Path-dependent TreeSHAP with precomputed per-leaf tables (FastTreeSHAP v2), compiled by numba.

Why hand-written: ``shap.TreeExplainer`` (and LightGBM's ``pred_contrib``, which shap calls)
run the original TreeSHAP recursion, O(L D^2) per tree and row. The ``fasttreeshap`` package
that implements Yang (2022)'s faster algorithm has been unmaintained since 2023, so the
algorithm is written here.

The algorithm. Each leaf ``l`` with value ``v``, reached through the distinct features ``D``
(``d = |D|``), adds to the Shapley value of each ``i in D``, in the path-dependent game of
TreeSHAP, an amount that depends on the row only through the set ``T`` of features of ``D``
whose every split on the path the row follows:

* ``i not in T``:  ``-v Q(T) K(T)``
* ``i in T``:      ``v (1 - q_i) Q(T) K(T \\ {i})``

where ``q_j`` is the product of the cover ratios (child cover / node cover) of the path's
splits on feature ``j``, ``Q(T)`` the product of ``q_j`` over ``D \\ T``, and

    K(S) = sum over U subset of S of  |U|! (d - |U| - 1)! / d!  *  prod_{j in S \\ U} q_j
         = integral_0^1 (1 - s)^(d - 1 - |S|) prod_{j in S} (s + q_j (1 - s)) ds,

the Shapley weights written as Beta integrals. The integrand is a polynomial of degree
``d - 1``, so Gauss-Legendre quadrature with ``ceil(d / 2)`` nodes is exact. (Derivation: a
leaf's term in the conditional expectation of a coalition ``S`` is
``v prod_{j in S} [x follows j] prod_{j not in S} q_j``, which is zero unless ``S`` is a subset
of ``T``; summing the Shapley weights of the nonzero differences gives the two formulas.)

``K`` and ``Q`` depend on ``T`` only, so they are tabulated once per leaf for all ``2^d``
subsets (the v2 precomputation); a row then costs O(d) per leaf: find ``T`` from the split
directions, look up, add. Leaves whose tables would exceed the memory budget are evaluated
from the quadrature formula directly, O(d ceil(d/2)) per leaf and row, still without
recursion. The expected value is the cover-weighted mean of the leaf values.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from explain.explainers._tree_ensemble import TreeEnsemble, from_lightgbm, from_sklearn

__all__ = ["CompiledTreeShap", "TreeShapTables", "build_tables", "tree_shap_values"]

_MAX_TABLE_DEPTH = 16  # 2^16 entries per table: 1 MB per leaf at most
_DEFAULT_TABLE_BUDGET = 64 * 2**20  # bytes for the K and Q tables of one model
_ROW_BLOCK = 256  # rows per block in the kernel (see _rows)
_LGBM_ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold, a float widened to double


@dataclass(frozen=True)
class TreeShapTables:
    """Per-leaf paths and tables of one ensemble (see the module docstring)."""

    ensemble: TreeEnsemble
    leaf_depth: np.ndarray  # (n_leaves,) number of splits on the path
    leaf_d: np.ndarray  # (n_leaves,) distinct features on the path
    path_node: np.ndarray  # (n_leaves, max_depth) local internal-node index
    path_left: np.ndarray  # (n_leaves, max_depth) whether the path goes left there
    path_slot: np.ndarray  # (n_leaves, max_depth) slot of the node's feature
    slot_feature: np.ndarray  # (n_leaves, max_depth)
    slot_q: np.ndarray  # (n_leaves, max_depth)
    table_start: np.ndarray  # (n_leaves,) offset into the tables, -1 without a table
    k_table: np.ndarray
    q_table: np.ndarray
    gl_nodes: np.ndarray  # (max_points + 1, max_points) Gauss-Legendre nodes on [0, 1]
    gl_weights: np.ndarray
    expected: np.ndarray  # (n_outputs,)
    max_nodes: int


def _gauss_legendre(max_points: int) -> tuple[np.ndarray, np.ndarray]:
    nodes = np.zeros((max_points + 1, max(max_points, 1)))
    weights = np.zeros_like(nodes)
    for n in range(1, max_points + 1):
        x, w = np.polynomial.legendre.leggauss(n)
        nodes[n, :n] = (x + 1.0) / 2.0
        weights[n, :n] = w / 2.0
    return nodes, weights


def build_tables(ensemble: TreeEnsemble,
                 table_budget: int = _DEFAULT_TABLE_BUDGET) -> TreeShapTables:
    """Precompute every leaf's path, its cover ratios and (within ``table_budget`` bytes) tables."""
    e = ensemble
    n_leaves = int(e.leaf_start[-1])
    depth = _leaf_depths(e.node_start, e.leaf_start, e.left, e.right, n_leaves)
    max_depth = max(int(depth.max(initial=0)), 1)
    leaf_d = np.zeros(n_leaves, dtype=np.int64)
    path_node = np.zeros((n_leaves, max_depth), dtype=np.int64)
    path_left = np.zeros((n_leaves, max_depth), dtype=np.bool_)
    path_slot = np.zeros((n_leaves, max_depth), dtype=np.int64)
    slot_feature = np.zeros((n_leaves, max_depth), dtype=np.int64)
    slot_q = np.ones((n_leaves, max_depth), dtype=np.float64)
    _fill_paths(e.node_start, e.leaf_start, e.left, e.right, e.feature, e.node_cover,
                e.leaf_cover, leaf_d, path_node, path_left, path_slot, slot_feature, slot_q)
    if int(leaf_d.max(initial=0)) > 62:
        raise ValueError("TreeSHAP: a path has more than 62 distinct features.")
    # tables for the shallowest leaves first, within the budget
    table_start = np.full(n_leaves, -1, dtype=np.int64)
    used = 0
    budget_entries = table_budget // 16
    for leaf in np.argsort(leaf_d, kind="stable"):
        d = int(leaf_d[leaf])
        if d == 0 or d > _MAX_TABLE_DEPTH or used + (1 << d) > budget_entries:
            continue
        table_start[leaf] = used
        used += 1 << d
    max_points = max((int(leaf_d.max(initial=1)) + 1) // 2, 1)
    gl_nodes, gl_weights = _gauss_legendre(max_points)
    k_table = np.zeros(max(used, 1))
    q_table = np.zeros(max(used, 1))
    _fill_tables(leaf_d, slot_q, table_start, gl_nodes, gl_weights, k_table, q_table)
    expected = np.zeros(e.n_outputs)
    for tree in range(e.n_trees):
        leaves = slice(int(e.leaf_start[tree]), int(e.leaf_start[tree + 1]))
        first = int(e.node_start[tree])
        root = e.node_cover[first] if e.node_start[tree + 1] > first else e.leaf_cover[leaves][0]
        share = e.leaf_cover[leaves] / root if root > 0 else np.zeros(leaves.stop - leaves.start)
        values = e.leaf_values[leaves]
        out = int(e.out_start[tree])
        expected[out:out + values.shape[1]] += share @ values
    max_nodes = int(np.diff(e.node_start).max(initial=0))
    return TreeShapTables(e, depth, leaf_d, path_node, path_left, path_slot, slot_feature,
                          slot_q, table_start, k_table, q_table, gl_nodes, gl_weights, expected,
                          max(max_nodes, 1))


def tree_shap_values(tables: TreeShapTables, X: np.ndarray) -> np.ndarray:
    """SHAP values of shape (n_outputs, n_rows, n_features) of dense float64 rows ``X``.

    Releases the GIL: threads can explain separate row blocks in parallel.
    """
    e = tables.ensemble
    X = np.ascontiguousarray(X, dtype=np.float64)
    if e.rule == "sklearn":  # scikit-learn compares float32 values with float64 thresholds
        X = X.astype(np.float32).astype(np.float64)
    out = np.zeros((e.n_outputs, e.n_features, X.shape[0]))
    _rows(X, e.node_start, e.leaf_start, e.out_start, e.feature, e.threshold,
          e.default_left, e.missing, e.categorical, e.cat_start, e.cat_len, e.cat_bits,
          e.rule == "lightgbm", e.leaf_values, tables.leaf_depth, tables.leaf_d,
          tables.path_node, tables.path_left, tables.path_slot, tables.slot_feature,
          tables.slot_q, tables.table_start, tables.k_table, tables.q_table,
          tables.gl_nodes, tables.gl_weights, tables.max_nodes, out)
    return np.ascontiguousarray(out.transpose(0, 2, 1))


class CompiledTreeShap:
    """The compiled TreeSHAP of one fitted model, its tables built on first use.

    Thread-safe (chunks of rows may ask for the tables at once) and pickled without the
    tables, which are rebuilt after unpickling: they can take tens of MB.

    Parameters
    ----------
    model : LightGBM ``LGBMModel`` or scikit-learn tree / forest
        The fitted model (read through ``booster_`` for LightGBM, ``tree_`` for scikit-learn).
    n_outputs : int
        Model outputs for scikit-learn models (classes, or 1); LightGBM models say it
        themselves.
    """

    def __init__(self, model: Any, n_outputs: int = 1) -> None:
        self.model = model
        self.n_outputs = n_outputs
        self._tables: TreeShapTables | None = None
        self._lock = threading.Lock()

    def tables(self) -> TreeShapTables:
        """The model's tables (raises ``UnsupportedTrees`` for trees it cannot read)."""
        with self._lock:
            if self._tables is None:
                booster = getattr(self.model, "booster_", None)
                ensemble = (from_lightgbm(booster) if booster is not None
                            else from_sklearn(self.model, self.n_outputs))
                self._tables = build_tables(ensemble)
            return self._tables

    def values(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """SHAP values (outputs, rows, features) of dense ``X`` and the expected values."""
        tables = self.tables()
        return tree_shap_values(tables, X), tables.expected.copy()

    def lightgbm_output(self, X: np.ndarray) -> np.ndarray:
        """A LightGBM model's raw score (outputs, rows) of dense ``X``, one thread: what the
        values add up to (a random forest's mean tree output, where LightGBM's ``raw_score``
        gives the sum)."""
        raw = self.model.booster_.predict(X, raw_score=True, num_threads=1)
        scale = self.tables().ensemble.output_scale
        return scale * np.asarray(raw, dtype=np.float64).reshape(X.shape[0], -1).T

    def __getstate__(self) -> dict[str, Any]:
        return {"model": self.model, "n_outputs": self.n_outputs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["model"], state["n_outputs"])  # type: ignore[misc]


# --------------------------------------------------------------------------- compiled parts

@numba.njit(nogil=True, cache=True)
def _leaf_depths(node_start: np.ndarray, leaf_start: np.ndarray, left: np.ndarray,
                 right: np.ndarray, n_leaves: int) -> np.ndarray:  # pragma: no cover - compiled
    depth = np.zeros(n_leaves, dtype=np.int64)
    n_trees = node_start.size - 1
    for tree in range(n_trees):
        n0 = node_start[tree]
        if node_start[tree + 1] == n0:
            continue
        size = node_start[tree + 1] - n0 + 1
        stack_node = np.empty(size + 1, dtype=np.int64)
        stack_depth = np.empty(size + 1, dtype=np.int64)
        top = 0
        stack_node[0] = 0
        stack_depth[0] = 0
        while top >= 0:
            node = stack_node[top]
            d = stack_depth[top]
            top -= 1
            for child in (left[n0 + node], right[n0 + node]):
                if child < 0:
                    depth[leaf_start[tree] + ~child] = d + 1
                else:
                    top += 1
                    stack_node[top] = child
                    stack_depth[top] = d + 1
    return depth


@numba.njit(nogil=True, cache=True)
def _fill_paths(node_start: np.ndarray, leaf_start: np.ndarray, left: np.ndarray,
                right: np.ndarray, feature: np.ndarray, node_cover: np.ndarray,
                leaf_cover: np.ndarray, leaf_d: np.ndarray, path_node: np.ndarray,
                path_left: np.ndarray, path_slot: np.ndarray, slot_feature: np.ndarray,
                slot_q: np.ndarray) -> None:  # pragma: no cover - compiled
    max_depth = path_node.shape[1]
    nodes = np.empty(max_depth + 1, dtype=np.int64)
    went_left = np.empty(max_depth + 1, dtype=np.bool_)
    n_trees = node_start.size - 1
    for tree in range(n_trees):
        n0 = node_start[tree]
        l0 = leaf_start[tree]
        if node_start[tree + 1] == n0:
            continue
        size = node_start[tree + 1] - n0 + 1
        stack_node = np.empty(2 * size + 1, dtype=np.int64)  # ~leaf for leaves
        stack_depth = np.empty(2 * size + 1, dtype=np.int64)
        stack_parent = np.empty(2 * size + 1, dtype=np.int64)
        stack_left = np.empty(2 * size + 1, dtype=np.bool_)
        top = 0
        stack_node[0] = 0
        stack_depth[0] = 0
        stack_parent[0] = -1
        stack_left[0] = False
        while top >= 0:
            node = stack_node[top]
            d = stack_depth[top]
            if d > 0:
                nodes[d - 1] = stack_parent[top]
                went_left[d - 1] = stack_left[top]
            top -= 1
            if node >= 0:
                for side in range(2):
                    top += 1
                    stack_node[top] = left[n0 + node] if side == 0 else right[n0 + node]
                    stack_depth[top] = d + 1
                    stack_parent[top] = node
                    stack_left[top] = side == 0
                continue
            leaf = l0 + ~node
            n_slots = 0
            for p in range(d):
                parent = nodes[p]
                child = nodes[p + 1] if p + 1 < d else -1
                if p + 1 < d:
                    child_cover = node_cover[n0 + child]
                else:
                    child_cover = leaf_cover[leaf]
                parent_cover = node_cover[n0 + parent]
                ratio = child_cover / parent_cover if parent_cover > 0 else 0.0
                f = feature[n0 + parent]
                slot = -1
                for s in range(n_slots):
                    if slot_feature[leaf, s] == f:
                        slot = s
                if slot < 0:
                    slot = n_slots
                    slot_feature[leaf, slot] = f
                    slot_q[leaf, slot] = 1.0
                    n_slots += 1
                slot_q[leaf, slot] *= ratio
                path_node[leaf, p] = parent
                path_left[leaf, p] = went_left[p]
                path_slot[leaf, p] = slot
            leaf_d[leaf] = n_slots


@numba.njit(nogil=True, cache=True)
def _fill_tables(leaf_d: np.ndarray, slot_q: np.ndarray, table_start: np.ndarray,
                 gl_nodes: np.ndarray, gl_weights: np.ndarray, k_table: np.ndarray,
                 q_table: np.ndarray) -> None:  # pragma: no cover - compiled
    for leaf in range(leaf_d.size):
        start = table_start[leaf]
        if start < 0:
            continue
        d = leaf_d[leaf]
        n = (d + 1) // 2
        size = 1 << d
        prod = np.empty((size, n))
        q_prod = np.empty(size)
        prod[0, :] = 1.0
        q_prod[0] = 1.0
        count = np.zeros(size, dtype=np.int64)
        for subset in range(1, size):
            low = subset & -subset
            slot = 0
            while (1 << slot) != low:
                slot += 1
            rest = subset ^ low
            q = slot_q[leaf, slot]
            for i in range(n):
                s = gl_nodes[n, i]
                prod[subset, i] = prod[rest, i] * (s + q * (1.0 - s))
            q_prod[subset] = q_prod[rest] * q
            count[subset] = count[rest] + 1
        full = size - 1
        for subset in range(size):
            q_table[start + subset] = q_prod[full ^ subset]
            t = count[subset]
            if t > d - 1:
                k_table[start + subset] = 0.0
                continue
            acc = 0.0
            for i in range(n):
                acc += gl_weights[n, i] * (1.0 - gl_nodes[n, i]) ** (d - 1 - t) * prod[subset, i]
            k_table[start + subset] = acc


@numba.njit(nogil=True, cache=True)
def _directions(column: np.ndarray, size: int, node: int, threshold: np.ndarray,
                default_left: np.ndarray, missing: np.ndarray, categorical: np.ndarray,
                cat_start: np.ndarray, cat_len: np.ndarray, cat_bits: np.ndarray,
                lightgbm: bool, left: np.ndarray) -> None:  # pragma: no cover - compiled
    """``left[row] = 1`` where ``column[row]`` goes left at ``node``, by the model's own rule.

    LightGBM: a categorical value is cast to int (NaN, negatives and overflow go right) and
    looked up in the bitset; a numerical NaN counts as 0 unless the missing type is NaN; the
    missing value (zero or NaN, by the missing type) follows ``default_left``; otherwise
    ``value <= threshold``. scikit-learn: NaN follows ``missing_go_to_left``.
    """
    cut = threshold[node]
    to_left = np.int64(default_left[node])
    if lightgbm and categorical[node]:
        words = cat_len[node]
        base = cat_start[node]
        for row in range(size):
            value = column[row]
            hit = 0
            if not (math.isnan(value) or value <= -1.0 or value >= 2147483648.0):
                code = int(value)
                word = code >> 5
                if word < words:
                    hit = np.int64((cat_bits[base + word] >> np.uint32(code & 31)) & np.uint32(1))
            left[row] = hit
        return
    kind = missing[node] if lightgbm else 2
    if kind == 2:
        for row in range(size):
            value = column[row]
            left[row] = to_left if math.isnan(value) else np.int64(value <= cut)
    elif kind == 1:
        for row in range(size):
            value = column[row]
            if math.isnan(value) or -_LGBM_ZERO <= value <= _LGBM_ZERO:
                left[row] = to_left
            else:
                left[row] = np.int64(value <= cut)
    else:
        nan_left = np.int64(0.0 <= cut)
        for row in range(size):
            value = column[row]
            left[row] = nan_left if math.isnan(value) else np.int64(value <= cut)


@numba.njit(nogil=True, cache=True)
def _rows(X: np.ndarray, node_start: np.ndarray, leaf_start: np.ndarray,
          out_start: np.ndarray, feature: np.ndarray, threshold: np.ndarray,
          default_left: np.ndarray, missing: np.ndarray, categorical: np.ndarray,
          cat_start: np.ndarray, cat_len: np.ndarray, cat_bits: np.ndarray, lightgbm: bool,
          leaf_values: np.ndarray, leaf_depth: np.ndarray, leaf_d: np.ndarray,
          path_node: np.ndarray, path_left: np.ndarray, path_slot: np.ndarray,
          slot_feature: np.ndarray, slot_q: np.ndarray, table_start: np.ndarray,
          k_table: np.ndarray, q_table: np.ndarray, gl_nodes: np.ndarray,
          gl_weights: np.ndarray, max_nodes: int, out: np.ndarray) -> None:  # pragma: no cover
    """Add the SHAP values of ``X``'s rows to ``out`` of shape (n_outputs, n_features, n_rows).

    Rows go in blocks, and each leaf serves the whole block before the next leaf: its tables
    then stay in cache (all tables together are far larger than the cache), and the inner
    loops run over contiguous rows without data-dependent branches (the row's subset picks
    the table entry and the sign, arithmetically).
    """
    n_trees = node_start.size - 1
    n_values = leaf_values.shape[1]
    n_rows, n_features = X.shape
    block = _ROW_BLOCK
    columns = np.empty((n_features, block))
    left_of = np.empty((max_nodes, block), dtype=np.int64)
    subsets = np.empty(block, dtype=np.int64)
    weight = np.empty(block)
    prod = np.empty(gl_nodes.shape[1])
    for first in range(0, n_rows, block):
        size = min(block, n_rows - first)
        for row in range(size):
            for f in range(n_features):
                columns[f, row] = X[first + row, f]
        for tree in range(n_trees):
            n0 = node_start[tree]
            for node in range(node_start[tree + 1] - n0):
                _directions(columns[feature[n0 + node]], size, n0 + node, threshold,
                            default_left, missing, categorical, cat_start, cat_len, cat_bits,
                            lightgbm, left_of[node])
            o = out_start[tree]
            for leaf in range(leaf_start[tree], leaf_start[tree + 1]):
                d = leaf_d[leaf]
                if d == 0:
                    continue
                full = (1 << d) - 1
                for row in range(size):
                    subsets[row] = full
                for p in range(leaf_depth[leaf]):
                    directions = left_of[path_node[leaf, p]]
                    goes = np.int64(path_left[leaf, p])
                    slot = path_slot[leaf, p]
                    for row in range(size):
                        subsets[row] &= ~((directions[row] ^ goes) << slot)
                start = table_start[leaf]
                if start >= 0:
                    for row in range(size):
                        weight[row] = q_table[start + subsets[row]]
                    for s in range(d):
                        # in T: (1 - q_s) Q(T) K(T - s); not in T: -Q(T) K(T)
                        scale = 2.0 - slot_q[leaf, s]
                        keep = ~(1 << s)
                        f = slot_feature[leaf, s]
                        for v in range(n_values):
                            value = leaf_values[leaf, v]
                            dest = out[o + v, f, first:first + size]
                            for row in range(size):
                                subset = subsets[row]
                                dest[row] += (value * weight[row]
                                              * k_table[start + (subset & keep)]
                                              * (((subset >> s) & 1) * scale - 1.0))
                    continue
                # no table: the quadrature formula directly
                n = (d + 1) // 2
                for row in range(size):
                    subset = subsets[row]
                    q_rest = 1.0
                    t = 0
                    for i in range(n):
                        prod[i] = 1.0
                    for s in range(d):
                        q = slot_q[leaf, s]
                        if (subset >> s) & 1:
                            t += 1
                            for i in range(n):
                                g = gl_nodes[n, i]
                                prod[i] *= g + q * (1.0 - g)
                        else:
                            q_rest *= q
                    k_here = 0.0
                    if t < d:
                        for i in range(n):
                            k_here += (gl_weights[n, i] * (1.0 - gl_nodes[n, i]) ** (d - 1 - t)
                                       * prod[i])
                    for s in range(d):
                        q = slot_q[leaf, s]
                        if (subset >> s) & 1:
                            k_without = 0.0
                            for i in range(n):
                                g = gl_nodes[n, i]
                                k_without += (gl_weights[n, i] * (1.0 - g) ** (d - t) * prod[i]
                                              / (g + q * (1.0 - g)))
                            c = (1.0 - q) * q_rest * k_without
                        else:
                            c = -q_rest * k_here
                        f = slot_feature[leaf, s]
                        for v in range(n_values):
                            out[o + v, f, first + row] += c * leaf_values[leaf, v]
