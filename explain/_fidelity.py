"""How far an explanation can be trusted: the :class:`Fidelity` record."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Fidelity"]


@dataclass(frozen=True, eq=False)
class Fidelity:
    """Diagnostics saved with every explanation, telling how far to trust it.

    Every field is optional: each explainer fills in the ones that apply to its method.

    Parameters
    ----------
    additivity_error : float, default=None
        Largest ``|sum(local values) + expected value - model output|`` over the explained rows
        and classes, in the explained output space (SHAP-style explainers).
    exact : bool, default=None
        Whether the values are exact Shapley values (tree, linear, Kernel SHAP by enumeration)
        rather than an estimate (sampled Kernel SHAP).
    standard_errors : ndarray of shape (n_outputs, n_rows, n_features), default=None
        Kernel SHAP's bootstrap standard error of every local value.
    max_standard_error : float, default=None
        The largest of ``standard_errors`` (kept when local values are not).
    surrogate_metric : str, default=None
        ``"accuracy"`` or ``"r2"``: how a mimic surrogate's agreement with the model is measured.
    surrogate_score : float, default=None
        The surrogate's agreement with the explained model on held-out rows.
    surrogate_holdout_rows : int, default=None
        Number of held-out rows ``surrogate_score`` was measured on.
    importance_std : ndarray of shape (n_features,), default=None
        Permutation importance: standard deviation of the importance over repeats.
    confidence_interval : ndarray of shape (2, n_features), default=None
        Permutation importance: lower and upper bound of the importance's confidence interval.
    confidence_level : float, default=None
        Level of ``confidence_interval`` (e.g. 0.95).
    n_repeats : int, default=None
        Permutation importance: number of permutations per feature.
    sampled_from : int, default=None
        When a ``SamplingPolicy`` summarized the evaluation rows: how many rows there were
        (the explanation's ``num_examples`` is how many were explained).
    sampling_method : str, default=None
        How they were chosen then: ``"kmeans"`` or ``"random"``.
    notes : tuple of str, default=()
        Free-text remarks (e.g. that the evaluation rows were sampled).
    """

    additivity_error: float | None = None
    exact: bool | None = None
    standard_errors: np.ndarray | None = None
    max_standard_error: float | None = None
    surrogate_metric: str | None = None
    surrogate_score: float | None = None
    surrogate_holdout_rows: int | None = None
    importance_std: np.ndarray | None = None
    confidence_interval: np.ndarray | None = None
    confidence_level: float | None = None
    n_repeats: int | None = None
    sampled_from: int | None = None
    sampling_method: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("standard_errors", "importance_std", "confidence_interval"):
            value = getattr(self, name)
            if value is not None:
                array = np.array(value, dtype=np.float64)
                array.setflags(write=False)
                object.__setattr__(self, name, array)
        object.__setattr__(self, "notes", tuple(self.notes))

    def summary(self) -> str:
        """Return a one-line, human-readable summary of the filled-in diagnostics."""
        parts = []
        if self.additivity_error is not None:
            parts.append(f"additivity error {self.additivity_error:.2g}")
        if self.exact is not None:
            parts.append("exact Shapley values" if self.exact else "sampled estimate")
        if self.max_standard_error is not None and not self.exact:
            parts.append(f"max standard error {self.max_standard_error:.2g}")
        if self.surrogate_score is not None:
            parts.append(
                f"surrogate {self.surrogate_metric} {self.surrogate_score:.3f} "
                f"on {self.surrogate_holdout_rows} held-out rows"
            )
        if self.importance_std is not None:
            level = round(100 * (self.confidence_level or 0.95))
            parts.append(
                f"{self.n_repeats} repeats, max std {float(np.max(self.importance_std)):.2g}, "
                f"{level}% confidence intervals"
            )
        parts.extend(self.notes)
        return "; ".join(parts) if parts else "no diagnostics recorded"

    @property
    def sampled(self) -> bool:
        """Whether the explained rows are a sample of the evaluation rows."""
        return self.sampled_from is not None

    def scalars(self) -> dict[str, object]:
        """Return the scalar fields as a JSON-ready dict (arrays are saved separately).

        The sampling fields appear only when set: files without them keep schema version 2.
        """
        sampling: dict[str, object] = {} if self.sampled_from is None else {
            "sampled_from": self.sampled_from, "sampling_method": self.sampling_method}
        return {
            "additivity_error": self.additivity_error,
            "exact": self.exact,
            "max_standard_error": self.max_standard_error,
            "surrogate_metric": self.surrogate_metric,
            "surrogate_score": self.surrogate_score,
            "surrogate_holdout_rows": self.surrogate_holdout_rows,
            "confidence_level": self.confidence_level,
            "n_repeats": self.n_repeats,
            **sampling,
            "notes": list(self.notes),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """Return the array fields that are set, by name."""
        names = ("standard_errors", "importance_std", "confidence_interval")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}
