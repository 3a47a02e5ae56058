"""A fitted skrub ``StringEncoder``'s transform of a few strings, without its per-call checks.

``StringEncoder.transform`` runs ``TfidfVectorizer.transform`` (counting the n-grams of each
text in the fitted vocabulary, weighting them by the fitted IDF, normalizing each row), casts
to float32, projects on the fitted truncated SVD and divides by the fitted scale. The
scikit-learn calls validate their inputs each time, which for one short text costs more than
the arithmetic. :class:`TextEncoding` does the same arithmetic in the same order on the same
fitted arrays (so the numbers are equal, as the tests check): n-gram counts by the vectorizer's
own analyzer, the IDF product and the row normalization in double precision as scikit-learn's
compiled loops do them, and the projection as the same sparse product. Encoders it does not know (a hashing
vectorizer, binary counts) run their own ``transform``.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["TextEncoding"]


class TextEncoding:
    """The projection of texts by a fitted ``StringEncoder``.

    Parameters
    ----------
    encoder : skrub.StringEncoder
        Fitted.
    """

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        vectorizer = encoder.vectorizer_
        self.direct = (isinstance(vectorizer, TfidfVectorizer) and not vectorizer.binary
                       and vectorizer.norm in ("l1", "l2", None) and vectorizer.dtype == np.float64)
        if self.direct:
            self.analyzer = vectorizer.build_analyzer()
            self.vocabulary = vectorizer.vocabulary_
            self.idf = vectorizer.idf_ if vectorizer.use_idf else None

    def transform(self, texts: list[str]) -> np.ndarray:
        """The encoder's output for ``texts`` (float32 values, divided by its scale)."""
        encoder = self.encoder
        if self.direct and not encoder.vectorizer_.sublinear_tf:
            counts = self._tfidf32(texts)
        else:
            counts = encoder.vectorizer_.transform(texts).astype("float32")
        if hasattr(encoder, "tsvd_"):
            result = counts @ encoder.tsvd_.components_.T  # TruncatedSVD.transform's product
        else:
            result = counts[:, : encoder.n_components].toarray().copy()
        result /= encoder.scaling_factor_
        return np.asarray(result)

    def _tfidf32(self, texts: list[str]) -> sp.csr_matrix:
        """``TfidfVectorizer.transform(texts).astype("float32")``: counts sorted by feature,
        times the IDF, each row divided by its norm, in that order and in double precision
        (the arithmetic of scikit-learn's ``_count_vocab``, ``TfidfTransformer.transform`` and
        its compiled ``inplace_csr_row_normalize_l1`` / ``_l2``), then cast to float32."""
        indices: list[int] = []
        data: list[float] = []
        indptr = [0]
        vocabulary, idf, norm = self.vocabulary, self.idf, self.encoder.vectorizer_.norm
        for text in texts:
            counted = Counter(vocabulary[g] for g in self.analyzer(text) if g in vocabulary)
            row = sorted(counted)
            weights = [float(counted[j]) * float(idf[j]) for j in row] if idf is not None \
                else [float(counted[j]) for j in row]
            if norm is not None:
                total = 0.0
                for w in weights:
                    total += w * w if norm == "l2" else abs(w)
                if total != 0.0:
                    scale = math.sqrt(total) if norm == "l2" else total
                    weights = [w / scale for w in weights]
            indices.extend(row)
            data.extend(weights)
            indptr.append(len(indices))
        return sp.csr_matrix((np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32),
                              np.asarray(indptr, dtype=np.int32)), shape=(len(texts), len(vocabulary)))
