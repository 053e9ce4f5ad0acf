"""Loading a registry as columns for the bulk classifier, without per-lesion objects.

:func:`load_columns` reads the lesions, measurements and events tables into NumPy and Arrow
columns: the measurements sorted by lesion, sequence and date, as
:class:`~pseudoprog.io.histories.LesionHistories` holds them. The lesions and events tables
go through the readers of :mod:`pseudoprog.io.cohort`. The measurements table, the large
one, is read with its date, sequence and size columns dictionary-encoded, so that each
distinct cell is trimmed and parsed once with the same kernels as
:meth:`~pseudoprog.io.tabular.RawTable.parse_dates` and
:meth:`~pseudoprog.io.tabular.RawTable.parse_numbers`.

The loader covers valid input only. Whenever :func:`~pseudoprog.io.cohort.load_cohort` would
report a problem or a notice about the measurements (a bad or empty cell, an unknown lesion,
a repeated study, an extra column, a lesion without a baseline), or the input is a workbook,
it returns ``None`` and the caller loads the registry with ``load_cohort``, which reports the
problems with their usual messages.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence as Seq
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pseudoprog.domain import Event, LesionHistory, Sequence, Site, normalize_token
from pseudoprog.io import cohort as _cohort
from pseudoprog.io import tabular as _tabular
from pseudoprog.io.columnar import is_parquet
from pseudoprog.io.histories import LesionHistories
from pseudoprog.io.tabular import ProblemLog, RawTable, read_table

__all__ = ["ColumnarCohort", "load_columns"]

_MEASUREMENT_COLUMNS = _cohort.MEASUREMENT_COLUMNS["required"]
_FIRST_DAY = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_LAST_DAY = int(np.datetime64("2199-12-31", "D").astype(np.int64))
_SEQUENCE_LOOKUP = Sequence.lookup()
_SEQUENCE_POSITION = {member: i for i, member in enumerate(Sequence)}


@dataclass(frozen=True)
class ColumnarCohort:
    """A validated registry as columns.

    Attributes
    ----------
    patient_id, lesion_id
        Arrow string arrays, one entry per lesion in table order.
    treated
        Treatment dates as days since 1970-01-01 (int64), per lesion.
    in_vertebral_body
        Per lesion: 1 (in the body), 0 (outside) or -1 (not given), int8.
    body_involvement_pct
        Per lesion, NaN when not given.
    fractions
        Per lesion, the fractions of the treatment.
    lesion, sequence, day, size_mm
        One entry per measurement, sorted by lesion, sequence (position in ``Sequence``) and
        date, with no repeated (lesion, sequence, date).
    events_recorded
        Whether an events table was given.
    events
        The validated events (empty without an events table).
    notices
        Input notices, as :func:`~pseudoprog.io.cohort.load_cohort` records them.
    sites
        The lesions' sites (``None`` where the table gives none).
    """

    patient_id: pa.Array
    lesion_id: pa.Array
    treated: npt.NDArray[np.int64]
    in_vertebral_body: npt.NDArray[np.int8]
    body_involvement_pct: npt.NDArray[np.float64]
    fractions: npt.NDArray[np.int64]
    lesion: npt.NDArray[np.int64]
    sequence: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]
    size_mm: npt.NDArray[np.float64]
    events_recorded: bool
    events: tuple[Event, ...]
    notices: tuple[str, ...]
    sites: tuple[Site | None, ...]
    _parsed: Any  # the parsed lesions table, to build reference histories on demand

    def __len__(self) -> int:
        return len(self.treated)

    def histories(self, positions: Seq[int]) -> list[LesionHistory]:
        """The reference :class:`~pseudoprog.domain.LesionHistory` of the given lesions.

        Built exactly as :func:`~pseudoprog.io.cohort.load_cohort` builds them, for the few
        lesions the bulk classifier leaves to the reference engine.
        """
        if not positions:
            return []
        chosen = np.asarray(positions, dtype=np.int64)
        parsed = self._parsed
        subset = replace(
            parsed,
            ids=parsed.ids[chosen],
            patients=parsed.patients[chosen],
            treated=parsed.treated[chosen],
            build={k: v[chosen] for k, v in parsed.build.items()},
        )
        lesions = _cohort._build_lesions(subset)
        bounds = np.searchsorted(self.lesion, np.arange(len(self) + 1))
        rows = np.concatenate(
            [np.arange(bounds[i], bounds[i + 1]) for i in chosen.tolist()]
        ).astype(np.int64)
        local = np.repeat(np.arange(len(chosen)), bounds[chosen + 1] - bounds[chosen])
        return list(
            LesionHistories(
                lesions,
                lesion_index=local,
                sequence_index=self.sequence[rows],
                day=self.day[rows],
                size_mm=self.size_mm[rows],
                events=list(self.events) if self.events_recorded else None,
            )
        )


def _read_measurement_columns(path: Path, log: ProblemLog) -> dict[str, Any] | None:
    """The measurement columns (lesion ids as text, the others dictionary-encoded).

    ``None`` when the file is not a plain CSV file with exactly the required columns.
    """
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return None
    if is_parquet(path):
        table = read_table(path, log, table="measurements", columns=_MEASUREMENT_COLUMNS)
        if table is None or log.problems:
            return None
        return _from_raw(table)
    source = _tabular.TableSource(path, table="measurements")
    head = _tabular._open(path, source.label, "CSV file", log)
    if head is None or _tabular._not_a_csv(path, head, source.label) is not None:
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # not UTF-8 text, or not CSV: the reference reader says why
    names = [str(c).strip().lower().replace(" ", "_") for c in header]
    if sorted(names) != sorted(_MEASUREMENT_COLUMNS) or header != names:
        return None
    kinds = {name: pa.dictionary(pa.int32(), pa.string()) for name in header}
    kinds["lesion_id"] = pa.string()
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf8"),
            convert_options=pacsv.ConvertOptions(
                column_types=kinds,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, OSError, ValueError):
        return None
    if table.num_rows == 0 or table.column_names != header:
        return None
    return {name: table.column(name) for name in header}


def _from_raw(table: RawTable) -> dict[str, Any] | None:
    """The columns of a table read by :func:`~pseudoprog.io.tabular.read_table`."""
    if sorted(table.columns) != sorted(_MEASUREMENT_COLUMNS):
        return None
    columns: dict[str, Any] = {"lesion_id": pa.chunked_array([table.column("lesion_id")])}
    for name in ("date", "sequence", "size_mm"):
        columns[name] = pa.chunked_array([pc.dictionary_encode(table.column(name))])
    return columns


def _decode(column: Any, parse: Any, dtype: Any) -> npt.NDArray[Any]:
    """Parse each chunk's dictionary once and expand it to the rows."""
    parts = []
    for chunk in column.chunks:
        values = parse(pc.utf8_trim_whitespace(chunk.dictionary))
        parts.append(np.asarray(values, dtype=dtype)[chunk.indices.to_numpy()])
    if not parts:
        return np.empty(0, dtype=dtype)
    return np.concatenate(parts)


def _dates(values: pa.Array) -> npt.NDArray[np.int64]:
    """Days since 1970 (the minimum int64 where a cell is not a strict ISO date)."""
    try:
        parsed = pc.cast(values, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.full(len(values), np.iinfo(np.int64).min, dtype=np.int64)
    days = np.asarray(pc.fill_null(pc.cast(parsed, pa.int32()), -(2**31)).to_numpy())
    return days.astype(np.int64)


def _numbers(values: pa.Array) -> npt.NDArray[np.float64]:
    """Numbers (NaN where a cell is not a number)."""
    try:
        parsed = pc.cast(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.full(len(values), np.nan)
    return np.asarray(pc.fill_null(parsed, np.nan).to_numpy(zero_copy_only=False))


def _sequences(values: pa.Array) -> npt.NDArray[np.int64]:
    """Positions in ``Sequence`` (-1 for an unknown spelling)."""
    found = [_SEQUENCE_LOOKUP.get(normalize_token(str(v))) for v in values.to_pylist()]
    return np.array([-1 if m is None else _SEQUENCE_POSITION[m] for m in found], dtype=np.int64)


def _measurements(
    columns: dict[str, Any], lesion_ids: pa.Array
) -> tuple[npt.NDArray[Any], ...] | None:
    """Validated measurement columns sorted by lesion, sequence and date; ``None`` on any
    cell that :func:`~pseudoprog.io.cohort.load_cohort` would report or change."""
    days = _decode(columns["date"], _dates, np.int64)
    if days.size == 0 or days.min() < _FIRST_DAY or days.max() > _LAST_DAY:
        return None
    sequence = _decode(columns["sequence"], _sequences, np.int64)
    if sequence.min() < 0:
        return None
    sizes = _decode(columns["size_mm"], _numbers, np.float64)
    if not (np.all(np.isfinite(sizes)) and sizes.min() > 0 and sizes.max() <= _cohort.MAX_SIZE_MM):
        return None
    found = pc.index_in(columns["lesion_id"], value_set=lesion_ids)
    if found.null_count:
        return None  # unknown or untrimmed ids: the reference reader decides
    lesion = np.concatenate([c.to_numpy() for c in found.chunks]).astype(np.int64)
    span = _LAST_DAY - _FIRST_DAY + 1
    key = (lesion * len(Sequence) + sequence) * span + (days - _FIRST_DAY)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    if np.any(sorted_key[1:] == sorted_key[:-1]):
        return None  # a repeated study: merged with a notice, or a conflict
    return lesion[order], sequence[order], days[order], sizes[order]


def load_columns(
    *,
    lesions: str | Path,
    measurements: str | Path,
    events: str | Path | None = None,
) -> ColumnarCohort | None:
    """Read and validate the tables as columns; ``None`` when the bulk reader does not cover
    the input (then :func:`~pseudoprog.io.cohort.load_cohort` reads it and reports problems).

    Parameters
    ----------
    lesions, measurements, events
        Table files (CSV, Excel or Parquet; the measurements as CSV or Parquet).
    """
    log = ProblemLog()
    lesion_table = read_table(
        lesions, log, table="lesions", columns=_cohort.LESION_COLUMNS["required"]
    )
    if lesion_table is None or log.problems:
        return None
    columns = _read_measurement_columns(Path(measurements), log)
    if columns is None or log.problems:
        return None
    event_table = None
    if events is not None:
        event_table = read_table(
            events,
            log,
            table="events",
            columns=_cohort.EVENT_COLUMNS["required"],
            allow_empty=True,
        )
        if event_table is None:
            return None
    parsed = _cohort._parse_lesions(lesion_table, log)
    if parsed is None or log.problems:
        return None
    ids = pa.array(parsed.ids.tolist(), pa.string())
    if pc.count_distinct(ids).as_py() != len(ids):
        return None
    try:
        rows = _measurements(columns, ids)
    except (pa.ArrowException, ValueError, IndexError):
        rows = None  # a cell the kernels cannot read: the reference reader reports it
    if rows is None:
        return None
    lesion, sequence, day, size = rows
    treated = parsed.treated.astype(np.int64)
    first = np.full(len(ids), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, lesion, day)
    if np.any(first > treated):
        return None  # a lesion without a baseline: reported by the reference reader
    event_list = None
    if event_table is not None:
        event_list = _cohort._parse_events(event_table, parsed, log)
        if event_list is None or log.problems:
            return None
    in_body = np.array(
        [-1 if v is None else int(bool(v)) for v in parsed.build["in_body"].tolist()],
        dtype=np.int8,
    )
    return ColumnarCohort(
        patient_id=pa.array(parsed.patients.tolist(), pa.string()),
        lesion_id=ids,
        treated=treated,
        in_vertebral_body=in_body,
        body_involvement_pct=np.asarray(parsed.build["involvement"], dtype=np.float64),
        fractions=np.asarray(parsed.build["fractions"], dtype=np.float64).astype(np.int64),
        lesion=lesion,
        sequence=sequence,
        day=day,
        size_mm=size,
        events_recorded=event_list is not None,
        events=tuple(event_list or ()),
        notices=tuple(log.notices),
        sites=tuple(parsed.build["site"].tolist()),
        _parsed=parsed,
    )
