"""The ``study`` analysis on a selection of stored lesions.

:func:`cohort_study` reads the lesions the worklist's filters select, in bulk
(:func:`~pseudoprog.store.histories.load_histories`), and hands them to
:func:`~pseudoprog.stats.study.run_study`, the function behind ``pseudoprog study``, with the
same defaults; the analyses are those of Amini et al. 2016 on spine lesions, so lesions of
other sites in the selection are counted and left out.

>>> MAX_LESIONS
10000
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from pseudoprog.domain import Event, Site
from pseudoprog.errors import ParameterError
from pseudoprog.stats.study import DEFAULT_TITLE, StudyInput, StudyResult, run_study
from pseudoprog.store.histories import load_histories
from pseudoprog.store.worklist import WorklistQuery, selected_ids

__all__ = ["MAX_LESIONS", "CohortStudy", "cohort_study"]

#: Most lesions one study runs on (a larger selection is refused with a message).
MAX_LESIONS = 10_000


@dataclass(frozen=True)
class CohortStudy:
    """A study's result and what the selection held: lesions selected, and those left out
    because no analysis of the study applies to their site."""

    result: StudyResult
    selected: int
    other_sites: int


def cohort_study(
    session: Session,
    query: WorklistQuery,
    *,
    synthetic: Iterable[StudyInput] = (),
    keep_excluded: bool = False,
    title: str = DEFAULT_TITLE,
) -> CohortStudy:
    """Run the study on the spine lesions ``query``'s filters select (sort and page ignored).

    Raises
    ------
    ParameterError
        When the selection holds no spine lesion, more than :data:`MAX_LESIONS`, or nothing
        is left after the inclusion criteria; the message says what to change.
    """
    ids = selected_ids(session, replace(query, sort="patient", page=1))
    if len(ids) > MAX_LESIONS:
        raise ParameterError(
            f"the filters select {len(ids)} lesions; a study runs on at most {MAX_LESIONS}: "
            "narrow the selection (status, criteria or patient)"
        )
    stored = load_histories(session, ids)
    histories = [s.history for s in stored if s.history.lesion.site is Site.SPINE]
    if not histories:
        raise ParameterError(
            f"the filters select {len(ids)} lesion(s) and none of the spine: the study's "
            "analyses (Amini et al. 2016) are of spine lesions; change the filters"
        )
    events: dict[Event, None] = {}
    for history in histories:
        events.update(dict.fromkeys(history.events))
    result = run_study(
        [h.lesion for h in histories],
        histories=histories,
        events=list(events),
        events_available=all(h.events_known for h in histories),
        apply_exclusions=not keep_excluded,
        synthetic_inputs=set(synthetic),
        title=title,
        sources=(f"{len(histories)} stored lesion(s) selected by {_described(query)}",),
    )
    return CohortStudy(result, len(ids), len(ids) - len(histories))


def _described(query: WorklistQuery) -> str:
    filters = query.filters()
    if not filters:
        return "no filter"
    return ", ".join(f"{k} {v}" for k, v in filters.items())
