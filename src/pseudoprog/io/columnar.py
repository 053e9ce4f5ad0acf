"""Input tables as Parquet: one file, or a folder of files (a partitioned dataset).

A registry kept in a data lake rarely lives in CSV. Any input table (lesions, measurements,
events, evidence, ...) may be given as a ``.parquet`` file or as a folder of Parquet files,
including Hive-partitioned folders (``patient_id=P1/part-0.parquet``), whose partition keys
become columns. The typed Arrow columns are turned into the same text cells a CSV file gives
(dates as ``YYYY-MM-DD``, whole floats without ``.0``, booleans as ``true``/``false``, nulls
as empty cells), so that Parquet input goes through exactly the same validation, with the same
messages, as CSV and Excel input.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pseudoprog.errors import Problem

__all__ = ["PARQUET_SUFFIXES", "is_parquet", "read_parquet"]

#: File names that mark a Parquet file.
PARQUET_SUFFIXES = frozenset({".parquet", ".pq", ".parq"})
#: The first bytes of every Parquet file.
PARQUET_MAGIC = b"PAR1"
_EXPECTED = (
    "a Parquet file (.parquet) or a folder of Parquet files (a partitioned dataset) with one "
    "column per field and one row per record"
)


def is_parquet(path: Path) -> bool:
    """Whether ``path`` names a Parquet file or a folder of Parquet files."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    try:
        return path.is_dir() and any(_parquet_files(path))
    except OSError:
        return False


def _parquet_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.suffix.lower() in PARQUET_SUFFIXES and p.is_file()
    )


def read_parquet(path: Path, label: str) -> pa.Table | Problem:
    """The table in ``path`` as text columns, or the :class:`Problem` that stops it being read.

    Parameters
    ----------
    path
        A Parquet file, or a folder holding Parquet files (searched recursively; Hive-style
        ``key=value`` folder names become columns).
    label
        How problems name the table (``lesions table registry/lesions.parquet``).
    """
    import pyarrow.dataset as ds  # imported here: only Parquet input needs it

    try:
        if path.is_dir():
            dataset = ds.dataset(path, format="parquet", partitioning="hive")
        else:
            with path.open("rb") as handle:
                head = handle.read(4)
            if head != PARQUET_MAGIC:
                return Problem(
                    label,
                    "not a Parquet file: it does not start with the Parquet signature 'PAR1'",
                    expected=f"{_EXPECTED}; a CSV file needs a name ending in .csv",
                )
            dataset = ds.dataset(path, format="parquet")
        table = dataset.to_table()
    except FileNotFoundError:
        return Problem(label, "file not found", expected=f"the path of {_EXPECTED}")
    except PermissionError:
        return Problem(
            label, "cannot be opened: permission denied", expected=f"{_EXPECTED} you may read"
        )
    except (OSError, pa.ArrowException, ValueError) as exc:
        return Problem(label, f"cannot be read as Parquet ({exc})", expected=_EXPECTED)
    columns: list[pa.Array | pa.ChunkedArray] = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        text = _as_text(column)
        if text is None:
            return Problem(
                label,
                f"column '{name}' holds nested values ({column.type}), not table cells",
                expected=f"{_EXPECTED}: flatten nested columns (lists, structs, maps) first",
            )
        columns.append(text)
    return pa.table(columns, names=[str(n) for n in table.column_names])


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """The cells of ``column`` as the text a CSV file would hold; ``None`` for nested types."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return None
    if pa.types.is_null(kind):
        return pa.chunked_array([pa.array([""] * len(column), pa.string())])
    if pa.types.is_timestamp(kind):
        # Midnight is written as a bare date, any other time in full (and then rejected as
        # not a date, as the same text in a CSV file would be).
        midnight = pc.equal(pc.cast(pc.cast(column, pa.date32()), kind), column)
        text = pc.if_else(
            midnight,
            pc.strftime(column, format="%Y-%m-%d"),
            pc.strftime(column, format="%Y-%m-%dT%H:%M:%S"),
        )
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    else:
        text = column.cast(pa.string())
    return pc.fill_null(text, "")
