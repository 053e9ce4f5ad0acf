"""Export of a selection of lesions: CSV (one row per lesion with its status), Excel (the
status sheet and the input tables, so the workbook can be imported again), JSON (everything).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from enum import StrEnum
from typing import Any

import orjson
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pseudoprog.store.detail import lesion_detail
from pseudoprog.store.models import LesionRow
from pseudoprog.store.records import lesion_of
from pseudoprog.store.validation import lesion_cells
from pseudoprog.store.worklist import MAX_PAGE_SIZE, WorklistQuery, worklist

__all__ = ["STATUS_COLUMNS", "ExportFormat", "export_response", "selected"]

#: Columns of the CSV export and of the Excel ``status`` sheet.
STATUS_COLUMNS = (
    "patient_id",
    "lesion_id",
    "uid",
    "site",
    "level",
    "treatment_date",
    "criteria",
    "response",
    "deciding_sequence",
    "time_to_peak_weeks",
    "peak_change_mm",
    "time_to_baseline_weeks",
    "probability",
    "probability_ci_low",
    "probability_ci_high",
    "last_study",
    "next_due",
    "overdue_days",
    "reasons",
)


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


def selected(session: Session, query: WorklistQuery) -> list[dict[str, Any]]:
    """Every lesion the query's filters select (all pages), in its order, in detail."""
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        found = worklist(session, replace(query, page=page, page_size=MAX_PAGE_SIZE))
        for row in found.rows:
            detail = lesion_detail(session, row.id)
            if detail is not None:
                out.append(detail)
        if page >= found.pages:
            return out
        page += 1


def _status_row(item: dict[str, Any]) -> list[Any]:
    p = item.get("probability") or {}
    reasons = " | ".join(r.get("message", "") for r in item.get("reasons", []))
    return [
        item["patient_id"],
        item["lesion_id"],
        item["uid"],
        item["site"],
        item["level"],
        item["treatment"]["date"],
        item["criteria"],
        item["response"],
        item.get("deciding_sequence"),
        item.get("time_to_peak_weeks"),
        item.get("peak_change_mm"),
        item.get("time_to_baseline_weeks"),
        p.get("estimate"),
        p.get("ci_low"),
        p.get("ci_high"),
        item["last_study"],
        item["next_due"],
        item["overdue_days"],
        reasons,
    ]


def _csv(items: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STATUS_COLUMNS)
    for item in items:
        writer.writerow(["" if v is None else v for v in _status_row(item)])
    return buffer.getvalue().encode("utf-8")


def _xlsx(session: Session, items: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.worksheets[0])
    sheet = book.create_sheet("status")
    sheet.append(list(STATUS_COLUMNS))
    for item in items:
        sheet.append(_status_row(item))
    lesions = book.create_sheet("lesions")
    sizes = book.create_sheet("measurements")
    events = book.create_sheet("events")
    evidence = book.create_sheet("evidence")
    header = None
    sizes.append(["lesion_id", "date", "sequence", "size_mm"])
    events.append(["patient_id", "date", "kind", "lesion_id", "detail", "value"])
    evidence.append(["lesion_id", "date", "kind", "value"])
    seen_events: set[int] = set()
    for item in items:
        row = session.get(LesionRow, item["id"])
        if row is None:
            continue
        cells = lesion_cells(lesion_of(row))
        if header is None:
            header = list(cells)
            lesions.append(header)
        lesions.append([cells[c] for c in header])
        for m in item["measurements"]:
            sizes.append([item["lesion_id"], m["date"], m["sequence"], m["size_mm"]])
        for e in item["events"]:
            if e["id"] in seen_events:
                continue
            seen_events.add(e["id"])
            own = item["lesion_id"] if e["lesion_id"] is not None else None
            events.append([item["patient_id"], e["date"], e["kind"], own, e["detail"], e["value"]])
        for e in item["evidence"]:
            value = (
                e["detail"] if e["detail"] else e["flag"] if e["flag"] is not None else e["number"]
            )
            evidence.append([item["lesion_id"], e["date"], e["kind"], value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_response(session: Session, query: WorklistQuery, fmt: ExportFormat) -> Response:
    """The selection as a download in ``fmt``."""
    items = selected(session, query)
    if fmt is ExportFormat.CSV:
        body, media = _csv(items), "text/csv; charset=utf-8"
    elif fmt is ExportFormat.XLSX:
        body = _xlsx(session, items)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = orjson.dumps({"lesions": items}, option=orjson.OPT_INDENT_2)
        media = "application/json"
    name = f"pseudoprog-lesions.{fmt.value}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
