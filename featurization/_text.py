"""A fitted skrub ``StringEncoder``'s transform of a few strings, without its per-call checks.

``StringEncoder.transform`` runs ``TfidfVectorizer.transform`` (counting the n-grams of each
text in the fitted vocabulary, weighting them by the fitted IDF, normalizing each row), casts
to float32, projects on the fitted truncated SVD and divides by the fitted scale. The
scikit-learn calls validate their inputs each time, which for one short text costs more than
the arithmetic. :class:`TextEncoding` does the same arithmetic in the same order on the same
fitted arrays (so the numbers are equal, as the tests check): n-gram counts by the vectorizer's
own analyzer, the IDF product and scikit-learn's compiled row normalization on a CSR matrix,
and the projection as the same sparse product. Encoders it does not know (a hashing
vectorizer, binary counts) run their own ``transform``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l1, inplace_csr_row_normalize_l2

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
        counts = self._tfidf(texts) if self.direct else encoder.vectorizer_.transform(texts)
        counts = counts.astype("float32")
        if hasattr(encoder, "tsvd_"):
            result = counts @ encoder.tsvd_.components_.T  # TruncatedSVD.transform's product
        else:
            result = counts[:, : encoder.n_components].toarray().copy()
        result /= encoder.scaling_factor_
        return np.asarray(result)

    def _tfidf(self, texts: list[str]) -> sp.csr_matrix:
        """``TfidfVectorizer.transform``: counts (sorted by feature), IDF, normalization."""
        indices: list[int] = []
        data: list[int] = []
        indptr = [0]
        vocabulary = self.vocabulary
        for text in texts:
            counted = Counter(vocabulary[g] for g in self.analyzer(text) if g in vocabulary)
            for index in sorted(counted):
                indices.append(index)
                data.append(counted[index])
            indptr.append(len(indices))
        matrix = sp.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int32),
                                np.asarray(indptr, dtype=np.int32)), shape=(len(texts), len(vocabulary)))
        vectorizer = self.encoder.vectorizer_
        if vectorizer.sublinear_tf:
            np.log(matrix.data, matrix.data)
            matrix.data += 1.0
        if self.idf is not None:
            matrix.data *= self.idf[matrix.indices]
        if vectorizer.norm == "l2":  # what sklearn.preprocessing.normalize runs, without its checks
            inplace_csr_row_normalize_l2(matrix)
        elif vectorizer.norm == "l1":
            inplace_csr_row_normalize_l1(matrix)
        return matrix
