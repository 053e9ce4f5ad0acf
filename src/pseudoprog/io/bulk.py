"""Classifying large registries fast: garbage collection paused, chunks on worker processes.

A registry of 100,000 lesions holds millions of small immutable objects; Python's cyclic
garbage collector would scan them again and again while results are built, although none of
them can form a cycle. :func:`paused_gc` switches it off for the duration of a bulk job.

:func:`classify_serialized` classifies and serialises chunks of lesions on worker processes
forked from this one (they inherit the histories without copying them through a pipe) and
returns text identical to the serial path of :mod:`pseudoprog.io.results`.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from collections.abc import Sequence as Seq
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from typing import Any

from pseudoprog.criteria.amini2016 import Amini2016Parameters, assess
from pseudoprog.criteria.result import Assessment, CriteriaParameters
from pseudoprog.domain import LesionHistory
from pseudoprog.errors import ParameterError
from pseudoprog.io.results import csv_header, csv_rows, json_document, json_lesions

__all__ = ["Engine", "SerialFormat", "available_cores", "classify_serialized", "paused_gc"]

#: A lesion-level engine with its parameters bound: history -> assessment.
Engine = Callable[[LesionHistory], Assessment]

#: Below this many lesions, worker processes cost more than they save.
MIN_LESIONS_PER_WORKER = 5_000


class SerialFormat(StrEnum):
    """Text formats :func:`classify_serialized` writes."""

    JSON = "json"
    CSV = "csv"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Switch the cyclic garbage collector off inside the block (reference counting stays)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# Set in the parent just before forking; read by the workers.
_JOB: dict[str, Any] = {}


#: Lesions classified and serialised at a time (bounds the memory of results in flight).
_BATCH = 4096


def _serialize(histories: Seq[LesionHistory], start: int, stop: int) -> list[bytes]:
    params: Amini2016Parameters = _JOB["params"]
    as_of: date | None = _JOB["as_of"]
    engine: Engine | None = _JOB.get("engine")
    pieces = []
    for first in range(start, stop, _BATCH):
        batch = histories[first : min(stop, first + _BATCH)]
        if engine is None:
            results = [assess(h, as_of=as_of, params=params) for h in batch]
        else:
            results = [engine(h) for h in batch]
        if _JOB["format"] is SerialFormat.JSON:
            pieces.append(json_lesions(results))
        else:
            pieces.append(csv_rows(results).encode("utf-8"))
    return pieces


def _worker(bounds: tuple[int, int]) -> list[bytes]:
    with paused_gc():
        return _serialize(_JOB["histories"], *bounds)


def classify_serialized(
    histories: Seq[LesionHistory],
    *,
    params: CriteriaParameters,
    as_of: date | None = None,
    output_format: SerialFormat = SerialFormat.JSON,
    notices: Seq[str] = (),
    jobs: int | None = None,
    engine: Engine | None = None,
) -> list[bytes]:
    """Classify every lesion and return the JSON or CSV text as UTF-8 pieces.

    Parameters
    ----------
    histories
        The lesions to classify.
    params, as_of
        As for :func:`pseudoprog.criteria.amini2016.assess`; recorded in the JSON document.
    engine
        Another lesion-level engine, called with each history (its criteria, parameters,
        ``as_of`` and any evidence bound in); ``None`` runs Amini 2016 with ``params``.
    output_format
        ``json`` (the document of :func:`pseudoprog.io.results.json_document`) or ``csv``.
    notices
        Input notices recorded in the JSON document.
    jobs
        Worker processes; ``None`` uses every available core, ``1`` works in this process.
        Workers are forked, so they are used only where ``fork`` is safe (Linux).

    Returns
    -------
    list of bytes
        Pieces whose concatenation is the text of the serial functions of
        :mod:`pseudoprog.io.results` (kept apart so that a large document is never copied
        into one buffer; write them with ``writelines``).
    """
    if jobs is not None and jobs < 1:
        raise ParameterError(f"jobs must be at least 1, got {jobs}")
    output_format = SerialFormat(output_format)
    n = len(histories)
    workers = min(jobs or available_cores(), max(1, n // MIN_LESIONS_PER_WORKER))
    if not sys.platform.startswith("linux"):
        workers = 1
    with paused_gc():
        if workers == 1:
            _JOB.update(params=params, as_of=as_of, format=output_format, engine=engine)
            chunks = _serialize(histories, 0, n)
        else:
            pieces = workers * 4
            edges = [n * k // pieces for k in range(pieces + 1)]
            _JOB.update(
                histories=histories,
                params=params,
                as_of=as_of,
                format=output_format,
                engine=engine,
            )
            gc.freeze()  # the collector must not touch (and so copy) inherited objects
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    parts = pool.map(_worker, list(itertools.pairwise(edges)))
                chunks = [piece for part in parts for piece in part]
            finally:
                gc.unfreeze()
                _JOB.clear()
    if output_format is SerialFormat.CSV:
        return [csv_header().encode("utf-8"), *chunks]
    return json_document(chunks, parameters=params, as_of=as_of, notices=notices)
