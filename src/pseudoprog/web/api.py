"""The JSON API under ``/api/v1`` (and its OpenAPI description at ``/openapi.json``).

Authentication: ``POST /api/v1/token`` with the OAuth2 password form gives a bearer token;
every other route needs it (or a browser session, with ``X-CSRF-Token`` on writes). Viewers
read; editors also import and edit; admins also manage users.
"""

from __future__ import annotations

import re
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from pseudoprog.domain import Sequence as MrSequence
from pseudoprog.errors import InputValidationError, ParameterError, Problem
from pseudoprog.store.detail import lesion_detail, patient_detail, summaries
from pseudoprog.store.edits import Kind, NotFoundError, StaleEditError, delete_row, save_row
from pseudoprog.store.imports import ImportFiles, import_tables
from pseudoprog.store.models import ImportRow, UserRow
from pseudoprog.store.users import LoginLockedError, Role, add_user, authenticate
from pseudoprog.store.validation import FormError
from pseudoprog.store.worklist import SortOrder, WorklistQuery, worklist
from pseudoprog.web.auth import Principal, authenticated, issue_api_token, require
from pseudoprog.web.export import ExportFormat, export_response

__all__ = ["router", "save_upload"]

router = APIRouter(prefix="/api/v1", tags=["api"])
schema_router = APIRouter()

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Editor = Annotated[Principal, Depends(require(Role.EDITOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

#: Imports adding at least this many rows refresh the database's planner statistics.
BULK_ROWS = 1000

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class RowKind(StrEnum):
    """The rows of a lesion that are edited one by one, as named in URLs."""

    MEASUREMENTS = "measurements"
    EVENTS = "events"
    EVIDENCE = "evidence"

    @property
    def kind(self) -> Kind:
        return {"measurements": Kind.MEASUREMENT, "events": Kind.EVENT}.get(
            self.value, Kind.EVIDENCE
        )


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


class UserIn(BaseModel):
    name: str
    role: Role
    password: str


def _db(request: Request) -> Any:
    return request.app.state.database


def problem_dicts(problems: tuple[Problem, ...], folder: str | None = None) -> list[dict[str, Any]]:
    """Problems as JSON objects (the temporary folder of uploads left out of file names)."""
    out = []
    for p in problems:
        source = p.source if folder is None else p.source.replace(folder + "/", "")
        out.append(
            {
                "source": source,
                "row": p.row,
                "column": p.column,
                "value": p.value,
                "message": p.message,
                "expected": p.expected,
                "text": str(p).replace(folder + "/", "") if folder else str(p),
            }
        )
    return out


@router.post("/token", response_model=TokenOut)
def token(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Any:
    """A bearer token for the OAuth2 password form (``username``, ``password``)."""
    throttle = request.app.state.login_throttle
    address = request.client.host if request.client else "?"
    if throttle.blocked(address):
        raise HTTPException(429, "too many failed logins from this address; wait 15 minutes")
    with _db(request).transaction() as session:
        try:
            user = authenticate(session, username, password)
        except LoginLockedError as exc:
            raise HTTPException(429, str(exc)) from None
        if user is None:
            throttle.failed(address)
        else:
            throttle.succeeded(address)
            secret, lifetime = issue_api_token(session, user)
    if user is None:
        raise HTTPException(401, "wrong user name or password", {"WWW-Authenticate": "Bearer"})
    return TokenOut(access_token=secret, token_type="bearer", expires_in=lifetime)


@router.get("/me")
def me(principal: Viewer) -> dict[str, Any]:
    """The authenticated user."""
    return {"name": principal.name, "role": principal.role.value}


def worklist_query(
    response: str = "",
    site: str = "",
    patient: str = "",
    criteria: str = "",
    overdue: bool = False,
    sort: str = "patient",
    order: SortOrder = SortOrder.ASC,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> WorklistQuery:
    """The worklist's filters, sort and page from URL parameters."""
    try:
        return WorklistQuery(
            response=response,
            site=site,
            patient=patient,
            criteria=criteria,
            overdue=overdue,
            sort=sort,
            order=order,
            page=page,
            page_size=page_size,
        )
    except ParameterError as exc:
        raise HTTPException(422, str(exc)) from None


Selection = Annotated[WorklistQuery, Depends(worklist_query)]


def json_response(content: Any) -> Response:
    """``content`` (plain dicts, lists, strings, numbers, dates) as JSON, serialised by orjson
    in one step (the most read routes skip FastAPI's generic encoder)."""
    return Response(orjson.dumps(content), media_type="application/json")


@router.get("/lesions", response_model=dict[str, Any])
def lesions(request: Request, _user: Viewer, query: Selection) -> Response:
    """Lesions with their status (the classify fields), filtered, sorted and paged."""
    with _db(request).sessions() as session:
        found = worklist(session, query)
        items = summaries(session, [r.id for r in found.rows])
    return json_response(
        {
            "total": found.total,
            "page": query.page,
            "pages": found.pages,
            "counts": found.counts,
            "lesions": items,
        }
    )


@router.get("/lesions/{lesion_id}", response_model=dict[str, Any])
def lesion(request: Request, _user: Viewer, lesion_id: int) -> Response:
    """One lesion: status, assessment, measurements, events, evidence and edit history."""
    with _db(request).sessions() as session:
        found = lesion_detail(session, lesion_id)
    if found is None:
        raise HTTPException(404, f"lesion {lesion_id} does not exist")
    return json_response(found)


def _row_values(body: dict[str, Any]) -> tuple[dict[str, str], int | None]:
    version = body.get("version")
    values = {
        k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in body.items()
        if k != "version"
    }
    return values, None if version is None else int(version)


def _edit_errors(exc: FormError) -> JSONResponse:
    return JSONResponse(
        {"detail": exc.text(), "fields": exc.fields, "problems": exc.general}, status_code=422
    )


def _stale(exc: StaleEditError) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "current": exc.current}, status_code=409)


@router.post("/lesions/{lesion_id}/{kind}", status_code=201)
def add_row(
    request: Request,
    user: Editor,
    lesion_id: int,
    kind: RowKind,
    body: Annotated[dict[str, Any], Body()],
) -> Any:
    """Add a measurement, event or evidence row (the columns of its input table)."""
    values, _ = _row_values(body)
    try:
        with _db(request).transaction() as session:
            return save_row(session, kind.kind, lesion_id=lesion_id, values=values, user=user.name)
    except FormError as exc:
        return _edit_errors(exc)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None


@router.put("/lesions/{lesion_id}/{kind}/{row_id}")
def edit_row(
    request: Request,
    user: Editor,
    lesion_id: int,
    kind: RowKind,
    row_id: int,
    body: Annotated[dict[str, Any], Body()],
) -> Any:
    """Edit a row; ``version`` must be the version read (409 otherwise, nothing changed)."""
    values, version = _row_values(body)
    try:
        with _db(request).transaction() as session:
            return save_row(
                session,
                kind.kind,
                lesion_id=lesion_id,
                values=values,
                user=user.name,
                row_id=row_id,
                version=version,
            )
    except FormError as exc:
        return _edit_errors(exc)
    except StaleEditError as exc:
        return _stale(exc)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None


@router.delete("/lesions/{lesion_id}/{kind}/{row_id}", status_code=204)
def remove_row(
    request: Request,
    user: Editor,
    lesion_id: int,
    kind: RowKind,
    row_id: int,
    version: int,
) -> Response:
    """Delete a row at the version read (409 when it changed since)."""
    try:
        with _db(request).transaction() as session:
            delete_row(
                session,
                kind.kind,
                lesion_id=lesion_id,
                row_id=row_id,
                version=version,
                user=user.name,
            )
    except FormError as exc:
        return _edit_errors(exc)
    except StaleEditError as exc:
        return _stale(exc)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(status_code=204)


@router.get("/patients/{patient_id}")
def patient(request: Request, _user: Viewer, patient_id: int) -> dict[str, Any]:
    """A patient's lesions (with status) and events."""
    with _db(request).sessions() as session:
        found = patient_detail(session, patient_id)
    if found is None:
        raise HTTPException(404, f"patient {patient_id} does not exist")
    return found


def save_upload(upload: UploadFile | None, folder: Path, table: str) -> Path | None:
    """Write an uploaded file into ``folder`` under its own (sanitised) name."""
    if upload is None or not upload.filename:
        return None
    name = _SAFE_NAME.sub("_", Path(upload.filename).name).strip("._") or table
    target = folder / table
    target.mkdir()
    path = target / name
    with path.open("wb") as handle:
        while block := upload.file.read(1 << 20):
            handle.write(block)
    return path


def run_import(
    request: Request,
    user: str,
    uploads: dict[str, UploadFile | None],
    reports: list[UploadFile] | None = None,
    sr_sequence: MrSequence = MrSequence.T1,
) -> Any:
    """Store the uploaded tables and DICOM SR ``reports`` (201 with counts) or list every
    problem (422, nothing stored)."""
    with tempfile.TemporaryDirectory(prefix="pseudoprog-import-") as tmp:
        folder = Path(tmp)
        paths = {k: save_upload(v, folder, k) for k, v in uploads.items()}
        saved = [save_upload(u, folder, f"sr-{i}") for i, u in enumerate(reports or [], 1)]
        sr = tuple(p for p in saved if p is not None)
        files = ImportFiles(**paths, sr=sr, sr_sequence=sr_sequence)
        try:
            with _db(request).transaction() as session:
                result = import_tables(session, files, user=user)
            if sum(result.added.values()) >= BULK_ROWS:
                _db(request).refresh_statistics()
        except InputValidationError as exc:
            problems = []
            for p in problem_dicts(exc.problems, tmp):
                for table in uploads:
                    p["source"] = p["source"].replace(f"{table}/", "")
                    p["text"] = p["text"].replace(f"{table}/", "")
                problems.append(p)
            return JSONResponse(
                {"detail": f"{len(problems)} problems; nothing was stored", "problems": problems},
                status_code=422,
            )
    return JSONResponse(result.to_dict(), status_code=201)


@router.post("/imports", status_code=201)
def imports(
    request: Request,
    user: Editor,
    lesions: UploadFile | None = None,
    measurements: UploadFile | None = None,
    events: UploadFile | None = None,
    evidence: UploadFile | None = None,
    workbook: UploadFile | None = None,
    sr: list[UploadFile] | None = None,
    sr_sequence: Annotated[MrSequence, Form()] = MrSequence.T1,
) -> Any:
    """Import CSV tables (``lesions``, ``measurements``, ``events``, ``evidence``) or one
    Excel ``workbook``: all or nothing; the same files twice add nothing. DICOM SR reports
    (``sr``, one or more TID 1500 files) may stand for the measurements table, their lengths
    without an MR sequence taken as ``sr_sequence``."""
    uploads = {
        "lesions": lesions,
        "measurements": measurements,
        "events": events,
        "evidence": evidence,
        "workbook": workbook,
    }
    return run_import(request, user.name, uploads, sr, sr_sequence)


@router.get("/imports")
def import_list(request: Request, _user: Viewer) -> list[dict[str, Any]]:
    """Past imports, newest first: who, when, files (with SHA-256) and what they added."""
    with _db(request).sessions() as session:
        rows = session.scalars(select(ImportRow).order_by(ImportRow.id.desc()).limit(200))
        return [
            {
                "id": r.id,
                "user": r.user_name,
                "at": r.at.isoformat(),
                "files": r.files,
                "added": r.added,
            }
            for r in rows
        ]


@router.get("/export")
def export(
    request: Request,
    _user: Viewer,
    query: Selection,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """The selected lesions as CSV (status), Excel (status and the input tables) or JSON."""
    with _db(request).sessions() as session:
        return export_response(session, query, format)


@router.get("/users")
def users(request: Request, _user: Admin) -> list[dict[str, Any]]:
    """Accounts (admins only)."""
    with _db(request).sessions() as session:
        rows = session.scalars(select(UserRow).order_by(UserRow.name))
        return [{"name": u.name, "role": u.role, "active": u.active} for u in rows]


@router.post("/users", status_code=201)
def create_user(request: Request, user: Admin, body: UserIn) -> dict[str, Any]:
    """Create an account (admins only)."""
    try:
        with _db(request).transaction() as session:
            add_user(session, body.name, role=body.role, password=body.password, by=user.name)
    except ParameterError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"name": body.name, "role": body.role.value}


@schema_router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _user: Annotated[Principal, Depends(authenticated)]) -> Any:
    """The OpenAPI description of the API (for authenticated users)."""
    return request.app.openapi()
