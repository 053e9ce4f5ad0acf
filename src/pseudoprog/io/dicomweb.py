"""DICOMweb with a PACS: query (QIDO-RS), retrieve (WADO-RS) and store (STOW-RS).

A thin wrapper of ``dicomweb-client`` (DICOM PS3.18) that turns what can go wrong into one
:class:`PacsError` whose message names the server, the HTTP status or network failure, and
what to do; it is used by ``pseudoprog pacs`` and by the web application's push to a PACS.

- :class:`PacsSettings`: the server's DICOMweb root URL and how to authenticate: HTTP basic
  (user and password), a bearer token, or none; the CA bundle that signs the server's
  certificate or no TLS verification at all; the timeout of each request and the retries of
  requests the server asks to retry (429, 408, 503, 504).
  :meth:`PacsSettings.from_environment` reads them from ``PSEUDOPROG_PACS_*`` variables, so
  that secrets stay off command lines.
- :meth:`DicomWeb.find`: studies, series or instances matching a :class:`PacsQuery` (patient
  id, modality, study date or range, study, series or SOP class UID).
- :meth:`DicomWeb.retrieve_series`: every instance of a series, written as
  ``<SOPInstanceUID>.dcm`` files into a folder.
- :meth:`DicomWeb.store_files` and :meth:`DicomWeb.store`: DICOM files or datasets stored on
  the server; the response's Failed SOP Sequence is read instance by instance, and a rejected
  instance raises :class:`PacsRejectedError` naming its file, the failure reason (DICOM
  PS3.18 section 10.5 Store Instances response; status codes of PS3.7 Annex C and PS3.4
  Annex B) and the fix.

``dicomweb-client``, ``requests`` and pydicom are imported when a server is contacted, not
when this module is imported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pseudoprog.errors import ParameterError, PseudoprogError

__all__ = [
    "ENV_CA_BUNDLE",
    "ENV_PASSWORD",
    "ENV_TOKEN",
    "ENV_URL",
    "ENV_USER",
    "DicomWeb",
    "PacsError",
    "PacsMatch",
    "PacsQuery",
    "PacsRejectedError",
    "PacsSettings",
    "QueryLevel",
    "RejectedInstance",
    "StoreResult",
    "failure_reason",
    "shown_url",
]

#: Environment variables read by :meth:`PacsSettings.from_environment`.
ENV_URL = "PSEUDOPROG_PACS_URL"
ENV_USER = "PSEUDOPROG_PACS_USER"
ENV_PASSWORD = "PSEUDOPROG_PACS_PASSWORD"
ENV_TOKEN = "PSEUDOPROG_PACS_TOKEN"
ENV_CA_BUNDLE = "PSEUDOPROG_PACS_CA_BUNDLE"

#: Instances sent per STOW-RS request.
STORE_BATCH = 100

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_DICOM_DATE = re.compile(r"^(\d{8})?(-)?(\d{8})?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MODALITY = re.compile(r"^[A-Z0-9_]{1,16}$")


class PacsError(PseudoprogError):
    """The PACS could not be reached, refused a request or failed; the message says what to
    do. ``status`` is the HTTP status when the server answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class RejectedInstance:
    """An instance the PACS did not store: which one, the failure reason and the fix."""

    source: str
    sop_instance_uid: str
    code: int | None
    reason: str
    fix: str

    def __str__(self) -> str:
        code = "" if self.code is None else f" (status {self.code:04X}H)"
        return f"{self.source}: {self.reason}{code}; {self.fix}"


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What a store did: the SOP Instance UIDs stored, the instances rejected, warnings."""

    url: str
    stored: tuple[str, ...]
    rejected: tuple[RejectedInstance, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (for the audit log and the API)."""
        return {
            "url": self.url,
            "stored": list(self.stored),
            "rejected": [
                {"source": r.source, "sop_instance_uid": r.sop_instance_uid, "reason": r.reason}
                for r in self.rejected
            ],
            "warnings": list(self.warnings),
        }


class PacsRejectedError(PacsError):
    """The PACS rejected some instances; :attr:`result` holds what was stored and what not."""

    def __init__(self, result: StoreResult, *, status: int | None = None) -> None:
        lines = "\n".join(f"  - {r}" for r in result.rejected)
        super().__init__(
            f"{shown_url(result.url)} rejected {len(result.rejected)} of "
            f"{len(result.rejected) + len(result.stored)} instances "
            f"({len(result.stored)} stored):\n{lines}",
            status=status,
        )
        self.result = result


# Failure reasons of the Store Instances response (DICOM PS3.18 section 10.5.3; status codes
# of PS3.7 Annex C.4 and the Storage Service Class, PS3.4 Annex B.2.3): code -> (reason, fix).
_FAILURES: dict[int, tuple[str, str]] = {
    0x0110: (
        "processing failure on the PACS",
        "see the PACS's log for why; the file may be valid for other systems",
    ),
    0x0111: (
        "duplicate SOP instance: the PACS holds an instance with this UID already",
        "nothing to do if it is the same file; a changed file needs a new SOP Instance UID",
    ),
    0x0117: (
        "invalid object instance",
        "check the file with dciodvfy (Debian package dicom3tools) and export it again",
    ),
    0x0119: (
        "class-instance conflict",
        "the SOP Instance UID is used by another kind of object on the PACS",
    ),
    0x0122: (
        "SOP class not supported by the PACS",
        "ask the PACS administrator to accept this SOP class (e.g. Parametric Map Storage "
        "1.2.840.10008.5.1.4.1.1.30 or Comprehensive 3D SR Storage 1.2.840.10008.5.1.4.1.1.88.34)",
    ),
    0x0124: (
        "not authorized to store",
        "use an account with the right to store (ask the PACS administrator)",
    ),
    0xC122: (
        "transfer syntax not supported by the PACS",
        "convert the file to Explicit VR Little Endian and push it again",
    ),
}


def failure_reason(code: int | None) -> tuple[str, str]:
    """The meaning of a Store Instances failure code and what to do about it.

    >>> failure_reason(0x0122)[0]
    'SOP class not supported by the PACS'
    >>> failure_reason(0xA701)[0]
    'refused: the PACS is out of resources'
    """
    if code is None:
        return "rejected without a failure reason", "see the PACS's log for why"
    if code in _FAILURES:
        return _FAILURES[code]
    if 0xA700 <= code <= 0xA7FF:
        return "refused: the PACS is out of resources", "tell the PACS administrator; retry later"
    if 0xA900 <= code <= 0xA9FF:
        return (
            "the data set does not match its SOP class",
            "check the file with dciodvfy (Debian package dicom3tools)",
        )
    if 0xC000 <= code <= 0xCFFF:
        return (
            "the PACS cannot understand the file",
            "check the file with dciodvfy (Debian package dicom3tools)",
        )
    return "rejected", "see the PACS's log for why"


def shown_url(url: str) -> str:
    """``url`` without a user name or password (for messages and logs).

    >>> shown_url("https://alice:secret@pacs.example/dicom-web")
    'https://pacs.example/dicom-web'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True, slots=True)
class PacsSettings:
    """Where the PACS's DICOMweb service is and how to talk to it.

    Attributes
    ----------
    url
        The DICOMweb root, e.g. ``http://orthanc:8042/dicom-web`` (Orthanc),
        ``http://dcm4chee:8080/dcm4chee-arc/aets/DCM4CHEE/rs`` (dcm4chee-arc).
    user, password
        HTTP basic authentication (both or neither).
    token
        A bearer token (``Authorization: Bearer ...``), instead of a user and password.
    ca_bundle
        A PEM file of the certificate authorities that sign the server's certificate (a
        hospital's own CA); without it the system's CAs are used.
    verify
        ``False`` turns TLS certificate verification off (testing only).
    timeout_s
        Seconds to wait for the connection and for each answer.
    retries
        Retries of a request the server asks to retry (429, 408, 503, 504), with
        exponential back-off.
    """

    url: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    ca_bundle: Path | None = None
    verify: bool = True
    timeout_s: float = 30.0
    retries: int = 2

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ParameterError(
                f"PACS URL {self.url!r} is not an http:// or https:// URL; give the DICOMweb "
                "root, e.g. http://orthanc.example:8042/dicom-web"
            )
        if parts.username or parts.password:
            raise ParameterError(
                f"PACS URL {shown_url(self.url)} carries a user name or password; give the "
                f"user with --user and the password in {ENV_PASSWORD} or on standard input"
            )
        if (self.user is None) != (self.password is None):
            missing = "password" if self.password is None else "user name"
            raise ParameterError(
                f"PACS authentication: a {missing} is missing; give the user with --user "
                f"({ENV_USER}) and the password in {ENV_PASSWORD} or with --password-stdin"
            )
        if self.user is not None and self.token is not None:
            raise ParameterError(
                "PACS authentication: both a user and a bearer token were given; use one"
            )
        if self.ca_bundle is not None and not self.ca_bundle.is_file():
            raise ParameterError(
                f"CA bundle {self.ca_bundle} does not exist; give a PEM file of the "
                "certificate authorities that sign the PACS's certificate"
            )
        if not self.timeout_s > 0:
            raise ParameterError(f"timeout {self.timeout_s} s: give a number of seconds above 0")
        if self.retries < 0:
            raise ParameterError(f"retries {self.retries}: give 0 or more")

    @property
    def auth(self) -> str:
        """How the requests authenticate: ``basic``, ``bearer`` or ``none``."""
        return "basic" if self.user else "bearer" if self.token else "none"

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, **given: Any
    ) -> PacsSettings | None:
        """Settings from ``PSEUDOPROG_PACS_URL``, ``_USER``, ``_PASSWORD``, ``_TOKEN`` and
        ``_CA_BUNDLE`` (``given`` values win); ``None`` when no URL is set."""
        env = os.environ if environ is None else environ
        url = given.pop("url", None) or env.get(ENV_URL, "").strip()
        if not url:
            return None
        values: dict[str, Any] = {
            "user": env.get(ENV_USER) or None,
            "password": env.get(ENV_PASSWORD) or None,
            "token": env.get(ENV_TOKEN) or None,
            "ca_bundle": Path(env[ENV_CA_BUNDLE]) if env.get(ENV_CA_BUNDLE) else None,
        }
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(url=url, **values)


class QueryLevel(StrEnum):
    """What a query returns."""

    STUDIES = "studies"
    SERIES = "series"
    INSTANCES = "instances"


def _dicom_date(text: str) -> str:
    """A study date or range as DICOM matches it: ``YYYYMMDD`` or ``FROM-TO`` (either end
    open); ISO dates ``YYYY-MM-DD`` and ranges ``FROM..TO`` are accepted too."""
    value = text.strip()
    if ".." in value:
        low, _, high = value.partition("..")
        return f"{_dicom_date(low) if low else ''}-{_dicom_date(high) if high else ''}"
    if _ISO_DATE.match(value):
        return value.replace("-", "")
    match = _DICOM_DATE.match(value)
    if (
        value
        and match
        and (match.group(1) or match.group(3))
        and (match.group(2) or not match.group(3))
    ):
        return value
    raise ParameterError(
        f"study date {text!r} is not a date or range; give YYYY-MM-DD, YYYYMMDD, a range "
        "YYYY-MM-DD..YYYY-MM-DD or YYYYMMDD-YYYYMMDD (an end may be left open)"
    )


@dataclass(frozen=True, slots=True)
class PacsQuery:
    """A QIDO-RS query: the level and the attributes to match (``None``: any)."""

    level: QueryLevel = QueryLevel.SERIES
    patient_id: str | None = None
    modality: str | None = None
    study_date: str | None = None
    study_uid: str | None = None
    series_uid: str | None = None
    sop_class_uid: str | None = None
    limit: int | None = 100

    def __post_init__(self) -> None:
        for name, value in (
            ("study UID", self.study_uid),
            ("series UID", self.series_uid),
            ("SOP class UID", self.sop_class_uid),
        ):
            if value is not None and not _UID.match(value):
                raise ParameterError(
                    f"{name} {value!r} is not a DICOM UID; give digits and dots, "
                    "e.g. 1.2.840.10008.5.1.4.1.1.30"
                )
        if self.modality is not None and not _MODALITY.match(self.modality):
            raise ParameterError(
                f"modality {self.modality!r}: give a DICOM modality code such as MR, CT, SR"
            )
        if self.sop_class_uid is not None and self.level is not QueryLevel.INSTANCES:
            raise ParameterError(
                "the SOP class is an attribute of instances: query with --level instances"
            )
        if self.limit is not None and self.limit < 1:
            raise ParameterError(f"limit {self.limit}: give 1 or more")
        if self.study_date is not None:
            _dicom_date(self.study_date)

    def filters(self) -> dict[str, str]:
        """The QIDO-RS matching attributes (DICOM keywords) and values."""
        modality_key = "ModalitiesInStudy" if self.level is QueryLevel.STUDIES else "Modality"
        found = {
            "PatientID": self.patient_id,
            modality_key: self.modality,
            "StudyDate": None if self.study_date is None else _dicom_date(self.study_date),
            "StudyInstanceUID": self.study_uid,
            "SeriesInstanceUID": self.series_uid,
            "SOPClassUID": self.sop_class_uid,
        }
        return {k: v for k, v in found.items() if v}


# Attributes asked for at each level (QIDO-RS includefield), beside the server's defaults.
_FIELDS = {
    QueryLevel.STUDIES: (
        "PatientID", "StudyDate", "StudyDescription", "ModalitiesInStudy", "StudyInstanceUID",
        "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances",
    ),
    QueryLevel.SERIES: (
        "PatientID", "StudyDate", "StudyInstanceUID", "SeriesInstanceUID", "Modality",
        "SeriesNumber", "SeriesDescription", "NumberOfSeriesRelatedInstances",
    ),
    QueryLevel.INSTANCES: (
        "PatientID", "StudyDate", "StudyInstanceUID", "SeriesInstanceUID", "Modality",
        "SOPClassUID", "SOPInstanceUID", "InstanceNumber",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PacsMatch:
    """One study, series or instance found (attributes the server did not give are empty)."""

    level: QueryLevel
    patient_id: str = ""
    study_date: str = ""
    study_uid: str = ""
    study_description: str = ""
    modalities: tuple[str, ...] = ()
    series_uid: str = ""
    series_number: int | None = None
    series_description: str = ""
    sop_class_uid: str = ""
    sop_instance_uid: str = ""
    instance_number: int | None = None
    instances: int | None = None
    series: int | None = None

    @property
    def sop_class(self) -> str:
        """The SOP class's name (e.g. ``Parametric Map Storage``), or its UID."""
        if not self.sop_class_uid:
            return ""
        from pydicom.uid import UID

        name = UID(self.sop_class_uid).name
        return name if name != self.sop_class_uid else self.sop_class_uid

    def to_dict(self) -> dict[str, Any]:
        """The attributes of the match's level as JSON-ready values."""
        common = {"patient_id": self.patient_id, "study_date": self.study_date}
        if self.level is QueryLevel.STUDIES:
            return common | {
                "study_uid": self.study_uid,
                "study_description": self.study_description,
                "modalities": list(self.modalities),
                "series": self.series,
                "instances": self.instances,
            }
        series = common | {
            "study_uid": self.study_uid,
            "series_uid": self.series_uid,
            "modality": self.modalities[0] if self.modalities else "",
        }
        if self.level is QueryLevel.SERIES:
            return series | {
                "series_number": self.series_number,
                "series_description": self.series_description,
                "instances": self.instances,
            }
        return series | {
            "sop_class_uid": self.sop_class_uid,
            "sop_class": self.sop_class,
            "sop_instance_uid": self.sop_instance_uid,
            "instance_number": self.instance_number,
        }


def _values(item: Mapping[str, Any], tag: str) -> list[Any]:
    element = item.get(tag) or {}
    values = element.get("Value") or []
    return list(values) if isinstance(values, list) else [values]


def _text(item: Mapping[str, Any], tag: str) -> str:
    values = _values(item, tag)
    if not values:
        return ""
    value = values[0]
    if isinstance(value, dict):  # a person name
        return str(value.get("Alphabetic", ""))
    return str(value)


def _int(item: Mapping[str, Any], tag: str) -> int | None:
    text = _text(item, tag)
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def _match(level: QueryLevel, item: Mapping[str, Any]) -> PacsMatch:
    """A QIDO-RS result (DICOM JSON model, PS3.18 Annex F) as a :class:`PacsMatch`."""
    modalities = _values(item, "00080061") or _values(item, "00080060")
    return PacsMatch(
        level=level,
        patient_id=_text(item, "00100020"),
        study_date=_text(item, "00080020"),
        study_uid=_text(item, "0020000D"),
        study_description=_text(item, "00081030"),
        modalities=tuple(str(m) for m in modalities),
        series_uid=_text(item, "0020000E"),
        series_number=_int(item, "00200011"),
        series_description=_text(item, "0008103E"),
        sop_class_uid=_text(item, "00080016"),
        sop_instance_uid=_text(item, "00080018"),
        instance_number=_int(item, "00200013"),
        instances=_int(
            item,
            {
                QueryLevel.STUDIES: "00201208",
                QueryLevel.SERIES: "00201209",
                QueryLevel.INSTANCES: "",
            }[level],
        ),
        series=_int(item, "00201206"),
    )


def _network_reason(exc: Exception) -> str:
    """Why a connection failed, in a few words (not the library's whole message)."""
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused: nothing listens on that port"),
        ("NameResolutionError", "the host name is not known"),
        ("Name or service not known", "the host name is not known"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "network unreachable"),
        ("RemoteDisconnected", "the server closed the connection"),
        ("Connection reset", "the connection was reset"),
    ):
        if needle in text:
            return reason
    return _excerpt(text, 160)


def _excerpt(text: str, size: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[:size] + " …"


class DicomWeb:
    """A DICOMweb client of one PACS (see the module's description).

    Parameters
    ----------
    settings
        The server and how to authenticate.
    """

    def __init__(self, settings: PacsSettings) -> None:
        self.settings = settings
        self._client: Any = None

    @property
    def url(self) -> str:
        """The DICOMweb root, without credentials."""
        return shown_url(self.settings.url)

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        import requests
        from dicomweb_client.api import DICOMwebClient

        session = requests.Session()
        settings = self.settings
        if settings.user is not None and settings.password is not None:
            session.auth = (settings.user, settings.password)
        elif settings.token is not None:
            session.headers["Authorization"] = f"Bearer {settings.token}"
        if settings.ca_bundle is not None:
            session.verify = str(settings.ca_bundle)
        elif not settings.verify:
            session.verify = False
        try:
            client = DICOMwebClient(
                settings.url.rstrip("/"), session=session, timeout=settings.timeout_s
            )
        except ValueError as exc:
            raise ParameterError(
                f"PACS URL {self.url}: {exc}; give the DICOMweb root, e.g. "
                "http://orthanc.example:8042/dicom-web"
            ) from None
        client.set_http_retry_params(
            retry=settings.retries > 0,
            max_attempts=settings.retries + 1,
            wait_exponential_multiplier=500,
        )
        self._client = client
        return client

    @contextmanager
    def _calls(self, what: str) -> Iterator[None]:
        """Turn network and HTTP failures of ``what`` into a :class:`PacsError`."""
        import requests

        url = self.url
        try:
            yield
        except requests.exceptions.SSLError as exc:
            raise PacsError(
                f"{what} on {url}: the server's TLS certificate could not be verified "
                f"({_excerpt(str(exc), 160)}); give the CA that signs it with --ca-bundle "
                f"FILE.pem ({ENV_CA_BUNDLE})"
            ) from None
        except requests.exceptions.Timeout:
            raise PacsError(
                f"{what} on {url}: no answer within {self.settings.timeout_s:g} s; check that "
                "the server is up, or allow longer with --timeout SECONDS"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise PacsError(
                f"{what} on {url}: cannot connect ({_network_reason(exc)}); check the URL "
                "and port, that the PACS is running and that this computer may reach it "
                "(firewall, proxy)"
            ) from None
        except requests.exceptions.HTTPError as exc:
            response = exc.response
            status = None if response is None else response.status_code
            body = "" if response is None else response.text
            raise self._http_error(what, status, body) from None
        except requests.exceptions.RequestException as exc:
            raise PacsError(f"{what} on {url}: {_excerpt(str(exc), 200)}") from None
        except Exception as exc:
            # dicomweb-client's retries end in retrying.RetryError holding the last response
            last: Any = getattr(getattr(exc, "last_attempt", None), "value", None)
            if type(exc).__name__ != "RetryError" or not hasattr(last, "status_code"):
                raise
            error = self._http_error(what, last.status_code, last.text)
            raise PacsError(
                f"{error} (tried {self.settings.retries + 1} times)", status=error.status
            ) from None

    def _http_error(self, what: str, status: int | None, body: str) -> PacsError:
        url = self.url
        head = f"{what} on {url}: the server answered {status}"
        if status == 401:
            fix = (
                f"log in: give --user NAME with the password in {ENV_PASSWORD} or on "
                f"standard input (--password-stdin), or a bearer token in {ENV_TOKEN}"
            )
            if self.settings.auth != "none":
                fix = "the credentials were refused: check the user and password or token"
            return PacsError(f"{head} Unauthorized; {fix}", status=status)
        if status == 403:
            return PacsError(
                f"{head} Forbidden: the account may not do this; ask the PACS administrator "
                "for the right",
                status=status,
            )
        if status == 404:
            return PacsError(
                f"{head} Not Found: check that --url is the DICOMweb root (Orthanc: "
                "http://HOST:8042/dicom-web; dcm4chee-arc: "
                "http://HOST:8080/dcm4chee-arc/aets/DCM4CHEE/rs) and the UIDs",
                status=status,
            )
        detail = f" ({_excerpt(body)})" if body.strip() else ""
        if status is not None and status >= 500:
            return PacsError(
                f"{head}, a server error{detail}; see the PACS's log, and retry later",
                status=status,
            )
        return PacsError(
            f"{head}: the request was refused{detail}; check the query's values",
            status=status,
        )

    # ---- QIDO-RS --------------------------------------------------------------------------

    def find(self, query: PacsQuery) -> list[PacsMatch]:
        """Studies, series or instances matching ``query`` (at most ``query.limit``)."""
        client = self._connect()
        search = {
            QueryLevel.STUDIES: client.search_for_studies,
            QueryLevel.SERIES: client.search_for_series,
            QueryLevel.INSTANCES: client.search_for_instances,
        }[query.level]
        with self._calls(f"searching {query.level.value}"):
            found = search(
                fields=list(_FIELDS[query.level]),
                search_filters=query.filters(),
                limit=query.limit,
            )
        return [_match(query.level, item) for item in found]

    # ---- WADO-RS --------------------------------------------------------------------------

    def study_of_series(self, series_uid: str) -> str:
        """The Study Instance UID of a series (QIDO-RS), or :class:`PacsError` if unknown."""
        found = self.find(PacsQuery(level=QueryLevel.SERIES, series_uid=series_uid, limit=2))
        if not found:
            raise PacsError(
                f"series {series_uid} is not on {self.url}; list the series with "
                "'pseudoprog pacs find' and copy its SeriesInstanceUID",
                status=None,
            )
        return found[0].study_uid

    def retrieve_series(
        self, series_uid: str, directory: Path, *, study_uid: str | None = None
    ) -> list[Path]:
        """Write every instance of a series into ``directory`` as ``<SOPInstanceUID>.dcm``.

        The instances are streamed (one in memory at a time) in Explicit VR Little Endian,
        the transfer syntax every DICOM reader can read.
        """
        import pydicom

        study = study_uid or self.study_of_series(series_uid)
        client = self._connect()
        written: list[Path] = []
        with self._calls(f"retrieving series {series_uid}"):
            for dataset in client.iter_series(study, series_uid):
                uid = str(dataset.get("SOPInstanceUID", "")) or f"instance-{len(written) + 1}"
                path = directory / f"{uid}.dcm"
                pydicom.dcmwrite(path, dataset, enforce_file_format=True)
                written.append(path)
        if not written:
            raise PacsError(
                f"series {series_uid} on {self.url} has no instances to retrieve; check the "
                "UID with 'pseudoprog pacs find --level instances --series-uid UID'"
            )
        return written

    # ---- STOW-RS --------------------------------------------------------------------------

    def store(self, datasets: Sequence[tuple[str, Any]]) -> StoreResult:
        """Store ``(label, pydicom Dataset)`` pairs (the label names the instance in messages).

        Raises
        ------
        PacsRejectedError
            When the server rejected some instances (the others are stored).
        PacsError
            When the server could not be reached or refused the request as a whole.
        """
        client = self._connect()
        labels = {str(ds.SOPInstanceUID): label for label, ds in datasets}
        stored: list[str] = []
        rejected: list[RejectedInstance] = []
        warnings: list[str] = []
        status = None
        for start in range(0, len(datasets), STORE_BATCH):
            batch = [ds for _, ds in datasets[start : start + STORE_BATCH]]
            response, code = self._stow(client, batch)
            if code is not None:
                status = code
            for item in response.get("ReferencedSOPSequence") or []:
                uid = str(item.get("ReferencedSOPInstanceUID", ""))
                stored.append(uid)
                warning = item.get("WarningReason")
                if warning is not None:
                    warnings.append(f"{labels.get(uid, uid)}: stored with warning {warning:04X}H")
            for item in response.get("FailedSOPSequence") or []:
                uid = str(item.get("ReferencedSOPInstanceUID", ""))
                raw = item.get("FailureReason")
                code_value = None if raw is None else int(raw)
                reason, fix = failure_reason(code_value)
                rejected.append(
                    RejectedInstance(labels.get(uid, uid), uid, code_value, reason, fix)
                )
        result = StoreResult(self.settings.url, tuple(stored), tuple(rejected), tuple(warnings))
        if rejected:
            raise PacsRejectedError(result, status=status)
        return result

    def _stow(self, client: Any, batch: list[Any]) -> tuple[Any, int | None]:
        """One STOW-RS request: the response data set, and the HTTP status when the server
        refused some instances (409, or 202 from some servers, with a Failed SOP Sequence)."""
        import requests
        from pydicom import Dataset

        with self._calls("storing instances"):
            try:
                return client.store_instances(batch), None
            except requests.exceptions.HTTPError as exc:
                response = exc.response
                if response is None or "json" not in response.headers.get("Content-Type", ""):
                    raise
                try:
                    body = Dataset.from_json(response.json())
                except ValueError:
                    raise exc from None
                if not body.get("FailedSOPSequence"):
                    raise
                return body, response.status_code
        raise AssertionError("unreachable: _calls raises on every failure")  # pragma: no cover

    def store_files(self, paths: Sequence[Path]) -> StoreResult:
        """Read the DICOM files ``paths`` and store them (see :meth:`store`).

        Raises
        ------
        ParameterError
            When a file is not DICOM, naming it (nothing is sent then).
        """
        import pydicom
        from pydicom.errors import InvalidDicomError

        datasets = []
        unreadable = []
        for path in paths:
            try:
                dataset = pydicom.dcmread(path)
            except (InvalidDicomError, OSError, ValueError, EOFError):
                unreadable.append(str(path))
                continue
            if "SOPInstanceUID" not in dataset:
                unreadable.append(str(path))
                continue
            datasets.append((str(path), dataset))
        if unreadable:
            shown = ", ".join(unreadable[:5]) + (" …" if len(unreadable) > 5 else "")
            raise ParameterError(
                f"{len(unreadable)} file(s) are not DICOM instances: {shown}; give DICOM files "
                "(e.g. the SR of export-sr, the maps of perfusion fit --dicom-out); nothing "
                "was sent"
            )
        return self.store(datasets)
