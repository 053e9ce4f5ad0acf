"""The cohort page: the ``study`` analysis on the lesions a selection holds, with its report.

``GET /cohort`` shows the selection form (the worklist's filters); with ``run=1`` it runs the
study (:func:`pseudoprog.store.cohort.cohort_study`) and shows the report of
``pseudoprog study`` in the page: its sections and tables, the figures embedded as PNG
(no file or host to fetch), styled by the application's own style sheet.
``GET /cohort/study.json`` answers the same selection's ``study.json``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from pseudoprog.criteria import registry
from pseudoprog.domain import ResponseCategory, Site
from pseudoprog.errors import ParameterError
from pseudoprog.stats.study import StudyInput
from pseudoprog.store.cohort import CohortStudy, cohort_study
from pseudoprog.store.users import Role
from pseudoprog.store.worklist import WorklistQuery
from pseudoprog.web.auth import Principal, require
from pseudoprog.web.pages import PageQuery, error_page, render

__all__ = ["report_body", "router"]

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Synthetic = Annotated[list[StudyInput] | None, Query()]


def report_body(html: str) -> str:
    """The inside of the report's ``<main>`` (the page around it, and its inline style, are
    left out: the application's style sheet styles it)."""
    inner = html.split("<main>", 1)[1]
    return inner.rsplit("</main>", 1)[0]


def _run(
    request: Request, query: WorklistQuery, synthetic: list[StudyInput], keep_excluded: bool
) -> CohortStudy:
    with request.app.state.database.sessions() as session:
        return cohort_study(session, query, synthetic=synthetic, keep_excluded=keep_excluded)


def _params(
    query: WorklistQuery, synthetic: list[StudyInput], keep_excluded: bool
) -> list[tuple[str, str]]:
    params = list(query.filters().items())
    params += [("synthetic", s.value) for s in synthetic]
    if keep_excluded:
        params.append(("keep_excluded", "1"))
    return params


@router.get("/cohort")
def cohort_page(
    request: Request,
    user: Viewer,
    query: PageQuery,
    synthetic: Synthetic = None,
    keep_excluded: bool = False,
    run: bool = False,
) -> Response:
    marked = list(dict.fromkeys(synthetic or ()))
    context: dict[str, Any] = {
        "query": query,
        "responses": [c.value for c in ResponseCategory],
        "sites": [s.value for s in Site],
        "criteria_names": [
            n for n, c in registry.REGISTRY.items() if c.kind is registry.CriteriaKind.LESION
        ],
        "inputs": [s.value for s in StudyInput],
        "synthetic": {s.value for s in marked},
        "keep_excluded": keep_excluded,
        "study": None,
        "problem": None,
    }
    status = 200
    if run:
        try:
            study = _run(request, query, marked, keep_excluded)
        except ParameterError as exc:
            context["problem"] = str(exc)
            status = 422
        else:
            from pseudoprog.report.study import REPORT_FILE, render_study

            files = render_study(study.result)
            context["study"] = study
            context["summary"] = study.result.summary().splitlines()
            context["report"] = report_body(files[REPORT_FILE].decode("utf-8"))
            context["json_link"] = "/cohort/study.json?" + urlencode(
                _params(query, marked, keep_excluded)
            )
    return render(request, "cohort.html", context, principal=user, status=status)


@router.get("/cohort/study.json")
def cohort_json(
    request: Request,
    _user: Viewer,
    query: PageQuery,
    synthetic: Synthetic = None,
    keep_excluded: bool = False,
) -> Response:
    try:
        study = _run(request, query, list(dict.fromkeys(synthetic or ())), keep_excluded)
    except ParameterError as exc:
        return error_page(request, 422, str(exc))
    from pseudoprog.report.study import study_json

    return Response(
        study_json(study.result),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="study.json"'},
    )
