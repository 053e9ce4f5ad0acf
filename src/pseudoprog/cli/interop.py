"""``pseudoprog import-sr``, ``export-sr`` and ``export-fhir``: DICOM SR and FHIR R4 in and out.

``import-sr`` turns TID 1500 measurement reports (OHIF, 3D Slicer) into the measurements table
(and a lesions table to complete); ``export-sr`` writes one TID 1500 report per patient and
study date with each lesion's size, response and pseudoprogression assessment;
``export-fhir`` writes one FHIR R4 Bundle per patient. The results come from the same
assessment as ``pseudoprog assess``. Input is checked first; nothing is written on failure.
pydicom, highdicom and fhir.resources are imported only by these commands.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated

import typer

from pseudoprog.cli._common import (
    EventsOpt,
    LesionsOpt,
    MeasurementsOpt,
    WorkbookOpt,
    err_console,
    load_input,
    report_user_errors,
)
from pseudoprog.domain import Sequence
from pseudoprog.io.atomic import atomic_directory, atomic_path
from pseudoprog.io.evidence import load_evidence
from pseudoprog.io.lesion_timeline import StudyResults, study_results

__all__ = ["register"]

EvidenceOpt = Annotated[
    Path | None,
    typer.Option(
        "--evidence",
        help="Evidence table (lesion_id, date, kind, value) for the pseudoprogression estimate.",
        show_default=False,
    ),
]
OutDirOpt = Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")]


def _results(
    lesions: Path | None,
    measurements: Path | None,
    events: Path | None,
    workbook: Path | None,
    evidence: Path | None,
) -> list[StudyResults]:
    cohort = load_input(
        lesions=lesions, measurements=measurements, events=events, workbook=workbook
    )
    rows = (
        load_evidence(evidence, lesions=cohort.lesions, workbook=None)
        if evidence is not None
        else ()
    )
    return list(study_results(cohort.histories, evidence=rows))


@report_user_errors
def export_sr(
    output: OutDirOpt,
    lesions: LesionsOpt = None,
    measurements: MeasurementsOpt = None,
    events: EventsOpt = None,
    workbook: WorkbookOpt = None,
    evidence: EvidenceOpt = None,
) -> None:
    """Write one DICOM SR (TID 1500) per patient and study date: sizes, responses, assessment."""
    import pseudoprog
    from pseudoprog.io.dicom_sr import write_measurement_reports

    studies = _results(lesions, measurements, events, workbook, evidence)
    version = getattr(pseudoprog, "__version__", "") or "0"
    with atomic_directory(output) as staging:
        written = write_measurement_reports(staging, studies, software_version=version)
    patients = len({w.patient_id for w in written})
    err_console.print(f"Wrote {len(written)} SR reports for {patients} patients to {output}")


@report_user_errors
def export_fhir(
    output: OutDirOpt,
    lesions: LesionsOpt = None,
    measurements: MeasurementsOpt = None,
    events: EventsOpt = None,
    workbook: WorkbookOpt = None,
    evidence: EvidenceOpt = None,
) -> None:
    """Write one FHIR R4 Bundle per patient: Patient, tumour sizes, disease status."""
    from pseudoprog.io.fhir import write_bundles

    studies = _results(lesions, measurements, events, workbook, evidence)
    with atomic_directory(output) as staging:
        written = write_bundles(staging, studies)
    err_console.print(f"Wrote {len(written)} FHIR bundles to {output}")


@report_user_errors
def import_sr(
    folder: Annotated[Path, typer.Argument(help="Folder of DICOM SR files (TID 1500).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Measurements table (CSV) to write.")
    ],
    lesions_output: Annotated[
        Path | None,
        typer.Option(
            "--lesions-output",
            help="Also write the lesions found (patient, lesion, site) as a lesions table to "
            "complete with treatment_date, dose_gy and fractions.",
            show_default=False,
        ),
    ] = None,
    lesions: Annotated[
        Path | None,
        typer.Option(
            "--lesions",
            help="Check the measurements against this lesions table before writing.",
            show_default=False,
        ),
    ] = None,
    sequence: Annotated[
        Sequence,
        typer.Option(
            "--sequence",
            case_sensitive=False,
            help="MR sequence of lengths whose report does not name one.",
        ),
    ] = Sequence.T1,
) -> None:
    """Read TID 1500 measurement reports (OHIF, 3D Slicer) into the measurements table."""
    from pseudoprog.io.cohort import load_cohort
    from pseudoprog.io.dicom_sr_read import measurements_csv, read_measurement_reports

    found = read_measurement_reports(folder, sequence=sequence)
    with atomic_path(output) as tmp:
        tmp.write_text(measurements_csv(found), encoding="utf-8")
        if lesions is not None:
            load_cohort(lesions=lesions, measurements=tmp)  # the readers' checks, all of them
        if lesions_output is not None:
            table = io.StringIO()
            rows = csv.writer(table, lineterminator="\n")
            rows.writerow(
                ["patient_id", "lesion_id", "treatment_date", "dose_gy", "fractions", "site",
                 "tracking_uid", "finding_site"]
            )  # fmt: skip
            for lesion in found.lesions:
                site = lesion.site.value if lesion.site is not None else ""
                rows.writerow(
                    [lesion.patient_id, lesion.lesion_id, "", "", "", site,
                     lesion.tracking_uid, lesion.finding_site]
                )  # fmt: skip
            with atomic_path(lesions_output) as lesions_tmp:
                lesions_tmp.write_text(table.getvalue(), encoding="utf-8")
    for note in found.notes:
        err_console.print(f"[yellow]Note:[/] {note}")
    err_console.print(
        f"Wrote {len(found.measurements)} measurements of {len(found.lesions)} lesions to {output}"
    )


def register(app: typer.Typer) -> None:
    """Add ``import-sr``, ``export-sr`` and ``export-fhir`` to ``app``."""
    app.command("import-sr")(import_sr)
    app.command("export-sr")(export_sr)
    app.command("export-fhir")(export_fhir)
