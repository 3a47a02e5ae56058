"""Cohorts: named subsets of the dashboard's rows, defined by a filter expression.

A filter reads like ``age < 30 and region == "south"``: comparisons (``<``, ``<=``, ``>``,
``>=``, ``==``, ``!=``, ``in``, ``not in``) of a column with a number, a quoted string,
``True``/``False`` or a list, joined by ``and`` / ``or`` / ``not`` with parentheses. Columns
are the dataset's columns and the dashboard's derived ones (``true_y``, ``predicted_y``,
``error``, ...); a name with spaces is written in backticks.

Filters come from a browser, so their cost is bounded before any work: at most
``MAX_FILTER_CHARS`` characters, ``MAX_DEPTH`` levels of parentheses and ``not``,
``MAX_COMPARISONS`` comparisons and ``MAX_LIST_VALUES`` values in one ``in`` list. Each
column is converted (to text or numbers) at most once per filter.

Written here rather than with :meth:`pandas.DataFrame.query`: ``query`` evaluates Python
expressions, and a filter typed into a browser must never run code on the server. This
parser only builds comparisons, and its errors name the offending column or token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from explain._exceptions import ExplanationValueError

__all__ = ["Cohort", "CohortError", "MAX_COMPARISONS", "MAX_DEPTH", "MAX_FILTER_CHARS", "MAX_LIST_VALUES",
           "parse_filter"]

MAX_FILTER_CHARS = 2_000
MAX_DEPTH = 20  # nested parentheses and 'not's
MAX_COMPARISONS = 32
MAX_LIST_VALUES = 100

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<quoted>`[^`]+`)
    | (?P<op><=|>=|==|!=|<|>|=)
    | (?P<punct>[()\[\],])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""", re.VERBOSE)
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
    "==": np.equal, "=": np.equal, "!=": np.not_equal,
}
_LITERALS = {"true": True, "false": False}


class CohortError(ExplanationValueError):
    """A cohort filter that cannot be parsed or names an unknown column."""


@dataclass(frozen=True)
class Cohort:
    """A named filter over the dashboard's rows; the empty filter selects every row.

    Parameters
    ----------
    name : str
        Shown in every view's cohort picker.
    filter : str, default=""
        The filter expression (see the module docstring).
    """

    name: str
    filter: str = ""

    def mask(self, columns: Mapping[str, np.ndarray], n_rows: int) -> np.ndarray:
        """Boolean mask of the rows in this cohort."""
        return parse_filter(self.filter, columns, n_rows)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise CohortError(f"cohort filter: cannot read {text[position:position + 20]!r} "
                              f"at character {position + 1}.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


class _Parser:
    """Recursive descent over ``or`` > ``and`` > ``not`` > comparison."""

    def __init__(self, text: str, columns: Mapping[str, np.ndarray], n_rows: int) -> None:
        self.tokens = _tokenize(text)
        self.position = 0
        self.columns = columns
        self.n_rows = n_rows
        self.depth = 0
        self.comparisons = 0
        self.converted: dict[tuple[str, str], np.ndarray | None] = {}

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise CohortError("cohort filter ends too early: a comparison is incomplete.")
        self.position += 1
        return token

    def is_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].lower() in words

    def parse(self) -> np.ndarray:
        mask = self.disjunction()
        if self.peek() is not None:
            raise CohortError(f"cohort filter: unexpected {self.peek()[1]!r}; "  # type: ignore[index]
                              "join comparisons with 'and' or 'or'.")
        return mask

    def disjunction(self) -> np.ndarray:
        mask = self.conjunction()
        while self.is_word("or"):
            self.take()
            mask = mask | self.conjunction()
        return mask

    def conjunction(self) -> np.ndarray:
        mask = self.negation()
        while self.is_word("and"):
            self.take()
            mask = mask & self.negation()
        return mask

    def negation(self) -> np.ndarray:
        if not (self.is_word("not") or self.peek() == ("punct", "(")):
            return self.comparison()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CohortError(f"cohort filter: nested more than {MAX_DEPTH} levels deep (parentheses and "
                              "'not'); write it more simply or split it into several cohorts.")
        if self.take()[1].lower() == "not":
            mask = ~self.negation()
        else:
            mask = self.disjunction()
            if self.peek() != ("punct", ")"):
                raise CohortError("cohort filter: a '(' is not closed.")
            self.take()
        self.depth -= 1
        return mask

    def count_comparison(self) -> None:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise CohortError(f"cohort filter: more than {MAX_COMPARISONS} comparisons; use 'in [..]' "
                              "lists or split it into several cohorts.")

    def comparison(self) -> np.ndarray:
        kind, text = self.take()
        if kind not in ("word", "quoted"):
            raise CohortError(f"cohort filter: expected a column name, got {text!r}.")
        name = text.strip("`")
        if name not in self.columns:
            known = ", ".join(repr(c) for c in list(self.columns)[:8])
            raise CohortError(f"cohort filter: unknown column {name!r}; known columns include {known}.")
        column = self.columns[name]
        self.count_comparison()
        if self.is_word("in", "not"):
            negate = self.take()[1].lower() == "not"
            if negate and not self.is_word("in"):
                raise CohortError(f"cohort filter: expected 'in' after 'not' for column {name!r}.")
            if negate:
                self.take()
            mask = np.zeros(self.n_rows, dtype=bool)
            for value in self.values(name):
                mask |= self.compare(column, "==", value, name)
            return ~mask if negate else mask
        kind, op = self.take()
        if kind != "op":
            raise CohortError(f"cohort filter: expected a comparison after {name!r}, got {op!r}.")
        value = self.value(name)
        return self.compare(column, op, value, name)

    def compare(self, column: np.ndarray, op: str, value: Any, name: str) -> np.ndarray:
        return _compare(column, op, value, name, lambda kind: self.convert(column, name, kind))

    def convert(self, column: np.ndarray, name: str, kind: str) -> np.ndarray | None:
        """``column`` as text (``kind="str"``) or numbers (``"float"``, ``None`` if it cannot be),
        converted once per filter: an ``in`` list compares the same column with many values."""
        if (name, kind) not in self.converted:
            self.converted[name, kind] = column.astype(str) if kind == "str" else _as_float(column)
        return self.converted[name, kind]

    def values(self, name: str) -> list[Any]:
        if self.take() != ("punct", "["):
            raise CohortError(f"cohort filter: 'in' needs a list like [1, 2] for column {name!r}.")
        values = [self.value(name)]
        while self.peek() == ("punct", ","):
            self.take()
            values.append(self.value(name))
            if len(values) > MAX_LIST_VALUES:
                raise CohortError(f"cohort filter: the list for column {name!r} has more than "
                                  f"{MAX_LIST_VALUES} values; split it into several cohorts.")
        if self.peek() != ("punct", "]"):
            raise CohortError(f"cohort filter: the list for column {name!r} is not closed with ']'.")
        self.take()
        return values

    def value(self, name: str) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(text)
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "word" and text.lower() in _LITERALS:
            return _LITERALS[text.lower()]
        if kind == "word":
            return text  # an unquoted category, e.g. region == south
        raise CohortError(f"cohort filter: expected a value to compare {name!r} with, got {text!r}.")


def _compare(column: np.ndarray, op: str, value: Any, name: str,
             convert: Callable[[str], np.ndarray | None]) -> np.ndarray:
    """``column op value``; ``convert(kind)`` gives the column as ``"str"`` or ``"float"``."""
    if column.dtype.kind in "biuf" and isinstance(value, str):
        raise CohortError(f"cohort filter: column {name!r} is numeric; compare it with a number, "
                          f"not {value!r}.")
    if column.dtype.kind not in "biuf" and op not in ("==", "=", "!="):
        if isinstance(value, float):
            numeric = convert("float")
            if numeric is None:
                raise CohortError(f"cohort filter: column {name!r} is not numeric; use == or != "
                                  f"with a quoted value.")
            column = numeric
        else:
            column, value = convert("str"), str(value)  # type: ignore[assignment]
    elif column.dtype.kind not in "biuf":
        numeric = convert("float") if isinstance(value, float) else None
        if numeric is not None:
            column = numeric
        elif isinstance(value, float):
            column, value = convert("str"), _format(value)  # type: ignore[assignment]
        else:
            column, value = convert("str"), str(value)  # type: ignore[assignment]
    with np.errstate(invalid="ignore"):
        return np.asarray(_COMPARE[op](column, value), dtype=bool)


def _as_float(column: np.ndarray) -> np.ndarray | None:
    try:
        return column.astype(np.float64)
    except (TypeError, ValueError):
        return None


def _format(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_filter(text: str, columns: Mapping[str, np.ndarray], n_rows: int) -> np.ndarray:
    """Evaluate a filter expression over ``columns`` into a boolean mask of ``n_rows``.

    Parameters
    ----------
    text : str
        The filter; empty or blank selects every row.
    columns : mapping of str to ndarray of shape (n_rows,)
        The columns a filter may name.
    n_rows : int
        Number of rows.

    Raises
    ------
    CohortError
        If the expression cannot be parsed, names an unknown column or is too costly (longer
        than ``MAX_FILTER_CHARS``, nested deeper than ``MAX_DEPTH``, more than
        ``MAX_COMPARISONS`` comparisons or ``MAX_LIST_VALUES`` list values); the message says which.

    Examples
    --------
    >>> import numpy as np
    >>> cols = {"age": np.array([25, 40, 28]), "region": np.array(["south", "south", "north"])}
    >>> parse_filter('age < 30 and region == "south"', cols, 3)
    array([ True, False, False])
    """
    if not isinstance(text, str):
        raise CohortError(f"cohort filter must be a string, got {type(text).__name__}.")
    if len(text) > MAX_FILTER_CHARS:
        raise CohortError(f"cohort filter is {len(text):,} characters long; at most {MAX_FILTER_CHARS:,} "
                          "are allowed: write it more simply or split it into several cohorts.")
    if not text.strip():
        return np.ones(n_rows, dtype=bool)
    return _Parser(text, columns, n_rows).parse()
