"""``FeatureMap``: which raw column produced which engineered columns, as a weight matrix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from featurization._exceptions import FeaturizationValueError

__all__ = ["FeatureMap"]


class FeatureMap:
    """The mapping from raw to engineered features, as a sparse raw x engineered weight matrix.

    Entry ``(r, e)`` is the share of engineered feature ``e`` attributed to raw feature ``r``;
    every engineered column's weights sum to 1 (it is attributed in full), so mapping
    additive values (SHAP) from engineered to raw keeps each row's sum. A raw feature that
    produced nothing (a dropped column) has an empty row. A chain of transformations is the
    product of their maps (:meth:`compose`), as in interpret-community.

    Parameters
    ----------
    raw_feature_names : sequence of str
        Names of the raw (input) features.
    engineered_feature_names : sequence of str
        Names of the engineered (output) features.
    matrix : array-like or sparse matrix of shape (n_raw, n_engineered)
        The weights.

    Examples
    --------
    >>> from featurization import FeatureMap
    >>> fmap = FeatureMap.from_groups(["age", "city"],
    ...                               {"age": ["age"], "city": ["city_a", "city_b"]})
    >>> fmap.to_matrix().toarray()
    array([[1., 0., 0.],
           [0., 1., 1.]])
    >>> fmap.map_values([[0.5, 0.25, -0.5]])
    array([[ 0.5 , -0.25]])
    """

    def __init__(self, raw_feature_names: Sequence[str], engineered_feature_names: Sequence[str],
                 matrix: Any) -> None:
        self.raw_feature_names = tuple(str(n) for n in raw_feature_names)
        self.engineered_feature_names = tuple(str(n) for n in engineered_feature_names)
        weights = sp.csr_matrix(matrix, dtype=np.float64)
        expected = (len(self.raw_feature_names), len(self.engineered_feature_names))
        if weights.shape != expected:
            raise FeaturizationValueError(
                f"FeatureMap: matrix has shape {weights.shape}, expected {expected} "
                "(raw features x engineered features)."
            )
        column_sums = np.asarray(weights.sum(axis=0)).ravel()
        unattributed = [self.engineered_feature_names[i]
                        for i in np.flatnonzero(~np.isclose(column_sums, 1.0))]
        if unattributed:
            raise FeaturizationValueError(
                "FeatureMap: every engineered feature's weights must sum to 1; not so for "
                f"{unattributed[:5]}."
            )
        weights.eliminate_zeros()
        weights.sort_indices()
        self._matrix = weights

    # ------------------------------------------------------------------ construction
    @classmethod
    def identity(cls, names: Sequence[str]) -> FeatureMap:
        """A map where every feature maps to itself."""
        return cls(names, names, sp.identity(len(names), format="csr"))

    @classmethod
    def from_groups(cls, raw_feature_names: Sequence[str],
                    groups: Mapping[str, Sequence[str]],
                    engineered_feature_names: Sequence[str] | None = None) -> FeatureMap:
        """Build a map from ``{raw name: [engineered names]}``.

        An engineered feature listed under several raw features is split evenly over them.
        ``engineered_feature_names`` fixes the column order (default: order of appearance).
        """
        if engineered_feature_names is None:
            seen: dict[str, None] = {}
            for outputs in groups.values():
                seen.update(dict.fromkeys(str(o) for o in outputs))
            engineered_feature_names = list(seen)
        raw_index = {str(n): i for i, n in enumerate(raw_feature_names)}
        eng_index = {str(n): j for j, n in enumerate(engineered_feature_names)}
        rows, cols = [], []
        for raw, outputs in groups.items():
            if str(raw) not in raw_index:
                raise FeaturizationValueError(f"FeatureMap: unknown raw feature {raw!r}.")
            for output in outputs:
                if str(output) not in eng_index:
                    raise FeaturizationValueError(f"FeatureMap: unknown engineered feature {output!r}.")
                rows.append(raw_index[str(raw)])
                cols.append(eng_index[str(output)])
        counts = np.bincount(cols, minlength=len(eng_index)).astype(np.float64)
        data = 1.0 / counts[cols] if cols else np.array([])
        matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(raw_index), len(eng_index)))
        return cls(raw_feature_names, engineered_feature_names, matrix)

    # ------------------------------------------------------------------ reading
    @property
    def n_raw(self) -> int:
        """Number of raw features."""
        return len(self.raw_feature_names)

    @property
    def n_engineered(self) -> int:
        """Number of engineered features."""
        return len(self.engineered_feature_names)

    def to_matrix(self) -> sp.csr_matrix:
        """The raw x engineered weight matrix (a copy)."""
        return self._matrix.copy()

    def groups(self) -> dict[str, list[str]]:
        """``{raw name: [engineered names it contributes to]}``, in raw order."""
        matrix = self._matrix
        return {
            raw: [self.engineered_feature_names[j]
                  for j in matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]]]
            for i, raw in enumerate(self.raw_feature_names)
        }

    def is_one_to_one(self) -> bool:
        """Whether every engineered feature comes from exactly one raw feature."""
        return bool(np.all(np.diff(self._matrix.tocsc().indptr) == 1))

    def map_values(self, values: Any) -> Any:
        """Map engineered values (..., n_engineered) to raw values (..., n_raw).

        Each raw value is the weighted sum of its engineered values, so row sums are kept.
        A sparse 2-D input stays sparse.
        """
        array = values if sp.issparse(values) else np.asarray(values, dtype=np.float64)
        if array.ndim == 0 or array.shape[-1] != self.n_engineered:
            raise FeaturizationValueError(
                f"FeatureMap.map_values: values have shape {array.shape}, expected "
                f"(..., {self.n_engineered}) engineered features."
            )
        if sp.issparse(array):
            return (sp.csr_matrix(array) @ self._matrix.T).tocsr()
        flat = array.reshape(int(np.prod(array.shape[:-1])), self.n_engineered)  # -1 fails for 0 columns
        mapped = np.asarray(self._matrix @ flat.T).T
        return mapped.reshape(*array.shape[:-1], self.n_raw)

    # ------------------------------------------------------------------ algebra
    def compose(self, then: FeatureMap) -> FeatureMap:
        """Chain two maps: ``self`` (raw -> middle) then ``then`` (middle -> engineered).

        The result's matrix is the product of the two matrices.
        """
        if then.raw_feature_names != self.engineered_feature_names:
            if then.n_raw != self.n_engineered:
                raise FeaturizationValueError(
                    f"FeatureMap.compose: the first map has {self.n_engineered} outputs but the "
                    f"second has {then.n_raw} inputs."
                )
        return FeatureMap(self.raw_feature_names, then.engineered_feature_names,
                          self._matrix @ then._matrix)

    def __matmul__(self, then: FeatureMap) -> FeatureMap:
        return self.compose(then)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeatureMap):
            return NotImplemented
        return (self.raw_feature_names == other.raw_feature_names
                and self.engineered_feature_names == other.engineered_feature_names
                and (self._matrix != other._matrix).nnz == 0)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"FeatureMap({self.n_raw} raw -> {self.n_engineered} engineered features, "
                f"{'one-to-one' if self.is_one_to_one() else 'shared outputs split'})")

    # ------------------------------------------------------------------ serialization
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (names and the matrix in coordinate form)."""
        coo = self._matrix.tocoo()
        return {
            "raw_feature_names": list(self.raw_feature_names),
            "engineered_feature_names": list(self.engineered_feature_names),
            "rows": coo.row.tolist(), "columns": coo.col.tolist(), "weights": coo.data.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureMap:
        """Rebuild a map written by :meth:`to_dict`."""
        try:
            raw, eng = data["raw_feature_names"], data["engineered_feature_names"]
            matrix = sp.csr_matrix((data["weights"], (data["rows"], data["columns"])),
                                   shape=(len(raw), len(eng)))
        except (KeyError, TypeError, ValueError) as exc:
            raise FeaturizationValueError(f"FeatureMap.from_dict: malformed data ({exc}).") from exc
        return cls(raw, eng, matrix)
