"""Classification results as Parquet: one typed row per lesion, for registries and data lakes.

The columns start with those of the CSV output (:data:`pseudoprog.io.results.CSV_COLUMNS`,
same names, same order, same text for the text columns), typed: numbers are ``float64`` at
full precision (the CSV rounds them to two decimals) and empty cells are nulls. Then come the
columns a cohort study needs, so that it can run on the results without the measurements
(see :mod:`pseudoprog.scale.study`):

* ``fractions`` and ``single_fraction`` of the lesion's treatment;
* ``inclusion_not_met``: the inclusion criteria the lesion fails, joined with `` | ``
  (empty when it fails none);
* ``survival_weeks`` and ``survival_outcome`` (``censored``, ``opp`` or ``pd``): the lesion's
  time-to-event record (:func:`pseudoprog.stats.survival.survival_records`; null without a
  follow-up study);
* for each sequence ``S``: ``S_assessed`` and the sequence's ``S_time_to_peak_weeks``,
  ``S_peak_change_mm`` and ``S_time_to_baseline_weeks``.

A results folder holds ``part-NNNNN.parquet`` files (one per partition, in lesion order) and
``_classification.json`` (parameters, ``as_of``, notices, the partitions); readers of Parquet
datasets skip files whose names start with ``_``.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from pseudoprog.criteria.result import Assessment, CheckStatus, CriteriaParameters
from pseudoprog.domain import Sequence as ImagingSequence
from pseudoprog.errors import ParameterError
from pseudoprog.io import results
from pseudoprog.stats.survival import survival_records

__all__ = [
    "METADATA_NAME",
    "PARQUET_SCHEMA",
    "assessments_to_table",
    "check_results_folder",
    "metadata_document",
    "part_name",
    "results_folder",
    "write_part",
    "write_results_folder",
]

#: The metadata file of a results folder.
METADATA_NAME = "_classification.json"

_FLOAT = {"time_to_peak_weeks", "peak_change_mm", "time_to_baseline_weeks"}
_PER_SEQUENCE = ("time_to_peak_weeks", "peak_change_mm", "time_to_baseline_weeks")

#: The columns of a results file, in order.
PARQUET_SCHEMA = pa.schema(
    [
        *(
            pa.field(name, pa.float64() if name in _FLOAT else pa.string())
            for name in results.CSV_COLUMNS
        ),
        pa.field("fractions", pa.int32()),
        pa.field("single_fraction", pa.bool_()),
        pa.field("inclusion_not_met", pa.string()),
        pa.field("survival_weeks", pa.float64()),
        pa.field("survival_outcome", pa.string()),
        *(
            field
            for s in ImagingSequence
            for field in (
                pa.field(f"{s}_assessed", pa.bool_()),
                *(pa.field(f"{s}_{name}", pa.float64()) for name in _PER_SEQUENCE),
            )
        ),
    ]
)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def assessments_to_table(assessments: Iterable[Assessment]) -> pa.Table:
    """The results as an Arrow table with :data:`PARQUET_SCHEMA`, one row per lesion."""
    columns: dict[str, list[Any]] = {name: [] for name in PARQUET_SCHEMA.names}
    for a in assessments:
        per = a.per_sequence
        row: dict[str, Any] = {
            "patient_id": a.lesion.patient_id,
            "lesion_id": a.lesion.lesion_id,
            "response": str(a.category),
            "primary_sequence": str(a.parameters.primary_sequence),
            "deciding_sequence": _text(a.sequence),
            "time_to_peak_weeks": a.time_to_peak_weeks,
            "peak_change_mm": a.peak_change_mm,
            "time_to_baseline_weeks": a.time_to_baseline_weeks,
            "reasons": " | ".join(r.message for r in a.reasons),
            "warnings": " | ".join(w.message for w in a.warnings),
            "fractions": a.lesion.treatment.fractions,
            "single_fraction": a.lesion.treatment.single_fraction,
            "inclusion_not_met": " | ".join(
                c.criterion for c in a.inclusion if c.status is CheckStatus.NOT_MET
            ),
        }
        record = survival_records([a])
        row["survival_weeks"] = record[0].weeks if record else None
        row["survival_outcome"] = record[0].outcome.name.lower() if record else None
        for s in ImagingSequence:
            r = per.get(s)
            row[f"{s}_response"] = None if r is None else _text(r.category)
            row[f"{s}_assessed"] = r is not None
            for name in _PER_SEQUENCE:
                row[f"{s}_{name}"] = None if r is None else getattr(r, name)
        for name, values in columns.items():
            values.append(row[name])
    return pa.table(columns, schema=PARQUET_SCHEMA)


def part_name(index: int) -> str:
    """The file name of partition ``index`` (``part-00000.parquet``)."""
    return f"part-{index:05d}.parquet"


def write_part(table: pa.Table, path: Path) -> None:
    """Write one partition's table to ``path`` (the caller makes the folder atomic)."""
    pq.write_table(table, path, compression="zstd")


def metadata_document(
    *,
    parameters: CriteriaParameters,
    criteria: str,
    as_of: date | None,
    notices: Sequence[str],
    partitions: Sequence[tuple[int, int]],
) -> dict[str, Any]:
    """The ``_classification.json`` document of a results folder.

    ``partitions`` holds each part's (lesions, patients), in part order.
    """
    return {
        "criteria": criteria,
        "parameters": parameters.to_dict(),
        "as_of": None if as_of is None else as_of.isoformat(),
        "notices": list(notices),
        "lesions": sum(n for n, _ in partitions),
        "patients": sum(p for _, p in partitions),
        "parts": [
            {"file": part_name(i), "lesions": n, "patients": p}
            for i, (n, p) in enumerate(partitions)
        ],
        "columns": PARQUET_SCHEMA.names,
    }


def check_results_folder(output: Path) -> None:
    """Parquet output replaces a folder only when it is new, empty or earlier results."""
    if output.exists() and not output.is_dir():
        raise ParameterError(
            f"--output {output} is a file; Parquet output is a folder of part files: give a "
            "folder name"
        )
    if output.is_dir() and any(output.iterdir()) and not (output / METADATA_NAME).exists():
        raise ParameterError(
            f"--output {output} is a folder that holds other files (no {METADATA_NAME} of an "
            "earlier classification); give a new or empty folder so that nothing else is "
            "replaced"
        )


@contextmanager
def results_folder(output: Path) -> Iterator[Path]:
    """A new folder beside ``output``; on success it replaces ``output``, else it is removed."""
    check_results_folder(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.parent / f".{output.name}.staging-{secrets.token_hex(6)}"
    staging.mkdir(mode=0o777)
    try:
        yield staging
        old = None
        if output.exists():
            old = output.parent / f".{output.name}.old-{secrets.token_hex(6)}"
            os.replace(output, old)
        os.replace(staging, output)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_results_folder(
    assessments: Iterable[Assessment],
    output: Path,
    *,
    parameters: CriteriaParameters,
    criteria: str,
    as_of: date | None = None,
    notices: Sequence[str] = (),
) -> int:
    """Write the results of one machine as a results folder of one part; return the lesions.

    The folder has the layout of ``classify --scheduler --format parquet`` with one partition,
    so that readers of results folders serve both.
    """
    check_results_folder(output)
    table = assessments_to_table(assessments)
    patients = len(set(table.column("patient_id").to_pylist()))
    with results_folder(output) as staging:
        write_part(table, staging / part_name(0))
        document = metadata_document(
            parameters=parameters,
            criteria=criteria,
            as_of=as_of,
            notices=notices,
            partitions=[(table.num_rows, patients)] if table.num_rows else [],
        )
        (staging / METADATA_NAME).write_bytes(
            orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
        )
    return int(table.num_rows)
