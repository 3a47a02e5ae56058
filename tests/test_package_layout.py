"""Package-level contracts: public names, one-way dependencies, exception hierarchy."""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["featurization", "explain", "automl"]
# a package may import only the packages to its left
ALLOWED = {"featurization": set(), "explain": {"featurization"},
           "automl": {"explain", "featurization"}}


def _imported_top_level(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_dependencies_point_one_way(package):
    forbidden = set(PACKAGES) - ALLOWED[package] - {package}
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_top_level(path) & forbidden)
        for path in (ROOT / package).rglob("*.py")
        if _imported_top_level(path) & forbidden
    }
    assert not offenders, f"{package} imports upward: {offenders}"


@pytest.mark.parametrize("module", ["explain", "explain.compat", "explain.models", "explain.explainers",
                                    "featurization", "automl"])
def test_all_is_sorted_and_importable(module):
    imported = importlib.import_module(module)
    names = imported.__all__
    assert list(names) == sorted(names)
    for name in names:
        assert hasattr(imported, name), f"{module}.{name} listed in __all__ but missing"


def test_public_names_of_interpret_community_are_available():
    import explain
    import explain.models

    for name in ("TabularExplainer", "MimicExplainer", "PFIExplainer", "TreeExplainer",
                 "LinearExplainer", "KernelExplainer", "save_explanation", "load_explanation"):
        assert name in explain.__all__
    for name in ("LGBMExplainableModel", "LinearExplainableModel", "SGDExplainableModel",
                 "DecisionTreeExplainableModel"):
        assert name in explain.models.__all__


def test_every_error_derives_from_the_root_and_a_builtin():
    import explain

    for error, builtin in [(explain.ExplanationValueError, ValueError),
                           (explain.ExplanationTypeError, TypeError),
                           (explain.ModelCallError, ValueError),
                           (explain.SchemaVersionError, ValueError)]:
        assert issubclass(error, explain.ExplanationError)
        assert issubclass(error, builtin)


def test_private_modules_stay_small():
    too_long = {
        str(path.relative_to(ROOT)): n
        for package in PACKAGES for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 520
    }
    assert not too_long, f"modules over 520 lines: {too_long}"
