"""Reading tables (CSV files or workbook sheets) and parsing their columns with full reports.

Every parser returns the parsed values and records a :class:`~pseudoprog.errors.Problem` for
each bad cell in a :class:`ProblemLog`, so that a whole input is checked before anything is
computed and the user sees every problem at once. Row numbers are those a spreadsheet shows:
the header is row 1, the first data row is row 2.

Every problem names the table as well as the file (``lesions table l.csv``, ``measurements
sheet of book.xlsx``), and a file that cannot be read as a table says why: not found, a
folder, not readable, not UTF-8, not a CSV file at all (an image, a workbook saved under a
``.csv`` name), empty, or a header without data rows. Parquet files and folders of them
(:mod:`pseudoprog.io.columnar`) go through the same checks.
"""

from __future__ import annotations

import codecs
import csv
import re
import stat
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pseudoprog.domain import normalize_token
from pseudoprog.io.columnar import PARQUET_MAGIC, is_parquet, read_parquet

if TYPE_CHECKING:
    import pandas as pd
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
#: Dates outside this range are typing errors (and would overflow date arithmetic).
_FIRST_DATE = np.datetime64("1900-01-01", "D")
_LAST_DATE = np.datetime64("2199-12-31", "D")
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
    """Where a table comes from: a CSV/Excel file, or a sheet of a workbook.

    ``table`` names the table (``lesions``, ``measurements``, ...), so that every problem says
    which input it is about: ``lesions table l.csv``, ``lesions sheet of book.xlsx`` (the
    sheet named after the table), ``lesions table l.xlsx, sheet 'Sheet1'`` (another sheet).
    """

    path: Path
    sheet: str | None = None
    table: str = ""

    @property
    def label(self) -> str:
        if not self.table:
            return str(self.path) if self.sheet is None else f"{self.path} [sheet {self.sheet}]"
        if self.sheet is None:
            return f"{self.table} table {self.path}"
        if self.sheet.strip().lower() == self.table.strip().lower():
            return f"{self.table} sheet of {self.path}"
        return f"{self.table} table {self.path}, sheet '{self.sheet}'"


@dataclass
class RawTable:
    """A table as read: trimmed text cells (``""`` when empty), lower-cased column names.

    Columns are Arrow string arrays, so that registries of millions of rows are parsed with
    vectorised kernels; only bad cells are looked at one by one.
    """

    source: TableSource
    table: pa.Table

    @property
    def label(self) -> str:
        return self.source.label

    @property
    def columns(self) -> list[str]:
        return list(self.table.column_names)

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def has(self, column: str) -> bool:
        return column in self.table.column_names

    def column(self, column: str) -> pa.Array:
        """The text of a column (empty strings for a missing optional column)."""
        if column not in self.table.column_names:
            return pa.array([""], pa.string()).take(np.zeros(len(self), dtype=np.int64))
        return self.table.column(column).combine_chunks()

    def empty(self, column: str) -> npt.NDArray[np.bool_]:
        """Which cells of a column are empty."""
        return np.asarray(pc.equal(self.column(column), "").to_numpy(zero_copy_only=False))

    def require(self, columns: Iterable[str], log: ProblemLog) -> bool:
        """Check that the required columns are present; report each missing one."""
        wanted = list(columns)
        missing = [c for c in wanted if not self.has(c)]
        for column in missing:
            log.add(
                Problem(
                    self.label,
                    f"required column '{column}' is missing",
                    expected=f"a header row with the columns {', '.join(wanted)} "
                    f"(found: {', '.join(self.columns) or 'none'})",
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
        rows = np.flatnonzero(mask)
        cells = self.column(column).take(pa.array(rows)).to_pylist()
        for index, cell in zip(rows.tolist(), cells, strict=True):
            log.add(
                Problem(
                    self.label,
                    message,
                    expected=expected,
                    row=index + 2,
                    column=column,
                    value=str(cell),
                )
            )

    # ---- column parsers -------------------------------------------------------------------

    def parse_text(self, column: str, log: ProblemLog, *, required: bool) -> npt.NDArray[Any]:
        """Text cells as an object array; empty required cells are reported."""
        values = np.asarray(self.column(column).to_numpy(zero_copy_only=False), dtype=object)
        if required:
            self.report(log, values == "", column, "empty cell", f"a value for '{column}'")
        return values

    def parse_dates(
        self, column: str, log: ProblemLog, *, required: bool
    ) -> npt.NDArray[np.datetime64]:
        """Dates as ``datetime64[D]`` (NaT when empty or bad); bad cells are reported.

        Accepted: ``YYYY-MM-DD`` text (a time of midnight may follow), or a workbook date.
        Day-first or month-first text such as ``03/04/2012`` is rejected because it is
        ambiguous, and so are impossible dates such as ``2010-02-30``.
        """
        cells = self.column(column)
        empty = self.empty(column)
        nullable = pc.if_else(pc.equal(cells, ""), pa.scalar(None, pa.string()), cells)
        try:  # fast path: every cell is strict ISO text (Arrow rejects 2010-02-30 here)
            parsed = pc.cast(nullable, pa.date32())
            values = np.asarray(parsed.to_numpy(zero_copy_only=False), dtype="datetime64[D]")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = _dates_one_by_one(cells.to_pylist())
        bad = ~empty & np.isnat(values)
        self.report(log, bad, column, "not a valid date", "a date written as YYYY-MM-DD")
        far = ~np.isnat(values) & ((values < _FIRST_DATE) | (values > _LAST_DATE))
        between = f"a date between {_FIRST_DATE} and {_LAST_DATE} (YYYY-MM-DD)"
        self.report(log, far, column, "date out of range", between)
        values = np.where(far, np.datetime64("NaT", "D"), values)
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
        cells = self.column(column)
        empty = self.empty(column)
        nullable = pc.if_else(pc.equal(cells, ""), pa.scalar(None, pa.string()), cells)
        try:
            values = np.asarray(
                pc.cast(nullable, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = _numbers_one_by_one(nullable.to_pylist())
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

    def parse_enum_index(
        self,
        column: str,
        enum: type[E],
        log: ProblemLog,
        *,
        required: bool,
        lookup: Mapping[str, E] | None = None,
    ) -> npt.NDArray[np.int64]:
        """Position of each cell's member in ``list(enum)`` (-1 when empty or unknown).

        Matching ignores case, spaces, dashes, underscores, dots and slashes, and accepts the
        enum's aliases (``lookup``, by default ``enum.lookup()`` when it has one). Unknown
        spellings are reported.
        """
        table = _enum_lookup(enum) if lookup is None else lookup
        members = list(enum)
        cells = self.column(column)
        uniques = pc.unique(cells)
        positions = np.array(
            [
                members.index(table[key]) if (key := normalize_token(str(u))) in table else -1
                for u in uniques.to_pylist()
            ],
            dtype=np.int64,
        )
        codes = np.asarray(pc.index_in(cells, value_set=uniques).to_numpy(zero_copy_only=False))
        index = positions[codes.astype(np.int64)]
        empty = self.empty(column)
        accepted = ", ".join(str(m.value) for m in enum)
        self.report(log, ~empty & (index < 0), column, f"unknown {column}", f"one of {accepted}")
        if required:
            self.report(log, empty, column, "empty cell", f"one of {accepted}")
        return index

    def parse_enum(
        self,
        column: str,
        enum: type[E],
        log: ProblemLog,
        *,
        required: bool,
        lookup: Mapping[str, E] | None = None,
    ) -> npt.NDArray[Any]:
        """Enum members, or ``None`` when empty or unknown (see :meth:`parse_enum_index`)."""
        index = self.parse_enum_index(column, enum, log, required=required, lookup=lookup)
        members = np.array([*enum, None], dtype=object)
        return np.asarray(members[index], dtype=object)  # -1 picks the trailing None

    def parse_bools(self, column: str, log: ProblemLog) -> npt.NDArray[Any]:
        """``True``/``False``/``None`` from yes/no, true/false, 1/0 cells."""
        cells = [str(c).upper() for c in self.column(column).to_pylist()]
        parsed = [True if c in _TRUE else False if c in _FALSE else None for c in cells]
        values = np.array(parsed, dtype=object)
        bad = np.array([c != "" and v is None for c, v in zip(cells, parsed, strict=True)])
        self.report(log, bad, column, "not a yes/no value", "true/false, yes/no or 1/0")
        return values


def _numbers_one_by_one(cells: list[str | None]) -> npt.NDArray[np.float64]:
    """Parse cells one by one (when some cell is not a number): NaN where invalid."""
    values = np.full(len(cells), np.nan)
    for index, text in enumerate(cells):
        if text is None:
            continue
        try:
            values[index] = float(text)
        except ValueError:
            continue
    return values


def _dates_one_by_one(cells: list[str]) -> npt.NDArray[np.datetime64]:
    """Parse cells one by one (when some cell is not strict ISO): NaT where invalid.

    Accepts ISO dates with an optional midnight time, as spreadsheets export them.
    """
    values = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[D]")
    for index, text in enumerate(cells):
        if _DATE_TEXT.match(text):
            try:
                values[index] = np.datetime64(date.fromisoformat(text[:10]), "D")
            except ValueError:
                continue
    return values


def _enum_lookup(enum: type[E]) -> Mapping[str, E]:
    custom = getattr(enum, "lookup", None)
    if callable(custom):
        return dict(custom())
    return {normalize_token(str(m.value)): m for m in enum}


def _read_csv(path: Path) -> pa.Table:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    if not header:
        return pa.table({})
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf8"),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return pa.table(
        [pc.utf8_trim_whitespace(col) for col in table.columns],
        names=[str(c).lstrip("\ufeff") for c in table.column_names],
    )


def _normalize_names(table: pa.Table) -> pa.Table:
    names = [str(c).strip().lower().replace(" ", "_") for c in table.column_names]
    return table.rename_columns(names)


def _stringify(frame: pd.DataFrame) -> pa.Table:  # pandas is imported by the caller
    """Turn workbook cells into text the parsers read (dates as ISO, whole floats as ints)."""

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, datetime):  # pandas.Timestamp is a datetime
            return value.date().isoformat() if value.time() == time(0) else value.isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    columns = {str(name): [cell(v) for v in frame[name].tolist()] for name in frame.columns}
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def _as_table(
    source: TableSource,
    table: pa.Table,
    log: ProblemLog,
    columns: Sequence[str] = (),
    *,
    allow_empty: bool = False,
) -> RawTable | None:
    """The table, or ``None`` after a problem when it has no header or no data rows.

    With ``allow_empty``, a header without data rows is a table of no records (an events
    table that records that nothing happened).
    """
    what = "file" if source.sheet is None else "sheet"
    if table.num_columns == 0:
        header = f"a header row with {', '.join(columns)}" if columns else "a header row"
        log.add(Problem(source.label, f"the {what} is empty", expected=header))
        return None
    if table.num_rows == 0 and not allow_empty:
        log.add(
            Problem(
                source.label,
                f"the {what} has a header row but no data rows",
                expected="one or more data rows below the header",
            )
        )
        return None
    normalized = _normalize_names(table)
    if _repeated_columns(source, normalized.column_names, log):
        return None
    return RawTable(source, normalized)


def _repeated_columns(source: TableSource, names: Sequence[str], log: ProblemLog) -> bool:
    """Report each column name (after normalizing) found more than once; True when any is."""
    positions: dict[str, list[int]] = {}
    for number, name in enumerate(names, start=1):
        if name:  # unnamed columns (trailing commas) are ignored anyway
            positions.setdefault(name, []).append(number)
    repeated = {name: at for name, at in positions.items() if len(at) > 1}
    for name, at in repeated.items():
        log.add(
            Problem(
                source.label,
                f"column '{name}' appears {len(at)} times in the header (columns "
                f"{', '.join(map(str, at))})",
                expected="each column once: delete or rename the repeated columns",
                row=1,
                column=name,
            )
        )
    return bool(repeated)


# ---- checking a file before it is parsed ------------------------------------------------------

_SNIFF_BYTES = 8192
_CSV_EXPECTED = "a UTF-8 CSV file with a header row and one row per record"
_UTF8_EXPECTED = (
    "a UTF-8 CSV file: save it as UTF-8 CSV (in Excel: Save As, 'CSV UTF-8 (Comma delimited)')"
)
_XLSX_EXPECTED = "an .xlsx workbook (Excel 2007 or later)"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_KIND = (
    "an Excel 97-2003 (.xls) workbook, a password-protected workbook or another Office file"
)
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (_OLE2, _OLE2_KIND),
    (PARQUET_MAGIC, "a Parquet file"),
)


def _open(path: Path, label: str, what: str, log: ProblemLog) -> bytes | None:
    """The first bytes of ``path`` (``what``: its expected kind, e.g. ``CSV file``).

    ``None`` after a problem when it is missing, a folder, or cannot be opened.
    """
    expected = f"the path of {'an' if what[0] in 'AEIOUaeiou.' else 'a'} {what}"
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        log.add(Problem(label, "file not found", expected=f"the path of an existing {what}"))
        return None
    except OSError as exc:
        log.add(_unopenable(label, exc, expected))
        return None
    if stat.S_ISDIR(info.st_mode):
        log.add(Problem(label, "is a folder, not a file", expected=expected))
        return None
    if not stat.S_ISREG(info.st_mode):
        log.add(Problem(label, "is not a regular file", expected=expected))
        return None
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError as exc:
        log.add(_unopenable(label, exc, expected))
        return None


def _unopenable(label: str, exc: OSError, expected: str) -> Problem:
    if isinstance(exc, PermissionError):
        return Problem(
            label,
            "cannot be opened: permission denied",
            expected=f"{expected} that you are allowed to read",
        )
    return Problem(label, f"cannot be opened ({exc.strerror or exc})", expected=expected)


def _binary_kind(path: Path, head: bytes) -> str | None:
    """What a file holds when it is not text (an image, a workbook, ...); ``None`` for text."""
    if head.startswith(b"PK\x03\x04"):
        if b"opendocument.spreadsheet" in head[:120]:
            return "an OpenDocument spreadsheet (.ods)"
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            names = set()
        if "xl/workbook.xml" in names:
            return "an Excel workbook (.xlsx)"
        return "a zip archive"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary data"
    return None


def _first_bad_utf8(path: Path) -> tuple[int, int] | None:
    """The line and value of the first byte that is not UTF-8; ``None`` for UTF-8 text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(1 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = bytes(exc.object)
                return lines + data.count(b"\n", 0, exc.start), data[exc.start]
            if not chunk:
                return None
            lines += chunk.count(b"\n")


def _not_utf8(path: Path, head: bytes, label: str) -> Problem | None:
    """A problem when the file is not UTF-8 text (UTF-16, Latin-1, ...); ``None`` when it is."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Problem(label, "not UTF-8 text: the file is UTF-16 text", expected=_UTF8_EXPECTED)
    try:
        bad = _first_bad_utf8(path)
    except OSError:
        return None
    if bad is None:
        return None
    line, byte = bad
    return Problem(
        label,
        f"not UTF-8 text: byte 0x{byte:02X} on line {line} is not valid UTF-8 (the file was "
        "probably saved in another encoding, e.g. Windows-1252)",
        expected=_UTF8_EXPECTED,
    )


def _not_a_csv(path: Path, head: bytes, label: str) -> Problem | None:
    """A problem when the file is not CSV text at all, or UTF-16; ``None`` when it may be."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _not_utf8(path, head, label)
    kind = _binary_kind(path, head)
    if kind is None:
        return None
    expected = _CSV_EXPECTED
    if kind == "an Excel workbook (.xlsx)":
        expected = "a UTF-8 CSV file, or the workbook under a name ending in .xlsx"
    elif kind == "a Parquet file":
        expected = "a UTF-8 CSV file, or the Parquet file under a name ending in .parquet"
    elif kind in (_OLE2_KIND, "an OpenDocument spreadsheet (.ods)"):
        expected = "a UTF-8 CSV file or an .xlsx workbook: open the file and save it as one"
    return Problem(label, f"not a CSV file: it holds {kind}", expected=expected)


def _not_a_workbook(path: Path, head: bytes, label: str) -> Problem | None:
    """A problem when the file cannot be an .xlsx workbook; ``None`` when it may be."""
    if head.startswith(b"PK\x03\x04") and b"opendocument.spreadsheet" not in head[:120]:
        return None  # a zip archive: the workbook reader says what is wrong with it, if anything
    if not head:
        return Problem(label, "the file is empty", expected=_XLSX_EXPECTED)
    if head.startswith(_OLE2):
        return Problem(
            label,
            f"not an .xlsx workbook: it holds {_OLE2_KIND}",
            expected="an .xlsx workbook without a password (open it in Excel and save it as "
            ".xlsx), or a UTF-8 CSV file",
        )
    kind = _binary_kind(path, head)
    if kind is None:
        return Problem(
            label,
            "not an Excel workbook: the file holds text",
            expected=f"{_XLSX_EXPECTED}, or a name ending in .csv if it is a CSV file",
        )
    if kind == "an OpenDocument spreadsheet (.ods)":
        expected = f"{_XLSX_EXPECTED}: open the file and save it as .xlsx"
        return Problem(label, f"not an Excel workbook: it holds {kind}", expected=expected)
    return Problem(label, f"not an Excel workbook: it holds {kind}", expected=_XLSX_EXPECTED)


@dataclass(frozen=True)
class Workbook:
    """The sheets of an Excel workbook, read once, keyed by lower-cased sheet name."""

    path: Path
    sheets: Mapping[str, pa.Table]
    names: tuple[str, ...] = ()  # the sheet names as the workbook spells them

    def table(
        self,
        name: str,
        log: ProblemLog,
        *,
        table: str | None = None,
        columns: Sequence[str] = (),
        allow_empty: bool = False,
    ) -> RawTable | None:
        """The sheet ``name`` (case-insensitive) as the table ``table`` (default: ``name``).

        A problem naming the sheets found when it is absent; ``columns`` (the required
        columns) are named when the sheet is empty. ``allow_empty`` accepts a header
        without data rows.
        """
        source = TableSource(self.path, name, table if table is not None else name)
        key = name.strip().lower()
        if key not in self.sheets:
            found = ", ".join(f"'{n}'" for n in self.names or self.sheets) or "none"
            log.add(
                Problem(
                    source.label,
                    f"the workbook has no sheet named '{name}'",
                    expected=f"a sheet named '{name}' (sheets found: {found})",
                )
            )
            return None
        return _as_table(source, self.sheets[key], log, columns, allow_empty=allow_empty)


def read_workbook(path: str | Path, log: ProblemLog, *, table: str = "") -> Workbook | None:
    """Read every sheet of an Excel workbook as text cells; ``None`` (and a problem) on failure.

    ``table`` names the table when the workbook holds just that one (``--lesions l.xlsx``);
    without it, problems name the file as ``workbook book.xlsx``.
    """
    path = Path(path)
    label = TableSource(path, table=table).label if table else f"workbook {path}"
    head = _open(path, label, ".xlsx workbook", log)
    if head is None:
        return None
    problem = _not_a_workbook(path, head, label)
    if problem is not None:
        log.add(problem)
        return None
    try:
        import pandas as pd  # imported here: only workbooks need it

        raw = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # any reader failure becomes a problem, never a traceback
        log.add(
            Problem(
                label,
                f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})",
                expected=_XLSX_EXPECTED,
            )
        )
        return None
    sheets = {name.strip().lower(): _stringify(df) for name, df in raw.items()}
    return Workbook(path, sheets, tuple(str(name) for name in raw))


def read_table(
    path: str | Path,
    log: ProblemLog,
    *,
    table: str = "",
    columns: Sequence[str] = (),
    allow_empty: bool = False,
) -> RawTable | None:
    """Read one table from a CSV file, the first sheet of an Excel file, or Parquet.

    Parquet is a ``.parquet`` file or a folder of Parquet files (a partitioned dataset); its
    typed columns become the text cells a CSV file holds (:mod:`pseudoprog.io.columnar`).

    ``table`` names the table in every problem (``lesions table l.csv``), and ``columns``, its
    required columns, are named when the file is empty. Returns ``None`` after logging a
    problem when the file is missing, unreadable, not a CSV file, not UTF-8, or empty (or,
    unless ``allow_empty``, a header without data rows).
    """
    path = Path(path)
    if is_parquet(path):
        source = TableSource(path, table=table)
        parquet = read_parquet(path, source.label)
        if isinstance(parquet, Problem):
            log.add(parquet)
            return None
        return _as_table(source, parquet, log, columns, allow_empty=allow_empty)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        book = read_workbook(path, log, table=table)
        if book is None:
            return None
        first = next(iter(book.names or book.sheets), "")
        return book.table(first, log, table=table, columns=columns, allow_empty=allow_empty)
    source = TableSource(path, table=table)
    head = _open(path, source.label, "CSV file", log)
    if head is None:
        return None
    problem = _not_a_csv(path, head, source.label)
    if problem is not None:
        log.add(problem)
        return None
    try:
        raw = _read_csv(path)
    except Exception as exc:  # any parser failure becomes a problem, never a traceback
        problem = _not_utf8(path, head, source.label)
        if problem is None:
            problem = Problem(
                source.label, f"cannot be read as a CSV table ({exc})", expected=_CSV_EXPECTED
            )
        log.add(problem)
        return None
    return _as_table(source, raw, log, columns, allow_empty=allow_empty)
