"""Terminal tables that fit the terminal: whole values, wrapped text, a note on what is hidden.

Every terminal table of the command-line interface is built by :func:`fit_table`. A table is
described by its columns (:class:`ColumnSpec`) and its rows; given the width of the console
*at print time*, the table

* shows every column when they all fit, each value whole on one line where possible;
* otherwise narrows the columns that may wrap (prose such as reasons and notes wraps at spaces,
  long identifiers fold onto a second line) and lets long headers wrap at their spaces;
* and, when that is not enough, hides whole levels of less important columns, starting with
  the highest level, and says in a note which columns are hidden and how to see them.

Values are never cut: no column is ever drawn narrower than its longest value unless the
column may wrap, and every cell folds rather than ending in an ellipsis.

Example, a table with one row per patient and timepoint::

    from rich.markup import escape

    from pseudoprog.cli._common import console
    from pseudoprog.cli._tables import ColumnSpec, fit_table

    columns = [
        ColumnSpec("Patient", min_width=10),  # level 0: always shown; longer ids fold
        ColumnSpec("Date"),
        ColumnSpec("Target", level=1),
        ColumnSpec("Non-target", level=2),  # level 2: the first to be hidden
        ColumnSpec("New", level=2),
        ColumnSpec("Overall"),
        ColumnSpec("Sum mm", justify="right", level=1),  # level 1: hidden next
        ColumnSpec("Δ baseline %", justify="right", level=1),
        ColumnSpec("Δ nadir %", justify="right", level=1),
    ]
    rows = [[escape(t.patient_id), t.date.isoformat(), ...] for t in timepoints]
    console.print(
        fit_table(
            columns,
            rows,
            width=console.width,  # read when printing: follows the terminal and COLUMNS
            title="Response by patient and timepoint",
            hint="use --format csv/json",
        )
    )

Cells are strings with rich markup (escape identifiers with :func:`rich.markup.escape`) or
:class:`rich.text.Text`. For a file, pass a fixed width (``Console(file=..., width=200)`` and
``width=200``) to write the full table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

__all__ = ["ColumnSpec", "FittedTable", "fit_table", "print_wrapped"]

Cell = str | Text

#: Gap between two columns: one space of padding and the (blank) column separator.
COLUMN_GAP = 2
#: Prose columns get up to this width before long headers are unwrapped.
COMFORTABLE_PROSE = 40


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a terminal table.

    Attributes
    ----------
    header
        Column heading; it wraps at its spaces when the column is narrower than it.
    level
        0 for columns that are always shown. When the table does not fit, the columns of the
        highest level are hidden first, a whole level at a time.
    justify
        Alignment of the values (numbers: ``"right"``).
    wrap
        The values are prose and may wrap at spaces (down to ``min_width``, default 12).
        Without it the values (codes, dates, numbers) are kept on one line.
    min_width
        Narrowest width of the column. For a column that does not wrap, values longer than
        this fold onto further lines only when the table cannot fit otherwise (long patient
        or lesion ids); without it such a column is never narrower than its longest value.
    """

    header: str
    level: int = 0
    justify: Literal["left", "center", "right"] = "left"
    wrap: bool = False
    min_width: int | None = None

    def floor(self, content: int) -> int:
        """Narrowest width for values at most ``content`` cells wide."""
        header_word = max((cell_len(word) for word in self.header.split()), default=1)
        if self.min_width is None and not self.wrap:
            return max(header_word, content, 1)
        least = self.min_width if self.min_width is not None else 12
        return max(header_word, min(least, content), 1)


@dataclass(frozen=True)
class FittedTable:
    """A table fitted to a width, its title and the note on hidden columns (rich renderable)."""

    table: Table
    title: str | None
    shown: tuple[str, ...]
    hidden: tuple[str, ...]
    note: str | None
    #: Narrowest width at which every column is shown.
    full_width: int

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.title:
            yield _prose(self.title, style="table.title")
        yield self.table
        if self.note:
            yield _prose(self.note, style="yellow")


def _prose(text: str, *, style: str = "") -> Text:
    """Text that wraps at the console width whatever the console's soft-wrap setting."""
    return Text(text, style=style, no_wrap=False, overflow="fold", justify="default")


def _cell(value: Cell) -> Text:
    return value if isinstance(value, Text) else Text.from_markup(value)


def _cell_width(text: Text) -> int:
    return max((cell_len(line) for line in text.plain.split("\n")), default=0)


def _table_width(widths: Iterable[int]) -> int:
    values = list(widths)
    return sum(values) + COLUMN_GAP * max(len(values) - 1, 0)


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _grow(widths: list[int], target: list[int], order: Sequence[int], spare: int) -> int:
    """Widen the columns ``order`` towards ``target``, the least short first; return the rest.

    A column gets its whole shortfall or nothing (a header wrapped over two lines or a value
    folded over two lines is not helped by a cell more).
    """
    for i in sorted(order, key=lambda i: target[i] - widths[i]):
        if 0 < target[i] - widths[i] <= spare:
            spare -= target[i] - widths[i]
            widths[i] = target[i]
    return spare


def _share(widths: list[int], target: list[int], order: Sequence[int], spare: int) -> int:
    """Share ``spare`` among the wrapping columns ``order`` in proportion to their targets."""
    while spare > 0:
        short = [i for i in order if widths[i] < target[i]]
        if not short:
            break
        cramped = min(short, key=lambda i: widths[i] / target[i])
        widths[cramped] += 1
        spare -= 1
    return spare


def _widths(
    columns: Sequence[ColumnSpec],
    shown: Sequence[int],
    floors: list[int],
    content: list[int],
    natural: list[int],
    spare: int,
) -> list[int]:
    """Column widths: each at least its floor, the ``spare`` cells given out in order of need.

    First whole values (long ids that would fold), then prose up to a comfortable width, then
    headers on one line, then prose up to its full width.
    """
    widths = list(floors)
    lines = [i for i in shown if not columns[i].wrap]
    prose = [i for i in shown if columns[i].wrap]
    spare = _grow(widths, [max(f, c) for f, c in zip(floors, content, strict=True)], lines, spare)
    spare = _share(widths, [min(n, COMFORTABLE_PROSE) for n in natural], prose, spare)
    spare = _grow(widths, natural, lines, spare)
    _share(widths, natural, prose, spare)
    return widths


def fit_table(
    columns: Sequence[ColumnSpec],
    rows: Iterable[Sequence[Cell]],
    *,
    width: int,
    title: str | None = None,
    hint: str = "",
) -> FittedTable:
    """Lay ``rows`` out under ``columns`` in at most ``width`` cells; see the module docstring.

    ``hint`` says how to see hidden columns besides a wider terminal (``"use --format
    csv/json"``); it ends the note. When even the level-0 columns do not fit at their
    narrowest, they are shown anyway and their values fold (never cut).
    """
    cells = [[_cell(value) for value in row] for row in rows]
    for row in cells:
        if len(row) != len(columns):
            raise ValueError(f"a row has {len(row)} cells for {len(columns)} columns")
    content = [max((_cell_width(row[i]) for row in cells), default=0) for i in range(len(columns))]
    natural = [max(cell_len(c.header), content[i], 1) for i, c in enumerate(columns)]
    floors = [c.floor(content[i]) for i, c in enumerate(columns)]

    everything = list(range(len(columns)))
    shown = everything
    for level in sorted({c.level for c in columns} | {0}, reverse=True):
        shown = [i for i in everything if columns[i].level <= level]
        if _table_width(floors[i] for i in shown) <= width:
            break

    spare = max(width - _table_width(floors[i] for i in shown), 0)
    widths = _widths(columns, shown, floors, content, natural, spare)

    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, COLUMN_GAP - 1, 0, 0),
    )
    for i in shown:
        spec = columns[i]
        table.add_column(
            spec.header, justify=spec.justify, width=widths[i], no_wrap=False, overflow="fold"
        )
    for row in cells:
        table.add_row(*(row[i] for i in shown))

    hidden = tuple(columns[i].header for i in everything if i not in shown)
    full_width = _table_width(floors)
    note = None
    if hidden:
        verb = "is" if len(hidden) == 1 else "are"
        note = (
            f"{_join(hidden)} {verb} hidden at this width: widen the terminal to at least "
            f"{full_width} columns" + (f", or {hint}" if hint else "") + "."
        )
    return FittedTable(
        table=table,
        title=title,
        shown=tuple(columns[i].header for i in shown),
        hidden=hidden,
        note=note,
        full_width=full_width,
    )


def print_wrapped(console: Console, text: str) -> None:
    """Print lines of text wrapped at the console's width, continuation lines indented.

    Each line keeps its own indent; when it wraps, its continuation lines are indented two
    more cells. Words stay whole; a word longer than the line (a long path) folds.
    """
    width = console.width
    for line in text.split("\n"):
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        hang = indent + 2
        if hang > width // 2:  # a very narrow console: no indents
            indent = hang = 0
        for k, piece in enumerate(Text(body).wrap(console, width - hang, overflow="fold")):
            piece.rstrip()
            console.print(Text(" " * (indent if k == 0 else hang)) + piece, soft_wrap=True)
