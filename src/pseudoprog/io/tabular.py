"""Reading tables (CSV files or workbook sheets) and parsing their columns with full reports.

Every parser returns the parsed values and records a :class:`~pseudoprog.errors.Problem` for
each bad cell in a :class:`ProblemLog`, so that a whole input is checked before anything is
computed and the user sees every problem at once. Row numbers are those a spreadsheet shows:
the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from pseudoprog.domain import normalize_token
from pseudoprog.errors import InputValidationError, Problem

__all__ = [
    "ProblemLog",
    "RawTable",
    "TableSource",
    "Workbook",
    "read_table",
    "read_workbook",
]

E = TypeVar("E", bound=Enum)

_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_TRUE = {"TRUE", "YES", "Y", "1", "T"}
_FALSE = {"FALSE", "NO", "N", "0", "F"}


@dataclass
class ProblemLog:
    """Collects problems; :meth:`raise_if_any` raises them all together."""

    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def notice(self, text: str) -> None:
        """Record something that was accepted but changed (shown as a warning)."""
        self.notices.append(text)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputValidationError(self.problems)


@dataclass(frozen=True)
class TableSource:
    """Where a table comes from: a CSV/Excel file, or a sheet of a workbook."""

    path: Path
    sheet: str | None = None

    @property
    def label(self) -> str:
        return str(self.path) if self.sheet is None else f"{self.path} [sheet {self.sheet}]"


@dataclass
class RawTable:
    """A table as read: text cells (``""`` when empty) and lower-cased column names."""

    source: TableSource
    frame: pd.DataFrame

    @property
    def label(self) -> str:
        return self.source.label

    def __len__(self) -> int:
        return len(self.frame)

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def rows(self, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        """Spreadsheet row numbers of the rows selected by ``mask``."""
        return np.flatnonzero(mask) + 2

    def text(self, column: str) -> pd.Series[str]:
        """The stripped text of a column (empty strings for a missing optional column)."""
        if column not in self.frame.columns:
            return pd.Series([""] * len(self.frame), dtype=object)
        return self.frame[column]

    def require(self, columns: Iterable[str], log: ProblemLog) -> bool:
        """Check that the required columns are present; report each missing one."""
        present = set(self.frame.columns)
        missing = [c for c in columns if c not in present]
        for column in missing:
            log.add(
                Problem(
                    self.label,
                    f"required column '{column}' is missing",
                    expected=f"a header row with the columns {', '.join(columns)} "
                    f"(found: {', '.join(self.frame.columns) or 'none'})",
                    column=column,
                )
            )
        return not missing

    def report(
        self,
        log: ProblemLog,
        mask: npt.NDArray[np.bool_],
        column: str,
        message: str,
        expected: str,
    ) -> None:
        """Add one problem per row selected by ``mask``, quoting the cell."""
        if not mask.any():
            return
        cells = self.text(column).to_numpy()
        for index in np.flatnonzero(mask):
            log.add(
                Problem(
                    self.label,
                    message,
                    expected=expected,
                    row=int(index) + 2,
                    column=column,
                    value=str(cells[index]),
                )
            )

    # ---- column parsers -------------------------------------------------------------------

    def parse_text(self, column: str, log: ProblemLog, *, required: bool) -> npt.NDArray[Any]:
        """Text cells as an object array; empty required cells are reported."""
        values = self.text(column).to_numpy(dtype=object)
        if required:
            self.report(log, values == "", column, "empty cell", f"a value for '{column}'")
        return values

    def parse_dates(
        self, column: str, log: ProblemLog, *, required: bool
    ) -> npt.NDArray[np.datetime64]:
        """Dates as ``datetime64[D]`` (NaT when empty or bad); bad cells are reported.

        Accepted: ``YYYY-MM-DD`` text (a time of midnight may follow), or a workbook date.
        Day-first or month-first text such as ``03/04/2012`` is rejected because it is
        ambiguous.
        """
        cells = self.text(column)
        empty = (cells == "").to_numpy()
        texts = cells.astype(str)
        well_formed = texts.str.match(_DATE_TEXT).to_numpy(dtype=bool)
        candidates = texts.str.slice(0, 10).to_numpy(dtype=object)
        candidates[~well_formed] = None
        parsed = pd.to_datetime(pd.Series(candidates), format="%Y-%m-%d", errors="coerce")
        values: npt.NDArray[np.datetime64] = np.asarray(parsed, dtype="datetime64[D]")
        bad = ~empty & np.isnat(values)
        self.report(log, bad, column, "not a valid date", "a date written as YYYY-MM-DD")
        if required:
            self.report(log, empty, column, "empty cell", "a date written as YYYY-MM-DD")
        return values

    def parse_numbers(
        self,
        column: str,
        log: ProblemLog,
        *,
        required: bool,
        unit: str = "",
        minimum: float | None = None,
        maximum: float | None = None,
        strict_minimum: bool = False,
        integer: bool = False,
    ) -> npt.NDArray[np.float64]:
        """Numbers as float64 (NaN when empty or bad); bad and out-of-range cells reported."""
        cells = self.text(column)
        empty = (cells == "").to_numpy()
        raw = cells.to_numpy(dtype=object)
        raw[empty] = None
        values: npt.NDArray[np.float64] = np.asarray(
            pd.to_numeric(pd.Series(raw), errors="coerce"), dtype=np.float64
        )
        what = "a whole number" if integer else "a number"
        if unit:
            what += f" in {unit}"
        bad = ~empty & ~np.isfinite(values)
        self.report(log, bad, column, "not a number", what)
        if required:
            self.report(log, empty, column, "empty cell", what)
        ok = np.isfinite(values)
        if integer:
            frac = ok & (values != np.round(values))
            self.report(log, frac, column, "not a whole number", what)
            ok &= ~frac
        if minimum is not None:
            low = ok & ((values <= minimum) if strict_minimum else (values < minimum))
            bound = f"greater than {minimum:g}" if strict_minimum else f"at least {minimum:g}"
            self.report(log, low, column, "value too small", f"{what} {bound}")
            ok &= ~low
        if maximum is not None:
            high = ok & (values > maximum)
            self.report(log, high, column, "value too large", f"{what} of at most {maximum:g}")
        return values

    def parse_enum(
        self,
        column: str,
        enum: type[E],
        log: ProblemLog,
        *,
        required: bool,
        lookup: Mapping[str, E] | None = None,
    ) -> npt.NDArray[Any]:
        """Enum members (``None`` when empty or unknown); unknown spellings reported.

        Matching ignores case, spaces, dashes, underscores, dots and slashes, and accepts the
        enum's aliases (``lookup``, by default ``enum.lookup()`` when it has one).
        """
        table = _enum_lookup(enum) if lookup is None else lookup
        cells = self.text(column)
        uniques = pd.unique(cells.to_numpy(dtype=object))
        mapping = {u: table.get(normalize_token(str(u))) for u in uniques if u != ""}
        values = cells.map(mapping).to_numpy(dtype=object)
        empty = (cells == "").to_numpy()
        unknown = ~empty & pd.isna(values)
        accepted = ", ".join(str(m.value) for m in enum)
        self.report(log, unknown, column, f"unknown {column}", f"one of {accepted}")
        if required:
            self.report(log, empty, column, "empty cell", f"one of {accepted}")
        values[pd.isna(values)] = None
        return values

    def parse_bools(self, column: str, log: ProblemLog) -> npt.NDArray[Any]:
        """``True``/``False``/``None`` from yes/no, true/false, 1/0 cells."""
        cells = self.text(column).astype(str).str.upper()
        values = np.full(len(cells), None, dtype=object)
        values[cells.isin(_TRUE).to_numpy()] = True
        values[cells.isin(_FALSE).to_numpy()] = False
        bad = (cells != "").to_numpy() & (values == None)  # noqa: E711 - elementwise
        self.report(log, bad, column, "not a yes/no value", "true/false, yes/no or 1/0")
        return values


def _enum_lookup(enum: type[E]) -> Mapping[str, E]:
    custom = getattr(enum, "lookup", None)
    if callable(custom):
        return dict(custom())
    return {normalize_token(str(m.value)): m for m in enum}


def _normalize_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    if not header:
        return pd.DataFrame()
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf8"),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    import pyarrow.compute as pc

    trimmed = pa.table(
        [pc.utf8_trim_whitespace(col) for col in table.columns],
        names=[str(c).lstrip("\ufeff") for c in table.column_names],
    )
    frame: pd.DataFrame = trimmed.to_pandas()
    return frame


def _stringify(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn workbook cells into text the parsers read (dates as ISO, numbers as repr)."""

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        if hasattr(value, "isoformat"):
            return str(value.isoformat())
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    return frame.map(cell) if len(frame.columns) else frame


def _as_table(source: TableSource, frame: pd.DataFrame, log: ProblemLog) -> RawTable | None:
    if frame.columns.empty or len(frame) == 0:
        log.add(Problem(source.label, "the table is empty", expected="a header row and data rows"))
        return None
    return RawTable(source, frame.reset_index(drop=True))


@dataclass(frozen=True)
class Workbook:
    """The sheets of an Excel workbook, read once, keyed by lower-cased sheet name."""

    path: Path
    sheets: Mapping[str, pd.DataFrame]

    def table(self, name: str, log: ProblemLog) -> RawTable | None:
        """The sheet ``name`` (case-insensitive) as a table; a problem when it is absent."""
        key = name.strip().lower()
        if key not in self.sheets:
            log.add(
                Problem(
                    str(self.path),
                    f"sheet '{name}' not found",
                    expected=f"a sheet named '{name}' (found: {', '.join(self.sheets) or 'none'})",
                )
            )
            return None
        return _as_table(TableSource(self.path, name), self.sheets[key], log)


def read_workbook(path: str | Path, log: ProblemLog) -> Workbook | None:
    """Read every sheet of an Excel workbook as text cells; ``None`` (and a problem) on failure."""
    path = Path(path)
    if not path.is_file():
        log.add(Problem(str(path), "file not found", expected="the path of an existing .xlsx"))
        return None
    try:
        raw = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # any reader failure becomes a problem, never a traceback
        log.add(
            Problem(
                str(path),
                f"cannot be read as a workbook ({type(exc).__name__}: {exc})",
                expected="an .xlsx workbook",
            )
        )
        return None
    sheets = {name.strip().lower(): _normalize_columns(_stringify(df)) for name, df in raw.items()}
    return Workbook(path, sheets)


def read_table(path: str | Path, log: ProblemLog) -> RawTable | None:
    """Read one table from a CSV file (or the first sheet of an Excel file).

    Returns ``None`` after logging a problem when the file is missing, unreadable or empty.
    """
    path = Path(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        book = read_workbook(path, log)
        if book is None:
            return None
        first = next(iter(book.sheets), "")
        return book.table(first, log)
    source = TableSource(path)
    if not path.is_file():
        log.add(Problem(str(path), "file not found", expected="the path of an existing CSV file"))
        return None
    try:
        frame = _normalize_columns(_read_csv(path))
    except Exception as exc:  # any parser failure becomes a problem, never a traceback
        log.add(
            Problem(
                source.label,
                f"cannot be read as a table ({type(exc).__name__}: {exc})",
                expected="a UTF-8 CSV file with a header row and one row per record",
            )
        )
        return None
    return _as_table(source, frame, log)
