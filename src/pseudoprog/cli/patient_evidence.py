"""The evidence section of ``assess`` for patient-level criteria that have a route (liver).

``assess`` on liver lesions (Choi by default) reads the ``evidence`` table with
:func:`pseudoprog.io.evidence.load_patient_evidence` and weighs it at each patient's latest CT
with :func:`pseudoprog.evidence.patient_evidence.assess_patient_evidence`: the JSON gets an
``evidence_assessment`` per patient, the text the summary of every patient whose latest CT
raises the question of response vs true progression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pseudoprog.criteria.patient_result import PatientAssessment
from pseudoprog.domain import Evidence
from pseudoprog.errors import InputValidationError, ParameterError, Problem
from pseudoprog.evidence.patient_evidence import (
    PatientEvidenceAssessment,
    assess_patient_evidence,
)
from pseudoprog.evidence.posterior import ModelParameters
from pseudoprog.evidence.sites import PATIENT_ROUTES, PatientRoute
from pseudoprog.evidence.table import EvidenceTable
from pseudoprog.io.evidence import load_evidence_table, load_patient_evidence
from pseudoprog.patient import PatientRecord

__all__ = ["EvidenceOptions", "patient_route", "weigh_evidence"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceOptions:
    """The evidence options of ``assess`` as given on the command line."""

    evidence: Path | None = None
    evidence_table: Path | None = None
    workbook: Path | None = None
    model: ModelParameters = field(default_factory=ModelParameters)

    @property
    def given(self) -> bool:
        """Whether an evidence file or evidence table was named."""
        return self.evidence is not None or self.evidence_table is not None


def patient_route(criteria: str) -> PatientRoute | None:
    """The patient-level route whose criteria are ``criteria`` (``choi``: liver), if any."""
    return next((r for r in PATIENT_ROUTES.values() if r.criteria == criteria), None)


def weigh_evidence(
    results: Sequence[PatientAssessment],
    records: Sequence[PatientRecord],
    *,
    criteria: str,
    options: EvidenceOptions,
    grace_days: int,
    notices: list[str],
) -> list[PatientEvidenceAssessment] | None:
    """The evidence assessment of every patient (``None``: the criteria have no route).

    Raises
    ------
    ParameterError
        When evidence is given for criteria without an evidence route.
    InputValidationError
        When the evidence or the evidence table is rejected (nothing is written).
    """
    route = patient_route(criteria)
    if route is None:
        if options.given:
            names = ", ".join(f"{r.criteria} ({r.site.value})" for r in PATIENT_ROUTES.values())
            raise ParameterError(
                f"--evidence and --evidence-table are read by assess with {names}, not with "
                f"{criteria}; leave them out, or assess the liver lesions with --criteria choi"
            )
        return None
    problems: list[Problem] = []
    table: EvidenceTable | None = None
    rows: tuple[Evidence, ...] = ()
    try:
        if options.evidence_table is not None:
            table = load_evidence_table(options.evidence_table)
    except InputValidationError as exc:
        problems += exc.problems
    try:
        rows = load_patient_evidence(
            options.evidence,
            records=records,
            workbook=options.workbook if options.evidence is None else None,
            notices=notices,
        )
    except InputValidationError as exc:
        problems += exc.problems
    if problems:
        raise InputValidationError(problems)
    by_id = {r.patient_id: r for r in records}
    return [
        assess_patient_evidence(
            result,
            record=by_id[result.patient_id],
            evidence=rows,
            table=table,
            route=route,
            model=options.model,
            overdue_after_days=grace_days,
        )
        for result in results
    ]
