import os

import numpy as np
import pytest

from explain import ExplanationValueError
from explain.dashboard import Cohort, CohortError, parse_filter

AGE = np.array([25, 40, 28, 61, 35, 19])
REGION = np.array(["south", "south", "north", "west", "north", "east"])


def columns() -> dict[str, np.ndarray]:
    return {
        "age": AGE,
        "income": np.array([10.5, 52.0, np.nan, 80.25, 33.0, 5.0]),
        "region": REGION,
        "member": np.array([True, False, True, True, False, False]),
        "code": np.array([1, "2", 3, "4", 5.0, "x"], dtype=object),
        "numbers": np.array([1, 2, 3, 4, 5, 6], dtype=object),
        "home town": np.array(["rome", "oslo", "rome", "new york", "oslo", "rome"]),
    }


def select(text: str) -> list[int]:
    """Row indices the filter ``text`` selects."""
    mask = parse_filter(text, columns(), len(AGE))
    assert mask.dtype == bool and mask.shape == AGE.shape
    return np.flatnonzero(mask).tolist()


@pytest.mark.parametrize(("text", "expected"), [
    ("age < 30", [0, 2, 5]),
    ("age <= 28", [0, 2, 5]),
    ("age > 35", [1, 3]),
    ("age >= 35", [1, 3, 4]),
    ("age == 40", [1]),
    ("age = 40", [1]),
    ("age != 40", [0, 2, 3, 4, 5]),
    ("age > -1e1", [0, 1, 2, 3, 4, 5]),
    ("income < 33.5", [0, 4, 5]),  # NaN is in no numeric range
    ("income != 5", [0, 1, 2, 3, 4]),
    ("age>30", [1, 3, 4]),
])
def test_numeric_comparisons(text, expected):
    assert select(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ('region == "south"', [0, 1]),
    ("region == 'north'", [2, 4]),
    ("region == south", [0, 1]),  # an unquoted category
    ("region != south", [2, 3, 4, 5]),
    ('region != "north"', [0, 1, 3, 5]),
    ('region == "nowhere"', []),
])
def test_equality_on_string_columns_with_quoted_and_unquoted_categories(text, expected):
    assert select(text) == expected


def test_quoted_strings_unescape_their_quotes():
    cols = {"name": np.array(['say "hi"', "it's", "plain"])}
    assert parse_filter(r'name == "say \"hi\""', cols, 3).tolist() == [True, False, False]
    assert parse_filter(r"name == 'it\'s'", cols, 3).tolist() == [False, True, False]


@pytest.mark.parametrize(("text", "expected"), [
    ("region in [south, west]", [0, 1, 3]),
    ('region in ["north"]', [2, 4]),
    ("region not in ['south', 'north']", [3, 5]),
    ("age in [25, 61, 99]", [0, 3]),
    ("age not in [25, 61]", [1, 2, 4, 5]),
    ("region NOT IN [east]", [0, 1, 2, 3, 4]),
])
def test_in_and_not_in_lists(text, expected):
    assert select(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("member == True", [0, 2, 3]),
    ("member == false", [1, 4, 5]),
    ("member != true and age < 30", [5]),
])
def test_boolean_columns_compare_with_true_and_false(text, expected):
    assert select(text) == expected


def test_and_binds_tighter_than_or():
    # age < 20 or (region == south and age > 30)  -> rows 5 and 1
    assert select("age < 20 or region == south and age > 30") == [1, 5]
    # (age < 20 or region == south) and age > 30  -> row 1 only
    assert select("(age < 20 or region == south) and age > 30") == [1]
    assert select("region == south and age > 30 or age < 20") == [1, 5]


def test_not_and_nested_parentheses():
    assert select("not age < 30") == [1, 3, 4]
    assert select("not (age < 30 or region == west)") == [1, 4]
    assert select("not not region == north") == [2, 4]
    assert select("not age < 30 and region == north") == [4]  # not binds to one comparison
    assert select("((age < 30) and ((region == south) or (region == east)))") == [0, 5]
    assert select("age < 30 AND region == north OR age > 60") == [2, 3]


def test_backticked_column_names_may_hold_spaces():
    assert select("`home town` == rome") == [0, 2, 5]
    assert select('`home town` in ["new york", oslo]') == [1, 3, 4]
    assert select("`age` < 20") == [5]


def test_numbers_compare_numerically_with_object_columns_holding_numbers():
    assert select("numbers > 4") == [4, 5]
    assert select("numbers == 2") == [1]
    assert select("numbers in [1, 6]") == [0, 5]
    # a mixed column that is not all numbers: equality against the number's text
    assert select("code == 2") == [1]
    assert select("code == 3") == [2]
    assert select("code == x") == [5]


def test_empty_or_blank_filter_selects_every_row():
    for text in ("", "   ", "\n\t"):
        mask = parse_filter(text, columns(), 6)
        assert mask.dtype == bool and mask.all() and mask.shape == (6,)
    assert Cohort("All data").mask(columns(), 6).all()


def test_cohort_mask_applies_its_filter():
    cohort = Cohort("young south", 'age < 30 and region == "south"')
    assert cohort.mask(columns(), 6).tolist() == [True, False, False, False, False, False]


@pytest.mark.parametrize(("text", "message"), [
    ("salary > 3", r"unknown column 'salary'; known columns include 'age'"),
    ("`home  town` == rome", r"unknown column 'home  town'"),
    ("age < 30 and nope == 1", r"unknown column 'nope'"),
    ("(age < 30 age > 1", r"a '\(' is not closed"),
    ("region in [south west]", r"the list for column 'region' is not closed with '\]'"),
    ("region in south", r"'in' needs a list like \[1, 2\] for column 'region'"),
    ("region not south", r"expected 'in' after 'not' for column 'region'"),
    ("age <", r"ends too early"),
    ("age", r"ends too early"),
    ("age < )", r"expected a value to compare 'age' with, got '\)'"),
    ("region in []", r"expected a value to compare 'region' with, got '\]'"),
    ("age age", r"expected a comparison after 'age', got 'age'"),
    ("30 < age", r"expected a column name, got '30'"),
    ("age < 'thirty'", r"column 'age' is numeric; compare it with a number, not 'thirty'"),
    ("age == thirty", r"column 'age' is numeric"),
    ("member == yes", r"column 'member' is numeric"),
    ("region < 3", r"column 'region' is not numeric; use == or !="),
    ("age < 30 40", r"unexpected '40'; join comparisons with 'and' or 'or'"),
    ("age < 30 )", r"unexpected '\)'"),
    ("age < 30 $ 1", r"cannot read '\$ 1' at character 10"),
    ("age < 30 & region == south", r"cannot read '&"),
])
def test_errors_name_the_problem(text, message):
    with pytest.raises(CohortError, match=message):
        parse_filter(text, columns(), 6)


@pytest.mark.parametrize(("text", "message"), [
    ("(age < 30", r"a '\(' is not closed"),
    ("region in [south, west", r"not closed with '\]'"),
])
def test_bracket_left_open_at_the_end_is_named(text, message):
    with pytest.raises(CohortError, match=message):
        parse_filter(text, columns(), 6)


@pytest.mark.parametrize("text", [None, 5, ["age < 3"], b"age < 3"])
def test_filter_must_be_a_string(text):
    with pytest.raises(CohortError, match=f"cohort filter must be a string, got {type(text).__name__}"):
        parse_filter(text, columns(), 6)
    with pytest.raises(CohortError, match="must be a string"):
        Cohort("bad", text).mask(columns(), 6)


def test_cohort_error_is_a_value_error():
    assert issubclass(CohortError, ValueError)
    assert issubclass(CohortError, ExplanationValueError)
    with pytest.raises(ValueError, match="unknown column"):
        parse_filter("nope == 1", columns(), 6)


@pytest.mark.parametrize("text", [
    "__import__('os').system('x') == 1",
    "age == __import__('os').system('x')",
    "age.__class__ == 1",
    "eval('1') == 1",
    "age < 30 or __import__('os').system('x')",
])
def test_filter_cannot_execute_code(text, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    monkeypatch.setattr("builtins.eval", lambda *a, **k: calls.append(a))
    with pytest.raises(CohortError, match="cohort filter"):
        parse_filter(text, columns(), 6)
    assert calls == []


# -- bounded cost: filters come from a browser ------------------------------------------------------


def test_a_filter_longer_than_the_limit_is_refused_before_it_is_read():
    import time

    from explain.dashboard._cohorts import MAX_FILTER_CHARS

    huge = "age > 1 or " * 100_000 + "age > 1"  # about 1 MB
    start = time.process_time()
    with pytest.raises(CohortError, match=r"cohort filter is 1,100,007 characters long; at most 2,000"):
        parse_filter(huge, columns(), 6)
    assert time.process_time() - start < 0.05
    assert MAX_FILTER_CHARS == 2_000
    longest = "age > 1" + " " * (MAX_FILTER_CHARS - 7)
    assert len(select(longest)) == 6


@pytest.mark.parametrize("text", [
    "(" * 400 + "age > 1" + ")" * 400,
    "not " * 400 + "age > 1",
    "(not " * 300 + "age > 1" + ")" * 300,
])
def test_deep_nesting_is_refused_with_a_message_not_a_recursion_error(text):
    with pytest.raises(CohortError, match=r"nested more than 20 levels deep \(parentheses and 'not'\)"):
        parse_filter(text, columns(), 6)


def test_nesting_up_to_the_limit_is_read():
    from explain.dashboard._cohorts import MAX_DEPTH

    assert select("(" * MAX_DEPTH + "age > 30" + ")" * MAX_DEPTH) == [1, 3, 4]
    assert select("not " * MAX_DEPTH + "age > 30") == [1, 3, 4]  # an even number of 'not's
    assert select("not " * (MAX_DEPTH - 1) + "age > 30") == [0, 2, 5]
    assert select("(" * 15 + "age > 30) and (age < 60" + ")" * 15) == [1, 4]  # depth is not cumulative
    with pytest.raises(CohortError, match="nested more than"):
        select("not " * (MAX_DEPTH + 1) + "age > 30")


def test_too_many_comparisons_or_list_values_are_refused():
    from explain.dashboard._cohorts import MAX_COMPARISONS, MAX_LIST_VALUES

    assert select(" or ".join(["age == 40"] * MAX_COMPARISONS)) == [1]
    with pytest.raises(CohortError, match=f"more than {MAX_COMPARISONS} comparisons; use 'in"):
        select(" or ".join(["age == 40"] * (MAX_COMPARISONS + 1)))
    values = ", ".join(str(v) for v in range(MAX_LIST_VALUES))
    assert select(f"age in [{values}]") == [0, 1, 2, 3, 4, 5]
    with pytest.raises(CohortError, match=f"list for column 'age' has more than {MAX_LIST_VALUES} values"):
        select(f"age in [{values}, 1000]")


def test_each_column_is_converted_once_per_filter(monkeypatch):
    from explain.dashboard import _cohorts

    calls = []
    real = _cohorts._as_float
    monkeypatch.setattr(_cohorts, "_as_float", lambda column: calls.append(1) or real(column))
    assert select("numbers in [1, 3] or numbers > 4 or numbers == 2") == [0, 1, 2, 4, 5]
    assert len(calls) == 1
