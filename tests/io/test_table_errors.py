"""File-level problems name the table as well as the file, for every table the CLI reads.

Each table (lesions, measurements, events, evidence, a custom evidence table, the accuracy
table) and each way a file can fail to be a table (missing, a folder, not readable, not UTF-8,
not CSV at all, empty, a header without rows, a missing column; for workbooks a missing or
empty sheet, or a file that is no workbook) gives one exact message, exit code 2 and no output.
"""

from __future__ import annotations

import errno
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from pseudoprog.cli import assess, classify, study
from pseudoprog.io.cohort import EVENT_COLUMNS, LESION_COLUMNS, MEASUREMENT_COLUMNS
from pseudoprog.io.evidence import EVIDENCE_COLUMNS
from tests.conftest import REPO_ROOT

Invoke = Callable[..., Result]

HEADLINE = "Input rejected: {n} {noun} found; nothing was computed and no output was written."
UTF8 = "a UTF-8 CSV file: save it as UTF-8 CSV (in Excel: Save As, 'CSV UTF-8 (Comma delimited)')"
XLSX = "an .xlsx workbook (Excel 2007 or later)"
OFFICE = "an Excel 97-2003 (.xls) workbook, a password-protected workbook or another Office file"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


@pytest.fixture(scope="module")
def invoke() -> Invoke:
    """Run ``pseudoprog ARGS...`` in-process, on an application of its own."""
    app = typer.Typer()
    for module in (classify, study, assess):
        module.register(app)
    runner = CliRunner()

    def _invoke(*args: str | Path) -> Result:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return _invoke


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory, example_dir: Path) -> Path:
    """Valid tables: two lesions of the bundled example with their measurements and more."""
    root = tmp_path_factory.mktemp("valid")
    for name, keep in (
        ("lesions.csv", ("1,", "4,")),
        ("measurements.csv", ("P01-L1,", "P04-T12,")),
    ):
        rows = (example_dir / name).read_text().splitlines()
        text = "\n".join([rows[0], *[r for r in rows if r.startswith(keep)]]) + "\n"
        (root / name).write_text(text)
    (root / "events.csv").write_text("patient_id,date,kind\n1,2009-03-01,systemic_therapy_change\n")
    (root / "evidence.csv").write_text(
        "lesion_id,date,kind,value\nP04-T12,2009-05-21,dce_vp_change_pct,-45\n"
    )
    return root


@dataclass(frozen=True)
class Table:
    """A table the CLI reads, its required columns and the command that reads it."""

    name: str
    columns: tuple[str, ...]
    args: Callable[[Path, Path], list[str | Path]]  # (valid tables, this table) -> arguments


def _classify(*tables: str | Path) -> list[str | Path]:
    return ["classify", *tables, "--format", "json", "--jobs", "1"]


TABLES = [
    Table(
        "lesions",
        LESION_COLUMNS["required"],
        lambda v, t: _classify("--lesions", t, "--measurements", v / "measurements.csv"),
    ),
    Table(
        "measurements",
        MEASUREMENT_COLUMNS["required"],
        lambda v, t: _classify("--lesions", v / "lesions.csv", "--measurements", t),
    ),
    Table(
        "events",
        EVENT_COLUMNS["required"],
        lambda v, t: _classify(
            "--lesions", v / "lesions.csv", "--measurements", v / "measurements.csv", "--events", t
        ),
    ),
    Table(
        "evidence",
        EVIDENCE_COLUMNS["required"],
        lambda v, t: [
            "assess",
            "--lesions",
            v / "lesions.csv",
            "--measurements",
            v / "measurements.csv",
            "--evidence",
            t,
        ],
    ),
    Table(
        "custom evidence",
        ("feature", "citation", "location"),
        lambda v, t: [
            "assess",
            "--lesions",
            v / "lesions.csv",
            "--measurements",
            v / "measurements.csv",
            "--evidence-table",
            t,
        ],
    ),
    Table(
        "accuracy",
        ("vp_change", "outcome"),
        lambda v, t: ["accuracy", "--table", t, "--marker", "vp_change", "--outcome", "outcome"],
    ),
]
TABLE_IDS = [t.name.replace(" ", "-") for t in TABLES]


def rejected(invoke: Invoke, args: list[str | Path], out: Path) -> list[str]:
    """Run a command that must reject its input; the problems it printed."""
    result = invoke(*args, "--output", out / "result.txt")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists()  # nothing written, not even the output's folder
    lines = result.output.splitlines()
    problems = [line[4:] for line in lines if line.startswith("  - ")]
    noun = "problem" if len(problems) == 1 else "problems"
    assert HEADLINE.format(n=len(problems), noun=noun) in lines, result.output
    return problems


def accepted(invoke: Invoke, args: list[str | Path]) -> None:
    """Run a command that must accept its input: an events table with a header and no rows
    records that nothing happened, so that no ``events_not_recorded`` warning is given."""
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    assert "events_not_recorded" not in result.output


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


# ---- a CSV file that is not a table ----------------------------------------------------------

#: problem -> (what to put at the path, the message after "<label>: ").
CSV_PROBLEMS: dict[str, tuple[Callable[[Path, tuple[str, ...]], None], str]] = {
    "missing": (lambda p, c: None, "file not found; expected the path of an existing CSV file"),
    "folder": (lambda p, c: p.mkdir(), "is a folder, not a file; expected the path of a CSV file"),
    "latin-1": (
        lambda p, c: p.write_bytes(",".join(c).encode() + b"\ncaf\xe9," + b"x," * len(c) + b"\n"),
        "not UTF-8 text: byte 0xE9 on line 2 is not valid UTF-8 (the file was probably saved in "
        f"another encoding, e.g. Windows-1252); expected {UTF8}",
    ),
    "utf-16": (
        lambda p, c: p.write_bytes((",".join(c) + "\n" + ",".join("x" * len(c))).encode("utf-16")),
        f"not UTF-8 text: the file is UTF-16 text; expected {UTF8}",
    ),
    "png": (
        lambda p, c: p.write_bytes(PNG),
        "not a CSV file: it holds a PNG image; expected a UTF-8 CSV file with a header row and "
        "one row per record",
    ),
    "binary": (
        lambda p, c: p.write_bytes(b"lesion_id\x00\x01\x02\n"),
        "not a CSV file: it holds binary data; expected a UTF-8 CSV file with a header row and "
        "one row per record",
    ),
    "xlsx-named-csv": (
        lambda p, c: p.write_bytes(xlsx_bytes({"Sheet1": pd.DataFrame({k: ["x"] for k in c})})),
        "not a CSV file: it holds an Excel workbook (.xlsx); expected a UTF-8 CSV file, or the "
        "workbook under a name ending in .xlsx",
    ),
    "xls-named-csv": (
        lambda p, c: p.write_bytes(OLE2),
        f"not a CSV file: it holds {OFFICE}; expected a UTF-8 CSV file or an .xlsx workbook: "
        "open the file and save it as one",
    ),
    "empty": (
        lambda p, c: p.write_text(""),
        "the file is empty; expected a header row with {cols}",
    ),
    "blank-lines": (
        lambda p, c: p.write_text("\n\n  \n"),
        "the file is empty; expected a header row with {cols}",
    ),
    "header-only": (
        lambda p, c: p.write_text(",".join(c) + "\n"),
        "the file has a header row but no data rows; expected one or more data rows below the "
        "header",
    ),
}


@pytest.mark.parametrize("problem", list(CSV_PROBLEMS))
@pytest.mark.parametrize("table", TABLES, ids=TABLE_IDS)
def test_csv_file_problem(
    invoke: Invoke, valid: Path, tmp_path: Path, table: Table, problem: str
) -> None:
    path = tmp_path / f"{table.name.replace(' ', '_')}.csv"
    make, message = CSV_PROBLEMS[problem]
    make(path, table.columns)
    if problem == "header-only" and table.name == "events":
        accepted(invoke, table.args(valid, path))
        return
    found = rejected(invoke, table.args(valid, path), tmp_path / "out")
    expected = message.format(cols=", ".join(table.columns))
    assert found == [f"{table.name} table {path}: {expected}"]


@pytest.mark.parametrize("table", TABLES, ids=TABLE_IDS)
def test_missing_required_column(invoke: Invoke, valid: Path, tmp_path: Path, table: Table) -> None:
    path = tmp_path / "table.csv"
    first, rest = table.columns[0], table.columns[1:]
    path.write_text(",".join(rest) + "\n" + ",".join("x" * len(rest)) + "\n")
    found = rejected(invoke, table.args(valid, path), tmp_path / "out")
    assert found == [
        f"{table.name} table {path}, column '{first}': required column '{first}' is missing; "
        f"expected a header row with the columns {', '.join(table.columns)} "
        f"(found: {', '.join(rest)})"
    ]


@pytest.mark.parametrize("table", TABLES, ids=TABLE_IDS)
def test_permission_denied(
    invoke: Invoke, valid: Path, tmp_path: Path, table: Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "locked.csv"
    path.write_text(",".join(table.columns) + "\n" + ",".join("x" * len(table.columns)) + "\n")
    real_open = Path.open

    def guarded_open(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", guarded_open)
    found = rejected(invoke, table.args(valid, path), tmp_path / "out")
    assert found == [
        f"{table.name} table {path}: cannot be opened: permission denied; expected the path of "
        "a CSV file that you are allowed to read"
    ]


@pytest.mark.parametrize("table", TABLES, ids=TABLE_IDS)
def test_bad_cells_name_the_table(
    invoke: Invoke, valid: Path, tmp_path: Path, table: Table
) -> None:
    """Row-level problems carry the table's name too."""
    path = tmp_path / "table.csv"
    path.write_text(",".join(table.columns) + "\n" + ",".join(["2010-13-45"] * len(table.columns)))
    found = rejected(invoke, table.args(valid, path), tmp_path / "out")
    assert any(line.startswith(f"{table.name} table {path}, row 2, ") for line in found), found
    labels = re.compile(r"^(lesions|measurements|events|evidence|custom evidence|accuracy) table ")
    assert all(labels.match(line) for line in found), found


# ---- a table given as an .xlsx file ----------------------------------------------------------

XLSX_PROBLEMS: dict[str, tuple[Callable[[Path, tuple[str, ...]], None], str]] = {
    "missing": (
        lambda p, c: None,
        "{label}: file not found; expected the path of an existing .xlsx workbook",
    ),
    "folder": (
        lambda p, c: p.mkdir(),
        "{label}: is a folder, not a file; expected the path of an .xlsx workbook",
    ),
    "empty-file": (
        lambda p, c: p.write_bytes(b""),
        f"{{label}}: the file is empty; expected {XLSX}",
    ),
    "text": (
        lambda p, c: p.write_text(",".join(c) + "\n"),
        f"{{label}}: not an Excel workbook: the file holds text; expected {XLSX}, or a name "
        "ending in .csv if it is a CSV file",
    ),
    "png": (
        lambda p, c: p.write_bytes(PNG),
        f"{{label}}: not an Excel workbook: it holds a PNG image; expected {XLSX}",
    ),
    "xls": (
        lambda p, c: p.write_bytes(OLE2),
        f"{{label}}: not an .xlsx workbook: it holds {OFFICE}; expected an .xlsx workbook "
        "without a password (open it in Excel and save it as .xlsx), or a UTF-8 CSV file",
    ),
    "damaged": (
        lambda p, c: p.write_bytes(b"PK\x03\x04" + bytes(40)),
        "{label}: cannot be read as an Excel workbook (BadZipFile: File is not a zip file); "
        f"expected {XLSX}",
    ),
    "empty-sheet": (
        lambda p, c: p.write_bytes(xlsx_bytes({"Sheet1": pd.DataFrame()})),
        "{label}, sheet 'Sheet1': the sheet is empty; expected a header row with {cols}",
    ),
    "header-only": (
        lambda p, c: p.write_bytes(xlsx_bytes({"Sheet1": pd.DataFrame(columns=list(c))})),
        "{label}, sheet 'Sheet1': the sheet has a header row but no data rows; expected one or "
        "more data rows below the header",
    ),
}


@pytest.mark.parametrize("problem", list(XLSX_PROBLEMS))
@pytest.mark.parametrize("table", TABLES, ids=TABLE_IDS)
def test_xlsx_file_problem(
    invoke: Invoke, valid: Path, tmp_path: Path, table: Table, problem: str
) -> None:
    path = tmp_path / "table.xlsx"
    make, message = XLSX_PROBLEMS[problem]
    make(path, table.columns)
    if problem == "header-only" and table.name == "events":
        accepted(invoke, table.args(valid, path))
        return
    found = rejected(invoke, table.args(valid, path), tmp_path / "out")
    label = f"{table.name} table {path}"
    assert found == [message.format(label=label, cols=", ".join(table.columns))]


# ---- a table in a sheet of a workbook --------------------------------------------------------

SHEET_TABLES = [t for t in TABLES if t.name in ("lesions", "measurements", "events", "evidence")]


def book_args(book: Path, table: Table) -> list[str | Path]:
    if table.name == "evidence":
        return ["assess", "--workbook", book]
    return _classify("--workbook", book)


def write_book(valid: Path, book: Path, replace: str, frame: pd.DataFrame | None) -> None:
    sheets = {
        name: pd.read_csv(valid / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("lesions", "measurements", "events", "evidence")
    }
    if frame is None:
        del sheets[replace]
    else:
        sheets[replace] = frame
    book.write_bytes(xlsx_bytes(sheets))


@pytest.mark.parametrize("table", SHEET_TABLES[:2], ids=lambda t: t.name)
def test_missing_sheet(invoke: Invoke, valid: Path, tmp_path: Path, table: Table) -> None:
    book = tmp_path / "cohort.xlsx"
    write_book(valid, book, table.name, None)
    found = rejected(invoke, book_args(book, table), tmp_path / "out")
    others = [n for n in ("lesions", "measurements", "events", "evidence") if n != table.name]
    assert found == [
        f"{table.name} sheet of {book}: the workbook has no sheet named '{table.name}'; "
        f"expected a sheet named '{table.name}' (sheets found: "
        + ", ".join(f"'{n}'" for n in others)
        + ")"
    ]


def test_missing_sheet_names_the_sheets_as_spelled(tmp_path: Path) -> None:
    from pseudoprog.errors import InputValidationError
    from pseudoprog.io.cohort import load_cohort

    book = tmp_path / "cohort.xlsx"
    book.write_bytes(xlsx_bytes({"Patients": pd.DataFrame({"a": [1]}), "Sizes": pd.DataFrame()}))
    with pytest.raises(InputValidationError) as caught:
        load_cohort(workbook=book)
    assert [str(p) for p in caught.value.problems] == [
        f"{name} sheet of {book}: the workbook has no sheet named '{name}'; expected a sheet "
        f"named '{name}' (sheets found: 'Patients', 'Sizes')"
        for name in ("lesions", "measurements")
    ]


SHEET_PROBLEMS: dict[str, tuple[Callable[[tuple[str, ...]], pd.DataFrame], str]] = {
    "empty-sheet": (
        lambda c: pd.DataFrame(),
        "the sheet is empty; expected a header row with {cols}",
    ),
    "header-only": (
        lambda c: pd.DataFrame(columns=list(c)),
        "the sheet has a header row but no data rows; expected one or more data rows below "
        "the header",
    ),
    "missing-column": (
        lambda c: pd.DataFrame({k: ["x"] for k in c[1:]}),
        "column '{first}': required column '{first}' is missing; expected a header row with "
        "the columns {cols} (found: {rest})",
    ),
}


@pytest.mark.parametrize("problem", list(SHEET_PROBLEMS))
@pytest.mark.parametrize("table", SHEET_TABLES, ids=lambda t: t.name)
def test_sheet_problem(
    invoke: Invoke, valid: Path, tmp_path: Path, table: Table, problem: str
) -> None:
    book = tmp_path / "cohort.xlsx"
    make, message = SHEET_PROBLEMS[problem]
    write_book(valid, book, table.name, make(table.columns))
    if problem == "header-only" and table.name == "events":
        accepted(invoke, book_args(book, table))
        return
    found = rejected(invoke, book_args(book, table), tmp_path / "out")
    text = message.format(
        cols=", ".join(table.columns), first=table.columns[0], rest=", ".join(table.columns[1:])
    )
    separator = ", " if problem == "missing-column" else ": "
    assert found == [f"{table.name} sheet of {book}{separator}{text}"]


@pytest.mark.parametrize("problem", list(XLSX_PROBLEMS)[:7])
def test_workbook_file_problem(invoke: Invoke, tmp_path: Path, problem: str) -> None:
    """The workbook of ``--workbook`` holds several tables: problems name it as the workbook."""
    book = tmp_path / "cohort.xlsx"
    make, message = XLSX_PROBLEMS[problem]
    make(book, LESION_COLUMNS["required"])
    found = rejected(invoke, _classify("--workbook", book), tmp_path / "out")
    assert found == [message.format(label=f"workbook {book}")]


# ---- the README's examples -------------------------------------------------------------------


def readme_block(first_problem: str) -> list[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(Input rejected:.*?)```", text, re.S)
    return next(b.splitlines() for b in blocks if first_problem in b)


def test_readme_bad_cells_example(
    invoke: Invoke, example_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (example_dir / "measurements.csv").read_text().splitlines()
    text[5] = text[5].rsplit(",", 1)[0] + ",-4"
    text[9] = text[9].replace("T1C", "DWI").replace("T2FS", "DWI").replace(",T1,", ",DWI,")
    Path("measurements.csv").write_text("\n".join(text) + "\n")
    args = _classify("--lesions", example_dir / "lesions.csv", "--measurements", "measurements.csv")
    result = invoke(*args, "--output", tmp_path / "out" / "x.json")
    assert result.exit_code == 2
    assert result.output.splitlines() == readme_block("row 6, column 'size_mm'")


def test_readme_unreadable_file_example(
    invoke: Invoke, example_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lines = (example_dir / "lesions.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("Renal cell carcinoma", "Carcinome rénal")
    Path("lesions.csv").write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    Path("measurements.csv").write_text("")
    args = _classify("--lesions", "lesions.csv", "--measurements", "measurements.csv")
    result = invoke(*args, "--output", tmp_path / "out" / "x.json")
    assert result.exit_code == 2
    assert result.output.splitlines() == readme_block("not UTF-8 text")
