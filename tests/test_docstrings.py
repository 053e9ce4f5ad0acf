"""The examples in the docstrings of every pseudoprog module run as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import pseudoprog


def _modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(pseudoprog.__path__, prefix="pseudoprog.")
        if not info.name.endswith("__main__")
    )


def _with_examples(name: str) -> bool:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return any(test.examples for test in finder.find(module, name))


MODULES = [name for name in _modules() if _with_examples(name)]


def test_the_documented_modules_are_found() -> None:
    for name in ("pseudoprog.criteria.recist", "pseudoprog.stats.survival", "pseudoprog.domain"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
