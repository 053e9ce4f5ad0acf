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
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from pseudoprog.criteria import registry
from pseudoprog.domain import Evidence, LesionHistory, Site
from pseudoprog.store.histories import CHUNK, load_histories
from pseudoprog.store.models import Base, LesionRow, LesionStatus

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


def _columns(lesion_id: int, values: StatusValues, now: datetime) -> dict[str, Any]:
    return {
        "lesion_id": lesion_id,
        "criteria": values.criteria,
        "response": values.response,
        "probability": values.probability,
        "probability_low": values.probability_low,
        "probability_high": values.probability_high,
        "last_study": values.last_study,
        "next_due": values.next_due,
        "result": values.result,
        "assessment": values.assessment,
        "note": values.note,
        "computed_at": now,
    }


def refresh(session: Session, lesion_ids: Iterable[int]) -> int:
    """Recompute and store the status of the lesions with these row ids; returns the count.

    The lesions are read in bulk (:func:`~pseudoprog.store.histories.load_histories`) and
    their statuses replaced with one DELETE and one multi-row INSERT per
    :data:`~pseudoprog.store.histories.CHUNK` lesions; status objects already loaded in the
    session are expired, so they show the new values when next read.
    """
    ids = sorted(set(lesion_ids))
    if not ids:
        return 0
    session.flush()
    now = datetime.now(UTC)
    table = Base.metadata.tables[LesionStatus.__tablename__]
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = [
            _columns(stored.id, evaluate(stored.history, stored.evidence), now)
            for stored in load_histories(session, chunk)
        ]
        session.execute(delete(table).where(table.c.lesion_id.in_(chunk)))
        if rows:
            session.execute(insert(table), rows)
        done += len(rows)
    wanted = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, LesionStatus) and obj.lesion_id in wanted:
            session.expire(obj)
        elif isinstance(obj, LesionRow) and obj.id in wanted:
            session.expire(obj, ["status"])
    return done


def refresh_all(session: Session) -> int:
    """Recompute every lesion's status (after the core's rules or defaults changed)."""
    return refresh(session, session.scalars(select(LesionRow.id)).all())
