"""Measurements in from DICOM SR: TID 1500 Measurement Reports as OHIF and 3D Slicer write them.

Every SR file of a folder is read; in each Measurement Group (DCM 125007) of the report:

- the lesion id is the ``Tracking Identifier`` (DCM 112039) when it names a lesion, else the
  ``Tracking Unique Identifier`` (DCM 112040): viewers that tag a measurement with the tool
  that drew it (OHIF's ``Cornerstone3DTools@^0.1.0:Length``: text with ``@`` or ``:``) or
  with a generic label (3D Slicer's ``Measurement group N``) get the UID, which the viewer
  keeps for the same lesion across studies when it tracks it;
- the organ is the ``Finding Site`` (SCT 363698007): Spine (SCT 421060004), Brain
  (SCT 12738006) or Liver (SCT 10200004), and any other site is kept as text;
- the size is the first length measurement: ``Length`` (SCT 410668003), ``Long axis``
  (SCT 103339001) or ``Diameter`` (SCT 81827009), in mm (cm and um are converted);
- the date is the group's ``Time Point`` (UMLS C2348792, TID 1502; also its ``Subject Time
  Point Identifier``, DCM 126070) when it is a date, else the SR's
  ``StudyDate`` (the study whose images were measured), else its ``ContentDate``;
- the MR sequence is the measurement's ``Measurement Method`` when it names one (as
  pseudoprog's own reports do), else the one given by the caller.

Groups without a length are skipped (volumes, mean values) and counted in the notes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pseudoprog.domain import Sequence, Site
from pseudoprog.errors import InputValidationError, Problem

__all__ = [
    "SrLesion",
    "SrMeasurement",
    "SrReadResult",
    "measurements_csv",
    "read_measurement_files",
    "read_measurement_reports",
]

_GROUP = ("125007", "DCM")
_TRACKING_ID = ("112039", "DCM")
_TRACKING_UID = ("112040", "DCM")
_FINDING_SITE = ("363698007", "SCT")
_TIME_POINTS = {("C2348792", "UMLS"), ("126070", "DCM")}
_LENGTHS = {("410668003", "SCT"), ("103339001", "SCT"), ("81827009", "SCT")}
_UNITS_MM = {"mm": 1.0, "cm": 10.0, "um": 0.001}
_SITES = {"421060004": Site.SPINE, "12738006": Site.BRAIN, "10200004": Site.LIVER}
_TOOL_TAG = re.compile(r"[@:]|^measurement group \d+$", re.I)
_SR_STORAGE = "1.2.840.10008.5.1.4.1.1.88."


@dataclass(frozen=True, slots=True)
class SrMeasurement:
    """One lesion size read from a report."""

    lesion_id: str
    date: date
    sequence: Sequence
    size_mm: float
    source: Path


@dataclass(frozen=True, slots=True)
class SrLesion:
    """What a report says about a lesion: its patient, tracking UID and finding site."""

    patient_id: str
    lesion_id: str
    tracking_uid: str
    site: Site | None
    finding_site: str


@dataclass(frozen=True, slots=True)
class SrReadResult:
    """Measurements and lesions found, and notes on what was skipped."""

    measurements: tuple[SrMeasurement, ...]
    lesions: tuple[SrLesion, ...]
    notes: tuple[str, ...]


def _code(item: Any, attribute: str = "ConceptNameCodeSequence") -> tuple[str, str]:
    seq = item.get(attribute)
    if not seq:
        return ("", "")
    return (str(seq[0].get("CodeValue", "")), str(seq[0].get("CodingSchemeDesignator", "")))


def _meaning(item: Any, attribute: str) -> str:
    seq = item.get(attribute)
    return str(seq[0].get("CodeMeaning", "")) if seq else ""


def _groups(item: Any) -> Iterable[Any]:
    for child in item.get("ContentSequence") or []:
        if child.get("ValueType") == "CONTAINER" and _code(child) == _GROUP:
            yield child
        else:
            yield from _groups(child)


def _date(text: str) -> date | None:
    text = text.strip().replace("-", "")
    if len(text) >= 8 and text[:8].isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except ValueError:
            return None
    return None


@dataclass
class _Group:
    identifier: str = ""
    uid: str = ""
    site: Site | None = None
    site_text: str = ""
    time_point: date | None = None
    size_mm: float | None = None
    method: str = ""


def _read_group(group: Any) -> _Group:
    found = _Group()
    for item in group.get("ContentSequence") or []:
        code = _code(item)
        kind = item.get("ValueType")
        if code == _TRACKING_ID and kind == "TEXT":
            found.identifier = str(item.TextValue).strip()
        elif code == _TRACKING_UID and kind == "UIDREF":
            found.uid = str(item.UID)
        elif code == _FINDING_SITE and kind == "CODE":
            value = _code(item, "ConceptCodeSequence")
            found.site = _SITES.get(value[0]) if value[1] == "SCT" else None
            found.site_text = _meaning(item, "ConceptCodeSequence")
        elif code in _TIME_POINTS and kind == "TEXT":
            found.time_point = found.time_point or _date(str(item.TextValue))
        elif kind == "NUM" and code in _LENGTHS and found.size_mm is None:
            values = item.get("MeasuredValueSequence") or []
            if not values:
                continue
            unit = _code(values[0], "MeasurementUnitsCodeSequence")[0]
            scale = _UNITS_MM.get(unit)
            if scale is None:
                continue
            found.size_mm = float(values[0].NumericValue) * scale
            for sub in item.get("ContentSequence") or []:
                if _code(sub) == ("370129005", "SCT") and sub.get("ValueType") == "CODE":
                    found.method = _code(sub, "ConceptCodeSequence")[0]
    return found


def read_measurement_reports(
    directory: str | Path, *, sequence: Sequence = Sequence.T1
) -> SrReadResult:
    """Read the TID 1500 reports in a folder (sub-folders too).

    Raises
    ------
    InputValidationError
        When the folder holds no SR, a report has no date or patient, or two reports give
        different sizes for the same lesion, date and sequence; each problem names the file.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise InputValidationError([Problem(str(folder), "not a folder", "a folder of SR files")])
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return read_measurement_files(files, sequence=sequence, where=folder)


def read_measurement_files(
    files: Iterable[Path],
    *,
    sequence: Sequence = Sequence.T1,
    where: Path | None = None,
    every_file: bool = False,
) -> SrReadResult:
    """Read the TID 1500 reports among ``files``.

    Files that are not DICOM SR are skipped, or, with ``every_file`` (files a user chose one
    by one), each is a problem. ``where`` names the files' folder in the problem of finding
    no report at all.

    Raises
    ------
    InputValidationError
        As :func:`read_measurement_reports`; each problem names the file.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    paths = list(files)
    problems: list[Problem] = []
    notes: list[str] = []
    rows: dict[tuple[str, date, Sequence], SrMeasurement] = {}
    lesions: dict[str, SrLesion] = {}
    reports = skipped = 0
    for path in paths:
        try:
            ds = pydicom.dcmread(path)
        except (InvalidDicomError, OSError, ValueError, EOFError):
            ds = None
        if ds is None or not str(ds.get("SOPClassUID", "")).startswith(_SR_STORAGE):
            if every_file:
                what = "not a DICOM file" if ds is None else "a DICOM file but not an SR"
                problems.append(
                    Problem(
                        str(path),
                        f"{what}, so it holds no measurement report",
                        "a DICOM SR file (TID 1500 measurement report, e.g. exported from "
                        "OHIF, 3D Slicer or pseudoprog export-sr)",
                    )
                )
            continue
        reports += 1
        patient = str(ds.get("PatientID", "")).strip()
        fallback = _date(str(ds.get("StudyDate", ""))) or _date(str(ds.get("ContentDate", "")))
        if not patient:
            problems.append(
                Problem(str(path), "PatientID (0010,0020): empty", "the patient's id in the SR")
            )
            continue
        for group in _groups(ds):
            found = _read_group(group)
            if found.size_mm is None:
                skipped += 1
                continue
            day = found.time_point or fallback
            if day is None:
                problems.append(
                    Problem(
                        str(path),
                        "StudyDate (0008,0020): missing, and the measurement group has no "
                        "Time Point date",
                        "the date of the measured study in StudyDate",
                    )
                )
                break
            use_tag = not found.identifier or _TOOL_TAG.search(found.identifier) is not None
            lesion_id = found.uid if use_tag and found.uid else found.identifier
            if not lesion_id:
                problems.append(
                    Problem(
                        str(path),
                        "TrackingIdentifier (DCM 112039) / TrackingUniqueIdentifier "
                        "(DCM 112040): both missing in a measurement group",
                        "a tracking identifier or UID for every lesion measured",
                    )
                )
                continue
            try:
                seq = Sequence.parse(found.method) if found.method else sequence
            except ValueError:
                seq = sequence
            key = (lesion_id, day, seq)
            previous = rows.get(key)
            if previous is not None and abs(previous.size_mm - found.size_mm) > 1e-6:
                problems.append(
                    Problem(
                        str(path),
                        f"lesion {lesion_id} on {day.isoformat()} ({seq.value}) measures "
                        f"{found.size_mm:g} mm here but {previous.size_mm:g} mm in "
                        f"{previous.source.name}",
                        "one length per lesion, date and sequence: remove the outdated report",
                    )
                )
                continue
            rows[key] = SrMeasurement(lesion_id, day, seq, round(found.size_mm, 4), path)
            lesions.setdefault(
                lesion_id,
                SrLesion(patient, lesion_id, found.uid, found.site, found.site_text),
            )
    if reports == 0 and not problems:
        named = str(where) if where is not None else ", ".join(p.name for p in paths[:5])
        problems.append(
            Problem(
                named or "(no file)",
                "contains no DICOM SR file" if where is not None else "no DICOM SR file",
                "TID 1500 measurement reports (SR files exported from OHIF, 3D Slicer or PACS)",
            )
        )
    if problems:
        raise InputValidationError(problems)
    if skipped:
        notes.append(f"{skipped} measurement groups without a length (mm) were skipped")
    ordered = sorted(rows.values(), key=lambda m: (m.lesion_id, m.date, m.sequence.value))
    return SrReadResult(tuple(ordered), tuple(lesions.values()), tuple(notes))


def measurements_csv(found: SrReadResult) -> str:
    """The measurements found as the text of a measurements table (CSV with a header)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["lesion_id", "date", "sequence", "size_mm"])
    for m in found.measurements:
        writer.writerow([m.lesion_id, m.date.isoformat(), m.sequence.value, f"{m.size_mm:g}"])
    return buffer.getvalue()
