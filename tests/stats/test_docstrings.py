"""The examples in the docstrings of the statistics and report modules run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "pseudoprog.stats.accuracy",
    "pseudoprog.stats.association",
    "pseudoprog.stats.competing",
    "pseudoprog.stats.cox",
    "pseudoprog.stats.descriptive",
    "pseudoprog.stats.inclusion",
    "pseudoprog.stats.proportions",
    "pseudoprog.stats.published",
    "pseudoprog.stats.responses",
    "pseudoprog.stats.study",
    "pseudoprog.stats.summaries",
    "pseudoprog.stats.survival",
    "pseudoprog.stats.timecourse",
    "pseudoprog.report.study",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
