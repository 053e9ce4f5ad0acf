"""Server-rendered pages: login, worklist, patient, lesion (plot, status, assessment, forms,
history), import and export.

Pages work without JavaScript and from the keyboard; every form that writes carries the
session's CSRF token; a form with errors comes back with each error beside its field and the
user's input kept.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from pseudoprog.criteria import registry
from pseudoprog.domain import EventKind, ResponseCategory, Sequence, Site
from pseudoprog.evidence.features import EvidenceFeature
from pseudoprog.store.detail import lesion_detail, patient_detail
from pseudoprog.store.edits import FIELDS, Kind, NotFoundError, StaleEditError, delete_row, save_row
from pseudoprog.store.users import LoginLockedError, Role, authenticate
from pseudoprog.store.validation import FormError
from pseudoprog.store.worklist import SORT_KEYS, SortOrder, WorklistQuery, worklist
from pseudoprog.web.api import RowKind, run_import
from pseudoprog.web.auth import SESSION_COOKIE, Principal, close_session, open_session, require
from pseudoprog.web.export import ExportFormat, export_response
from pseudoprog.web.plot import size_plot_svg

__all__ = ["PageQuery", "error_page", "render", "router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Editor = Annotated[Principal, Depends(require(Role.EDITOR))]

_LOGIN_CSRF = "pseudoprog_login"
_PAGE_SIZE = 50


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    principal: Principal | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The template ``name`` with ``context`` and what every page shows of the user."""
    context = {
        "user": principal,
        "csrf": None if principal is None else principal.csrf_token,
        "can_write": principal is not None and principal.role.can_write,
        "can_manage_users": principal is not None and principal.role.can_manage_users,
        **context,
    }
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A page that says what went wrong and what to do."""
    principal = getattr(request.state, "principal", None)
    return render(
        request,
        "error.html",
        {"status": status, "message": message},
        principal=principal,
        status=status,
    )


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/worklist"


@router.get("/login")
def login_form(request: Request, next: str = "/worklist") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next": _safe_next(next), "login_csrf": token})
    response.set_cookie(
        _LOGIN_CSRF,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.secure_cookies,
        max_age=3600,
    )
    return response


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/worklist",
) -> Response:
    expected = request.cookies.get(_LOGIN_CSRF, "")
    target = _safe_next(next)

    def again(message: str, status: int) -> Response:
        token = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            {"next": target, "login_csrf": token, "error": message, "username": username},
            status=status,
        )
        response.set_cookie(
            _LOGIN_CSRF,
            token,
            httponly=True,
            samesite="strict",
            secure=request.app.state.secure_cookies,
            max_age=3600,
        )
        return response

    if not expected or not hmac.compare_digest(expected, csrf_token):
        return again("the login form expired; log in again", 403)
    throttle = request.app.state.login_throttle
    address = request.client.host if request.client else "?"
    if throttle.blocked(address):
        return again("too many failed logins from this computer; wait 15 minutes", 429)
    with request.app.state.database.transaction() as session:
        try:
            user = authenticate(session, username, password)
        except LoginLockedError as exc:
            return again(str(exc), 429)
        if user is None:
            throttle.failed(address)
            secret = None
        else:
            throttle.succeeded(address)
            secret, _ = open_session(session, user)
    if secret is None:
        return again("wrong user name or password", 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
        path="/",
    )
    response.delete_cookie(_LOGIN_CSRF)
    return response


@router.post("/logout")
def logout(request: Request, _user: Viewer) -> Response:
    with request.app.state.database.transaction() as session:
        close_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(_user: Viewer) -> Response:
    return RedirectResponse("/worklist", status_code=303)


def _page_query(
    response: str = "",
    site: str = "",
    patient: str = "",
    criteria: str = "",
    overdue: str = "",
    sort: str = "patient",
    order: str = "asc",
    page: int = 1,
) -> WorklistQuery:
    return WorklistQuery(
        response=response if response.upper() in ResponseCategory.__members__ else "",
        site=site if site in {s.value for s in Site} else "",
        patient=patient.strip(),
        criteria=criteria if criteria in registry.REGISTRY else "",
        overdue=overdue in {"1", "on", "true"},
        sort=sort if sort in SORT_KEYS else "patient",
        order=SortOrder.DESC if order == "desc" else SortOrder.ASC,
        page=max(1, page),
        page_size=_PAGE_SIZE,
    )


PageQuery = Annotated[WorklistQuery, Depends(_page_query)]


@router.get("/worklist")
def worklist_page(request: Request, user: Viewer, query: PageQuery) -> Response:
    with request.app.state.database.sessions() as session:
        found = worklist(session, query)
    filters = query.filters()

    def link(**change: Any) -> str:
        params = {**filters, "sort": query.sort, "order": query.order.value, "page": query.page}
        params.update(change)
        return "/worklist?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    def sort_link(key: str) -> str:
        flip = "desc" if query.sort == key and query.order is SortOrder.ASC else "asc"
        return link(sort=key, order=flip, page=1)

    export = {f.value: "/export?" + urlencode({**filters, "format": f.value}) for f in ExportFormat}
    return render(
        request,
        "worklist.html",
        {
            "list": found,
            "query": query,
            "link": link,
            "sort_link": sort_link,
            "responses": [c.value for c in ResponseCategory],
            "sites": [s.value for s in Site],
            "criteria_names": [
                n for n, c in registry.REGISTRY.items() if c.kind is registry.CriteriaKind.LESION
            ],
            "export": export,
        },
        principal=user,
    )


@router.get("/patients/{patient_id}")
def patient_page(request: Request, user: Viewer, patient_id: int) -> Response:
    with request.app.state.database.sessions() as session:
        found = patient_detail(session, patient_id)
    if found is None:
        return error_page(request, 404, f"patient {patient_id} does not exist")
    from pseudoprog.web.interop import pacs_configured

    context = {"patient": found, "pacs_configured": pacs_configured(request)}
    return render(request, "patient.html", context, principal=user)


def _choices() -> dict[str, list[str]]:
    return {
        "sequences": [s.value for s in Sequence],
        "event_kinds": [k.value for k in EventKind],
        "evidence_kinds": [k.value for k in EvidenceFeature],
    }


def _lesion_page(
    request: Request,
    user: Principal,
    lesion_id: int,
    *,
    forms: dict[str, Any] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    with request.app.state.database.sessions() as session:
        found = lesion_detail(session, lesion_id)
    if found is None:
        return error_page(request, 404, f"lesion {lesion_id} does not exist")
    return render(
        request,
        "lesion.html",
        {
            "lesion": found,
            "forms": forms or {},
            "message": message,
            "fields": {k.value: v for k, v in FIELDS.items()},
            **_choices(),
        },
        principal=user,
        status=status,
    )


@router.get("/lesions/{lesion_id}")
def lesion_page(request: Request, user: Viewer, lesion_id: int) -> Response:
    return _lesion_page(request, user, lesion_id)


@router.get("/lesions/{lesion_id}/plot.svg")
def lesion_plot(request: Request, _user: Viewer, lesion_id: int) -> Response:
    with request.app.state.database.sessions() as session:
        found = lesion_detail(session, lesion_id)
    if found is None:
        return error_page(request, 404, f"lesion {lesion_id} does not exist")
    error = None
    if found["criteria"]:
        params = registry.get(found["criteria"]).default_parameters()
        error = getattr(params, "error_mm", None)
    from datetime import date

    body = size_plot_svg(
        treated=date.fromisoformat(found["treatment"]["date"]),
        measurements=found["measurements"],
        per_sequence=found.get("per_sequence", {}),
        error_mm=error,
        title=f"Size over time ({found['criteria'] or 'no criteria'})",
    )
    return Response(body, media_type="image/svg+xml")


async def _form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


@router.post("/lesions/{lesion_id}/{kind}")
async def add_row_page(request: Request, user: Editor, lesion_id: int, kind: RowKind) -> Response:
    values = await _form_values(request)
    return await _save(request, user, lesion_id, kind, values, row_id=None)


@router.post("/lesions/{lesion_id}/{kind}/{row_id}")
async def edit_row_page(
    request: Request, user: Editor, lesion_id: int, kind: RowKind, row_id: int
) -> Response:
    values = await _form_values(request)
    return await _save(request, user, lesion_id, kind, values, row_id=row_id)


async def _save(
    request: Request,
    user: Principal,
    lesion_id: int,
    kind: RowKind,
    values: dict[str, str],
    *,
    row_id: int | None,
) -> Response:
    from starlette.concurrency import run_in_threadpool

    version = values.pop("version", None)

    def work() -> None:
        with request.app.state.database.transaction() as session:
            save_row(
                session,
                kind.kind,
                lesion_id=lesion_id,
                values=values,
                user=user.name,
                row_id=row_id,
                version=int(version) if version and version.isdigit() else None,
            )

    key = kind.value if row_id is None else f"{kind.value}-{row_id}"
    try:
        await run_in_threadpool(work)
    except FormError as exc:
        form = {"values": values, "errors": exc.fields, "general": exc.general}
        return _lesion_page(request, user, lesion_id, forms={key: form}, status=422)
    except StaleEditError as exc:
        return _lesion_page(request, user, lesion_id, message=str(exc), status=409)
    except NotFoundError as exc:
        return error_page(request, 404, str(exc))
    return RedirectResponse(f"/lesions/{lesion_id}#{kind.value}", status_code=303)


@router.post("/lesions/{lesion_id}/{kind}/{row_id}/delete")
async def delete_row_page(
    request: Request, user: Editor, lesion_id: int, kind: RowKind, row_id: int
) -> Response:
    from starlette.concurrency import run_in_threadpool

    values = await _form_values(request)
    version = values.get("version", "")

    def work() -> None:
        with request.app.state.database.transaction() as session:
            delete_row(
                session,
                kind.kind,
                lesion_id=lesion_id,
                row_id=row_id,
                version=int(version) if version.isdigit() else -1,
                user=user.name,
            )

    try:
        await run_in_threadpool(work)
    except FormError as exc:
        return _lesion_page(request, user, lesion_id, message=exc.text(), status=422)
    except StaleEditError as exc:
        return _lesion_page(request, user, lesion_id, message=str(exc), status=409)
    except NotFoundError as exc:
        return error_page(request, 404, str(exc))
    return RedirectResponse(f"/lesions/{lesion_id}#{kind.value}", status_code=303)


@router.get("/lesions/{lesion_id}/{kind}/{row_id}/edit")
def edit_form(
    request: Request, user: Editor, lesion_id: int, kind: RowKind, row_id: int
) -> Response:
    with request.app.state.database.sessions() as session:
        found = lesion_detail(session, lesion_id)
    if found is None:
        return error_page(request, 404, f"lesion {lesion_id} does not exist")
    row = next((r for r in found[kind.value] if r["id"] == row_id), None)
    if row is None:
        return error_page(request, 404, f"{kind.kind.value} {row_id} is not on this lesion")
    values = _edit_values(kind.kind, row)
    return render(
        request,
        "edit.html",
        {
            "lesion": found,
            "kind": kind.value,
            "row": row,
            "form": {"values": values, "errors": {}, "general": []},
            "fields": FIELDS[kind.kind],
            **_choices(),
        },
        principal=user,
    )


def _edit_values(kind: Kind, row: dict[str, Any]) -> dict[str, str]:
    def text(value: Any) -> str:
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    if kind is Kind.EVIDENCE:
        value = row["detail"] or (
            ("true" if row["flag"] else "false") if row["flag"] is not None else text(row["number"])
        )
        return {"date": row["date"], "kind": row["kind"], "value": value}
    if kind is Kind.EVENT:
        return {
            "date": row["date"],
            "kind": row["kind"],
            "detail": text(row["detail"]),
            "value": text(row["value"]),
            "lesion_only": "1" if row["lesion_id"] is not None else "",
        }
    return {"date": row["date"], "sequence": row["sequence"], "size_mm": text(row["size_mm"])}


@router.get("/import")
def import_form(request: Request, user: Editor) -> Response:
    return render(
        request, "import.html", {"sequences": [s.value for s in Sequence]}, principal=user
    )


@router.post("/import")
def import_upload(
    request: Request,
    user: Editor,
    lesions: UploadFile | None = None,
    measurements: UploadFile | None = None,
    events: UploadFile | None = None,
    evidence: UploadFile | None = None,
    workbook: UploadFile | None = None,
    sr: list[UploadFile] | None = None,
    sr_sequence: Annotated[Sequence, Form()] = Sequence.T1,
) -> Response:
    import orjson

    uploads = {
        "lesions": lesions,
        "measurements": measurements,
        "events": events,
        "evidence": evidence,
        "workbook": workbook,
    }
    answer = run_import(request, user.name, uploads, sr, sr_sequence)
    outcome = orjson.loads(answer.body)
    return render(
        request,
        "import.html",
        {
            "outcome": outcome,
            "ok": answer.status_code == 201,
            "sequences": [s.value for s in Sequence],
        },
        principal=user,
        status=200 if answer.status_code == 201 else 422,
    )


@router.get("/export")
def export_page(
    request: Request,
    _user: Viewer,
    query: PageQuery,
    format: str = "csv",
) -> Response:
    fmt = ExportFormat(format) if format in {f.value for f in ExportFormat} else ExportFormat.CSV
    with request.app.state.database.sessions() as session:
        return export_response(session, query, fmt)
