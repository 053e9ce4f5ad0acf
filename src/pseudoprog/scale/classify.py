"""``pseudoprog classify --scheduler``: the single-machine classification, on Dask partitions.

The input is read and validated here first, with the same messages as without a cluster:
nothing is sent to a worker before the whole input is known to be valid. Valid amini2016 input
is held as columns (:mod:`pseudoprog.scale.columns`), other input as the reference reader's
cohort. The lesions are then cut into partitions that never split a patient
(:mod:`pseudoprog.scale.partition`); each partition's lesions, measurements and events are
shipped to one worker (:meth:`pseudoprog.io.histories.LesionHistories.part`,
:meth:`pseudoprog.scale.columns.ColumnPartitions.part`), never the whole cohort to every
worker. A worker runs the function the single-machine command runs on a
table of lesions (:func:`pseudoprog.io.bulk.classify_serialized` for JSON and CSV, the
lesion-level engine for Parquet), so the output is byte for byte the single-machine output.

Output is atomic: JSON and CSV are written by this process to a temporary file renamed at the
end; Parquet parts are written by the workers into a staging folder beside ``--output``
(which must therefore be on storage every worker can write, like the inputs of
``perfusion batch``), and the folder replaces ``--output`` only when every part succeeded.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Sequence as Seq
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from pseudoprog.criteria.result import Assessment, CriteriaParameters
from pseudoprog.domain import Evidence, LesionHistory
from pseudoprog.errors import ParameterError, PseudoprogError
from pseudoprog.io.atomic import atomic_path
from pseudoprog.io.histories import LesionHistories
from pseudoprog.io.parquet_results import check_results_folder
from pseudoprog.scale.cluster import SchedulerAddress, connect, worker_count
from pseudoprog.scale.partition import Partition, default_partitions, plan_partitions

if TYPE_CHECKING:
    from distributed import Client, Future
    from rich.console import Console

    from pseudoprog.scale.columns import ColumnPartitions

__all__ = [
    "ClusterFormat",
    "ClusterRun",
    "LesionEngine",
    "PartitionFailedError",
    "classify_on_cluster",
    "classify_partition",
]


class ClusterFormat(StrEnum):
    """Outputs of ``classify --scheduler``."""

    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"


class PartitionFailedError(PseudoprogError):
    """A partition could not be classified; nothing was written."""


@dataclass(frozen=True, slots=True)
class LesionEngine:
    """A lesion-level criteria set with its parameters, date and findings, picklable.

    ``evidence`` holds the findings of the partition's lesions only. Amini 2016 without
    findings runs through the single-machine default (:meth:`bound` returns ``None``).
    """

    criteria: str
    params: CriteriaParameters
    as_of: date | None
    evidence: Mapping[str, tuple[Evidence, ...]] = field(default_factory=dict)

    def bound(self) -> Callable[[LesionHistory], Assessment] | None:
        """The engine the single-machine path builds for these criteria (None: Amini 2016)."""
        if self.criteria == "amini2016":
            return None
        from pseudoprog.criteria import registry

        assess = registry.get(self.criteria).load().assess
        evidence, params, as_of = self.evidence, self.params, self.as_of

        def engine(history: LesionHistory) -> Assessment:
            found = evidence.get(history.lesion.lesion_id, ())
            result: Assessment = assess(history, as_of=as_of, params=params, evidence=found)
            return result

        return engine

    def restricted(self, histories: LesionHistories) -> LesionEngine:
        """The same engine with only the findings of ``histories``' lesions."""
        if not self.evidence:
            return self
        ids = (h.lesion_id for h in histories.lesions)
        kept = {i: self.evidence[i] for i in ids if i in self.evidence}
        return LesionEngine(self.criteria, self.params, self.as_of, kept)


@dataclass(frozen=True, slots=True)
class _Job:
    """What a worker needs besides the partition's histories."""

    partition: Partition
    engine: LesionEngine
    output_format: ClusterFormat
    staging: str | None = None


def classify_partition(histories: LesionHistories, job: _Job) -> bytes | int:
    """Classify one partition on a worker.

    Returns the partition's JSON lesion objects (comma-separated) or CSV rows as bytes, or,
    for Parquet, writes ``part-NNNNN.parquet`` into the staging folder and returns the row
    count.
    """
    from pseudoprog.io.bulk import SerialFormat, classify_serialized, paused_gc

    engine = job.engine.bound()
    if job.output_format is ClusterFormat.PARQUET:
        from pseudoprog.criteria.amini2016 import assess_many
        from pseudoprog.io.parquet_results import assessments_to_table, part_name, write_part

        if job.staging is None:  # pragma: no cover - set by classify_on_cluster
            raise ParameterError("no staging folder for Parquet parts")
        with paused_gc():
            if engine is None:
                params: Any = job.engine.params
                results = assess_many(histories, as_of=job.engine.as_of, params=params)
            else:
                results = [engine(h) for h in histories]
            table = assessments_to_table(results)
        write_part(table, Path(job.staging) / part_name(job.partition.index))
        return int(table.num_rows)
    pieces = classify_serialized(
        histories,
        params=job.engine.params,
        as_of=job.engine.as_of,
        output_format=SerialFormat(job.output_format.value),
        jobs=1,
        engine=engine,
    )
    # the single-machine document without its head (and, for JSON, its tail)
    inner = pieces[1:] if job.output_format is ClusterFormat.CSV else pieces[1:-1]
    return b"".join(inner)


@dataclass(frozen=True, slots=True)
class ClusterRun:
    """What a cluster run did."""

    lesions: int
    partitions: tuple[Partition, ...]
    workers: int
    scheduler: str


def _describe(partition: Partition) -> str:
    return (
        f"partition {partition.index + 1} (lesions {partition.start + 1}-{partition.stop} "
        "of the lesions table)"
    )


def _results_in_order(
    client: Client,
    parts: Seq[Partition],
    histories: LesionHistories | ColumnPartitions,
    make_job: Callable[[Partition, LesionHistories], _Job],
    *,
    window: int,
    done: Callable[[Partition], None],
) -> Iterator[bytes | int]:
    """Each partition's result in partition order, with at most ``window`` in flight.

    A partition is shipped to the cluster only when a slot is free, so neither this process
    nor the workers hold more than ``window`` partitions of input at a time.
    """
    pending: deque[tuple[Partition, Future[Any]]] = deque()
    queue = iter(parts)
    token = secrets.token_hex(4)
    try:
        while True:
            while len(pending) < window:
                partition = next(queue, None)
                if partition is None:
                    break
                piece = histories.part(partition.start, partition.stop)
                future = client.submit(
                    classify_partition,
                    piece,
                    make_job(partition, piece),
                    key=f"pseudoprog-classify-{token}-{partition.index}",
                    pure=False,
                    retries=0,
                )
                del piece
                pending.append((partition, future))
            if not pending:
                return
            partition, future = pending.popleft()
            try:
                result = future.result()
            except Exception as exc:
                what = (
                    str(exc) if isinstance(exc, PseudoprogError) else f"{type(exc).__name__}: {exc}"
                )
                raise PartitionFailedError(
                    f"{_describe(partition)} failed on the cluster: {what}; no output was written"
                ) from None
            finally:
                future.release()  # type: ignore[no-untyped-call]
            done(partition)
            yield result
    finally:
        for _, future in pending:
            future.cancel()  # type: ignore[no-untyped-call]


def classify_on_cluster(
    histories: LesionHistories | ColumnPartitions,
    *,
    engine: LesionEngine,
    output_format: ClusterFormat,
    output: Path | None,
    scheduler: SchedulerAddress,
    partitions: int | None = None,
    notices: Seq[str] = (),
    local_workers: int | None = None,
    write: Callable[[list[bytes]], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ClusterRun:
    """Classify ``histories`` on a Dask cluster and write the output.

    Parameters
    ----------
    histories
        The validated cohort (:attr:`pseudoprog.io.cohort.Cohort.histories`), or the
        registry as columns (:class:`pseudoprog.scale.columns.ColumnPartitions`), which
        builds each partition's lesions only when the partition is shipped.
    engine
        The criteria set, parameters, ``as_of`` and findings.
    output_format, output
        ``json`` or ``csv`` to one file (``output``; without it the pieces go to ``write``),
        or ``parquet`` to the folder ``output`` (one part file per partition).
    scheduler
        ``local`` or a running scheduler.
    partitions
        How many partitions (default: two per worker at least, about 100,000 lesions each);
        fewer when the lesions table interleaves patients.
    notices
        Input notices, recorded in the JSON document and the Parquet metadata.
    local_workers
        Worker processes of a local cluster (default: one per core).
    write
        Receives the text pieces when ``output`` is ``None``.
    progress
        Called with (partitions done, partitions) as partitions finish.

    Raises
    ------
    ParameterError
        For options that do not fit (Parquet without ``--output``, an output folder holding
        other files) and an unreachable scheduler; checked before any work is shipped.
    PartitionFailedError
        If a partition fails; no output is written then.
    """
    if output_format is ClusterFormat.PARQUET and output is None:
        raise ParameterError(
            "--format parquet writes a folder of part files: give it with --output DIR"
        )
    if output is None and write is None:
        raise ParameterError("give --output FILE, or a writer for the text")
    if output_format is ClusterFormat.PARQUET and output is not None:
        check_results_folder(output)
    patient_ids: Seq[str] = (
        [lesion.patient_id for lesion in histories.lesions]
        if isinstance(histories, LesionHistories)
        else histories.patient_ids()  # type: ignore[assignment]
    )
    with connect(scheduler, local_workers=local_workers) as client:
        workers = worker_count(client)
        count = partitions or default_partitions(len(patient_ids), workers)
        parts = plan_partitions(patient_ids, count)
        window = 2 * workers
        finished = 0

        def done(_: Partition) -> None:
            nonlocal finished
            finished += 1
            if progress is not None:
                progress(finished, len(parts))

        if output_format is ClusterFormat.PARQUET:
            if output is None:  # pragma: no cover - checked above
                raise ParameterError("--output DIR is required")
            _write_parquet(client, histories, parts, engine, output, notices, window, done)
        else:
            _write_text(
                client,
                histories,
                parts,
                engine,
                output_format,
                output,
                notices,
                window,
                done,
                write,
            )
        return ClusterRun(len(patient_ids), parts, workers, str(scheduler))


def _write_parquet(
    client: Client,
    histories: LesionHistories | ColumnPartitions,
    parts: Seq[Partition],
    engine: LesionEngine,
    output: Path,
    notices: Seq[str],
    window: int,
    done: Callable[[Partition], None],
) -> None:
    from pseudoprog.io.parquet_results import METADATA_NAME, metadata_document, results_folder

    with results_folder(output) as staging:
        rows = list(
            _results_in_order(
                client,
                parts,
                histories,
                lambda p, piece: _Job(
                    p, engine.restricted(piece), ClusterFormat.PARQUET, str(staging)
                ),
                window=window,
                done=done,
            )
        )
        missing = [p for p, n in zip(parts, rows, strict=True) if n != p.lesions]
        if missing:  # pragma: no cover - a worker that did not write its part raised instead
            raise PartitionFailedError(f"{_describe(missing[0])} wrote no part file")
        document = metadata_document(
            parameters=engine.params,
            criteria=engine.criteria,
            as_of=engine.as_of,
            notices=notices,
            partitions=[(p.lesions, p.patients) for p in parts],
        )
        (staging / METADATA_NAME).write_bytes(
            orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
        )


def _write_text(
    client: Client,
    histories: LesionHistories | ColumnPartitions,
    parts: Seq[Partition],
    engine: LesionEngine,
    output_format: ClusterFormat,
    output: Path | None,
    notices: Seq[str],
    window: int,
    done: Callable[[Partition], None],
    write: Callable[[list[bytes]], None] | None,
) -> None:
    from pseudoprog.io.results import csv_header, json_document

    results = _results_in_order(
        client,
        parts,
        histories,
        lambda p, piece: _Job(p, engine.restricted(piece), output_format),
        window=window,
        done=done,
    )

    def pieces() -> Iterator[bytes]:
        if output_format is ClusterFormat.CSV:
            yield csv_header().encode("utf-8")
            for chunk in results:
                yield bytes(chunk) if isinstance(chunk, bytes) else b""
            return
        # the head, the lesion chunks with their commas, the tail of the single-machine JSON
        head, *_, tail = json_document(
            [], parameters=engine.params, as_of=engine.as_of, notices=notices
        )
        yield head
        first = True
        for chunk in results:
            if isinstance(chunk, bytes) and chunk:
                if not first:
                    yield b","
                yield chunk
                first = False
        yield tail

    if output is None:
        if write is not None:
            write(list(pieces()))
        return
    with atomic_path(output) as tmp, tmp.open("wb") as handle:
        for piece in pieces():
            handle.write(piece)


def run_classify(
    histories: Seq[LesionHistory] | ColumnPartitions,
    *,
    criteria: str,
    params: CriteriaParameters,
    as_of: date | None,
    evidence: Mapping[str, tuple[Evidence, ...]],
    output_format: str,
    output: Path | None,
    scheduler: str | None,
    partitions: int | None,
    jobs: int | None,
    notices: Seq[str],
    console: Console,
) -> None:
    """``classify`` with ``--scheduler`` or ``--format parquet``, from validated input.

    Without ``--scheduler``, Parquet is written on this machine as a results folder of one
    part (Dask is not imported then). With it, the lesions are classified on the cluster; a
    progress bar on ``console`` counts the partitions.

    Raises
    ------
    ParameterError
        For options that do not fit together, before any work starts.
    PartitionFailedError
        If a partition fails (nothing is written).
    """
    address = None if scheduler is None else SchedulerAddress.parse(scheduler)
    if output_format not in {f.value for f in ClusterFormat}:
        raise ParameterError(
            f"--scheduler writes json, csv or parquet, not {output_format}: add --format json "
            "--output FILE, --format csv --output FILE or --format parquet --output DIR"
        )
    fmt = ClusterFormat(output_format)
    engine = LesionEngine(criteria, params, as_of, dict(evidence))
    from pseudoprog.scale.columns import ColumnPartitions

    if address is None:
        if partitions is not None:
            raise ParameterError("--partitions cuts the cohort for a cluster: add --scheduler")
        if output is None:
            raise ParameterError("--format parquet writes a folder of part files: add --output DIR")
        if isinstance(histories, ColumnPartitions):  # pragma: no cover - the CLI never does
            raise ParameterError("a registry of columns is classified on a cluster only")
        from pseudoprog.criteria.amini2016 import assess_many
        from pseudoprog.io.parquet_results import write_results_folder

        bound = engine.bound()
        results = (
            assess_many(histories, as_of=as_of, params=params)  # type: ignore[arg-type]
            if bound is None
            else [bound(h) for h in histories]
        )
        n = write_results_folder(
            results, output, parameters=params, criteria=criteria, as_of=as_of, notices=notices
        )
        console.print(f"Wrote {n} lesions to {output}")
        return
    if address is None:  # pragma: no cover - returned above
        raise ParameterError("no scheduler")
    if jobs is not None and not address.is_local:
        raise ParameterError(
            "--jobs sets the workers of --scheduler local; the workers of a running scheduler "
            "are the 'dask worker' processes started for it"
        )
    if not isinstance(histories, LesionHistories | ColumnPartitions):
        raise ParameterError("classification on a cluster needs a measurements table")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"Classifying on {address}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        written: list[bytes] = []
        run = classify_on_cluster(
            histories,
            engine=engine,
            output_format=fmt,
            output=output,
            scheduler=address,
            partitions=partitions,
            notices=notices,
            local_workers=jobs,
            write=written.extend,
            progress=progress,
        )
    if output is None:
        import sys

        sys.stdout.buffer.writelines(written)
        sys.stdout.flush()
        return
    console.print(
        f"Wrote {run.lesions} lesions to {output} ({len(run.partitions)} partitions on "
        f"{run.workers} workers, scheduler {run.scheduler})"
    )


def _assess_patients_part(records: Seq[Any], entry: Any, params: Any, as_of: date | None) -> Any:
    """Run a patient-level criteria set on one partition of patients (on a worker)."""
    from pseudoprog.cli.patient_level import assess_patients

    return assess_patients(records, entry=entry, params=params, as_of=as_of)


def run_patients(
    *,
    entry: Any,
    params: Any,
    tables: Any,
    as_of: date | None,
    output_format: str,
    output: Path | None,
    scheduler: str,
    partitions: int | None,
    jobs: int | None,
    console: Console,
) -> None:
    """``classify --scheduler`` for a patient-level criteria set (RECIST 1.1, Choi, ...).

    The tables are read and validated here as without a cluster; each partition of whole
    patients is assessed on a worker by the single-machine function, and the results are
    written here by the single-machine writers, in patient order.

    Raises
    ------
    ParameterError
        For a format other than JSON or CSV, or options that do not fit.
    PartitionFailedError
        If a partition fails (nothing is written).
    """
    from rich.markup import escape

    from pseudoprog.cli.patient_level import baseline_check, patients_csv, patients_json
    from pseudoprog.io.patients import load_patients

    if output_format not in ("json", "csv"):
        raise ParameterError(
            f"--scheduler writes patient-level results as json or csv, not {output_format}: "
            "add --format json --output FILE or --format csv --output FILE"
        )
    address = SchedulerAddress.parse(scheduler)
    if jobs is not None and not address.is_local:
        raise ParameterError(
            "--jobs sets the workers of --scheduler local; the workers of a running scheduler "
            "are the 'dask worker' processes started for it"
        )
    check = baseline_check(entry, params)
    cohort = load_patients(
        lesions=tables.lesions,
        measurements=tables.measurements,
        events=tables.events,
        workbook=tables.workbook,
        baseline_check=check,
    )
    for notice in cohort.notices:
        console.print(f"[yellow]Note:[/] {escape(notice)}")
    records = list(cohort.records)
    with connect(address, local_workers=jobs) as client:
        workers = worker_count(client)
        count = partitions or max(1, min(len(records), 2 * workers))
        parts = plan_partitions([str(i) for i in range(len(records))], count)
        token = secrets.token_hex(4)
        futures = [
            client.submit(
                _assess_patients_part,
                records[p.start : p.stop],
                entry,
                params,
                as_of,
                key=f"pseudoprog-patients-{token}-{p.index}",
                pure=False,
            )
            for p in parts
        ]
        results: list[Any] = []
        try:
            for partition, future in zip(parts, futures, strict=True):
                try:
                    results.extend(future.result())
                except PseudoprogError:
                    raise
                except Exception as exc:
                    raise PartitionFailedError(
                        f"partition {partition.index + 1} (patients {partition.start + 1}-"
                        f"{partition.stop}) failed on the cluster: {type(exc).__name__}: {exc}; "
                        "no output was written"
                    ) from None
        finally:
            for future in futures:
                future.cancel()  # type: ignore[no-untyped-call]
    if output_format == "json":
        data = patients_json(
            results,
            criteria=entry.name,
            parameters=params.to_dict(),
            as_of=as_of,
            notices=cohort.notices,
        )
    else:
        data = patients_csv(results)
    if output is None:
        import sys

        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    with atomic_path(output) as tmp:
        tmp.write_bytes(data)
    console.print(
        f"Wrote {len(results)} patients to {output} ({len(parts)} partitions on {workers} "
        f"workers, scheduler {address})"
    )
