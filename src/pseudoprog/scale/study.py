"""``pseudoprog study --classification DIR``: the cohort study from per-partition aggregates.

A results folder of ``classify --format parquet`` (:mod:`pseudoprog.io.parquet_results`) holds
one part per partition, in lesion order, and no patient is split between parts. Each part is
reduced on its own (on a Dask worker with ``--scheduler``, else here, one part at a time) to
small aggregates: response counts by fractionation, counts of time-to-event records by
fractionation, outcome and time, and the time course of the OPP lesions. The aggregates add
up to the cohort's, and the analyses of :func:`pseudoprog.stats.study.run_study` that rest on
them run on the sums with the same functions: the response summary and OPP prevalences, the
Fisher exact test, Kaplan-Meier curves and the log-rank test by fractionation, the cumulative
incidence of OPP and PD as competing risks, and the time course. The measurements are never
gathered in one place, nor (without the lesions table) a row per lesion, with one exception:
when an OPP and a PD event share a time, lifelines moves the event times apart
(:mod:`pseudoprog.stats.competing`) in the order of the events, so a second pass gathers the
(weeks, outcome) of each event in lesion order.

With the lesions table beside the results (``study --classification DIR --lesions FILE``,
read and checked as without ``--classification``), each part also returns one small row per
analysed lesion (lesion id, weeks, outcome, fractionation, response; no measurements); joined
to the lesions by id they give the cohort description
(:func:`pseudoprog.stats.descriptive.describe_cohort`) and the univariate Cox models
(:func:`pseudoprog.stats.cox.univariate_cox_table`). Without it these two are listed in
``not_computed``. The trajectories are always listed there: they are measurement traces,
which the results do not hold (run ``pseudoprog study --lesions ... --measurements ...``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from pseudoprog.criteria.amini2016 import CATEGORIES
from pseudoprog.domain import Lesion, ResponseCategory
from pseudoprog.domain import Sequence as ImagingSequence
from pseudoprog.errors import ParameterError
from pseudoprog.io.atomic import atomic_write_bytes
from pseudoprog.io.parquet_results import METADATA_NAME, part_name
from pseudoprog.stats.association import fisher_exact_test
from pseudoprog.stats.competing import CumulativeIncidence, cumulative_incidence
from pseudoprog.stats.cox import CoxResult, univariate_cox_table
from pseudoprog.stats.descriptive import CohortDescription, describe_cohort
from pseudoprog.stats.proportions import IntervalMethod, check_confidence, proportion
from pseudoprog.stats.responses import ResponseSource, ResponseSummary
from pseudoprog.stats.study import analysis_fields, analysis_lines
from pseudoprog.stats.summaries import mean_summary
from pseudoprog.stats.survival import Outcome, SurvivalRecord, kaplan_meier, logrank_test
from pseudoprog.stats.timecourse import LesionCourse, SequenceTimeCourse, TimeCourse

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "PartAggregate",
    "aggregate_part",
    "event_order",
    "study_command",
    "study_from_results",
    "write_study_from_results",
]

_T = TypeVar("_T")
_SINGLE, _MULTI = "single fraction", "multiple fractions"
_PER_SEQUENCE = ("time_to_peak_weeks", "peak_change_mm", "time_to_baseline_weeks")
_OPP, _PD = ResponseCategory.OPP, ResponseCategory.PD
_OPP_EVENT, _PD_EVENT = Outcome.OPP.name.lower(), Outcome.PD.name.lower()
_NEEDS_LESIONS = (
    "needs each lesion's covariates (age, sex, histology, level, dose), which the "
    "classification results do not hold; add the lesions table with --lesions"
)
_NO_TRACES = (
    "needs each lesion's measurement traces, which the classification results do not hold; "
    "run 'pseudoprog study --lesions ... --measurements ...' for them"
)

#: A lesion's time-to-event record as gathered from a part: (lesion, weeks, outcome,
#: single fraction, response).
SurvivalRow = tuple[str, float, str, bool, str]


@dataclass(frozen=True)
class PartAggregate:
    """What one part contributes to the study.

    ``responses`` counts (response, single fraction) of the analysed lesions; ``survival``
    counts (single fraction, outcome, weeks) of their time-to-event records; ``courses`` holds
    each sequence's (lesion, time to peak, peak change, time to baseline) of the OPP lesions
    in part order, and ``opp_assessed`` how many OPP lesions each sequence assessed. Only when
    asked for (the lesions table is given), ``kept_ids`` holds the analysed lesions' ids and
    ``records`` their time-to-event records, one small row per lesion in part order.
    """

    n_input: int
    n_excluded: int
    n_lesions: int
    n_patients: int
    n_without_follow_up: int
    responses: Counter[tuple[str, bool]] = field(default_factory=Counter)
    survival: Counter[tuple[bool, str, float]] = field(default_factory=Counter)
    courses: dict[str, list[tuple[str, float, float, float | None]]] = field(default_factory=dict)
    opp_assessed: Counter[str] = field(default_factory=Counter)
    kept_ids: tuple[str, ...] = ()
    records: tuple[SurvivalRow, ...] = ()


def aggregate_part(path: str, keep_excluded: bool, with_records: bool = False) -> PartAggregate:
    """Reduce one part file to its :class:`PartAggregate` (on a worker or here).

    Parameters
    ----------
    path
        The part file.
    keep_excluded
        Keep the lesions that fail an inclusion criterion.
    with_records
        Also gather the analysed lesions' ids and time-to-event records.
    """
    import pyarrow.parquet as pq

    wanted = [
        "patient_id",
        "lesion_id",
        "response",
        "single_fraction",
        "inclusion_not_met",
        "survival_weeks",
        "survival_outcome",
        *(f"{s}_assessed" for s in ImagingSequence),
        *(f"{s}_{n}" for s in ImagingSequence for n in _PER_SEQUENCE),
    ]
    rows = pq.read_table(path, columns=wanted).to_pylist()
    kept = [r for r in rows if keep_excluded or not r["inclusion_not_met"]]
    responses: Counter[tuple[str, bool]] = Counter(
        (r["response"], bool(r["single_fraction"])) for r in kept
    )
    survival: Counter[tuple[bool, str, float]] = Counter(
        (bool(r["single_fraction"]), r["survival_outcome"], r["survival_weeks"])
        for r in kept
        if r["survival_outcome"] is not None
    )
    courses: dict[str, list[tuple[str, float, float, float | None]]] = {}
    assessed: Counter[str] = Counter()
    for r in kept:
        if r["response"] != _OPP.value:
            continue
        for s in ImagingSequence:
            if r[f"{s}_assessed"]:
                assessed[s.value] += 1
            ttp, peak, back = (r[f"{s}_{n}"] for n in _PER_SEQUENCE)
            if ttp is not None and peak is not None:
                courses.setdefault(s.value, []).append((r["lesion_id"], ttp, peak, back))
    return PartAggregate(
        n_input=len(rows),
        n_excluded=sum(1 for r in rows if r["inclusion_not_met"]),
        n_lesions=len(kept),
        n_patients=len({r["patient_id"] for r in kept}),
        n_without_follow_up=sum(1 for r in kept if r["survival_outcome"] is None),
        responses=responses,
        survival=survival,
        courses=courses,
        opp_assessed=assessed,
        kept_ids=tuple(r["lesion_id"] for r in kept) if with_records else (),
        records=tuple(
            (
                r["lesion_id"],
                r["survival_weeks"],
                r["survival_outcome"],
                bool(r["single_fraction"]),
                r["response"],
            )
            for r in kept
            if with_records and r["survival_outcome"] is not None
        ),
    )


def event_order(path: str, keep_excluded: bool) -> list[tuple[float, str]]:
    """The (weeks, outcome) of one part's OPP and PD events, in part order.

    Only needed when events of different causes share a time: lifelines then moves the event
    times apart in the order of the events, so the cumulative incidence depends on it.
    """
    import pyarrow.parquet as pq

    wanted = ["inclusion_not_met", "survival_weeks", "survival_outcome"]
    rows = pq.read_table(path, columns=wanted).to_pylist()
    return [
        (r["survival_weeks"], r["survival_outcome"])
        for r in rows
        if (keep_excluded or not r["inclusion_not_met"])
        and r["survival_outcome"] in (_OPP_EVENT, _PD_EVENT)
    ]


def _read_metadata(folder: Path) -> dict[str, Any]:
    meta = folder / METADATA_NAME
    if not folder.is_dir() or not meta.is_file():
        raise ParameterError(
            f"--classification {folder} is not a folder of classification results (no "
            f"{METADATA_NAME}); write one with 'pseudoprog classify ... --format parquet "
            "--output DIR'"
        )
    try:
        document: dict[str, Any] = orjson.loads(meta.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ParameterError(f"{meta} is not valid JSON ({exc}); classify again") from None
    if document.get("criteria") != "amini2016":
        raise ParameterError(
            f"the study runs the analyses of Amini 2016; {folder} holds "
            f"{document.get('criteria')} results. Classify with --criteria amini2016"
        )
    missing = [p["file"] for p in document.get("parts", []) if not (folder / p["file"]).is_file()]
    if missing:
        raise ParameterError(
            f"{folder} lacks part file(s) {', '.join(missing[:5])} listed in {METADATA_NAME}; "
            "classify again into a new folder"
        )
    return document


def _each_part(
    folder: Path, parts: int, reduce: Callable[..., _T], *args: Any, scheduler: str | None
) -> Iterator[_T]:
    """``reduce(path, *args)`` of every part, in part order (on the cluster or here)."""
    paths = [str(folder / part_name(i)) for i in range(parts)]
    if scheduler is None:
        for path in paths:
            yield reduce(path, *args)
        return
    from pseudoprog.scale.cluster import SchedulerAddress, connect

    with connect(SchedulerAddress.parse(scheduler)) as client:
        futures = [client.submit(reduce, p, *args, pure=False) for p in paths]
        for future in futures:
            result: _T = future.result()
            yield result


def _responses(
    counts: Counter[tuple[str, bool]], confidence: float
) -> tuple[ResponseSummary, tuple[tuple[int, int], tuple[int, int]]]:
    """The response summary and fractionation table, as the study computes them per lesion."""
    by_response: Counter[ResponseCategory] = Counter()
    for (response, _), n in counts.items():
        by_response[ResponseCategory(response)] += n
    listed = (*CATEGORIES, *(c for c in ResponseCategory if c not in CATEGORIES))
    tallies = tuple((c, n) for c in listed if (n := by_response[c]) or c in CATEGORIES)

    def count(single: bool | None, *hits: ResponseCategory) -> int:
        return sum(
            n
            for (r, s), n in counts.items()
            if r != ResponseCategory.INDETERMINATE.value
            and (single is None or s is single)
            and (not hits or ResponseCategory(r) in hits)
        )

    def share(k: int, n: int) -> Any:
        return proportion(k, n, method=IntervalMethod.WILSON, confidence=confidence)

    grew = count(None, _OPP, _PD)
    summary = ResponseSummary(
        source=ResponseSource.CLASSIFIER,
        counts=tallies,
        enlarging=share(grew, count(None)),
        stable_or_responding=share(
            count(None, ResponseCategory.PR, ResponseCategory.SD), count(None)
        ),
        opp_overall=share(count(None, _OPP), count(None)),
        opp_single_fraction=share(count(True, _OPP), count(True)),
        opp_multi_fraction=share(count(False, _OPP), count(False)),
        opp_among_enlarging=share(count(None, _OPP), grew),
        pd_among_enlarging=share(count(None, _PD), grew),
    )
    single_opp, multi_opp = count(True, _OPP), count(False, _OPP)
    table = ((single_opp, count(True) - single_opp), (multi_opp, count(False) - multi_opp))
    return summary, table


def _time_course(
    courses: dict[str, list[tuple[str, float, float, float | None]]],
    assessed: Counter[str],
    n_opp: int,
    error_mm: float,
    confidence: float,
) -> TimeCourse | None:
    """The OPP lesions' time course, as :func:`pseudoprog.stats.timecourse.opp_time_course`."""
    if not n_opp:
        return None
    out = []
    for sequence in ImagingSequence:
        found = [LesionCourse(*c) for c in courses.get(sequence.value, [])]
        if not found and not assessed[sequence.value]:
            continue
        out.append(
            SequenceTimeCourse(
                sequence=sequence,
                lesions=tuple(found),
                not_enlarged=n_opp - len(found),
                time_to_peak_weeks=mean_summary(
                    (c.time_to_peak_weeks for c in found), confidence=confidence
                ),
                peak_change_mm=mean_summary(
                    (c.peak_change_mm for c in found), confidence=confidence
                ),
                time_to_baseline_weeks=mean_summary(
                    (
                        c.time_to_baseline_weeks
                        for c in found
                        if c.time_to_baseline_weeks is not None
                    ),
                    confidence=confidence,
                ),
            )
        )
    return TimeCourse(_OPP, n_opp, tuple(out), error_mm)


def _expanded(
    survival: Counter[tuple[bool, str, float]], single: bool
) -> tuple[list[float], list[bool]]:
    """The durations and OPP events of one fractionation group, from the record counts."""
    weeks: list[float] = []
    events: list[bool] = []
    for (group, outcome, w), n in sorted(survival.items(), key=lambda item: item[0][2]):
        if group is single:
            weeks.extend([w] * n)
            events.extend([outcome == "opp"] * n)
    return weeks, events


def _ties_between_causes(survival: Counter[tuple[bool, str, float]]) -> bool:
    """Whether lifelines moves event times apart: an event shares its time with another
    event, and no other event of its cause."""
    at_time: Counter[float] = Counter()
    by_cause: Counter[tuple[float, str]] = Counter()
    for (_, outcome, weeks), n in survival.items():
        if outcome in (_OPP_EVENT, _PD_EVENT):
            at_time[weeks] += n
            by_cause[weeks, outcome] += n
    return any(n == 1 and at_time[weeks] > 1 for (weeks, _), n in by_cause.items())


def _incidence(
    survival: Counter[tuple[bool, str, float]],
    events: Sequence[tuple[float, str]] | None,
    confidence: float,
) -> tuple[CumulativeIncidence, ...]:
    """The cumulative incidence of OPP and PD, as ``_time_analyses`` of the single-machine
    study computes it.

    ``events`` holds the (weeks, outcome) of the OPP and PD events in lesion order, needed
    only when :func:`_ties_between_causes`; otherwise the events are expanded from the counts.
    """
    if events is None:
        events = [
            (weeks, outcome)
            for (_, outcome, weeks), n in sorted(survival.items(), key=lambda item: item[0][2])
            if outcome in (_OPP_EVENT, _PD_EVENT)
            for _ in range(n)
        ]
    censored = [
        weeks
        for (_, outcome, weeks), n in sorted(survival.items(), key=lambda item: item[0][2])
        if outcome not in (_OPP_EVENT, _PD_EVENT)
        for _ in range(n)
    ]
    durations = [w for w, _ in events] + censored
    causes = [Outcome[o.upper()].value for _, o in events] + [Outcome.CENSORED.value] * len(
        censored
    )
    return tuple(
        cumulative_incidence(durations, causes, cause=o.value, label=o.name, confidence=confidence)
        for o in (Outcome.OPP, Outcome.PD)
    )


def _lesion_analyses(
    lesions: Sequence[Lesion],
    kept_ids: Sequence[str],
    rows: Sequence[SurvivalRow],
    confidence: float,
) -> tuple[CohortDescription, tuple[CoxResult, ...]]:
    """The cohort description and the univariate Cox models of the analysed lesions.

    Raises
    ------
    ParameterError
        If the lesions table lacks a lesion of the results.
    """
    by_id = {x.lesion_id: x for x in lesions}
    missing = [i for i in dict.fromkeys(kept_ids) if i not in by_id]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise ParameterError(
            f"the lesions table lacks {len(missing)} lesion(s) of the classification results "
            f"({shown}); give --lesions the table the results were classified from"
        )
    description = describe_cohort([by_id[i] for i in kept_ids], confidence=confidence)
    records = [
        SurvivalRecord(
            lesion_id=lesion_id,
            patient_id=by_id[lesion_id].patient_id,
            weeks=weeks,
            outcome=Outcome[outcome.upper()],
            response=ResponseCategory(response),
            single_fraction=single,
        )
        for lesion_id, weeks, outcome, single, response in rows
    ]
    cox = univariate_cox_table(records, by_id, confidence=confidence) if records else ()
    return description, cox


def study_from_results(
    folder: Path,
    *,
    keep_excluded: bool = False,
    title: str,
    lesions: Sequence[Lesion] | None = None,
    scheduler: str | None = None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The study document (the sections of ``study.json`` the results give).

    Parameters
    ----------
    folder
        A results folder of ``classify --format parquet``.
    keep_excluded
        Keep the lesions that fail an inclusion criterion in the analyses.
    title
        Written into the document.
    lesions
        The lesions table the results were classified from; with it, the cohort description
        and the univariate Cox models are computed too.
    scheduler
        Reduce the parts on this Dask cluster (else here, one part at a time).
    confidence
        Level of every interval.

    Raises
    ------
    ParameterError
        If ``folder`` is not a complete results folder of Amini 2016, no lesion is left, or
        ``lesions`` lacks a lesion of the results.
    """
    confidence = check_confidence(confidence)
    meta = _read_metadata(folder)
    parts = len(meta.get("parts", []))
    responses: Counter[tuple[str, bool]] = Counter()
    survival: Counter[tuple[bool, str, float]] = Counter()
    courses: dict[str, list[tuple[str, float, float, float | None]]] = {}
    assessed: Counter[str] = Counter()
    counts = Counter[str]()
    kept_ids: list[str] = []
    rows: list[SurvivalRow] = []
    with_records = lesions is not None
    for part in _each_part(
        folder, parts, aggregate_part, keep_excluded, with_records, scheduler=scheduler
    ):
        kept_ids.extend(part.kept_ids)
        rows.extend(part.records)
        for name in ("n_input", "n_excluded", "n_lesions", "n_patients", "n_without_follow_up"):
            counts[name] += getattr(part, name)
        responses.update(part.responses)
        survival.update(part.survival)
        assessed.update(part.opp_assessed)
        for sequence, found in part.courses.items():
            courses.setdefault(sequence, []).extend(found)
    if not counts["n_lesions"]:
        raise ParameterError(
            "every lesion failed an inclusion criterion, or the results hold none; nothing is "
            "left to analyse (keep excluded lesions with --keep-excluded)"
        )
    not_computed: dict[str, str] = {}
    summary, table = _responses(responses, confidence)
    fisher = None
    if sum(table[0]) and sum(table[1]):
        fisher = fisher_exact_test(
            table, rows=(_SINGLE, _MULTI), columns=("OPP", "not OPP"), confidence=confidence
        )
    else:
        not_computed["fisher_fraction_opp"] = (
            "all lesions had the same fractionation (single or multiple), so there is "
            "nothing to compare"
        )
    if counts["n_without_follow_up"]:
        not_computed["survival_data"] = (
            f"{counts['n_without_follow_up']} lesion(s) without a follow-up study were left "
            "out of the time-to-event analyses"
        )
    single, multi = _expanded(survival, True), _expanded(survival, False)
    curves = [
        kaplan_meier(weeks, events, label=label, confidence=confidence)
        for label, (weeks, events) in ((_SINGLE, single), (_MULTI, multi))
        if weeks
    ]
    logrank = None
    if not single[0] or not multi[0]:
        not_computed["logrank_fraction"] = "all lesions had the same fractionation"
    elif not any(single[1]) and not any(multi[1]):
        not_computed["logrank_fraction"] = "no OPP event: the log-rank test is not defined"
    else:
        try:
            logrank = logrank_test(*single, *multi, groups=(_SINGLE, _MULTI))
        except ParameterError as exc:
            not_computed["logrank_fraction"] = str(exc)
    incidence: tuple[CumulativeIncidence, ...] = ()
    description: CohortDescription | None = None
    cox: tuple[CoxResult, ...] = ()
    if survival:
        events = None
        if _ties_between_causes(survival):
            events = (
                [(w, o) for _, w, o, _, _ in rows if o in (_OPP_EVENT, _PD_EVENT)]
                if with_records
                else [
                    e
                    for found in _each_part(
                        folder, parts, event_order, keep_excluded, scheduler=scheduler
                    )
                    for e in found
                ]
            )
        incidence = _incidence(survival, events, confidence)
    else:
        not_computed["cumulative_incidence"] = "no lesion has a follow-up study"
    if lesions is not None:
        description, cox = _lesion_analyses(lesions, kept_ids, rows, confidence)
        if not rows:
            not_computed["cox_univariate"] = "no lesion has a follow-up study"
    else:
        not_computed["description"] = not_computed["cox_univariate"] = _NEEDS_LESIONS
    error_mm = float(meta.get("parameters", {}).get("error_mm", 2.0))
    course = _time_course(courses, assessed, summary.count(_OPP), error_mm, confidence)
    if course is None:
        not_computed["time_course"] = "no lesion was classified OPP"
    not_computed["trajectories"] = _NO_TRACES
    counted = ", ".join(f"{c.value} {n}" for c, n in summary.counts if n)
    lines = [
        title,
        f"{counts['n_lesions']} lesions in {counts['n_patients']} patients analysed "
        f"({counts['n_excluded']} excluded of {counts['n_input']}); responses from the "
        f"classification results in {folder}: {counted}",
        *analysis_lines(summary, fisher, logrank, cox),
    ]
    return {
        "summary": lines,
        "title": title,
        "classification": {
            "folder": str(folder),
            "parts": parts,
            "as_of": meta.get("as_of"),
            "notices": meta.get("notices", []),
        },
        "n_lesions": counts["n_lesions"],
        "n_patients": counts["n_patients"],
        **analysis_fields(
            summary,
            fisher=fisher,
            description=description,
            logrank=logrank,
            kaplan_meier=curves,
            incidence=incidence,
            cox=cox,
            time_course=course,
        ),
        "description": None if description is None else description.to_dict(),
        "inclusion": {
            "n_input": counts["n_input"],
            "n_included": counts["n_input"] - counts["n_excluded"],
            "n_excluded": counts["n_excluded"],
            "applied": not keep_excluded,
        },
        "not_computed": not_computed,
        "parameters": meta.get("parameters", {}),
        "confidence": confidence,
    }


def write_study_from_results(
    folder: Path,
    output: Path,
    *,
    keep_excluded: bool,
    title: str,
    scheduler: str | None,
    lesions: Sequence[Lesion] | None = None,
) -> tuple[Path, list[str]]:
    """Write ``output/study.json`` atomically; return its path and the summary lines."""
    document = study_from_results(
        folder, keep_excluded=keep_excluded, title=title, lesions=lesions, scheduler=scheduler
    )
    path = output / "study.json"
    atomic_write_bytes(path, orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return path, list(document["summary"])


def study_command(
    classification: Path | None,
    output: Path,
    *,
    lesions: Path | None = None,
    tables: tuple[Path | None, ...],
    keep_excluded: bool,
    title: str,
    scheduler: str | None,
    console: Console,
    err_console: Console,
) -> None:
    """``pseudoprog study --classification DIR [--lesions FILE]``: check, read, write, print.

    ``lesions`` is read and checked as without ``--classification``; ``tables`` are the other
    input tables given (measurements, events, workbook), which do not fit.

    Raises
    ------
    ParameterError
        If other input tables are given beside the results folder, or ``--scheduler``
        without it.
    InputValidationError
        If the lesions table has problems (each is listed).
    """
    if classification is None:
        raise ParameterError(
            "--scheduler reduces a results folder: add --classification DIR (written by "
            "'pseudoprog classify ... --format parquet --output DIR')"
        )
    if any(t is not None for t in tables):
        raise ParameterError(
            "--classification reads the responses from the results folder; drop "
            "--measurements, --events and --workbook (or drop --classification to classify "
            "them); --lesions may stay, for the cohort description and the Cox models"
        )
    cohort = None
    if lesions is not None:
        from pseudoprog.io.cohort import load_cohort

        _read_metadata(classification)  # a wrong folder is reported before a long read
        cohort = load_cohort(lesions=lesions, require_measurements=False)
        for notice in cohort.notices:
            err_console.print(f"[yellow]Note:[/] {notice}")
    path, lines = write_study_from_results(
        classification,
        output,
        keep_excluded=keep_excluded,
        title=title,
        scheduler=scheduler,
        lesions=None if cohort is None else cohort.lesions,
    )
    console.print("\n".join(lines), markup=False, highlight=False)
    err_console.print(f"Wrote {path}", markup=False, highlight=False)
