"""Best overall response (BOR) of a patient from the overall responses of its assessments.

Source: Eisenhauer EA, Therasse P, Bogaerts J, et al. *New response evaluation criteria in solid
tumours: revised RECIST guideline (version 1.1).* Eur J Cancer 2009;45:228-247, section 4.4
("Evaluation of best overall response") and Table 3 (best overall response when confirmation of
CR and PR is required). The confirmed derivation follows the one documented for the R package
admiralonco (pharmaverse): ``derive_param_confirmed_bor()`` and its event objects ``crsp_y_cr``
and ``crsp_y_pr``; the unconfirmed one follows ``derive_param_bor()``.

The assessment period runs from the treatment start (assessments before it are ignored, with a
warning) to the first PD, or to ``progression_date`` (progression recorded outside imaging, e.g.
clinical) when that comes first; assessments after it do not count. Within it, each assessment
counts as:

* **CR / PR** — without confirmation, as given. With ``confirmation_required``:

  - a CR counts as CR when a later CR at least ``confirmation_min_days`` later confirms it, with
    only CR or NE between, and at most ``max_ne_between`` NE;
  - a PR counts as PR when a later CR or PR at least ``confirmation_min_days`` later confirms
    it, with only CR, PR or NE between (and one SD when ``accept_sd_between``), at most
    ``max_ne_between`` NE, and no PR after a CR from the PR to its confirmation;
  - the confirming assessment is the first one of the right kind that is late enough; when it
    does not confirm, no later one can.
  - a CR or PR that is not confirmed counts as SD when it is at least ``sd_min_days`` after the
    treatment start, and as NE before.

* **SD** and **NON_CR_NON_PD** — as given when at least ``sd_min_days`` after the treatment
  start, NE before.
* **PD** — PD, at any time.
* **NE** — NE; **ND** (not done) counts as NE.

The best overall response is the best of these in the order CR > PR > SD > NON_CR_NON_PD > PD >
NE, established on the first date it was met (for a confirmed response, the date of the
response that was confirmed). A patient with no assessment in the period has none (``None``),
or NE with ``missing_as_ne``.

Where this differs from admiralonco's derivation:

* **Disease after a CR** (``disease_after_cr_as_pd``, default true; confirmation required).
  RECIST 1.1 Table 3 reads CR followed by SD as "SD provided minimum criteria for SD duration
  met, otherwise PD", and its footnote says that after a true CR any disease seen later, even
  disease meeting PR criteria, makes the disease PD at that point. So the first SD or PR after a
  CR is read as PD and ends the assessment period: the result is SD when an earlier assessment
  met ``sd_min_days``, PD otherwise. admiralonco returns SD (or NE) for these sequences
  (admiralonco issue #275). With the option false, the derivation is admiralonco's.
* **CR followed by PR** is usually a data issue (RECIST 1.1 Table 3, footnote: the CR may have
  been a PR). admiralonco's ``signal_crpr()`` warns for the whole data set; here the patient's
  result carries a ``cr_then_pr`` warning naming both dates (and ``cr_then_sd`` for an SD after
  a CR).
* **ND** counts as NE between a response and its confirmation (``nd_as_ne``, default true;
  RECIST 1.1: a patient with no imaging at a timepoint is NE there). admiralonco lets only CR,
  PR, SD and NE come between, so an ND breaks the confirmation (``nd_as_ne=False``). ND is never
  a best overall response: a patient whose only assessments are ND is NE (admiralonco: ND).
* **Period.** Assessments before the treatment start are ignored (admiralonco keeps them; its
  reference date only gates SD), and the period always ends at the first PD (admiralonco does
  so only when given ``source_pd``).

A CR or PR followed by PD when the SD minimum is not met is PD, as in RECIST 1.1 Table 3 (rows
CR→PD and PR→PD); admiralonco gives the same, since an unconfirmed response that early is NE
and PD ranks above NE.

Examples
--------
>>> from datetime import date
>>> start = date(2021, 1, 4)
>>> course = [AssessedResponse(date(2021, 2, 15), OverallResponse.PR),
...           AssessedResponse(date(2021, 3, 15), OverallResponse.PR),
...           AssessedResponse(date(2021, 5, 10), OverallResponse.PD)]
>>> confirmed = BestResponseParameters(confirmation_required=True)
>>> result = best_overall_response(course, treatment_start=start, params=confirmed)
>>> result.best_overall_response, result.date.isoformat(), result.confirmed
(<OverallResponse.PR: 'PR'>, '2021-02-15', True)
>>> print(result.reasons[0])
PR on 2021-02-15 confirmed by PR on 2021-03-15 (28 days later, at least 28 required; ...)

With the PR two days too early to be confirmed, it counts as SD (it is 42 days after the start):

>>> course[1] = AssessedResponse(date(2021, 3, 13), OverallResponse.PR)
>>> later = best_overall_response(course, treatment_start=start, params=confirmed)
>>> later.best_overall_response.value, later.date.isoformat(), later.confirmed
('SD', '2021-02-15', False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Sequence as Seq
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.criteria.result import Finding, Reason
from pseudoprog.errors import ParameterError

__all__ = [
    "AssessedResponse",
    "BestResponse",
    "BestResponseParameters",
    "BestResponseRule",
    "BestResponseWarning",
    "best_overall_response",
]

CR = OverallResponse.CR
PR = OverallResponse.PR
SD = OverallResponse.SD
NN = OverallResponse.NON_CR_NON_PD
PD = OverallResponse.PD
NE = OverallResponse.NE
ND = OverallResponse.ND

#: Order of the best overall response: lower is better (ND counts as NE).
_RANK = {CR: 0, PR: 1, SD: 2, NN: 3, PD: 4, NE: 5, ND: 5}


class BestResponseRule(StrEnum):
    """Rules of the best overall response; the value is the code written in reasons."""

    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"
    RESPONSE = "response"
    STABLE = "stable"
    BEFORE_SD_MINIMUM = "before_sd_minimum"
    PROGRESSION = "progression"
    DISEASE_AFTER_CR = "disease_after_cr"
    NOT_EVALUABLE = "not_evaluable"
    NOT_DONE = "not_done"
    NO_ASSESSMENT = "no_assessment"
    AFTER_PROGRESSION = "after_progression"


class BestResponseWarning(StrEnum):
    """Kinds of warnings attached to a best overall response."""

    CR_THEN_PR = "cr_then_pr"
    CR_THEN_SD = "cr_then_sd"
    BEFORE_TREATMENT_START = "before_treatment_start"


@dataclass(frozen=True, slots=True, kw_only=True)
class BestResponseParameters:
    """Rules of the best overall response; every result records the set it used.

    The field names are also the keys of a parameters file (``--parameters FILE.toml``).

    Parameters
    ----------
    confirmation_required
        Whether a CR or PR must be confirmed by a later assessment. RECIST 1.1 (section 4.4)
        requires it only in non-randomised trials with response as the primary endpoint.
    confirmation_min_days
        The confirming assessment must be at least this many days after the response
        (RECIST 1.1: "no less than 4 weeks"; admiralonco ``ref_confirm``).
    sd_min_days
        SD and NON_CR_NON_PD, and a CR or PR not confirmed (read as SD), count only when the
        assessment is at least this many days after the treatment start; earlier they count as
        NE. RECIST 1.1 leaves it to the protocol, "in general not less than 6-8 weeks"
        (admiralonco ``ref_start_window``; its response sources use 42 days).
    max_ne_between
        NE assessments allowed between a response and its confirmation (admiralonco
        ``max_nr_ne``).
    accept_sd_between
        Whether one SD may come between a PR and its confirmation (admiralonco ``accept_sd``).
    missing_as_ne
        Whether a patient with no assessment in the period gets NE instead of no response
        (admiralonco ``missing_as_ne``).
    nd_as_ne
        Whether an ND (not done) between a response and its confirmation counts as NE (allowed,
        and counted against ``max_ne_between``) rather than breaking the confirmation as in
        admiralonco. RECIST 1.1: no imaging at a timepoint makes the patient NE there.
    disease_after_cr_as_pd
        With confirmation required, whether the first SD or PR after a CR is read as PD (RECIST
        1.1 Table 3 and its footnote: disease seen after a CR has reappeared), which ends the
        assessment period. False gives admiralonco's derivation.
    """

    confirmation_required: bool = False
    confirmation_min_days: int = 28
    sd_min_days: int = 42
    max_ne_between: int = 1
    accept_sd_between: bool = False
    missing_as_ne: bool = False
    nd_as_ne: bool = True
    disease_after_cr_as_pd: bool = True

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            problem = _value_problem(spec.name, value)
            if problem:
                raise ParameterError(problem)

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values (the keys of a parameters file)."""
        return asdict(self)

    @classmethod
    def known_keys(cls) -> tuple[str, ...]:
        """The parameter names, in order."""
        return tuple(spec.name for spec in fields(cls))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> BestResponseParameters:
        """Parameters from a mapping of names to values (e.g. a parsed TOML file).

        Missing keys keep their defaults. Every problem is reported in one error.

        Raises
        ------
        ParameterError
            For an unknown key (the message lists the known ones), or a value of the wrong
            type or out of range.

        Examples
        --------
        >>> BestResponseParameters.from_mapping({"confirmation_required": True}).sd_min_days
        42
        >>> BestResponseParameters.from_mapping({"max_ne": 2})
        Traceback (most recent call last):
        ...
        pseudoprog.errors.ParameterError: unknown key 'max_ne'; known keys: ...
        """
        known = cls.known_keys()
        problems = []
        for key, value in mapping.items():
            if key not in known:
                problems.append(f"unknown key {key!r}; known keys: {', '.join(known)}")
                continue
            problem = _value_problem(key, value)
            if problem:
                problems.append(problem)
        if problems:
            raise ParameterError("; ".join(problems))
        return cls(**dict(mapping))


_BOOL_FIELDS = frozenset(
    {
        "confirmation_required",
        "accept_sd_between",
        "missing_as_ne",
        "nd_as_ne",
        "disease_after_cr_as_pd",
    }
)


def _value_problem(name: str, value: object) -> str:
    """What is wrong with ``value`` for the parameter ``name`` (``""`` when nothing)."""
    if name in _BOOL_FIELDS:
        if not isinstance(value, bool):
            return f"{name} must be true or false, got {value!r}"
        return ""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{name} must be a whole number, got {value!r}"
    if value < 0:
        return f"{name} must not be negative, got {value}"
    return ""


DEFAULT_PARAMETERS = BestResponseParameters()


@dataclass(frozen=True, slots=True)
class AssessedResponse:
    """The overall response of a patient at one assessment (e.g. a RECIST 1.1 timepoint).

    ``response`` may be given as a code or alias (``"NON-CR/NON-PD"``); it is stored as an
    :class:`~pseudoprog.criteria.codes.OverallResponse`.
    """

    date: date
    response: OverallResponse

    def __post_init__(self) -> None:
        if isinstance(self.date, datetime) or not isinstance(self.date, date):
            raise ParameterError(
                f"date must be a datetime.date, got {self.date!r}; pass a date such as "
                "date(2021, 3, 1) (for a datetime, its .date())"
            )
        object.__setattr__(self, "response", OverallResponse.parse(self.response))


@dataclass(frozen=True, slots=True)
class BestResponse:
    """The best overall response of a patient, with everything needed to audit it.

    ``best_overall_response`` is ``None`` when the patient has no assessment in the period
    (unless ``missing_as_ne``). ``date`` is the date of the assessment that established it (for
    a confirmed response, the first date the response criteria were met). ``confirmed`` is
    ``None`` when confirmation is not required (or there is no response at all), otherwise
    whether the best overall response is a confirmed CR or PR. ``reasons`` come first the one
    that decided, then those that say why the response is not better, then how the assessment
    period was cut. ``basis`` is a few words on how it was reached, for tables.
    """

    best_overall_response: OverallResponse | None
    date: date | None
    confirmed: bool | None
    reasons: tuple[Reason, ...]
    warnings: tuple[Finding, ...]
    parameters: BestResponseParameters
    basis: str = ""

    def summary(self) -> str:
        """A few lines a reader can paste into a report."""
        bor = self.best_overall_response
        if bor is None:
            head = "Best overall response: none"
        else:
            head = f"Best overall response {bor.value} ({bor.meaning})"
            if self.confirmed is not None:
                head += ", confirmed" if self.confirmed else ", not a confirmed response"
            if self.date is not None:
                head += f", on {self.date.isoformat()}"
        lines = [head]
        lines += [f"  because: {r.message}" for r in self.reasons]
        lines += [f"  warning: {w.message}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (dates as ISO text); the keys are the documented fields."""
        bor = self.best_overall_response
        return {
            "best_overall_response": None if bor is None else bor.value,
            "date": None if self.date is None else self.date.isoformat(),
            "confirmed": self.confirmed,
            "reasons": [{"code": r.code, "message": r.message} for r in self.reasons],
            "warnings": [w.to_dict() for w in self.warnings],
            "parameters": self.parameters.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class _Counted:
    """One assessment of the period and what it counts as."""

    date: date
    given: OverallResponse
    counts_as: OverallResponse
    reason: Reason
    basis: str
    confirmed: bool = False


def _iso(day: date) -> str:
    return day.isoformat()


def _ordered(responses: Iterable[AssessedResponse]) -> list[AssessedResponse]:
    """The assessments sorted by date, identical repeats merged; a conflict is an error."""
    by_date: dict[date, AssessedResponse] = {}
    for item in responses:
        if not isinstance(item, AssessedResponse):
            raise ParameterError(
                f"responses must be AssessedResponse values, got {item!r}; build each as "
                "AssessedResponse(date, OverallResponse.parse(code))"
            )
        seen = by_date.setdefault(item.date, item)
        if seen.response is not item.response:
            raise ParameterError(
                f"two different responses on {_iso(item.date)} ({seen.response.value} and "
                f"{item.response.value}); keep one assessment per date"
            )
    return [by_date[day] for day in sorted(by_date)]


def _s(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def best_overall_response(
    responses: Iterable[AssessedResponse],
    *,
    treatment_start: date,
    params: BestResponseParameters = DEFAULT_PARAMETERS,
    progression_date: date | None = None,
) -> BestResponse:
    """The best overall response of one patient (RECIST 1.1 section 4.4, Table 3).

    Parameters
    ----------
    responses
        The overall response at each assessment, in any order; one response per date.
    treatment_start
        Start of the treatment assessed: assessments before it are ignored (with a warning),
        and ``sd_min_days`` counts from it.
    params
        The confirmation rules (see :class:`BestResponseParameters`).
    progression_date
        Progression recorded outside imaging (e.g. clinical progression): it ends the
        assessment period like a PD (assessments after it do not count) without being a PD
        itself.

    Returns
    -------
    BestResponse
        The response, its date, whether it is confirmed, the reasons and warnings.

    Raises
    ------
    ParameterError
        For two different responses on one date, a progression date before the treatment
        start, or arguments of the wrong type.

    Examples
    --------
    >>> from datetime import date
    >>> start = date(2021, 1, 4)
    >>> course = [AssessedResponse(date(2021, 1, 25), "SD"),
    ...           AssessedResponse(date(2021, 3, 1), "NON-CR/NON-PD")]
    >>> result = best_overall_response(course, treatment_start=start)
    >>> result.best_overall_response.value, result.date.isoformat(), result.confirmed
    ('NON_CR_NON_PD', '2021-03-01', None)
    >>> print(result.reasons[0])
    NON_CR_NON_PD on 2021-03-01, 56 days after the treatment start (at least 42 required)
    >>> print(result.reasons[1])
    SD on 2021-01-25 counts as NE: 21 days after the treatment start, SD needs at least 42

    CR followed by SD, with confirmation required: the SD after the CR is read as PD (RECIST
    1.1 Table 3), and the CR, too early to count as SD, leaves PD:

    >>> course = [AssessedResponse(date(2021, 2, 1), "CR"),
    ...           AssessedResponse(date(2021, 3, 22), "SD")]
    >>> result = best_overall_response(
    ...     course, treatment_start=start,
    ...     params=BestResponseParameters(confirmation_required=True))
    >>> result.best_overall_response.value, [w.code for w in result.warnings]
    ('PD', ['cr_then_sd'])
    """
    if not isinstance(params, BestResponseParameters):
        raise ParameterError(
            f"params must be BestResponseParameters, got {params!r}; build them with "
            "BestResponseParameters(...) or BestResponseParameters.from_mapping(...)"
        )
    if isinstance(treatment_start, datetime) or not isinstance(treatment_start, date):
        raise ParameterError(f"treatment_start must be a datetime.date, got {treatment_start!r}")
    if progression_date is not None:
        if isinstance(progression_date, datetime) or not isinstance(progression_date, date):
            raise ParameterError(
                f"progression_date must be a datetime.date or None, got {progression_date!r}"
            )
        if progression_date < treatment_start:
            raise ParameterError(
                f"progression_date {_iso(progression_date)} is before the treatment start "
                f"{_iso(treatment_start)}; give the date of progression on treatment, or None"
            )
    ordered = _ordered(responses)
    warnings: list[Finding] = []
    notes: list[Reason] = []

    early = [a for a in ordered if a.date < treatment_start]
    if early:
        shown = ", ".join(f"{a.response.value} on {_iso(a.date)}" for a in early[:3])
        more = f" and {len(early) - 3} more" if len(early) > 3 else ""
        warnings.append(
            Finding(
                BestResponseWarning.BEFORE_TREATMENT_START,
                f"{_s(len(early), 'assessment')} before the treatment start "
                f"{_iso(treatment_start)} ignored ({shown}{more})",
            )
        )
    period = [a for a in ordered if a.date >= treatment_start]
    if progression_date is not None:
        kept = [a for a in period if a.date <= progression_date]
        if len(kept) < len(period):
            notes.append(
                Reason(
                    BestResponseRule.AFTER_PROGRESSION,
                    f"progression recorded on {_iso(progression_date)} ends the assessment "
                    f"period: {_s(len(period) - len(kept), 'assessment')} after it not counted",
                )
            )
        period = kept
    first_pd = next((i for i, a in enumerate(period) if a.response is PD), len(period))
    warnings += _cr_then_warnings(period[: first_pd + 1])
    end = first_pd
    reread: tuple[int, date] | None = None
    if params.confirmation_required and params.disease_after_cr_as_pd:
        reread = _disease_after_cr(period[:first_pd])
        if reread is not None:
            end = reread[0]
    if end < len(period) - 1:
        what = "the first PD" if reread is None else "the assessment read as PD"
        notes.append(
            Reason(
                BestResponseRule.AFTER_PROGRESSION,
                f"the assessment period ends at {what} on {_iso(period[end].date)}: "
                f"{_s(len(period) - end - 1, 'later assessment')} not counted",
            )
        )
    period = period[: end + 1]

    if not period:
        return _no_assessment(ordered, treatment_start, params, warnings, notes)

    counted = _count(period, treatment_start, params, reread)
    deciding = min(counted, key=lambda c: (_RANK[c.counts_as], c.date))
    bor = deciding.counts_as
    # responses that would have been better, or as good but earlier; and disease after a CR
    why_not_better = [
        c.reason
        for c in counted
        if c is not deciding
        and _RANK[c.counts_as] != _RANK[c.given]
        and (
            _RANK[c.given] < _RANK[bor]
            or (_RANK[c.given] == _RANK[bor] and c.date < deciding.date)
            or c.reason.rule is BestResponseRule.DISEASE_AFTER_CR
        )
    ]
    confirmed = deciding.confirmed if params.confirmation_required else None
    return BestResponse(
        best_overall_response=bor,
        date=deciding.date,
        confirmed=confirmed,
        reasons=(deciding.reason, *why_not_better, *notes),
        warnings=tuple(warnings),
        parameters=params,
        basis=deciding.basis,
    )


def _no_assessment(
    ordered: Seq[AssessedResponse],
    treatment_start: date,
    params: BestResponseParameters,
    warnings: list[Finding],
    notes: list[Reason],
) -> BestResponse:
    if ordered:
        what = f"no assessment on or after the treatment start {_iso(treatment_start)}"
    else:
        what = "no assessment"
    if params.missing_as_ne:
        text = f"{what}: NE, as missing_as_ne is set"
        bor: OverallResponse | None = NE
        basis = "no assessment: NE"
    else:
        text = f"{what}, so no best overall response"
        bor = None
        basis = "no assessment"
    return BestResponse(
        best_overall_response=bor,
        date=None,
        confirmed=None if bor is None or not params.confirmation_required else False,
        reasons=(Reason(BestResponseRule.NO_ASSESSMENT, text), *notes),
        warnings=tuple(warnings),
        parameters=params,
        basis=basis,
    )


def _cr_then_warnings(period: Seq[AssessedResponse]) -> list[Finding]:
    """A warning for the first PR, and the first SD, that follow a CR."""
    found: list[Finding] = []
    last_cr: AssessedResponse | None = None
    pending = {PR: BestResponseWarning.CR_THEN_PR, SD: BestResponseWarning.CR_THEN_SD}
    for a in period:
        if a.response is CR:
            last_cr = a
        elif last_cr is not None and a.response in pending:
            kind = pending.pop(a.response)
            advice = (
                "usually a data issue: the CR may have been a PR (RECIST 1.1 Table 3, footnote)"
                if a.response is PR
                else "disease seen after a CR has reappeared (RECIST 1.1 Table 3); check the "
                "responses"
            )
            found.append(
                Finding(
                    kind,
                    f"{a.response.value} on {_iso(a.date)} follows CR on {_iso(last_cr.date)}: "
                    f"{advice}",
                )
            )
    return found


def _disease_after_cr(period: Seq[AssessedResponse]) -> tuple[int, date] | None:
    """Index of the first SD or PR after a CR, and the date of that CR; ``None`` if none."""
    last_cr: date | None = None
    for index, a in enumerate(period):
        if a.response is CR:
            last_cr = a.date
        elif last_cr is not None and a.response in (SD, PR):
            return index, last_cr
    return None


def _count(
    period: Seq[AssessedResponse],
    start: date,
    params: BestResponseParameters,
    reread: tuple[int, date] | None,
) -> list[_Counted]:
    """What each assessment of the period counts as, with the reason."""
    effective = [a.response for a in period]
    if reread is not None:
        effective[reread[0]] = PD
    dates = [a.date for a in period]
    counted = []
    for index, a in enumerate(period):
        given = a.response
        days = (a.date - start).days
        if reread is not None and index == reread[0]:
            counted.append(
                _Counted(
                    a.date,
                    given,
                    PD,
                    Reason(
                        BestResponseRule.DISEASE_AFTER_CR,
                        f"{given.value} on {_iso(a.date)} after the CR on {_iso(reread[1])} is "
                        "read as PD: disease seen after a complete response has reappeared "
                        "(RECIST 1.1 Table 3; disease_after_cr_as_pd)",
                    ),
                    f"{given.value} after CR read as PD",
                )
            )
        elif given in (CR, PR) and params.confirmation_required:
            counted.append(_confirmation(index, effective, dates, start, params))
        elif given in (CR, PR):
            counted.append(
                _Counted(
                    a.date,
                    given,
                    given,
                    Reason(
                        BestResponseRule.RESPONSE,
                        f"{given.value} on {_iso(a.date)}, {days} days after the treatment "
                        "start (confirmation not required)",
                    ),
                    f"{given.value}, day {days}",
                )
            )
        elif given in (SD, NN):
            counted.append(_stable(a.date, given, given, days, params, ""))
        elif given is PD:
            counted.append(
                _Counted(
                    a.date,
                    PD,
                    PD,
                    Reason(
                        BestResponseRule.PROGRESSION,
                        f"PD on {_iso(a.date)}, {days} days after the treatment start "
                        "(progression counts at any time)",
                    ),
                    f"PD, day {days}",
                )
            )
        elif given is NE:
            counted.append(
                _Counted(
                    a.date,
                    NE,
                    NE,
                    Reason(BestResponseRule.NOT_EVALUABLE, f"NE on {_iso(a.date)}"),
                    "not evaluable",
                )
            )
        else:
            counted.append(
                _Counted(
                    a.date,
                    ND,
                    NE,
                    Reason(
                        BestResponseRule.NOT_DONE,
                        f"ND on {_iso(a.date)}: assessment not done, counts as NE",
                    ),
                    "not done",
                )
            )
    return counted


def _stable(
    day: date,
    given: OverallResponse,
    as_stable: OverallResponse,
    days: int,
    params: BestResponseParameters,
    prefix: str,
) -> _Counted:
    """``given`` read as ``as_stable`` (SD or NON_CR_NON_PD) when late enough, NE before."""
    minimum = params.sd_min_days
    rule = BestResponseRule.NOT_CONFIRMED if prefix else None
    if days >= minimum:
        if prefix:
            text = f"{prefix}; counts as SD: {days} days after the treatment start, at least "
            text += f"{minimum} required"
            basis = f"{given.value} not confirmed: SD"
        else:
            text = f"{given.value} on {_iso(day)}, {days} days after the treatment start (at "
            text += f"least {minimum} required)"
            basis = f"{given.value}, day {days}"
        return _Counted(day, given, as_stable, Reason(rule or BestResponseRule.STABLE, text), basis)
    if prefix:
        text = f"{prefix}; counts as NE: {days} days after the treatment start, SD needs at "
        text += f"least {minimum}"
        basis = f"{given.value} not confirmed, day {days}: NE"
    else:
        text = f"{given.value} on {_iso(day)} counts as NE: {days} days after the treatment "
        text += f"start, {as_stable.value} needs at least {minimum}"
        basis = f"{given.value} before day {minimum}: NE"
    return _Counted(day, given, NE, Reason(rule or BestResponseRule.BEFORE_SD_MINIMUM, text), basis)


def _confirmation(
    index: int,
    effective: Seq[OverallResponse],
    dates: Seq[date],
    start: date,
    params: BestResponseParameters,
) -> _Counted:
    """A CR or PR with confirmation required: confirmed, or read as SD (or NE)."""
    given = effective[index]
    day = dates[index]
    minimum = params.confirmation_min_days
    confirmers = (CR,) if given is CR else (CR, PR)
    kind = " or ".join(r.value for r in confirmers)
    head = f"{given.value} on {_iso(day)} not confirmed"
    later = range(index + 1, len(effective))
    confirm = next(
        (k for k in later if effective[k] in confirmers and (dates[k] - day).days >= minimum),
        None,
    )
    if confirm is None:
        sooner = next((k for k in later if effective[k] in confirmers), None)
        why = f"no {kind} at least {minimum} days later"
        if sooner is not None:
            gap = (dates[sooner] - day).days
            why += f" (the next {effective[sooner].value}, on {_iso(dates[sooner])}, is {gap} "
            why += "days later)"
        return _unconfirmed(index, effective, dates, start, params, f"{head}: {why}")

    between = range(index + 1, confirm)
    by = f"the {effective[confirm].value} on {_iso(dates[confirm])}"
    ne_like = {NE, ND} if params.nd_as_ne else {NE}
    allowed = {CR} | ne_like if given is CR else {CR, PR, SD} | ne_like
    if given is PR and not params.accept_sd_between:
        allowed.discard(SD)
    bad = next((k for k in between if effective[k] not in allowed), None)
    if bad is not None:
        names = [r.value for r in (CR, PR, NE, ND) if r in allowed]
        if SD in allowed:
            names.append("one SD")
        why = (
            f"{effective[bad].value} on {_iso(dates[bad])} comes between it and {by} (only "
            f"{_or(names)} may come between)"
        )
        return _unconfirmed(index, effective, dates, start, params, f"{head}: {why}")
    sd_count = sum(1 for k in between if effective[k] is SD)
    if sd_count > 1:
        why = f"{sd_count} SD between it and {by}, at most 1 allowed"
        return _unconfirmed(index, effective, dates, start, params, f"{head}: {why}")
    ne_count = sum(1 for k in between if effective[k] in ne_like)
    nd_note = " (ND counted as NE)" if any(effective[k] is ND for k in between) else ""
    if ne_count > params.max_ne_between:
        why = f"{ne_count} NE between it and {by}{nd_note}, at most {params.max_ne_between} allowed"
        return _unconfirmed(index, effective, dates, start, params, f"{head}: {why}")
    if given is PR:
        window = range(index + 1, confirm + 1)
        crs = [k for k in window if effective[k] is CR]
        prs = [k for k in window if effective[k] is PR]
        if crs and prs and crs[0] < prs[-1]:
            why = (
                f"PR on {_iso(dates[prs[-1]])} follows CR on {_iso(dates[crs[0]])} before the "
                f"confirmation by {by} (no PR may follow a CR)"
            )
            return _unconfirmed(index, effective, dates, start, params, f"{head}: {why}")
    gap = (dates[confirm] - day).days
    text = (
        f"{given.value} on {_iso(day)} confirmed by {effective[confirm].value} on "
        f"{_iso(dates[confirm])} ({gap} days later, at least {minimum} required; "
        f"{ne_count} NE between{nd_note}, at most {params.max_ne_between} allowed"
    )
    if sd_count:
        text += f"; {sd_count} SD between, at most 1 allowed"
    return _Counted(
        day,
        given,
        given,
        Reason(BestResponseRule.CONFIRMED, text + ")"),
        f"confirmed ({effective[confirm].value} +{gap} d)",
        confirmed=True,
    )


def _or(names: Seq[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _unconfirmed(
    index: int,
    effective: Seq[OverallResponse],
    dates: Seq[date],
    start: date,
    params: BestResponseParameters,
    text: str,
) -> _Counted:
    days = (dates[index] - start).days
    return _stable(dates[index], effective[index], SD, days, params, text)
