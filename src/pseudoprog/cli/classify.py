"""``pseudoprog classify``: response of each lesion from its measurement history."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping
from collections.abc import Sequence as Sequence_
from datetime import date
from enum import StrEnum
from functools import partial
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
    criteria_parameters,
    err_console,
    load_input,
    parameter_values,
    report_user_errors,
)
from pseudoprog.cli._tables import ColumnSpec, FittedTable, fit_table
from pseudoprog.cli.compare import classify_compared
from pseudoprog.cli.patient_level import TableFiles, classify_patients
from pseudoprog.criteria import registry
from pseudoprog.criteria.amini2016 import CATEGORIES, Amini2016Parameters, assess_many
from pseudoprog.criteria.result import Assessment
from pseudoprog.domain import (
    Evidence,
    Lesion,
    LesionHistory,
    ResponseCategory,
    Sequence,
    Site,
    normalize_token,
)
from pseudoprog.errors import ParameterError
from pseudoprog.io.atomic import atomic_path
from pseudoprog.io.bulk import (
    Engine,
    SerialFormat,
    available_cores,
    classify_serialized,
    paused_gc,
)
from pseudoprog.io.evidence import load_evidence
from pseudoprog.io.tabular import ProblemLog, read_table, read_workbook

__all__ = ["OutputFormat", "register", "render_table"]

#: Width of the table written by ``--output`` (wide enough for every column).
_FILE_WIDTH = 200


class OutputFormat(StrEnum):
    """Output formats of ``classify``."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"


class EngineChoice(StrEnum):
    """Engines of ``classify --engine`` for amini2016 (a hidden, advanced option)."""

    AUTO = "auto"
    COLUMNAR = "columnar"
    REFERENCE = "reference"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _category(value: ResponseCategory | None, *, bold: bool = False) -> str:
    if value is None:
        return "-"
    style = f"bold {CATEGORY_COLOURS[value]}" if bold else CATEGORY_COLOURS[value]
    return f"[{style}]{value.value}[/]"


def render_table(
    assessments: list[Assessment],
    *,
    width: int,
    title: str = "Response by the Amini 2016 criteria",
) -> FittedTable:
    """A readable terminal table of results, one row per lesion, fitted to ``width`` cells.

    The lesion's response is followed by the response on each sequence; peak columns are
    filled for enlarging lesions (by the deciding sequence). At narrow widths the other
    sequences go first, then the primary sequence and the return to baseline, then the peak.
    """
    primary = assessments[0].parameters.primary_sequence if assessments else Sequence.T1
    columns = [
        ColumnSpec("Patient", min_width=10),
        ColumnSpec("Lesion", min_width=10),
        ColumnSpec("Response"),
        *(ColumnSpec(s.value, level=2 if s is primary else 3) for s in Sequence),
        ColumnSpec("Peak wk", justify="right", level=1),
        ColumnSpec("Δ mm", justify="right", level=1),
        ColumnSpec("Back wk", justify="right", level=2),
        ColumnSpec("Decided by", wrap=True, min_width=20),
    ]
    rows = []
    for a in assessments:
        per = a.per_sequence
        notes = escape(a.reasons[-1].code.replace("_", " ")) if a.reasons else "-"
        if a.warnings:
            codes = ", ".join(w.code.replace("_", " ") for w in a.warnings)
            notes += f" [yellow]({escape(codes)})[/]"
        rows.append(
            [
                escape(a.lesion.patient_id),
                escape(a.lesion.lesion_id),
                _category(a.category, bold=True),
                *(_category(per[s].category if s in per else None) for s in Sequence),
                _fmt(a.time_to_peak_weeks),
                "-" if a.peak_change_mm is None else f"{a.peak_change_mm:+.1f}",
                _fmt(a.time_to_baseline_weeks),
                notes,
            ]
        )
    return fit_table(
        columns,
        rows,
        width=width,
        title=title,
        hint="use --format csv/json or --output FILE",
    )


def _counts(
    assessments: list[Assessment], categories: Sequence_[ResponseCategory] = CATEGORIES
) -> str:
    """The count of each category the criteria set gives (and of any other that occurs)."""
    counts = dict.fromkeys(categories, 0)
    for a in assessments:
        counts[a.category] = counts.get(a.category, 0) + 1
    return "  ".join(f"{c.value} {n}" for c, n in counts.items())


@report_user_errors
def classify(
    lesions: LesionsOpt = None,
    measurements: MeasurementsOpt = None,
    events: EventsOpt = None,
    workbook: WorkbookOpt = None,
    as_of: AsOfOpt = None,
    error_mm: ErrorMmOpt = 2.0,
    primary_sequence: PrimarySequenceOpt = Sequence.T1,
    decline_window_days: DeclineWindowOpt = 92,
    opp_peak_window_weeks: PeakWindowOpt = 26.0,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", case_sensitive=False, help="Output format.")
    ] = OutputFormat.TABLE,
    output: OutputOpt = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: every core)."),
    ] = None,
    criteria: CriteriaOpt = None,
    parameters_file: ParametersFileOpt = None,
    assignments: SetOpt = None,
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            help="Evidence table (lesion_id, date, kind, value) for criteria that read findings "
            "(srs-brain: pathology, dsc_rcbv_ratio, amino_acid_pet_tbr_mean).",
            show_default=False,
        ),
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="Another patient-level criteria set read beside --criteria on the same "
            "patients, e.g. --criteria choi --compare recist1.1 (its default parameters, with "
            "the same timepoint window and best-response rules).",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Classify on a Dask cluster: 'local' (worker processes on this machine, "
            "--jobs of them) or a running scheduler tcp://HOST:PORT. Output as without it.",
            show_default=False,
        ),
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option(
            "--partitions",
            min=1,
            help="Partitions of the cohort on the cluster (a patient is never split).",
            show_default=False,
        ),
    ] = None,
    engine_choice: Annotated[
        EngineChoice,
        typer.Option(
            "--engine",
            case_sensitive=False,
            hidden=True,
            help="amini2016 engine for json, csv and parquet: auto (the column engine where it "
            "applies), columnar (an error where it does not) or reference.",
        ),
    ] = EngineChoice.AUTO,
) -> None:
    """Classify each lesion (amini2016: PR, SD, PD, OPP or INDETERMINATE; srs-brain) or each
    patient at each assessment (recist1.1, irecist, rano-bm, pcwg3-bone, choi, mrecist), with
    the reasons."""
    entry = registry.get(criteria) if criteria else _default_criteria(lesions, workbook)
    other = None if compare is None else _compared_criteria(compare, entry)
    day: date | None = None if as_of is None else as_of.date()
    changed = changed_options(
        error_mm=error_mm,
        primary_sequence=primary_sequence,
        decline_window_days=decline_window_days,
        opp_peak_window_weeks=opp_peak_window_weeks,
    )
    if entry.name != "amini2016":
        if changed:
            names = ", ".join("--" + k.replace("_", "-") for k in changed)
            raise ParameterError(
                f"{names} belong to amini2016, not {entry.name}; set {entry.name}'s parameters "
                "with --set NAME=VALUE or --parameters FILE (see 'pseudoprog criteria show "
                f"{entry.name}')"
            )
        params = entry.make_parameters(parameter_values(parameters_file, assignments))
    else:
        params = criteria_parameters(
            error_mm=error_mm,
            primary_sequence=primary_sequence,
            decline_window_days=decline_window_days,
            opp_peak_window_weeks=opp_peak_window_weeks,
            parameters_file=parameters_file,
            assignments=assignments,
        )
    if entry.kind is registry.CriteriaKind.PATIENT:
        if output_format is OutputFormat.PARQUET or (scheduler and other is not None):
            raise ParameterError(
                f"--format parquet and --compare with --scheduler are for lesion-level "
                f"criteria (amini2016, srs-brain); {entry.name} is patient level: write json "
                "or csv"
            )
        if scheduler is not None:
            from pseudoprog.scale.classify import run_patients  # Dask only on a cluster

            run: Callable[..., None] = partial(
                run_patients,
                scheduler=scheduler,
                partitions=partitions,
                jobs=jobs,
                console=err_console,
            )
        elif partitions is not None:
            raise ParameterError("--partitions cuts the cohort for a cluster: add --scheduler")
        else:
            run = classify_patients if other is None else partial(classify_compared, compare=other)
        run(
            entry=entry,
            params=params,
            tables=TableFiles(lesions, measurements, events, workbook),
            as_of=day,
            output_format=output_format.value,
            output=output,
        )
        return
    module = entry.load()
    if _classified_on_columns(
        engine_choice,
        entry=entry,
        tables=TableFiles(lesions, measurements, events, workbook),
        bulk=scheduler is None and partitions is None and evidence is None,
        params=params,
        as_of=day,
        output_format=output_format,
        output=output,
        jobs=jobs,
    ):
        return
    if (
        scheduler is not None
        and entry.name == "amini2016"
        and engine_choice is not EngineChoice.REFERENCE
        and evidence is None
        and workbook is None
        and lesions is not None
        and measurements is not None
    ):
        from pseudoprog.scale.columns import classify_columns  # Dask only on a cluster

        # valid input is loaded as columns; otherwise load_input below reports the problems
        if classify_columns(
            lesions=lesions,
            measurements=measurements,
            events=events,
            params=params,
            as_of=day,
            output_format=output_format.value,
            output=output,
            scheduler=scheduler,
            partitions=partitions,
            jobs=jobs,
            console=err_console,
        ):
            return
    with paused_gc():
        cohort = load_input(
            lesions=lesions, measurements=measurements, events=events, workbook=workbook
        )
        _require_sites(cohort.lesions, entry)
        engine = None
        found: dict[str, tuple[Evidence, ...]] = {}
        if entry.name != "amini2016":
            found = _lesion_evidence(evidence, cohort.lesions, workbook)
            engine = _bind_engine(module.assess, params=params, as_of=day, evidence=found)
        elif evidence is not None:
            raise ParameterError(
                "--evidence is read by lesion-level criteria that use findings (srs-brain) and "
                "by 'pseudoprog assess'; amini2016 classifies from sizes alone"
            )
        if scheduler is not None or output_format is OutputFormat.PARQUET:
            from pseudoprog.scale.classify import run_classify  # Dask only on a cluster

            run_classify(
                cohort.histories,
                criteria=entry.name,
                params=params,
                as_of=day,
                evidence=found,
                output_format=output_format.value,
                output=output,
                scheduler=scheduler,
                partitions=partitions,
                jobs=jobs,
                notices=cohort.notices,
                console=err_console,
            )
            return
        if partitions is not None:
            raise ParameterError("--partitions cuts the cohort for a cluster: add --scheduler")
        if output_format is not OutputFormat.TABLE:
            pieces = classify_serialized(
                cohort.histories,
                params=params,
                as_of=day,
                output_format=SerialFormat(output_format.value),
                notices=cohort.notices,
                jobs=jobs,
                engine=engine,
            )
        else:
            if engine is None:
                results = assess_many(cohort.histories, as_of=day, params=params)
            else:
                results = [engine(history) for history in cohort.histories]
            title = f"Response by {entry.title} ({entry.name})"
            if entry.name == "amini2016":
                title = "Response by the Amini 2016 criteria"
            counts = f"{len(results)} lesions: {_counts(results, module.CATEGORIES)}"
            if output is None:
                console.print(render_table(results, width=console.width, title=title))
                console.print(counts)
                return
            buffer = io.StringIO()
            out = Console(file=buffer, width=_FILE_WIDTH, no_color=True)
            out.print(render_table(results, width=_FILE_WIDTH, title=title))
            pieces = [(buffer.getvalue() + counts + "\n").encode("utf-8")]
    if output is None:
        sys.stdout.buffer.writelines(pieces)
        sys.stdout.flush()
    else:
        with atomic_path(output) as tmp, tmp.open("wb") as handle:
            handle.writelines(pieces)
        err_console.print(f"Wrote {len(cohort.histories)} lesions to {output}")


def _classified_on_columns(
    choice: EngineChoice,
    *,
    entry: registry.CriteriaSet,
    tables: TableFiles,
    bulk: bool,
    params: object,
    as_of: date | None,
    output_format: OutputFormat,
    output: Path | None,
    jobs: int | None,
) -> bool:
    """Classify with the column engine when it applies; False to go on with the reference.

    The column engine gives the reference's output byte for byte
    (:mod:`pseudoprog.io.columnar_classify`), on threads instead of worker processes.
    """
    if choice is EngineChoice.REFERENCE or not bulk:
        return False  # with --scheduler, the cluster path chooses its loader
    written = None
    lesions, measurements = tables.lesions, tables.measurements
    if (
        entry.name == "amini2016"
        and isinstance(params, Amini2016Parameters)
        and tables.workbook is None
        and lesions is not None
        and measurements is not None
        and output_format is not OutputFormat.TABLE
    ):
        from pseudoprog.io.columnar_classify import classify_files

        written = classify_files(
            lesions=lesions,
            measurements=measurements,
            events=tables.events,
            params=params,
            as_of=as_of,
            output_format=output_format.value,
            output=output,
            threads=jobs or available_cores(),
            notice=lambda text: err_console.print(f"[yellow]Note:[/] {text}"),
        )
    if written is None:
        if choice is EngineChoice.COLUMNAR:
            raise ParameterError(
                "--engine columnar covers amini2016 with json, csv or parquet output from "
                "--lesions and --measurements files of valid input; use --engine auto"
            )
        return False
    if output is not None:
        err_console.print(f"Wrote {written} lesions to {output}")
    return True


def _compared_criteria(name: str, entry: registry.CriteriaSet) -> registry.CriteriaSet:
    """The criteria set of ``--compare``: patient level, like ``--criteria``, and another one."""
    other = registry.get(name)
    patient = ", ".join(
        n for n, c in registry.REGISTRY.items() if c.kind is registry.CriteriaKind.PATIENT
    )
    if entry.kind is not registry.CriteriaKind.PATIENT:
        raise ParameterError(
            f"--compare reads two patient-level criteria sets side by side; --criteria "
            f"{entry.name} is lesion level. Choose patient-level criteria ({patient})"
        )
    if other.kind is not registry.CriteriaKind.PATIENT:
        raise ParameterError(
            f"--compare {name!r} is lesion level; compare with a patient-level criteria set "
            f"({patient})"
        )
    if other.name == entry.name:
        raise ParameterError(
            f"--compare {name!r} is the criteria set already chosen ({entry.name}); compare "
            "with another one, e.g. --criteria choi --compare recist1.1"
        )
    return other


def _bind_engine(
    assess: Callable[..., Assessment],
    *,
    params: object,
    as_of: date | None,
    evidence: Mapping[str, tuple[Evidence, ...]],
) -> Engine:
    """A lesion-level engine with its parameters, date and each lesion's findings bound."""

    def engine(history: LesionHistory) -> Assessment:
        found = evidence.get(history.lesion.lesion_id, ())
        return assess(history, as_of=as_of, params=params, evidence=found)

    return engine


def _lesion_evidence(
    path: Path | None, lesions: Sequence_[Lesion], workbook: Path | None
) -> dict[str, tuple[Evidence, ...]]:
    """The evidence table's findings by lesion (empty without an evidence file or sheet)."""
    if path is None and workbook is None:
        return {}
    found: dict[str, list[Evidence]] = {}
    for item in load_evidence(path, lesions=lesions, workbook=None if path else workbook):
        found.setdefault(item.lesion_id, []).append(item)
    return {k: tuple(v) for k, v in found.items()}


def _default_criteria(lesions: Path | None, workbook: Path | None) -> registry.CriteriaSet:
    """The default criteria set of the lesions' site: spine amini2016, brain rano-bm, liver choi.

    The lesions table is only peeked at here; its problems are reported by the reader.
    """
    log = ProblemLog()
    table = None
    if lesions is not None:
        table = read_table(lesions, log, table="lesions")
    elif workbook is not None:
        book = read_workbook(workbook, log)
        if book is not None and "lesions" in book.sheets:
            table = book.table("lesions", log)
    if table is None or not table.has("site"):
        return registry.get("amini2016")
    known = Site.lookup()
    sites = {
        known.get(normalize_token(str(v)), Site.SPINE) for v in table.column("site").to_pylist()
    }
    if len(sites) == 1:
        return registry.default_for_site(sites.pop())
    names = ", ".join(sorted(s.value for s in sites))
    raise ParameterError(
        f"the lesions are of several sites ({names}), whose default criteria differ; choose "
        "one with --criteria (see 'pseudoprog criteria list'), or classify each site's "
        "lesions apart"
    )


def _require_sites(lesions: Sequence_[Lesion], entry: registry.CriteriaSet) -> None:
    """A lesion-level set judges only its sites; name the others and the criteria that fit."""
    if not entry.applies_to:
        return
    others = [lesion for lesion in lesions if lesion.site not in entry.applies_to]
    if others:
        shown = ", ".join(f"{x.lesion_id} ({x.site.value})" for x in others[:5])
        more = f" and {len(others) - 5} more" if len(others) > 5 else ""
        fit = sorted(
            {
                n
                for x in others
                for n, c in registry.REGISTRY.items()
                if not c.applies_to or x.site in c.applies_to
            }
        )
        where = " or ".join(s.value for s in entry.applies_to)
        raise ParameterError(
            f"{entry.name} applies to {where} lesions; lesions {shown}{more} are not. "
            f"Classify them with a criteria set that fits, --criteria {{{', '.join(fit)}}}, "
            "or remove them from the lesions table"
        )


def register(app: typer.Typer) -> None:
    """Add the ``classify`` command to ``app``."""
    app.command("classify")(classify)
