"""Each lesion's status, computed by the core and kept beside the lesion.

Nothing clinical is computed here: :func:`evaluate` calls the lesion-level criteria set of the
lesion's site from the registry (``amini2016`` for the spine, ``srs-brain`` for the brain:
the same engines as ``pseudoprog classify``) and, for the spine, the point-of-care assessment
of ``pseudoprog assess`` (probability of pseudoprogression and next MRI due).
:func:`refresh` stores the answer in ``lesion_status`` in the transaction of the change that
called for it, so the worklist can filter and sort in the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pseudoprog.criteria import registry
from pseudoprog.domain import Evidence, LesionHistory, Site
from pseudoprog.store.models import LesionRow, LesionStatus, PatientRow
from pseudoprog.store.records import evidence_of, history_of

__all__ = ["StatusValues", "criteria_for", "evaluate", "refresh", "refresh_all"]


def criteria_for(site: Site) -> registry.CriteriaSet | None:
    """The lesion-level criteria set that judges lesions of ``site`` (``None``: none does).

    >>> criteria_for(Site.SPINE).name, criteria_for(Site.BRAIN).name, criteria_for(Site.LIVER)
    ('amini2016', 'srs-brain', None)
    """
    for entry in registry.REGISTRY.values():
        if entry.kind is registry.CriteriaKind.LESION and site in entry.applies_to:
            return entry
    return None


@dataclass(frozen=True, slots=True)
class StatusValues:
    """What :func:`evaluate` found for one lesion (the columns of ``lesion_status``)."""

    criteria: str | None
    response: str | None
    probability: float | None
    probability_low: float | None
    probability_high: float | None
    last_study: date | None
    next_due: date | None
    result: dict[str, Any] | None
    assessment: dict[str, Any] | None
    note: str | None


def _json(value: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(value))
    return loaded


def evaluate(history: LesionHistory, evidence: Sequence[Evidence] = ()) -> StatusValues:
    """Classify a lesion by its site's criteria and, for the spine, assess it."""
    site = history.lesion.site
    entry = criteria_for(site)
    if entry is None:
        note = (
            f"no lesion-level criteria set judges {site.value} lesions; classify them at the "
            "patient level (pseudoprog classify --criteria recist1.1)"
        )
        return StatusValues(None, None, None, None, None, None, None, None, None, note)
    module = entry.load()
    params = entry.default_parameters()
    if entry.name == "amini2016":
        result = module.assess(history, as_of=None, params=params)
    else:
        result = module.assess(history, as_of=None, params=params, evidence=evidence)
    probability = low = high = None
    last = due = None
    assessment = None
    if site is Site.SPINE:
        from pseudoprog.evidence.pointofcare import assess_lesion

        poc = assess_lesion(history, evidence=evidence, as_of=None, criteria=params)
        if poc.probability is not None:
            probability = poc.probability.estimate
            low, high = poc.probability.ci_low, poc.probability.ci_high
        last, due = poc.last_study, poc.next_mri_due
        assessment = _json(poc.to_dict())
    else:
        dates = [d for s in history.series.values() for d in s.dates]
        last = max(dates, default=None)
    return StatusValues(
        entry.name,
        result.category.value,
        probability,
        low,
        high,
        last,
        due,
        _json(result.to_dict()),
        assessment,
        None,
    )


def _store(session: Session, row: LesionRow, values: StatusValues, now: datetime) -> None:
    status = row.status
    if status is None:
        status = LesionStatus(lesion_id=row.id, computed_at=now)
        session.add(status)
        row.status = status
    status.criteria = values.criteria
    status.response = values.response
    status.probability = values.probability
    status.probability_low = values.probability_low
    status.probability_high = values.probability_high
    status.last_study = values.last_study
    status.next_due = values.next_due
    status.result = values.result
    status.assessment = values.assessment
    status.note = values.note
    status.computed_at = now


def refresh(session: Session, lesion_ids: Iterable[int]) -> int:
    """Recompute and store the status of the lesions with these row ids; returns the count."""
    ids = sorted(set(lesion_ids))
    if not ids:
        return 0
    session.flush()
    now = datetime.now(UTC)
    done = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.scalars(
            select(LesionRow)
            .where(LesionRow.id.in_(chunk))
            .options(
                selectinload(LesionRow.treatment),
                selectinload(LesionRow.measurements),
                selectinload(LesionRow.evidence),
                selectinload(LesionRow.status),
                selectinload(LesionRow.patient).selectinload(PatientRow.events),
                selectinload(LesionRow.patient).selectinload(PatientRow.lesions),
            )
        ).all()
        for row in rows:
            values = evaluate(history_of(row), evidence_of(row))
            _store(session, row, values, now)
            done += 1
    session.flush()
    return done


def refresh_all(session: Session) -> int:
    """Recompute every lesion's status (after the core's rules or defaults changed)."""
    return refresh(session, session.scalars(select(LesionRow.id)).all())
