"""How far an explanation can be trusted: the :class:`Fidelity` record."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LOW_AGREEMENT", "Fidelity"]

# a surrogate agreeing less than this with the model (on held-out rows) is flagged in the summary
LOW_AGREEMENT = {"accuracy": 0.9, "r2": 0.8}
# fields written only when set: files without them keep the earlier schema versions
_VERSION_5_FIELDS = ("surrogate_model", "surrogate_share", "model_additivity_error", "explained_rows")


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
    surrogate_model : str, default=None
        The surrogate whose SHAP values these are (e.g. ``"LightGBM"``), when the values are
        not the model's own: ``surrogate_score`` says how well it agrees with the model.
    surrogate_share : float, default=None
        For a weighted blend of models (an AutoML ensemble): the share of the weight whose
        values come from surrogates; the rest are the members' own exact values.
    model_additivity_error : float, default=None
        When the values come (partly) from a surrogate: the largest ``|sum(local values) +
        expected value - model output|`` against the explained model itself on the explained
        rows (``additivity_error`` is then the surrogate's own).
    explained_rows : str, default=None
        Which rows were explained, e.g. ``"held-out rows (not used to fit the model)"``.
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
    surrogate_model: str | None = None
    surrogate_share: float | None = None
    model_additivity_error: float | None = None
    explained_rows: str | None = None
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
        """Return a one-line, human-readable summary: whose values these are and how far to trust them.

        Values of a surrogate are never summarized as the model's: the line names the surrogate,
        its agreement with the model on held-out rows, and says when that agreement is low.
        """
        parts = [self._subject()]
        if self.model_additivity_error is not None:
            parts.append(f"their sums differ from the model's own output by up to "
                         f"{self.model_additivity_error:.2g}")
        if self.max_standard_error is not None and not self.exact:
            parts.append(f"max standard error {self.max_standard_error:.2g}")
        if self.importance_std is not None:
            level = round(100 * (self.confidence_level or 0.95))
            parts.append(
                f"{self.n_repeats} repeats, max std {float(np.max(self.importance_std)):.2g}, "
                f"{level}% confidence intervals"
            )
        if self.explained_rows is not None:
            parts.append(f"explained on {self.explained_rows}")
        if self.low_agreement:
            parts.append("low agreement: treat these values as a rough guide to the model")
        parts.extend(self.notes)
        parts = [part for part in parts if part]
        return "; ".join(parts) if parts else "no diagnostics recorded"

    def _agreement(self) -> str:
        if self.surrogate_score is None:
            return ""
        return (f"{self.surrogate_metric} {self.surrogate_score:.3f} on {self.surrogate_holdout_rows} "
                "held-out rows")

    def _subject(self) -> str:
        """Whose values these are, in words."""
        error = "" if self.additivity_error is None else f" (additivity error {self.additivity_error:.2g})"
        if self.surrogate_share is not None:
            agreement = self._agreement()
            return (f"exact SHAP values of the members holding {1 - self.surrogate_share:.0%} of the "
                    f"model's weight; the other {self.surrogate_share:.0%} from surrogates"
                    + (f" agreeing with their members at {agreement}" if agreement else ""))
        if self.is_surrogate:
            agreement = self._agreement()
            own = "" if self.additivity_error is None else \
                f"; they add up to the surrogate's output (error {self.additivity_error:.2g})"
            name = f"{self.surrogate_model} surrogate" if self.surrogate_model else "surrogate model"
            return (f"SHAP values of a {name}, not of the model"
                    + (f": it agrees with the model at {agreement}" if agreement else "") + own)
        if self.exact is True:
            return f"exact SHAP values of the model{error}"
        if self.exact is False:
            return f"sampled estimate of the model's SHAP values{error}"
        return error.strip(" ()")

    @property
    def is_surrogate(self) -> bool:
        """Whether the values are a surrogate's rather than the model's own."""
        return self.surrogate_share is None and (self.surrogate_model is not None
                                                 or self.surrogate_score is not None)

    @property
    def low_agreement(self) -> bool:
        """Whether a surrogate agrees with the model too little for its values to be read closely
        (accuracy below 0.9 or R² below 0.8 on held-out rows)."""
        if self.surrogate_score is None:
            return False
        return self.surrogate_score < LOW_AGREEMENT.get(self.surrogate_metric or "", 0.9)

    @property
    def describes_its_subject(self) -> bool:
        """Whether a field of schema version 5 is set (which surrogate, blend share, model
        agreement, explained rows)."""
        return any(getattr(self, name) is not None for name in _VERSION_5_FIELDS)

    @property
    def sampled(self) -> bool:
        """Whether the explained rows are a sample of the evaluation rows."""
        return self.sampled_from is not None

    def scalars(self) -> dict[str, object]:
        """Return the scalar fields as a JSON-ready dict (arrays are saved separately).

        The sampling fields, and those of :data:`_VERSION_5_FIELDS`, appear only when set: files
        without them keep the earlier schema versions.
        """
        sampling: dict[str, object] = {} if self.sampled_from is None else {
            "sampled_from": self.sampled_from, "sampling_method": self.sampling_method}
        explained: dict[str, object] = {
            name: getattr(self, name) for name in _VERSION_5_FIELDS if getattr(self, name) is not None}
        return {
            **explained,
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
