"""Grouping near-duplicate columns in the best model's explanation, when asked.

Columns that carry the same information (a date and its month, a size in two units) split
their joint effect between them, sometimes as two large contributions of opposite sign
(:mod:`explain._cancellation`). ``AutoMLConfig(feature_groups="auto")`` finds them — numeric
columns whose rank correlation is at least :data:`MIN_CORRELATION` on the training rows, and
pairs whose contributions cancel — and explains each group as one feature: its value is the
sum of its columns' values, which is exact and still adds up to the model's output. A mapping
``{name: [columns]}`` gives the groups by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from automl._exceptions import ConfigError
from explain import Explanation
from explain._cancellation import cancelling_pairs, with_cancellation_notes
from explain.explainers._groups import check_groups, group_map

__all__ = ["MIN_CORRELATION", "check_feature_groups", "group_explanation", "near_duplicate_groups"]

MIN_CORRELATION = 0.95
SAMPLE_ROWS = 5000


def check_feature_groups(value: Any, columns: Sequence[str]) -> str | dict[str, list[str]] | None:
    """``None``, ``"auto"``, or a checked mapping of group name -> columns."""
    if value is None or value == "auto":
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(f"AutoMLConfig: feature_groups must be None, 'auto' or a mapping of group name -> "
                          f"list of columns, got {type(value).__name__}.")
    try:
        return check_groups(value, columns, "AutoMLConfig: feature_groups")
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def near_duplicate_groups(X: pd.DataFrame, explanation: Explanation) -> dict[str, list[str]]:
    """Groups of numeric columns correlated at :data:`MIN_CORRELATION` or more (Spearman) and of
    columns whose contributions cancel; empty when there are none."""
    links: list[tuple[str, str]] = [p.features for p in cancelling_pairs(explanation)]
    numeric = X.select_dtypes("number")
    if numeric.shape[1] > 1:
        sample = numeric.sample(min(SAMPLE_ROWS, len(numeric)), random_state=0)
        correlation = sample.corr(method="spearman").abs().to_numpy()
        names = list(numeric.columns)
        rows, cols = np.nonzero(np.triu(correlation >= MIN_CORRELATION, k=1))
        links += [(names[i], names[j]) for i, j in zip(rows, cols, strict=True)]
    return _components(links, list(explanation.features))


def _components(links: list[tuple[str, str]], order: list[str]) -> dict[str, list[str]]:
    parent = {name: name for link in links for name in link}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for a, b in links:
        parent[root(a)] = root(b)
    members: dict[str, list[str]] = {}
    for name in sorted(parent, key=lambda n: order.index(n) if n in order else len(order)):
        members.setdefault(root(name), []).append(name)
    return {" + ".join(group): group for group in members.values() if len(group) > 1}


def group_explanation(explanation: Explanation, groups: Mapping[str, list[str]]) -> Explanation:
    """The raw ``explanation`` with each group of columns as one feature (values summed), its
    engineered explanation kept inside; the fidelity notes the groups."""
    engineered = explanation.engineered_explanation
    if engineered is None or explanation.feature_map is None:
        raise ValueError("group_explanation: needs a raw explanation with its engineered one")
    columns_to_groups = group_map(groups, explanation.features)
    grouped = engineered.get_raw_explanation(columns_to_groups @ explanation.feature_map)
    fidelity = explanation.fidelity
    note = "grouped features: " + "; ".join(f"{name!r} = {columns}" for name, columns in groups.items())
    kept = tuple(n for n in fidelity.notes if "cancel each other" not in n)  # grouped now: re-checked
    return with_cancellation_notes(grouped.with_fidelity(dataclasses.replace(fidelity, notes=(*kept, note))))
