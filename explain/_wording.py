"""How an explanation's importances are titled wherever they are shown (CLI, report, dashboard).

Mean |local value| over a handful of rows is not a model's global importance: an explanation
of fewer than :data:`MIN_GLOBAL_ROWS` rows is titled with its row count and says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explain._explanation import Explanation

__all__ = ["MIN_GLOBAL_ROWS", "importance_title"]

MIN_GLOBAL_ROWS = 100


def importance_title(explanation: Explanation) -> str:
    """``"Global importance"``, or for few rows ``"Mean |contribution| over 12 rows (...)"``.

    Examples
    --------
    >>> import numpy as np
    >>> from explain import Explanation
    >>> small = Explanation.from_local(np.ones((1, 12, 2)), np.zeros(1), method="m",
    ...                                model_task="regression", features=["a", "b"])
    >>> importance_title(small)
    'Mean |contribution| over 12 rows (too few rows to stand for global importance)'
    """
    rows = explanation.num_examples
    if rows is None or rows >= MIN_GLOBAL_ROWS:
        return "Global importance" if rows is None else f"Global importance ({rows:,} rows)"
    return (f"Mean |contribution| over {rows} row{'s' if rows != 1 else ''} "
            "(too few rows to stand for global importance)")
