"""The worklist: lesions with their stored status, filtered, sorted and paged in the database.

>>> WorklistQuery(sort="next_due").order is SortOrder.ASC
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pseudoprog.errors import ParameterError
from pseudoprog.store.models import LesionRow, LesionStatus, PatientRow, TreatmentRow

__all__ = ["SORT_KEYS", "SortOrder", "Worklist", "WorklistQuery", "WorklistRow", "worklist"]


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


#: Sortable columns of the worklist, by the name used in URLs.
SORT_KEYS: dict[str, Any] = {
    "patient": PatientRow.patient_key,
    "lesion": LesionRow.lesion_key,
    "site": LesionRow.site,
    "criteria": LesionStatus.criteria,
    "response": LesionStatus.response,
    "probability": LesionStatus.probability,
    "treated": TreatmentRow.date,
    "last_study": LesionStatus.last_study,
    "next_due": LesionStatus.next_due,
}

#: Largest page.
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class WorklistQuery:
    """Filters (empty: all), sort key and order, and page (1-based) of the worklist.

    Raises
    ------
    ParameterError
        For an unknown sort key or a page size out of range.
    """

    response: str = ""
    site: str = ""
    patient: str = ""
    criteria: str = ""
    overdue: bool = False
    sort: str = "patient"
    order: SortOrder = SortOrder.ASC
    page: int = 1
    page_size: int = 50
    today: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise ParameterError(
                f"sort {self.sort!r} is not a worklist column; use one of {', '.join(SORT_KEYS)}"
            )
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ParameterError(
                f"page_size {self.page_size} is out of range; use 1 to {MAX_PAGE_SIZE}"
            )
        if self.page < 1:
            raise ParameterError(f"page {self.page} is out of range; pages start at 1")

    def filters(self) -> dict[str, str]:
        """The filters that are set, as URL parameters."""
        out = {
            "response": self.response,
            "site": self.site,
            "patient": self.patient,
            "criteria": self.criteria,
            "overdue": "1" if self.overdue else "",
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One lesion of the worklist."""

    id: int
    uid: str
    patient_row: int
    patient_id: str
    lesion_id: str
    site: str
    level: str | None
    treated: date
    criteria: str | None
    response: str | None
    probability: float | None
    probability_low: float | None
    probability_high: float | None
    last_study: date | None
    next_due: date | None
    overdue_days: int | None


@dataclass(frozen=True)
class Worklist:
    """One page of the worklist, the total, and the count of each response under the filters
    other than the response."""

    rows: Sequence[WorklistRow]
    total: int
    counts: dict[str, int]
    query: WorklistQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


def _base(query: WorklistQuery, *, with_response: bool) -> Select[Any]:
    stmt = (
        select(LesionRow.id)
        .join(PatientRow, PatientRow.id == LesionRow.patient_id)
        .join(TreatmentRow, TreatmentRow.lesion_id == LesionRow.id)
        .outerjoin(LesionStatus, LesionStatus.lesion_id == LesionRow.id)
    )
    if with_response and query.response:
        stmt = stmt.where(LesionStatus.response == query.response.upper())
    if query.site:
        stmt = stmt.where(LesionRow.site == query.site.lower())
    if query.patient:
        stmt = stmt.where(PatientRow.patient_key == query.patient)
    if query.criteria:
        stmt = stmt.where(LesionStatus.criteria == query.criteria)
    if query.overdue:
        stmt = stmt.where(LesionStatus.next_due < query.today)
    return stmt


def worklist(session: Session, query: WorklistQuery) -> Worklist:
    """The page of lesions ``query`` asks for."""
    base = _base(query, with_response=True)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    key = SORT_KEYS[query.sort]
    ordering = key.asc() if query.order is SortOrder.ASC else key.desc()
    stmt = (
        base.with_only_columns(
            LesionRow.id,
            LesionRow.uid,
            PatientRow.id,
            PatientRow.patient_key,
            LesionRow.lesion_key,
            LesionRow.site,
            LesionRow.level,
            TreatmentRow.date,
            LesionStatus.criteria,
            LesionStatus.response,
            LesionStatus.probability,
            LesionStatus.probability_low,
            LesionStatus.probability_high,
            LesionStatus.last_study,
            LesionStatus.next_due,
        )
        .order_by(ordering.nulls_last(), LesionRow.lesion_key)
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    rows = []
    for r in session.execute(stmt):
        due = r[14]
        late = None if due is None else (query.today - due).days
        rows.append(
            WorklistRow(
                id=r[0],
                uid=r[1],
                patient_row=r[2],
                patient_id=r[3],
                lesion_id=r[4],
                site=r[5],
                level=r[6],
                treated=r[7],
                criteria=r[8],
                response=r[9],
                probability=r[10],
                probability_low=r[11],
                probability_high=r[12],
                last_study=r[13],
                next_due=due,
                overdue_days=late if late is not None and late > 0 else None,
            )
        )
    counted = _base(query, with_response=False).subquery()
    counts = {
        str(response or "-"): int(n)
        for response, n in session.execute(
            select(LesionStatus.response, func.count())
            .join(counted, counted.c.id == LesionStatus.lesion_id)
            .group_by(LesionStatus.response)
        )
    }
    return Worklist(rows, int(total), counts, query)
