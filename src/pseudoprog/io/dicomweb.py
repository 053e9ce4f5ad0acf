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

The queries and their results are in :mod:`~pseudoprog.io.dicomweb_query`, what a store did
in :mod:`~pseudoprog.io.dicomweb_store`. ``dicomweb-client``, ``requests`` and pydicom are
imported when a server is contacted, not when this module is imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pseudoprog.errors import ParameterError, PseudoprogError
from pseudoprog.io.dicomweb_query import FIELDS, PacsMatch, PacsQuery, QueryLevel, match_of
from pseudoprog.io.dicomweb_store import RejectedInstance, StoreResult, failure_reason

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


class PacsError(PseudoprogError):
    """The PACS could not be reached, refused a request or failed; the message says what to
    do. ``status`` is the HTTP status when the server answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


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
                fields=list(FIELDS[query.level]),
                search_filters=query.filters(),
                limit=query.limit,
            )
        return [match_of(query.level, item) for item in found]

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
