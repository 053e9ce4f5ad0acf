"""Classifying a whole registry by the Amini 2016 criteria on columns, on threads.

:func:`classify_columnar` is the bulk path of ``pseudoprog classify``: it applies the column
engine (:mod:`pseudoprog.criteria.amini2016_columnar`) to a registry loaded by
:func:`~pseudoprog.io.columnar_load.load_columns` and writes the JSON or CSV text of
:mod:`pseudoprog.io.results`, byte for byte, in parts built on two threads. Lesions the column
engine does not cover go to the reference engine (:func:`pseudoprog.criteria.amini2016.assess`)
and their text is put in place: lesions whose patient has an event the criteria read (a change
of systemic therapy, other bone lesions enlarged, hardware, a fracture), and lesions whose ids
JSON would escape or CSV would quote.
"""

from __future__ import annotations

import itertools
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from pseudoprog.criteria.amini2016 import Amini2016Parameters, assess
from pseudoprog.criteria.amini2016_columnar import ColumnarAssessment, assess_columns, supports
from pseudoprog.criteria.result import Assessment
from pseudoprog.domain import EventKind, Site
from pseudoprog.io.atomic import atomic_path
from pseudoprog.io.columnar_load import ColumnarCohort, load_columns
from pseudoprog.io.columnar_write import ColumnarText, LesionColumns, needs_escaping
from pseudoprog.io.results import csv_header, csv_rows, json_document

__all__ = [
    "READ_EVENTS",
    "assess_cohort",
    "classify_columnar",
    "classify_columnar_table",
    "classify_files",
    "columnar_pieces",
    "reference_lesions",
    "reusing_allocator",
    "write_columnar_parquet",
]

#: Event kinds the Amini 2016 criteria and their inclusion checks read.
READ_EVENTS = frozenset(
    {
        EventKind.SYSTEMIC_THERAPY_CHANGE,
        EventKind.OTHER_BONE_LESIONS_ENLARGED,
        EventKind.HARDWARE,
        EventKind.FRACTURE,
    }
)
#: Lesions written per part (bounds the memory of the text being built).
PART_SIZE = 4096


def reference_lesions(cohort: ColumnarCohort) -> npt.NDArray[np.bool_]:
    """Which lesions go to the reference engine (see the module's description)."""
    route = needs_escaping(cohort.patient_id) | needs_escaping(cohort.lesion_id)
    read = [ev for ev in cohort.events if ev.kind in READ_EVENTS]
    if read:
        patients = sorted({ev.patient_id for ev in read if ev.lesion_id is None})
        lesions = sorted({ev.lesion_id for ev in read if ev.lesion_id is not None})
        for values, chosen in ((cohort.patient_id, patients), (cohort.lesion_id, lesions)):
            if chosen:
                hit = pc.is_in(values, value_set=pa.array(chosen, pa.string()))
                route |= np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
    return route


def assess_cohort(
    cohort: ColumnarCohort, *, params: Amini2016Parameters, as_of: date | None = None
) -> ColumnarAssessment:
    """The rules of :func:`~pseudoprog.criteria.amini2016_columnar.assess_columns` applied to
    a loaded registry."""
    return assess_columns(
        lesion=cohort.lesion,
        sequence=cohort.sequence,
        day=cohort.day,
        size_mm=cohort.size_mm,
        treated=cohort.treated,
        as_of=as_of,
        params=params,
    )


def _reference(
    cohort: ColumnarCohort,
    route: npt.NDArray[np.bool_],
    params: Amini2016Parameters,
    as_of: date | None,
) -> dict[int, Assessment]:
    positions = np.flatnonzero(route).tolist()
    histories = cohort.histories(positions)
    return {
        i: assess(h, as_of=as_of, params=params) for i, h in zip(positions, histories, strict=True)
    }


def _parts(
    cohort: ColumnarCohort,
    results: ColumnarAssessment,
    *,
    params: Amini2016Parameters,
    build: Callable[[ColumnarText, int, int], Any],
    threads: int,
) -> Iterator[Any]:
    """``build(text, first, stop)`` for each part of the registry, in order, on threads.

    At most ``threads + 1`` parts are built ahead of the one being consumed.
    """
    n = len(cohort)
    edges = [*range(0, n, PART_SIZE), n]

    def one(first: int, stop: int) -> Any:
        lesions = LesionColumns(
            patient_id=cohort.patient_id.slice(first, stop - first),
            lesion_id=cohort.lesion_id.slice(first, stop - first),
            treated=cohort.treated[first:stop],
            in_vertebral_body=cohort.in_vertebral_body[first:stop],
            body_involvement_pct=cohort.body_involvement_pct[first:stop],
            fractions=cohort.fractions[first:stop],
        )
        text = ColumnarText(
            results.part(first, stop),
            lesions,
            params=params,
            events_recorded=cohort.events_recorded,
        )
        return build(text, first, stop)

    bounds = list(itertools.pairwise(edges))
    if threads <= 1 or len(bounds) <= 1:
        for first, stop in bounds:
            yield one(first, stop)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque[Future[Any]] = deque()
        for first, stop in bounds:
            pending.append(pool.submit(one, first, stop))
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _replace(
    values: pa.Array,
    first: int,
    stop: int,
    reference: dict[int, Assessment],
    text: Callable[[Assessment, int], str],
) -> pa.Array:
    """``values`` of lesions ``first:stop`` with ``text(assessment, position)`` put in for
    the lesions assessed by the reference engine."""
    inside = sorted(i for i in reference if first <= i < stop)
    if not inside:
        return values
    mask = np.zeros(stop - first, dtype=bool)
    mask[np.array(inside) - first] = True
    ordered = [text(reference[i], i) for i in inside]
    return pc.replace_with_mask(values, pa.array(mask), pa.array(ordered, values.type))


def _buffer(values: pa.Array) -> memoryview:
    """The text of all the values, end to end, without copying it."""
    if not len(values):
        return memoryview(b"")
    offsets = np.frombuffer(
        values.buffers()[1], dtype=np.int32, count=len(values) + 1, offset=values.offset * 4
    )
    return memoryview(values.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def columnar_pieces(
    cohort: ColumnarCohort,
    *,
    params: Amini2016Parameters,
    as_of: date | None = None,
    output_format: str = "json",
    threads: int = 2,
    results: ColumnarAssessment | None = None,
) -> Iterator[bytes | memoryview]:
    """The pieces of :func:`classify_columnar`, each made when it is asked for.

    The parts of the registry are built on threads a little ahead of the pieces consumed, so
    that a writer holds only a few parts in memory, never the whole document. ``results``
    are the cohort's rules results when already computed (:func:`assess_cohort`).
    """
    if not supports(params):
        raise ValueError("these parameters need the reference engine")
    if output_format not in ("json", "csv"):
        raise ValueError(f"unknown output format {output_format!r}")
    if results is None:
        results = assess_cohort(cohort, params=params, as_of=as_of)
    reference = _reference(cohort, reference_lesions(cohort), params, as_of)

    if output_format == "csv":

        def build_csv(text: ColumnarText, first: int, stop: int) -> memoryview:
            rows = _replace(text.csv_rows(), first, stop, reference, lambda a, _: csv_rows([a]))
            return _buffer(rows)

        yield csv_header().encode("utf-8")
        yield from _parts(cohort, results, params=params, build=build_csv, threads=threads)
        return

    def build(text: ColumnarText, first: int, stop: int) -> memoryview:
        def dumped(a: Assessment, position: int) -> str:
            return orjson.dumps(a.to_dict()).decode() + ("," if position < stop - 1 else "")

        objects = _replace(text.json_objects(","), first, stop, reference, dumped)
        return _buffer(objects)

    # the head and the tail of json_document, and its commas between non-empty chunks
    head, tail = json_document([], parameters=params, as_of=as_of, notices=cohort.notices)
    yield head
    first = True
    for chunk in _parts(cohort, results, params=params, build=build, threads=threads):
        if len(chunk):
            if not first:
                yield b","
            yield chunk
            first = False
    yield tail


def classify_columnar(
    cohort: ColumnarCohort,
    *,
    params: Amini2016Parameters,
    as_of: date | None = None,
    output_format: str = "json",
    threads: int = 2,
) -> list[bytes | memoryview]:
    """Classify every lesion and return the JSON or CSV text as UTF-8 pieces.

    Parameters
    ----------
    cohort
        The registry (:func:`~pseudoprog.io.columnar_load.load_columns`).
    params, as_of
        As for :func:`pseudoprog.criteria.amini2016.assess`.
    output_format
        ``json`` or ``csv``.
    threads
        Threads that build the text.

    Returns
    -------
    list of bytes-like
        Pieces whose concatenation is the text :func:`pseudoprog.io.bulk.classify_serialized`
        returns for the same registry (write them with ``writelines``).

    Raises
    ------
    ValueError
        For parameters the column engine does not cover (see
        :func:`~pseudoprog.criteria.amini2016_columnar.supports`).
    """
    return list(
        columnar_pieces(
            cohort, params=params, as_of=as_of, output_format=output_format, threads=threads
        )
    )


def classify_columnar_table(
    cohort: ColumnarCohort,
    *,
    params: Amini2016Parameters,
    as_of: date | None = None,
    threads: int = 2,
) -> pa.Table:
    """Classify every lesion and return the table of the Parquet output: equal to
    :func:`pseudoprog.io.parquet_results.assessments_to_table` of the reference results."""
    from pseudoprog.io.parquet_results import PARQUET_SCHEMA, assessments_to_table

    if not supports(params):
        raise ValueError("these parameters need the reference engine")
    results = assess_cohort(cohort, params=params, as_of=as_of)
    reference = _reference(cohort, reference_lesions(cohort), params, as_of)

    def build(text: ColumnarText, first: int, stop: int) -> pa.Table:
        columns = text.table_columns()
        table = pa.table(
            [columns[f.name].cast(f.type) for f in PARQUET_SCHEMA], schema=PARQUET_SCHEMA
        )
        inside = sorted(i for i in reference if first <= i < stop)
        if not inside:
            return table
        mask = pa.array(np.isin(np.arange(first, stop), inside))
        replaced = assessments_to_table([reference[i] for i in inside])
        arrays = [
            pc.replace_with_mask(
                table.column(f.name).combine_chunks(),
                mask,
                replaced.column(f.name).combine_chunks(),
            )
            for f in PARQUET_SCHEMA
        ]
        return pa.table(arrays, schema=PARQUET_SCHEMA)

    tables = list(_parts(cohort, results, params=params, build=build, threads=threads))
    return pa.concat_tables(tables) if tables else PARQUET_SCHEMA.empty_table()


def write_columnar_parquet(
    cohort: ColumnarCohort,
    output: Path,
    *,
    params: Amini2016Parameters,
    as_of: date | None = None,
    threads: int = 2,
) -> int:
    """Write the results as a results folder of one part, as
    :func:`pseudoprog.io.parquet_results.write_results_folder` writes the reference results;
    return the number of lesions."""
    from pseudoprog.io.parquet_results import (
        METADATA_NAME,
        check_results_folder,
        metadata_document,
        part_name,
        results_folder,
        write_part,
    )

    check_results_folder(output)
    table = classify_columnar_table(cohort, params=params, as_of=as_of, threads=threads)
    patients = pc.count_distinct(table.column("patient_id")).as_py()
    with results_folder(output) as staging:
        write_part(table, staging / part_name(0))
        document = metadata_document(
            parameters=params,
            criteria=params.criteria,
            as_of=as_of,
            notices=cohort.notices,
            partitions=[(table.num_rows, patients)] if table.num_rows else [],
        )
        (staging / METADATA_NAME).write_bytes(
            orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
        )
    return int(table.num_rows)


def classify_files(
    *,
    lesions: Path,
    measurements: Path,
    events: Path | None,
    params: Amini2016Parameters,
    as_of: date | None,
    output_format: str,
    output: Path | None,
    threads: int = 2,
    notice: Callable[[str], None] = lambda text: None,
) -> int | None:
    """``classify`` of Amini 2016 from table files, on columns; ``None`` when not covered.

    Writes the JSON or CSV text to ``output`` (atomically) or to standard output, or the
    Parquet results folder to ``output``, exactly as the reference path writes them; returns
    the number of lesions. Returns ``None``, having written nothing, when the column engine
    does not cover the run: parameters it does not support, input the column loader leaves to
    :func:`~pseudoprog.io.cohort.load_cohort` (problems to report, workbooks, ...), lesions of
    another site than the spine, or Parquet without ``output``.

    Parameters
    ----------
    lesions, measurements, events
        The table files.
    params, as_of
        As for :func:`pseudoprog.criteria.amini2016.assess`.
    output_format
        ``json``, ``csv`` or ``parquet``.
    output
        The file (a folder for Parquet); ``None`` writes to standard output.
    threads
        Threads that build the text.
    notice
        Called with each input notice once the input is validated.
    """
    if not supports(params) or output_format not in ("json", "csv", "parquet"):
        return None
    if output_format == "parquet" and output is None:
        return None
    with reusing_allocator():
        return _classify_files(
            lesions=lesions,
            measurements=measurements,
            events=events,
            params=params,
            as_of=as_of,
            output_format=output_format,
            output=output,
            threads=threads,
            notice=notice,
        )


@contextmanager
def reusing_allocator() -> Iterator[None]:
    """Arrow allocates from jemalloc inside the block, when Arrow is built with it.

    Building a registry's text allocates and frees hundreds of megabytes in parts; Arrow's
    default allocator hands freed pages back to the system at once, so that every part pays
    its page faults again, while jemalloc reuses them (on the benchmark registry about half
    the system time). The previous default pool is restored on exit.
    """
    try:
        pool = pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowNotImplementedError):
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _classify_files(
    *,
    lesions: Path,
    measurements: Path,
    events: Path | None,
    params: Amini2016Parameters,
    as_of: date | None,
    output_format: str,
    output: Path | None,
    threads: int,
    notice: Callable[[str], None],
) -> int | None:
    cohort = load_columns(lesions=lesions, measurements=measurements, events=events)
    if cohort is None or any(s not in (None, Site.SPINE) for s in cohort.sites):
        return None
    for text in cohort.notices:
        notice(text)
    if output_format == "parquet" and output is not None:
        return write_columnar_parquet(cohort, output, params=params, as_of=as_of, threads=threads)
    pieces = columnar_pieces(
        cohort, params=params, as_of=as_of, output_format=output_format, threads=threads
    )
    if output is None:
        sys.stdout.buffer.writelines(pieces)
        sys.stdout.flush()
    else:
        with atomic_path(output) as tmp, tmp.open("wb") as handle:
            handle.writelines(pieces)
    return len(cohort)
