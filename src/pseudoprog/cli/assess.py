"""``pseudoprog assess``: point-of-care assessment of an enlarging lesion.

For each lesion, as of a date, by the criteria and evidence table of its site (spine: Amini
2016 and the spine SSRS table; brain: srs-brain and the brain SRS table; liver: the
patient-level Choi criteria and the liver table, see :mod:`pseudoprog.cli.patient_evidence`):
the status; for an
enlarging lesion the criteria have not decided, the probability that the enlargement is
pseudoprogression (spine) or treatment effect (brain) with its 95% interval; the evidence with
likelihood ratios and sources; recommendations; assumptions. Every input (tables, evidence,
evidence table, criteria parameters) is validated before anything is computed, and nothing is
written when one of them is rejected.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence as Seq
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from pseudoprog.cli._common import (
    CATEGORY_COLOURS,
    AsOfOpt,
    CriteriaOpt,
    DeclineWindowOpt,
    ErrorMmOpt,
    EventsOpt,
    LesionsOpt,
    MeasurementsOpt,
    OutputOpt,
    ParametersFileOpt,
    PeakWindowOpt,
    PrimarySequenceOpt,
    SetOpt,
    WorkbookOpt,
    changed_options,
    console,
    err_console,
    load_input,
    parameter_values,
    report_user_errors,
)
from pseudoprog.cli._tables import ColumnSpec, FittedTable, fit_table, print_wrapped
from pseudoprog.cli.patient_evidence import EvidenceOptions
from pseudoprog.cli.patient_level import TableFiles, assess_patients_command
from pseudoprog.criteria import registry
from pseudoprog.domain import Evidence, Lesion, LesionHistory, Sequence, Site, normalize_token
from pseudoprog.errors import InputValidationError, ParameterError, Problem
from pseudoprog.evidence import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    EvidenceFeature,
    EvidenceTable,
    ModelParameters,
    PointOfCareAssessment,
    ProbabilityNote,
    assess_lesions,
    assessment_document,
    default_table,
)
from pseudoprog.evidence.sites import SPINE_ROUTE, LesionCriteria, route_for
from pseudoprog.io.atomic import atomic_directory, atomic_write_text
from pseudoprog.io.cohort import Cohort
from pseudoprog.io.evidence import load_evidence, load_evidence_table
from pseudoprog.io.tabular import ProblemLog, read_table, read_workbook

__all__ = ["AssessFormat", "register", "render_table"]


class AssessFormat(StrEnum):
    """Output formats of ``assess``."""

    TABLE = "table"
    JSON = "json"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _probability(result: PointOfCareAssessment) -> str:
    p = result.probability
    if p is None:
        return "-"
    return f"[bold]{p.estimate:.2f}[/] ({p.ci_low:.2f}-{p.ci_high:.2f})"


def _label(code: str) -> str:
    try:
        return EvidenceFeature.parse(code).label
    except ParameterError:
        return code


def _evidence(result: PointOfCareAssessment) -> str:
    parts = [
        f"{_label(e.feature)} {e.value_text}"
        + (" (not used)" if e.likelihood_ratio is None else f" (LR {e.likelihood_ratio:.3g})")
        for e in result.evidence
        if e.date is not None
    ]
    return escape("; ".join(parts)) or "-"


_SHORT_NOTES = {
    ProbabilityNote.OTHER_SITE: "site not in evidence table",
    ProbabilityNote.NO_STRATUM: "no prior for these fractions",
    ProbabilityNote.LATE_ENLARGEMENT: "enlarged after OPP window",
}


def _notes(result: PointOfCareAssessment) -> str:
    notes = []
    if result.overdue_days is not None:
        notes.append(f"[red]MRI overdue {result.overdue_days} d[/]")
    short = _SHORT_NOTES.get(result.probability_code)
    if result.probability_code is ProbabilityNote.DECIDED:
        short = "decided by serial MRI" if result.route is SPINE_ROUTE else "decided by criteria"
    if short is not None:
        notes.append(short)
    return ", ".join(notes) or "-"


_SHORT_OUTCOMES = {"pseudoprogression": "pseudoprog.", "treatment effect": "TE"}


def _probability_header(results: Seq[PointOfCareAssessment]) -> str:
    """``P(pseudoprog.)`` (spine), ``P(treatment effect)`` (brain), both abridged when mixed."""
    outcomes = sorted({r.outcome for r in results}) or ["pseudoprogression"]
    if outcomes == ["pseudoprogression"]:
        label = "pseudoprog."
    elif len(outcomes) == 1:
        label = outcomes[0]
    else:
        label = "/".join(_SHORT_OUTCOMES.get(o, o) for o in outcomes)
    return f"P({label}) (95% CI)"


def _title(results: Seq[PointOfCareAssessment]) -> str:
    names = sorted({r.assessment.parameters.criteria for r in results})
    if names in ([], ["amini2016"]):
        return "Point-of-care assessment (Amini 2016 criteria and evidence table)"
    if len(names) == 1:
        return f"Point-of-care assessment ({names[0]} criteria and evidence table)"
    return f"Point-of-care assessment ({' and '.join(names)} criteria, evidence tables by site)"


def render_table(results: list[PointOfCareAssessment], *, width: int) -> FittedTable:
    """One row per lesion: status, probability with interval, evidence, next MRI, notes.

    Fitted to ``width`` cells: at narrow widths the fractions go first, then the evidence.
    The probability is of pseudoprogression for spine lesions and of treatment effect for
    brain lesions (TE in the header when both are present).
    """
    columns = [
        ColumnSpec("Lesion", min_width=10),
        ColumnSpec("Fx", justify="right", level=2),
        ColumnSpec("Status"),
        ColumnSpec(_probability_header(results)),
        ColumnSpec("Next MRI"),
        ColumnSpec("Evidence", wrap=True, min_width=16, level=1),
        ColumnSpec("Notes", wrap=True, min_width=18),
    ]
    rows = []
    for r in results:
        status = r.status
        text = status.value if r.assessment.deciding is not None else "no follow-up"
        rows.append(
            [
                escape(r.lesion.lesion_id),
                str(r.lesion.treatment.fractions),
                f"[{CATEGORY_COLOURS[status]}]{text}[/]",
                _probability(r),
                r.next_mri_due.isoformat(),
                _evidence(r),
                _notes(r),
            ]
        )
    return fit_table(
        columns,
        rows,
        width=width,
        title=_title(results),
        hint="use --format json or --output FILE",
    )


def _render_text(results: list[PointOfCareAssessment], *, file: bool) -> str | None:
    """The table and the details of enlarging lesions; printed, or returned for a file."""
    target = io.StringIO() if file else None
    out = Console(file=target, width=160, no_color=True) if target is not None else console
    out.print(render_table(results, width=out.width))
    details = [r for r in results if r.awaiting]
    if details:
        out.print("\nEnlarging lesions awaiting follow-up:\n")
    for r in details:
        print_wrapped(out, r.summary())
        out.print()
    tables = {r.table.name: r.table for r in results} or {"": default_table()}
    named = ", ".join(f"{t.name} ({t.origin})" for t in tables.values())
    print_wrapped(
        out,
        f"Evidence table{'s' if len(tables) > 1 else ''}: {named}. Probabilities are given "
        "only for enlarging lesions awaiting follow-up; see docs/assess.md.",
    )
    return None if target is None else target.getvalue()


def _gather(
    *,
    lesions: Path | None,
    measurements: Path | None,
    events: Path | None,
    workbook: Path | None,
    evidence: Path | None,
    evidence_table: Path | None,
) -> tuple[Cohort, tuple[Evidence, ...], EvidenceTable | None, list[str]]:
    """Validate every input; raise one error listing all problems of all files.

    The evidence table is ``None`` without ``--evidence-table``: each lesion then takes the
    packaged table of its site.
    """
    problems: list[Problem] = []
    notices: list[str] = []
    table: EvidenceTable | None = None
    try:
        table = None if evidence_table is None else load_evidence_table(evidence_table)
    except InputValidationError as exc:
        problems.extend(exc.problems)
    cohort: Cohort | None = None
    try:
        cohort = load_input(
            lesions=lesions, measurements=measurements, events=events, workbook=workbook
        )
    except InputValidationError as exc:
        problems.extend(exc.problems)
    rows: tuple[Evidence, ...] = ()
    if cohort is not None and (evidence is not None or workbook is not None):
        try:
            rows = load_evidence(
                evidence,
                lesions=cohort.lesions,
                workbook=workbook if evidence is None else None,
                notices=notices,
            )
        except InputValidationError as exc:
            problems.extend(exc.problems)
    if problems or cohort is None:
        raise InputValidationError(problems)
    return cohort, rows, table, [*cohort.notices, *notices]


def _lesion_criteria(
    entry: registry.CriteriaSet | None,
    lesions: Seq[Lesion],
    *,
    amini_options: dict[str, object],
    parameters_file: Path | None,
    assignments: list[str] | None,
) -> tuple[LesionCriteria, ...]:
    """The parameters of the lesion-level criteria of the lesions' sites.

    Spine lesions are assessed by amini2016, brain lesions by srs-brain. ``--criteria`` (when
    given) must be the criteria of every lesion; ``--set`` and ``--parameters`` apply to it, or
    without it to the one criteria set of the lesions' sites. The amini2016 options
    (``--error-mm`` ...) apply to amini2016 only.

    Raises
    ------
    ParameterError
        When a lesion's site has other criteria than ``--criteria``, when ``--set`` or
        ``--parameters`` is given for lesions of both sites without ``--criteria``, or when the
        amini2016 options are given and no lesion is assessed by amini2016.
    """
    needed = {route_for(x.site).criteria for x in lesions}
    if entry is not None:
        others = [x for x in lesions if route_for(x.site).criteria != entry.name]
        if others:
            shown = ", ".join(f"{x.lesion_id} ({x.site.value})" for x in others[:5])
            more = f" and {len(others) - 5} more" if len(others) > 5 else ""
            raise ParameterError(
                f"--criteria {entry.name}: lesions {shown}{more} are assessed at the point of "
                f"care by {', '.join(sorted(needed - {entry.name}))}, the criteria of their "
                "site; leave out --criteria to assess each lesion by its site's criteria, or "
                "assess each site's lesions apart"
            )
        named = entry.name
    elif len(needed) == 1:
        named = next(iter(needed))
    else:
        named = None
    values = parameter_values(parameters_file, assignments)
    if values and named is None:
        raise ParameterError(
            "--set and --parameters apply to one criteria set, and these lesions are assessed "
            f"by {' and '.join(sorted(needed))} (spine and brain); name the set with --criteria "
            "and assess each site's lesions apart"
        )
    if amini_options and "amini2016" not in needed | ({named} if named else set()):
        names = ", ".join("--" + k.replace("_", "-") for k in amini_options)
        raise ParameterError(
            f"{names} belong to amini2016, which assesses spine lesions; these lesions are "
            f"assessed by {', '.join(sorted(needed))}: set its parameters with --set NAME=VALUE "
            "or --parameters FILE (see 'pseudoprog criteria show srs-brain')"
        )
    sets: list[LesionCriteria] = []
    for name in sorted(needed | ({named} if named else set())):
        own = values if name == named else {}
        extra = amini_options if name == "amini2016" else {}
        sets.append(registry.get(name).make_parameters({**own, **extra}))
    return tuple(sets)


def _all_liver(lesions: Path | None, workbook: Path | None) -> bool:
    """Whether every lesion of the lesions table is a liver lesion (then Choi is the default).

    The table is only peeked at here; its problems are reported by the reader.
    """
    log = ProblemLog()
    table = None
    if lesions is not None:
        table = read_table(lesions, log, table="lesions")
    elif workbook is not None:
        book = read_workbook(workbook, log)
        if book is not None and "lesions" in book.sheets:
            table = book.table("lesions", log)
    if table is None or not table.has("site") or len(table) == 0:
        return False
    known = Site.lookup()
    sites = {known.get(normalize_token(str(v))) for v in table.column("site").to_pylist()}
    return sites == {Site.LIVER}


def _plot_names(histories: Seq[LesionHistory]) -> list[str]:
    names: list[str] = []
    for history in histories:
        stem = _UNSAFE.sub("_", history.lesion.lesion_id).strip("._") or "lesion"
        name, k = f"{stem}.png", 2
        while name in names:
            name, k = f"{stem}-{k}.png", k + 1
        names.append(name)
    return names


@report_user_errors
def assess(
    lesions: LesionsOpt = None,
    measurements: MeasurementsOpt = None,
    events: EventsOpt = None,
    workbook: WorkbookOpt = None,
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            help="Evidence table: lesion_id, date, kind, value (spine kinds: dce_vp_change_pct, "
            "t2_signal_ratio_change_pct, growth_within_80pct_isodose; brain kinds: "
            "dsc_rcbv_ratio, amino_acid_pet_tbr_mean, pathology; liver kinds: "
            "attenuation_change_pct, fdg_pet_suv_change_pct, tumour_marker_change_pct, "
            "other_sites_response).",
            show_default=False,
        ),
    ] = None,
    evidence_table: Annotated[
        Path | None,
        typer.Option(
            "--evidence-table",
            help="Your own evidence table (YAML or CSV) for every lesion, instead of the "
            "packaged table of each lesion's site (spine SSRS, brain SRS, liver Choi).",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOpt = None,
    output_format: Annotated[
        AssessFormat, typer.Option("--format", case_sensitive=False, help="Output format.")
    ] = AssessFormat.TABLE,
    plots: Annotated[
        Path | None,
        typer.Option(
            "--plots", help="Write one PNG per lesion into this directory.", show_default=False
        ),
    ] = None,
    output: OutputOpt = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the Monte Carlo interval.")
    ] = DEFAULT_SEED,
    draws: Annotated[int, typer.Option("--draws", help="Monte Carlo draws.")] = DEFAULT_DRAWS,
    overdue_after_days: Annotated[
        int,
        typer.Option(
            "--overdue-after-days",
            help="Call a follow-up overdue only this many days after its due date.",
        ),
    ] = 0,
    error_mm: ErrorMmOpt = 2.0,
    primary_sequence: PrimarySequenceOpt = Sequence.T1,
    decline_window_days: DeclineWindowOpt = 92,
    opp_peak_window_weeks: PeakWindowOpt = 26.0,
    criteria: CriteriaOpt = None,
    parameters_file: ParametersFileOpt = None,
    assignments: SetOpt = None,
) -> None:
    """Assess each lesion today: status, probability of pseudoprogression or treatment effect,
    what to do next. Spine lesions by amini2016 and the spine SSRS table, brain lesions by
    srs-brain and the brain SRS table.

    Liver lesions (all lesions with site liver) by the patient-level Choi criteria: each
    patient's latest response, and where the latest CT grew without Choi calling PD (or with
    PD on size while the attenuation fell), the liver evidence with its likelihood ratios,
    without a probability (no published prior), and what to do next.

    With a patient-level --criteria (recist1.1, irecist, pcwg3-bone): each patient's latest
    response, best response, and what is pending (an iUPD awaiting confirmation, with the
    dates between which the confirming scan counts; overdue ones are flagged)."""
    entry = registry.get(criteria) if criteria else None
    if entry is None and _all_liver(lesions, workbook):
        entry = registry.get(registry.default_for_site(Site.LIVER).name)
    model = ModelParameters(seed=seed, draws=draws)
    if entry is not None and entry.kind is registry.CriteriaKind.PATIENT:
        assess_patients_command(
            entry=entry,
            params=entry.make_parameters(parameter_values(parameters_file, assignments)),
            tables=TableFiles(lesions, measurements, events, workbook),
            as_of=None if as_of is None else as_of.date(),
            json_output=output_format is AssessFormat.JSON,
            output=output,
            grace_days=overdue_after_days,
            evidence=EvidenceOptions(
                evidence=evidence, evidence_table=evidence_table, workbook=workbook, model=model
            ),
        )
        return
    amini_options = changed_options(
        error_mm=error_mm,
        primary_sequence=primary_sequence,
        decline_window_days=decline_window_days,
        opp_peak_window_weeks=opp_peak_window_weeks,
    )
    cohort, rows, table, notices = _gather(
        lesions=lesions,
        measurements=measurements,
        events=events,
        workbook=workbook,
        evidence=evidence,
        evidence_table=evidence_table,
    )
    params = _lesion_criteria(
        entry,
        cohort.lesions,
        amini_options=amini_options,
        parameters_file=parameters_file,
        assignments=assignments,
    )
    for notice in notices[len(cohort.notices) :]:
        err_console.print(f"[yellow]Note:[/] {escape(notice)}")
    day: date | None = None if as_of is None else as_of.date()
    results = assess_lesions(
        cohort.histories,
        evidence=rows,
        as_of=day,
        table=table,
        criteria=params,
        model=model,
        overdue_after_days=overdue_after_days,
    )
    text: str | None = None
    if output_format is AssessFormat.JSON:
        document = assessment_document(
            results, table=table or default_table(), model=model, as_of=day, notices=notices
        )
        text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    elif output is not None:
        text = _render_text(results, file=True)
    if plots is not None:
        from pseudoprog.report.lesion_plot import plot_lesion

        with atomic_directory(plots) as staging:
            for result, history, name in zip(
                results, cohort.histories, _plot_names(cohort.histories), strict=True
            ):
                plot_lesion(result, history, staging / name)
        err_console.print(f"Wrote {len(results)} plots to {plots}")
    if output is not None:
        atomic_write_text(output, text or "")
        err_console.print(f"Wrote {len(results)} lesions to {output}")
    elif text is not None:
        typer.echo(text, nl=False)
    else:
        _render_text(results, file=False)


def register(app: typer.Typer) -> None:
    """Add the ``assess`` command to ``app``."""
    app.command("assess")(assess)
