"""A patient's results as DICOM SR and FHIR, and a push of the SR to the hospital's PACS.

- ``GET /api/v1/patients/{id}/sr`` (viewers): a zip of ``<patient>/<date>.dcm``, one TID 1500
  report per study date, as ``pseudoprog export-sr`` writes them;
- ``GET /api/v1/patients/{id}/fhir`` (viewers): the patient's FHIR R4 Bundle, as
  ``pseudoprog export-fhir`` writes it;
- ``POST /api/v1/patients/{id}/pacs`` and the patient page's button ``POST
  /patients/{id}/pacs`` (editors): the same reports stored on the PACS configured for the
  server (``serve --pacs-url``, ``PSEUDOPROG_PACS_URL`` and the other ``PSEUDOPROG_PACS_*``
  variables; :meth:`~pseudoprog.io.dicomweb.PacsSettings.from_environment`) over DICOMweb
  STOW-RS, with an audit entry of what was stored.

The reports and bundles come from :func:`~pseudoprog.store.patient_results.patient_results`
and the exporters of the command line; nothing is computed here.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from pseudoprog.errors import ParameterError
from pseudoprog.io.dicomweb import (
    ENV_URL,
    DicomWeb,
    PacsError,
    PacsRejectedError,
    PacsSettings,
    StoreResult,
    shown_url,
)
from pseudoprog.store.audit import Action, record
from pseudoprog.store.detail import patient_detail
from pseudoprog.store.patient_results import PatientResults, patient_results
from pseudoprog.store.users import Role
from pseudoprog.web.auth import Principal, require

__all__ = ["PushOutcome", "pacs_configured", "pacs_settings", "push_reports", "router"]

router = APIRouter()

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Editor = Annotated[Principal, Depends(require(Role.EDITOR))]

NO_PACS = (
    "no PACS is configured for this server: start it with --pacs-url URL (or set "
    f"{ENV_URL}), with the credentials in PSEUDOPROG_PACS_USER and PSEUDOPROG_PACS_PASSWORD "
    "or PSEUDOPROG_PACS_TOKEN"
)


def _version() -> str:
    import pseudoprog

    return str(getattr(pseudoprog, "__version__", "") or "0")


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text) or "patient"


def pacs_settings(request: Request) -> PacsSettings | None:
    """The PACS of the server (``app.state.pacs``, else the environment), or ``None``.

    Raises
    ------
    ParameterError
        When the environment's settings are incomplete or wrong.
    """
    given = getattr(request.app.state, "pacs", None)
    if isinstance(given, PacsSettings):
        return given
    return PacsSettings.from_environment()


def pacs_configured(request: Request) -> bool:
    """Whether the server has a PACS to push to (wrong settings count: the push says why)."""
    try:
        return pacs_settings(request) is not None
    except ParameterError:
        return True


def _results(request: Request, patient_id: int) -> PatientResults:
    with request.app.state.database.sessions() as session:
        found = patient_results(session, patient_id)
    if found is None:
        raise HTTPException(404, f"patient {patient_id} does not exist")
    if not found.studies:
        raise HTTPException(404, f"patient {found.patient_id} has no measurement to export")
    return found


@router.get("/api/v1/patients/{patient_id}/sr", response_class=Response)
def patient_sr(request: Request, _user: Viewer, patient_id: int) -> Response:
    """The patient's DICOM SR reports (TID 1500), one per study date, in a zip."""
    from pseudoprog.io.dicom_sr import report_files

    found = _results(request, patient_id)
    files = report_files(
        found.studies, software_version=_version(), tracking_uids=found.tracking_uids
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    name = f"{_safe(found.patient_id)}-sr.zip"
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/v1/patients/{patient_id}/fhir", response_class=Response)
def patient_fhir(request: Request, _user: Viewer, patient_id: int) -> Response:
    """The patient's FHIR R4 Bundle (Patient, tumour sizes, disease status, assessment)."""
    from pseudoprog.io.fhir import patient_bundles

    found = _results(request, patient_id)
    bundle = patient_bundles(found.studies)[found.patient_id]
    name = f"{_safe(found.patient_id)}.json"
    return Response(
        json.dumps(bundle, indent=2, ensure_ascii=False) + "\n",
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """What a push did: the HTTP status to answer, the message, and what the PACS stored."""

    status: int
    detail: str
    result: StoreResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """The API's answer."""
        found = {} if self.result is None else self.result.to_dict()
        if "url" in found:
            found["url"] = shown_url(found["url"])
        return {"detail": self.detail, **found}


def push_reports(request: Request, user: Principal, patient_id: int) -> PushOutcome:
    """Store the patient's reports on the server's PACS; an audit entry records what was
    stored (also when the PACS rejected some reports)."""
    from pseudoprog.io.dicom_sr import measurement_reports, report_name

    try:
        settings = pacs_settings(request)
    except ParameterError as exc:
        return PushOutcome(503, f"the server's PACS settings are wrong: {exc}")
    if settings is None:
        return PushOutcome(503, NO_PACS)
    try:
        found = _results(request, patient_id)
    except HTTPException as exc:
        return PushOutcome(exc.status_code, str(exc.detail))
    reports = measurement_reports(
        found.studies, software_version=_version(), tracking_uids=found.tracking_uids
    )
    client = DicomWeb(settings)
    labels = [(report_name(study), document) for study, document in reports]
    try:
        result = client.store(labels)
    except PacsRejectedError as exc:
        result = exc.result
        outcome = PushOutcome(502, str(exc), result)
    except PacsError as exc:
        return PushOutcome(502, str(exc))
    else:
        outcome = PushOutcome(
            200,
            f"{len(result.stored)} SR reports of patient {found.patient_id} stored on {client.url}",
            result,
        )
    if result.stored:
        with request.app.state.database.transaction() as session:
            record(
                session,
                user=user.name,
                action=Action.PUSH,
                entity="patient",
                entity_id=patient_id,
                after={
                    "url": client.url,
                    "reports": [name for name, _ in labels],
                    "stored": list(result.stored),
                    "rejected": [r.sop_instance_uid for r in result.rejected],
                },
            )
    return outcome


@router.post("/api/v1/patients/{patient_id}/pacs")
def push_api(request: Request, user: Editor, patient_id: int) -> JSONResponse:
    """Store the patient's DICOM SR reports on the configured PACS (DICOMweb STOW-RS):
    200 with the stored SOP Instance UIDs; 502 when the PACS failed or rejected reports;
    503 when no PACS is configured."""
    outcome = push_reports(request, user, patient_id)
    return JSONResponse(outcome.to_dict(), status_code=outcome.status)


@router.post("/patients/{patient_id}/pacs", include_in_schema=False)
async def push_page(request: Request, user: Editor, patient_id: int) -> Response:
    """The patient page's button: push, then the page with what happened."""
    from pseudoprog.web.pages import error_page, render

    outcome = await run_in_threadpool(push_reports, request, user, patient_id)

    def page() -> dict[str, Any] | None:
        with request.app.state.database.sessions() as session:
            return patient_detail(session, patient_id)

    found = await run_in_threadpool(page)
    if found is None:
        return error_page(request, 404, f"patient {patient_id} does not exist")
    return render(
        request,
        "patient.html",
        {
            "patient": found,
            "pacs_configured": outcome.detail != NO_PACS,
            "push": {"ok": outcome.status == 200, "detail": outcome.detail},
        },
        principal=user,
        status=outcome.status,
    )
