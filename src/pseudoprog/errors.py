"""Exceptions and warning categories of pseudoprog.

Every error names what was wrong, the value that was given and how to fix it. Input problems
found while reading tables are collected as :class:`Problem` records and raised together in one
:class:`InputValidationError`, so that a user sees every bad row at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "FitWarning",
    "InputValidationError",
    "InputWarning",
    "ParameterError",
    "Problem",
    "PseudoprogError",
    "PseudoprogWarning",
]


class PseudoprogError(Exception):
    """Base class of every error raised by pseudoprog."""


class ParameterError(PseudoprogError, ValueError):
    """A function argument or option has a value that cannot be used.

    The message names the argument, the value and what is accepted.
    """


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in user input.

    Parameters
    ----------
    source
        The file (and sheet, for workbooks) the problem is in.
    message
        What is wrong.
    expected
        What would be accepted instead; this is the fix.
    row
        Row number as a spreadsheet shows it (the header is row 1), or ``None`` when the
        problem concerns the whole file or a whole column.
    column
        The column concerned, or ``None``.
    value
        The offending value as text, or ``None``.
    """

    source: str
    message: str
    expected: str = ""
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (got {self.value!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class InputValidationError(PseudoprogError):
    """User input failed validation; :attr:`problems` lists every problem found.

    Nothing is computed and nothing is written when this is raised.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = f"\n  ... and {count - 20} more" if count > 20 else ""
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in the input:\n{head}{more}")


class PseudoprogWarning(UserWarning):
    """Base class of the warnings pseudoprog emits."""


class InputWarning(PseudoprogWarning):
    """Input was accepted but changed, e.g. identical duplicate rows were merged."""


class FitWarning(PseudoprogWarning):
    """A model fit did not converge or gave unphysical values for some voxels."""
