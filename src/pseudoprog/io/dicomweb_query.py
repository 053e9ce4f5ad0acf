"""DICOMweb queries (QIDO-RS): what to match, and the studies, series or instances found.

:class:`PacsQuery` checks its values (UIDs, a modality code, a study date or range given as
``YYYY-MM-DD``, ``YYYYMMDD``, ``FROM..TO`` or DICOM's ``FROM-TO``) and gives the matching
attributes by DICOM keyword; :func:`match_of` reads one result of the DICOM JSON model (DICOM
PS3.18 Annex F) into a :class:`PacsMatch`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pseudoprog.errors import ParameterError

__all__ = ["FIELDS", "PacsMatch", "PacsQuery", "QueryLevel", "match_of"]

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_DICOM_DATE = re.compile(r"^(\d{8})?(-)?(\d{8})?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MODALITY = re.compile(r"^[A-Z0-9_]{1,16}$")


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
FIELDS = {
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


def match_of(level: QueryLevel, item: Mapping[str, Any]) -> PacsMatch:
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
