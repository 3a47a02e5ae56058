"""Groups of features explained as one player: validation and the group feature map.

``groups={"size": ["height", "width"], ...}`` names groups of columns (the raw columns when
the explainer has a feature map, else its features).  Columns in no group stay their own
player; the explained features are the groups and the ungrouped columns, in the order of
their first column.

* Additive explainers (TreeSHAP, linear, mimic) explain every column and *sum* a group's
  values: the group map is a :class:`~featurization.FeatureMap` (group x column, weights 1)
  composed with the explainer's own map, so the result is exact and adds up, and the
  per-column explanation stays reachable as ``engineered_explanation``.
* Kernel SHAP plays the *grouped game*: a group's columns are switched on and off together
  (:func:`player_columns`).  Its values are the Shapley values of the game whose players are
  the groups, which differ from the sums of per-column Shapley values when the model has
  interactions inside a group: the grouped game never evaluates a row with some of a
  group's columns from ``x`` and the others from the background (e.g. two categories of one
  one-hot encoded column switched on), and has fewer players, so the same budget buys more
  accuracy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from explain._exceptions import ExplanationTypeError, ExplanationValueError
from featurization import FeatureMap

__all__ = ["check_groups", "group_map", "player_columns"]


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in list(names)[:5]) + (", ..." if len(names) > 5 else "")


def check_groups(groups: Any, columns: Sequence[str], caller: str,
                 spelling: Callable[[str], str] | None = None) -> dict[str, list[str]] | None:
    """Validate ``groups`` against ``columns``; return it as ``{name: [column, ...]}``.

    ``spelling`` maps a user's column name to the explainer's when they differ (LightGBM
    stores names with whitespace replaced by ``_``).

    Raises
    ------
    ExplanationTypeError
        When ``groups`` is not a mapping of names to lists of column names.
    ExplanationValueError
        When a group is empty, names an unknown column, shares a column with another group,
        or is named like a column outside it.
    """
    if groups is None:
        return None
    if not isinstance(groups, Mapping) or not groups:
        raise ExplanationTypeError(
            f"{caller}: groups must be a non-empty mapping of group name -> list of column names, "
            f"got {type(groups).__name__}."
        )
    known, owner, out = set(columns), dict[str, str](), dict[str, list[str]]()
    for name, members in groups.items():
        if isinstance(members, str) or not isinstance(members, Sequence | np.ndarray):
            raise ExplanationTypeError(
                f"{caller}: groups[{name!r}] must be a list of column names, got {type(members).__name__}."
            )
        members = [str(m) for m in members]
        if spelling is not None:
            members = [m if m in known else spelling(m) for m in members]
        if not members:
            raise ExplanationValueError(f"{caller}: groups[{name!r}] is empty; give it at least one column.")
        unknown = [m for m in members if m not in known]
        if unknown:
            raise ExplanationValueError(
                f"{caller}: groups[{name!r}] names unknown columns {_quoted(unknown)}; the columns are "
                f"{_quoted(list(columns))}."
            )
        shared = [m for m in dict.fromkeys(members) if m in owner or members.count(m) > 1]
        if shared:
            other = owner.get(shared[0], str(name))
            raise ExplanationValueError(
                f"{caller}: columns {_quoted(shared)} are in more than one group ({other!r} and "
                f"{str(name)!r}); put every column in one group at most."
            )
        owner.update(dict.fromkeys(members, str(name)))
        out[str(name)] = members
    clashes = [n for n in out if n in known and owner.get(n) != n]
    if clashes:
        raise ExplanationValueError(
            f"{caller}: group names {_quoted(clashes)} are also the names of columns outside them; "
            "rename the groups."
        )
    return out


def group_map(groups: Mapping[str, Sequence[str]], columns: Sequence[str]) -> FeatureMap:
    """The (groups and ungrouped columns) x ``columns`` map of checked ``groups``.

    Examples
    --------
    >>> group_map({"size": ["h", "w"]}, ["a", "h", "b", "w"]).raw_feature_names
    ('a', 'size', 'b')
    """
    owner = {column: name for name, members in groups.items() for column in members}
    names = list(dict.fromkeys(owner.get(c, c) for c in columns))
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(names), len(columns)))
    for j, column in enumerate(columns):
        matrix[index[owner.get(column, column)], j] = 1.0
    return FeatureMap(names, columns, matrix)


def player_columns(players: FeatureMap, caller: str) -> list[np.ndarray]:
    """The engineered columns of every player (row) of ``players`` (players x engineered).

    Every engineered column must come from exactly one player, so that switching a player
    on or off switches whole columns; a player that produced no column gets an empty array
    (its value is 0).

    Raises
    ------
    ExplanationValueError
        When an engineered column mixes several players.
    """
    matrix = players.to_matrix().tocsc()
    mixed = [players.engineered_feature_names[j] for j in np.flatnonzero(np.diff(matrix.indptr) > 1)]
    if mixed:
        raise ExplanationValueError(
            f"{caller}: engineered features {_quoted(mixed)} are made from columns of several players, "
            "so those columns cannot be switched on and off separately; put the columns they are made "
            "from into one group (groups=...)."
        )
    rows = players.to_matrix().tocsr()
    return [rows.indices[rows.indptr[i]:rows.indptr[i + 1]].astype(np.intp) for i in range(players.n_raw)]
