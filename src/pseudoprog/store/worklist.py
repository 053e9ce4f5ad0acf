"""The worklist: lesions with their stored status, filtered, sorted and paged in the database.

>>> WorklistQuery(sort="next_due").order is SortOrder.ASC
True
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pseudoprog.errors import ParameterError
from pseudoprog.store.audit import data_version
from pseudoprog.store.models import LesionRow, LesionStatus, PatientRow, TreatmentRow

__all__ = [
    "SORT_KEYS",
    "SortOrder",
    "Worklist",
    "WorklistQuery",
    "WorklistRow",
    "selected_ids",
    "worklist",
]


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

    def key(self, *, with_response: bool, sort: bool) -> Hashable:
        """The query's filters (and sort), as a key of what is computed from them."""
        return (
            self.response.upper() if with_response else None,
            self.site.lower(),
            self.patient,
            self.criteria,
            self.overdue,
            self.today,
            (self.sort, self.order) if sort else None,
        )

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


_Value = TypeVar("_Value", int, dict[str, int])


class _Memo:
    """Counts computed from the record, kept by one server process for one database until its
    data version changes (every write raises it: :func:`pseudoprog.store.audit.data_version`).

    Only values computed under the version in force are kept; a request that read another
    version (older or newer) empties the memo and starts it again at that version.
    """

    def __init__(self, *, size: int = 256) -> None:
        self._size = size
        self._version: int | None = None
        self._values: OrderedDict[Hashable, int | dict[str, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: int, key: Hashable, compute: Callable[[], _Value]) -> _Value:
        with self._lock:
            if version != self._version:
                self._values.clear()
                self._version = version
            elif key in self._values:
                self._values.move_to_end(key)
                return self._values[key]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if version == self._version:
                self._values[key] = value
                if len(self._values) > self._size:
                    self._values.popitem(last=False)
        return value


_memos: weakref.WeakKeyDictionary[Engine, _Memo] = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()


def _memo(session: Session) -> _Memo:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _memos_lock:
        memo = _memos.get(engine)
        if memo is None:
            memo = _memos[engine] = _Memo()
        return memo


_STATUS_KEYS = {"criteria", "response", "probability", "last_study", "next_due"}


def _selection(query: WorklistQuery, *, with_response: bool, sort: str | None = None) -> Any:
    """The lesion ids under the filters, from the sort key's table, joining only the tables
    the filters and ``sort`` read (every lesion has one status row and one treatment, so
    inner joins lose none)."""
    by_status = sort is None or sort in _STATUS_KEYS
    status_filter = bool((with_response and query.response) or query.criteria or query.overdue)
    if by_status:
        stmt = select(LesionStatus.lesion_id).select_from(LesionStatus)
        if query.site or query.patient:
            stmt = stmt.join(LesionRow, LesionRow.id == LesionStatus.lesion_id)
    elif sort == "treated":
        stmt = select(TreatmentRow.lesion_id).select_from(TreatmentRow)
        if query.site or query.patient:
            stmt = stmt.join(LesionRow, LesionRow.id == TreatmentRow.lesion_id)
        if status_filter:
            stmt = stmt.join(LesionStatus, LesionStatus.lesion_id == TreatmentRow.lesion_id)
    else:
        stmt = select(LesionRow.id).select_from(LesionRow)
        if status_filter:
            stmt = stmt.join(LesionStatus, LesionStatus.lesion_id == LesionRow.id)
    if query.patient or sort == "patient":
        stmt = stmt.join(PatientRow, PatientRow.id == LesionRow.patient_id)
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


def _tie(sort: str) -> Any:
    """The lesion id column of the sort key's table: rows with equal keys keep the order of
    the key's index, so the database walks an index instead of sorting."""
    if sort in _STATUS_KEYS:
        return LesionStatus.lesion_id
    if sort == "treated":
        return TreatmentRow.lesion_id
    return LesionRow.id


def _ordered(stmt: Any, sort: str, order: SortOrder) -> Any:
    key, tie = SORT_KEYS[sort], _tie(sort)
    if order is SortOrder.ASC:
        return stmt.order_by(key.asc(), tie.asc())
    return stmt.order_by(key.desc(), tie.desc())


def _page_ids(session: Session, query: WorklistQuery, version: int) -> list[int]:
    """The ids of the page's lesions, in order, lesions without a value of the sort key last.

    Lesions with a value and those without are read by two index-ordered queries (an
    ``ORDER BY ... NULLS LAST`` would make the database sort every selected row).
    """
    base = _selection(query, with_response=True, sort=query.sort)
    offset, size = (query.page - 1) * query.page_size, query.page_size
    key = SORT_KEYS[query.sort]
    if query.sort not in _STATUS_KEYS:
        return list(
            session.scalars(_ordered(base, query.sort, query.order).offset(offset).limit(size))
        )
    valued = base.where(key.is_not(None))
    n_valued = _memo(session).get(
        version,
        ("valued", query.key(with_response=True, sort=True)),
        lambda: int(session.scalar(select(func.count()).select_from(valued.subquery())) or 0),
    )
    ids: list[int] = []
    if offset < n_valued:
        ids = list(
            session.scalars(_ordered(valued, query.sort, query.order).offset(offset).limit(size))
        )
    if len(ids) < size:
        rest = base.where(key.is_(None)).order_by(LesionStatus.lesion_id.asc())
        ids += session.scalars(rest.offset(max(0, offset - n_valued)).limit(size - len(ids)))
    return ids


def selected_ids(session: Session, query: WorklistQuery) -> list[int]:
    """The ids of every lesion the query's filters select (all pages), in the query's order."""
    stmt = _selection(query, with_response=True, sort=query.sort)
    key = SORT_KEYS[query.sort]
    if query.sort in _STATUS_KEYS:
        first = list(
            session.scalars(_ordered(stmt.where(key.is_not(None)), query.sort, query.order))
        )
        rest = session.scalars(stmt.where(key.is_(None)).order_by(LesionStatus.lesion_id))
        return first + list(rest)
    return list(session.scalars(_ordered(stmt, query.sort, query.order)))


def _counts(session: Session, query: WorklistQuery, version: int) -> dict[str, int]:
    def count() -> dict[str, int]:
        counted = _selection(query, with_response=False)
        stmt = counted.with_only_columns(LesionStatus.response, func.count()).group_by(
            LesionStatus.response
        )
        return {str(response or "-"): int(n) for response, n in session.execute(stmt)}

    key = ("counts", query.key(with_response=False, sort=False))
    return dict(_memo(session).get(version, key, count))


def worklist(session: Session, query: WorklistQuery) -> Worklist:
    """The page of lesions ``query`` asks for.

    One grouped query counts the lesions of each status under the other filters (the total
    follows from it), one or two read the page's ids along an index, and one reads the
    page's rows. The counts are kept by the process until the data version changes, so that
    paging through an unchanged worklist does not count every lesion again.
    """
    version = data_version(session)
    counts = _counts(session, query, version)
    total = counts.get(query.response.upper(), 0) if query.response else sum(counts.values())
    ids = _page_ids(session, query, version)
    stmt = (
        select(
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
        .join(PatientRow, PatientRow.id == LesionRow.patient_id)
        .join(TreatmentRow, TreatmentRow.lesion_id == LesionRow.id)
        .join(LesionStatus, LesionStatus.lesion_id == LesionRow.id)
        .where(LesionRow.id.in_(ids))
    )
    found = {r[0]: r for r in session.execute(stmt)} if ids else {}
    rows = []
    for r in (found[i] for i in ids if i in found):
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
    return Worklist(rows, int(total), counts, query)
