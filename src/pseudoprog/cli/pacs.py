"""``pseudoprog pacs find|pull|push``: query, retrieve and store on a PACS over DICOMweb.

``find`` lists studies, series or instances (QIDO-RS); ``pull`` writes a series into a folder
(WADO-RS) that ``perfusion fit --dce`` reads; ``push`` stores DICOM files (the SR of
``export-sr``, the Parametric Maps of ``perfusion fit --dicom-out``) on the PACS (STOW-RS).

Secrets never go on the command line: the password comes from ``PSEUDOPROG_PACS_PASSWORD``
or standard input, a bearer token from ``PSEUDOPROG_PACS_TOKEN`` or standard input. Exit
codes: 0 done, 2 invalid options or files, 3 the PACS could not be reached, refused the
request or rejected instances (the message names the server, the status and what to do).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import orjson
import typer
from rich.markup import escape

from pseudoprog.cli._common import console, err_console, report_user_errors
from pseudoprog.cli._tables import ColumnSpec, fit_table
from pseudoprog.errors import ParameterError
from pseudoprog.io.atomic import atomic_directory
from pseudoprog.io.dicomweb import (
    ENV_CA_BUNDLE,
    ENV_PASSWORD,
    ENV_TOKEN,
    ENV_URL,
    ENV_USER,
    DicomWeb,
    PacsError,
    PacsMatch,
    PacsQuery,
    PacsRejectedError,
    PacsSettings,
    QueryLevel,
)

__all__ = ["EXIT_PACS", "register"]

#: Exit code when the PACS could not be reached, refused a request or rejected instances.
EXIT_PACS = 3

app = typer.Typer(
    name="pacs",
    help="Query (find), retrieve (pull) and store (push) on a PACS over DICOMweb.",
    no_args_is_help=True,
)

P = ParamSpec("P")
R = TypeVar("R")


def _report_pacs_errors(func: Callable[P, R]) -> Callable[P, R]:
    """A PACS failure is a message and exit code 3, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PacsError as exc:
            err_console.print(f"[bold red]PACS error:[/] {escape(str(exc))}")
            raise typer.Exit(EXIT_PACS) from None

    return wrapper


UrlOpt = Annotated[
    str,
    typer.Option(
        "--url",
        envvar=ENV_URL,
        help="DICOMweb root of the PACS, e.g. http://orthanc:8042/dicom-web.",
        show_default=False,
    ),
]
UserOpt = Annotated[
    str | None,
    typer.Option(
        "--user",
        envvar=ENV_USER,
        help=f"User for HTTP basic authentication; the password is read from {ENV_PASSWORD} "
        "or, with --password-stdin, from standard input.",
        show_default=False,
    ),
]
PasswordStdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input."),
]
TokenStdinOpt = Annotated[
    bool,
    typer.Option(
        "--token-stdin",
        help=f"Read a bearer token from standard input (else from {ENV_TOKEN}, if set).",
    ),
]
CaBundleOpt = Annotated[
    Path | None,
    typer.Option(
        "--ca-bundle",
        envvar=ENV_CA_BUNDLE,
        help="PEM file of the certificate authorities that sign the PACS's certificate.",
        show_default=False,
    ),
]
VerifyOpt = Annotated[
    bool,
    typer.Option(
        "--verify/--no-verify",
        help="Verify the PACS's TLS certificate (--no-verify: for tests only).",
    ),
]
TimeoutOpt = Annotated[
    float,
    typer.Option("--timeout", min=0.1, help="Seconds to wait for the PACS on each request."),
]
RetriesOpt = Annotated[
    int,
    typer.Option(
        "--retries", min=0, max=10, help="Retries when the PACS asks to retry (429, 503, ...)."
    ),
]


def _stdin_secret(what: str) -> str:
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise ParameterError(f"no {what} on standard input; pipe it in, e.g. from a secret file")
    return secret


def _client(
    *,
    url: str,
    user: str | None,
    password_stdin: bool,
    token_stdin: bool,
    ca_bundle: Path | None,
    verify: bool,
    timeout: float,
    retries: int,
) -> DicomWeb:
    """The client of the options (secrets from the environment or standard input)."""
    if password_stdin and token_stdin:
        raise ParameterError("give --password-stdin or --token-stdin, not both")
    password = token = None
    if user is not None:
        password = _stdin_secret("password") if password_stdin else os.environ.get(ENV_PASSWORD)
        if not password:
            raise ParameterError(
                f"--user {user} needs a password: set {ENV_PASSWORD} or pipe it with "
                "--password-stdin"
            )
    elif password_stdin:
        raise ParameterError("--password-stdin needs --user NAME")
    else:
        token = _stdin_secret("token") if token_stdin else os.environ.get(ENV_TOKEN) or None
    if not verify:
        err_console.print(
            "[yellow]Warning:[/] TLS certificate verification is off (--no-verify); use "
            "--ca-bundle on a real network"
        )
    settings = PacsSettings(
        url=url,
        user=user,
        password=password,
        token=token,
        ca_bundle=ca_bundle,
        verify=verify,
        timeout_s=timeout,
        retries=retries,
    )
    return DicomWeb(settings)


class FindFormat(StrEnum):
    """Output formats of ``pacs find``."""

    TABLE = "table"
    JSON = "json"


def _columns(level: QueryLevel) -> list[ColumnSpec]:
    if level is QueryLevel.STUDIES:
        return [
            ColumnSpec("Patient", min_width=8),
            ColumnSpec("Date"),
            ColumnSpec("Modalities", level=1),
            ColumnSpec("Description", wrap=True, level=2),
            ColumnSpec("Series", justify="right", level=1),
            ColumnSpec("Instances", justify="right", level=1),
            ColumnSpec("StudyInstanceUID", min_width=20),
        ]
    if level is QueryLevel.SERIES:
        return [
            ColumnSpec("Patient", min_width=8),
            ColumnSpec("Date", level=1),
            ColumnSpec("Modality"),
            ColumnSpec("#", justify="right", level=2),
            ColumnSpec("Description", wrap=True, level=2),
            ColumnSpec("Instances", justify="right", level=1),
            ColumnSpec("SeriesInstanceUID", min_width=20),
        ]
    return [
        ColumnSpec("Patient", min_width=8, level=1),
        ColumnSpec("Modality"),
        ColumnSpec("SOP class", wrap=True, level=1),
        ColumnSpec("#", justify="right", level=2),
        ColumnSpec("SeriesInstanceUID", min_width=20, level=2),
        ColumnSpec("SOPInstanceUID", min_width=20),
    ]


def _row(match: PacsMatch) -> list[str]:
    def text(value: object) -> str:
        return "-" if value in (None, "") else escape(str(value))

    modality = match.modalities[0] if match.modalities else ""
    if match.level is QueryLevel.STUDIES:
        return [
            text(match.patient_id),
            text(match.study_date),
            text(", ".join(match.modalities)),
            text(match.study_description),
            text(match.series),
            text(match.instances),
            text(match.study_uid),
        ]
    if match.level is QueryLevel.SERIES:
        return [
            text(match.patient_id),
            text(match.study_date),
            text(modality),
            text(match.series_number),
            text(match.series_description),
            text(match.instances),
            text(match.series_uid),
        ]
    return [
        text(match.patient_id),
        text(modality),
        text(match.sop_class),
        text(match.instance_number),
        text(match.series_uid),
        text(match.sop_instance_uid),
    ]


@app.command("find")
@report_user_errors
@_report_pacs_errors
def find(
    url: UrlOpt,
    level: Annotated[
        QueryLevel, typer.Option("--level", case_sensitive=False, help="What to list.")
    ] = QueryLevel.SERIES,
    patient_id: Annotated[
        str | None, typer.Option("--patient-id", help="PatientID to match.", show_default=False)
    ] = None,
    modality: Annotated[
        str | None,
        typer.Option("--modality", help="Modality, e.g. MR, SR, OT.", show_default=False),
    ] = None,
    study_date: Annotated[
        str | None,
        typer.Option(
            "--study-date",
            help="YYYY-MM-DD, or a range FROM..TO (an end may be left open).",
            show_default=False,
        ),
    ] = None,
    study_uid: Annotated[
        str | None, typer.Option("--study-uid", help="StudyInstanceUID.", show_default=False)
    ] = None,
    series_uid: Annotated[
        str | None, typer.Option("--series-uid", help="SeriesInstanceUID.", show_default=False)
    ] = None,
    sop_class: Annotated[
        str | None,
        typer.Option(
            "--sop-class",
            help="SOPClassUID (with --level instances), e.g. 1.2.840.10008.5.1.4.1.1.30 for "
            "Parametric Maps.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most results to list.")] = 100,
    output_format: Annotated[
        FindFormat, typer.Option("--format", case_sensitive=False, help="Output format.")
    ] = FindFormat.TABLE,
    user: UserOpt = None,
    password_stdin: PasswordStdinOpt = False,
    token_stdin: TokenStdinOpt = False,
    ca_bundle: CaBundleOpt = None,
    verify: VerifyOpt = True,
    timeout: TimeoutOpt = 30.0,
    retries: RetriesOpt = 2,
) -> None:
    """List the studies, series or instances on the PACS that match the filters."""
    query = PacsQuery(
        level=level,
        patient_id=patient_id,
        modality=modality.upper() if modality else None,
        study_date=study_date,
        study_uid=study_uid,
        series_uid=series_uid,
        sop_class_uid=sop_class,
        limit=limit,
    )
    client = _client(
        url=url,
        user=user,
        password_stdin=password_stdin,
        token_stdin=token_stdin,
        ca_bundle=ca_bundle,
        verify=verify,
        timeout=timeout,
        retries=retries,
    )
    found = client.find(query)
    if output_format is FindFormat.JSON:
        document = {
            "url": client.url,
            "level": level.value,
            "filters": query.filters(),
            "matches": [m.to_dict() for m in found],
        }
        sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
        return
    if not found:
        console.print(f"No {level.value} on {escape(client.url)} match {query.filters() or '-'}")
        return
    title = f"{len(found)} {level.value} on {client.url}"
    console.print(
        fit_table(
            _columns(level),
            [_row(m) for m in found],
            width=console.width,
            title=escape(title),
            hint="use --format json",
        )
    )
    if len(found) == limit:
        err_console.print(f"[yellow]Note:[/] the first {limit} shown; more may match (--limit)")


def _empty_or_new(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ParameterError(
            f"--output {folder} exists and is not an empty folder; pull into a new folder "
            "(one series per folder is what perfusion fit --dce reads)"
        )


@app.command("pull")
@report_user_errors
@_report_pacs_errors
def pull(
    url: UrlOpt,
    series_uid: Annotated[
        str, typer.Option("--series-uid", help="SeriesInstanceUID of the series to retrieve.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="New folder to write the files into.")
    ],
    study_uid: Annotated[
        str | None,
        typer.Option(
            "--study-uid",
            help="Its StudyInstanceUID (found by a query if not given).",
            show_default=False,
        ),
    ] = None,
    user: UserOpt = None,
    password_stdin: PasswordStdinOpt = False,
    token_stdin: TokenStdinOpt = False,
    ca_bundle: CaBundleOpt = None,
    verify: VerifyOpt = True,
    timeout: TimeoutOpt = 30.0,
    retries: RetriesOpt = 2,
) -> None:
    """Retrieve a series into a new folder, e.g. for 'perfusion fit --dce FOLDER'."""
    PacsQuery(series_uid=series_uid, study_uid=study_uid)  # checks the UIDs
    _empty_or_new(output)
    client = _client(
        url=url,
        user=user,
        password_stdin=password_stdin,
        token_stdin=token_stdin,
        ca_bundle=ca_bundle,
        verify=verify,
        timeout=timeout,
        retries=retries,
    )
    with atomic_directory(output) as staging:
        written = client.retrieve_series(series_uid, staging, study_uid=study_uid)
    err_console.print(f"Retrieved {len(written)} instances of series {series_uid} into {output}")


def _dicom_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ParameterError(f"not found: {', '.join(missing)}; give DICOM files or folders")
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not p.name.startswith(".") and p.name.upper() != "DICOMDIR"
            )
        else:
            files.append(path)
    if not files:
        raise ParameterError(f"no files in {', '.join(map(str, paths))}; nothing to push")
    return files


@app.command("push")
@report_user_errors
@_report_pacs_errors
def push(
    paths: Annotated[
        list[Path],
        typer.Argument(help="DICOM files, or folders of them (searched recursively)."),
    ],
    url: UrlOpt,
    user: UserOpt = None,
    password_stdin: PasswordStdinOpt = False,
    token_stdin: TokenStdinOpt = False,
    ca_bundle: CaBundleOpt = None,
    verify: VerifyOpt = True,
    timeout: TimeoutOpt = 30.0,
    retries: RetriesOpt = 2,
) -> None:
    """Store DICOM files on the PACS (SR of export-sr, maps of perfusion fit --dicom-out)."""
    files = _dicom_files(paths)
    client = _client(
        url=url,
        user=user,
        password_stdin=password_stdin,
        token_stdin=token_stdin,
        ca_bundle=ca_bundle,
        verify=verify,
        timeout=timeout,
        retries=retries,
    )
    try:
        result = client.store_files(files)
    except PacsRejectedError as exc:
        for warning in exc.result.warnings:
            err_console.print(f"[yellow]Warning:[/] {escape(warning)}")
        raise
    for warning in result.warnings:
        err_console.print(f"[yellow]Warning:[/] {escape(warning)}")
    err_console.print(f"Stored {len(result.stored)} instances on {escape(client.url)}")


def register(root: typer.Typer) -> None:
    """Add the ``pacs`` command group to ``root``."""
    root.add_typer(app)
