"""The users page of admins: list accounts, add one with a role, deactivate or reactivate one.

Only admins reach it (others get 403); every form carries the session's CSRF token; every
change is written to the audit log (:mod:`pseudoprog.store.users`). Passwords are typed by the
admin once and stored only as argon2 hashes; nothing about them is shown again or logged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pseudoprog.errors import ParameterError
from pseudoprog.store.users import MIN_PASSWORD_LENGTH, Role, add_user, list_users, set_active
from pseudoprog.web.auth import Principal, require
from pseudoprog.web.pages import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def _page(
    request: Request,
    admin: Principal,
    *,
    form: dict[str, Any] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    with request.app.state.database.sessions() as session:
        users = [
            {"id": u.id, "name": u.name, "role": u.role, "active": u.active, "since": u.created_at}
            for u in list_users(session)
        ]
    return render(
        request,
        "users.html",
        {
            "users": users,
            "roles": [r.value for r in Role],
            "form": form or {"values": {"role": Role.VIEWER.value}, "errors": {}},
            "message": message,
            "min_password": MIN_PASSWORD_LENGTH,
        },
        principal=admin,
        status=status,
    )


@router.get("/users")
def users_page(request: Request, admin: Admin) -> Response:
    return _page(request, admin)


def _field_of(message: str) -> str:
    if "password" in message:
        return "password"
    if "role" in message:
        return "role"
    return "name"


@router.post("/users")
def add_user_form(
    request: Request,
    admin: Admin,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    values = {"name": name.strip(), "role": role}
    try:
        chosen = Role.parse(role)
        with request.app.state.database.transaction() as session:
            add_user(session, name.strip(), role=chosen, password=password, by=admin.name)
    except ParameterError as exc:
        form = {"values": values, "errors": {_field_of(str(exc)): str(exc)}}
        return _page(request, admin, form=form, status=422)
    return RedirectResponse("/users?added=1", status_code=303)


def _set_active(request: Request, admin: Principal, user_id: int, *, active: bool) -> Response:
    try:
        with request.app.state.database.transaction() as session:
            set_active(session, user_id, active=active, by=admin.name)
    except ParameterError as exc:
        return _page(request, admin, message=str(exc), status=422)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/deactivate")
def deactivate(request: Request, admin: Admin, user_id: int) -> Response:
    return _set_active(request, admin, user_id, active=False)


@router.post("/users/{user_id}/activate")
def activate(request: Request, admin: Admin, user_id: int) -> Response:
    return _set_active(request, admin, user_id, active=True)
