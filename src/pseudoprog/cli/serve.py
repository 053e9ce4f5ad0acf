"""``pseudoprog serve``, ``pseudoprog db upgrade`` and ``pseudoprog users add``: the web
application, its database schema, and its accounts."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from pseudoprog.cli._common import console, err_console, report_user_errors
from pseudoprog.errors import ParameterError

__all__ = ["app_of_environment", "listening_socket", "register"]

DatabaseOpt = Annotated[
    str,
    typer.Option(
        "--database",
        help="SQLAlchemy URL: sqlite:///FILE.db, or postgresql+psycopg://USER@HOST:PORT/NAME.",
        envvar="PSEUDOPROG_DATABASE",
    ),
]

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts of the web application.", no_args_is_help=True)


@report_user_errors
def serve(
    database: DatabaseOpt = "sqlite:///pseudoprog.db",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    secure_cookies: Annotated[
        bool,
        typer.Option(help="Mark the session cookie Secure (when served over HTTPS)."),
    ] = False,
    access_log: Annotated[
        bool, typer.Option(help="Log each request (method, route, status, time; no ids).")
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (each with its own connections; login throttling by "
            "address is counted per process, by account in the database).",
        ),
    ] = 1,
    pacs_url: Annotated[
        str | None,
        typer.Option(
            "--pacs-url",
            envvar="PSEUDOPROG_PACS_URL",
            help="DICOMweb root of the PACS that editors send a patient's SR to; credentials "
            "in PSEUDOPROG_PACS_USER and PSEUDOPROG_PACS_PASSWORD, or PSEUDOPROG_PACS_TOKEN.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the web application (pages and the API under /api/v1) on DATABASE, bringing its
    schema up to date first."""
    import os

    import uvicorn

    from pseudoprog.store import Database, upgrade
    from pseudoprog.web.app import create_app

    _logging(access_log=access_log)
    if pacs_url:
        _check_pacs(pacs_url)
    sock = listening_socket(host, port)
    err_console.print(f"pseudoprog on http://{host}:{port}/ (database {_shown(database)})")
    # uvicorn's own access log prints query strings, which may name patients: off.
    if workers == 1:
        app = create_app(database, secure_cookies=secure_cookies)
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(uvicorn.Config(app, access_log=False, log_level="warning")).run(
                sockets=[sock]
            )
        return
    db = Database.open(database)
    try:
        upgrade(db)  # once, before the processes start
    finally:
        db.close()
    os.environ[_URL_VARIABLE] = database
    os.environ[_SECURE_VARIABLE] = "1" if secure_cookies else ""
    os.environ[_LOG_VARIABLE] = "1" if access_log else ""
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "pseudoprog.cli.serve:app_of_environment",
        factory=True,
        workers=workers,
        access_log=False,
        log_level="warning",
    )
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()


def _logging(*, access_log: bool) -> None:
    """The access log (``pseudoprog.web``) at INFO when asked for; the schema migrations'
    progress lines (``alembic``) only when something goes wrong."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("pseudoprog.web").setLevel(logging.INFO if access_log else logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def listening_socket(host: str, port: int) -> socket.socket:
    """The listening TCP socket of ``serve`` (shared by the processes of ``--workers N``).

    It is made with its protocol named (``IPPROTO_TCP``), so that asyncio switches Nagle's
    algorithm off on every connection it accepts; on a socket made without it, a response
    written in two parts (headers, then body) on a kept-alive connection waits for the
    client's delayed acknowledgement, about 40 ms.

    Raises
    ------
    ParameterError
        When the address cannot be listened on (in use, or not an address of this machine).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ParameterError(
            f"cannot listen on {host}:{port} ({exc.strerror}); give another --port, or stop "
            "what is using it"
        ) from None
    sock.set_inheritable(True)
    return sock


def _check_pacs(url: str) -> None:
    """Check the PACS settings before serving, and hand the URL to the application (and its
    worker processes) through the environment, where it reads the credentials too."""
    import os

    from pseudoprog.io.dicomweb import ENV_URL, PacsSettings

    os.environ[ENV_URL] = url
    settings = PacsSettings.from_environment()
    if settings is not None:
        err_console.print(f"PACS for the SR push: {settings.url} (authentication {settings.auth})")


_URL_VARIABLE = "PSEUDOPROG_SERVE_DATABASE"
_SECURE_VARIABLE = "PSEUDOPROG_SERVE_SECURE_COOKIES"
_LOG_VARIABLE = "PSEUDOPROG_SERVE_ACCESS_LOG"


def app_of_environment() -> object:
    """The application of one server process started by ``serve --workers N`` (the parent
    passes its options through the environment)."""
    import os

    from pseudoprog.web.app import create_app

    _logging(access_log=bool(os.environ.get(_LOG_VARIABLE)))
    return create_app(
        os.environ[_URL_VARIABLE], secure_cookies=bool(os.environ.get(_SECURE_VARIABLE))
    )


def _shown(url: str) -> str:
    """The URL without a password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unreadable URL is reported by the command itself
        return "?"


@db_app.command("upgrade")
@report_user_errors
def db_upgrade(database: DatabaseOpt = "sqlite:///pseudoprog.db") -> None:
    """Bring the database schema up to date (Alembic migrations packaged with pseudoprog)."""
    from pseudoprog.store import Database, upgrade

    db = Database.open(database)
    try:
        revision = upgrade(db)
    finally:
        db.close()
    console.print(f"Database {_shown(database)} is at revision {revision}")


@db_app.command("import")
@report_user_errors
def db_import(
    database: DatabaseOpt = "sqlite:///pseudoprog.db",
    lesions: Annotated[Path | None, typer.Option(help="Lesions table.")] = None,
    measurements: Annotated[Path | None, typer.Option(help="Measurements table.")] = None,
    events: Annotated[Path | None, typer.Option(help="Events table.")] = None,
    evidence: Annotated[Path | None, typer.Option(help="Evidence table.")] = None,
    workbook: Annotated[Path | None, typer.Option(help="Excel workbook with the tables.")] = None,
    user: Annotated[str, typer.Option(help="Name recorded in the audit log.")] = "(command line)",
) -> None:
    """Import input tables into the database: checked like classify's input, all or nothing;
    rows already stored are skipped."""
    from pseudoprog.store import Database, upgrade
    from pseudoprog.store.imports import ImportFiles, import_tables

    files = ImportFiles(lesions, measurements, events, evidence, workbook)
    db = Database.open(database)
    try:
        upgrade(db)
        with db.transaction() as session:
            result = import_tables(session, files, user=user)
        db.refresh_statistics()
    finally:
        db.close()
    added = ", ".join(f"{n} {k}" for k, n in result.added.items())
    console.print(f"Imported into {_shown(database)}: {added}")


@users_app.command("add")
@report_user_errors
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option(help="viewer (reads), editor (writes) or admin.")],
    database: DatabaseOpt = "sqlite:///pseudoprog.db",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account (the password is asked for, or read from standard input)."""
    from pseudoprog.store import Database, upgrade
    from pseudoprog.store.users import Role, add_user

    parsed = Role.parse(role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise ParameterError("no password given; type one, or pipe it with --password-stdin")
    db = Database.open(database)
    try:
        upgrade(db)
        with db.transaction() as session:
            add_user(session, name, role=parsed, password=password, by="(command line)")
    finally:
        db.close()
    console.print(f"User {name} ({parsed.value}) added")


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``db`` and ``users`` to ``app``."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
