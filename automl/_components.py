"""What a text column's components capture: their top tokens, for labelling engineered features.

The automatic featurization encodes a high-cardinality text column as ``n`` components
(skrub's ``StringEncoder``: TF-IDF of character n-grams, then a truncated SVD), named
``<column>_00`` ... ``<column>_<n-1>``. A name says nothing of what a component captures; its
largest loadings do. The report labels each component with the n-grams loading most on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["component_labels"]

TOKENS = 3
CANDIDATES = 12  # n-grams with the largest loadings considered for a label


def component_labels(model: Any, n_tokens: int = TOKENS) -> dict[str, str]:
    """``{"comment_00": "comment_00 (late, slow, bad)", ...}`` for the text components of ``model``.

    Parameters
    ----------
    model : object
        A fitted pipeline whose first step is an :class:`featurization.AutoFeaturizer`;
        anything else has no components (an empty dict).
    n_tokens : int, default=3
        Tokens per label: among the :data:`CANDIDATES` n-grams (spaces trimmed) with the largest
        loadings, the first that are not part of a longer one.
    """
    steps = getattr(model, "steps", None)
    vectorizer = getattr(steps[0][1], "vectorizer_", None) if steps else None
    labels: dict[str, str] = {}
    for encoder in getattr(vectorizer, "transformers_", {}).values():
        svd, tfidf = getattr(encoder, "tsvd_", None), getattr(encoder, "vectorizer_", None)
        outputs = getattr(encoder, "all_outputs_", None)
        if svd is None or tfidf is None or outputs is None:
            continue
        vocabulary = np.asarray(tfidf.get_feature_names_out(), dtype=object)
        for name, loadings in zip(outputs, svd.components_, strict=False):
            ranked = [str(vocabulary[i]).strip() for i in np.argsort(-loadings, kind="stable")[:CANDIDATES]]
            labels[str(name)] = f"{name} ({', '.join(_longest(ranked, n_tokens))})"
    return labels


def _longest(ranked: list[str], n_tokens: int) -> list[str]:
    """The first ``n_tokens`` of ``ranked`` that are not part of another one (``"del"`` is dropped
    for ``"deli"``: character n-grams of one word overlap)."""
    kept: list[str] = []
    for token in ranked:
        if token and token not in kept and not any(token in other for other in ranked if other != token):
            kept.append(token)
    return kept[:n_tokens]
