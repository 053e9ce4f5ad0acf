"""Finding the series in a DICOM folder: every file's header, one series, MR images of one kind.

Files that are not DICOM (a DICOMDIR, notes) are skipped with a note; a folder mixing series,
images that are not MR or MR of two storage classes are problems naming the file and the
DICOM attribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pseudoprog.errors import Problem
from pseudoprog.io.dicom_values import problem

__all__ = [
    "ENHANCED_MR_IMAGE_STORAGE",
    "MR_IMAGE_STORAGE",
    "DicomLayout",
    "Header",
    "check_kind",
    "check_one_series",
    "scan_folder",
]

MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
ENHANCED_MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4.1"


class DicomLayout(StrEnum):
    """How the frames of the series are stored."""

    CLASSIC = "classic single-frame MR"
    ENHANCED = "enhanced multi-frame MR"


@dataclass(frozen=True, slots=True)
class Header:
    path: Path
    ds: Any


def scan_folder(directory: Path) -> tuple[list[Header], list[str], list[Problem]]:
    """Read every file's header; non-DICOM files are skipped with a note."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not directory.is_dir():
        return [], [], [Problem(str(directory), "not a folder", "a folder of DICOM files")]
    headers: list[Header] = []
    skipped: list[str] = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.name.upper() == "DICOMDIR":
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError, EOFError):
            skipped.append(path.name)
            continue
        headers.append(Header(path, ds))
    notes = []
    if skipped:
        shown = ", ".join(skipped[:5]) + (" …" if len(skipped) > 5 else "")
        notes.append(f"{len(skipped)} files in {directory} are not DICOM and were skipped: {shown}")
    if not headers:
        return (
            [],
            notes,
            [
                Problem(
                    str(directory),
                    "contains no DICOM file",
                    "a folder holding the files of one DCE-MRI series (.dcm files from the PACS)",
                )
            ],
        )
    return headers, notes, []


def check_one_series(headers: Sequence[Header], directory: Path) -> list[Problem]:
    series: dict[str, list[Header]] = {}
    for header in headers:
        series.setdefault(str(header.ds.get("SeriesInstanceUID", "")), []).append(header)
    if len(series) == 1:
        return []
    described = "; ".join(
        f"{uid or '(none)'} '{items[0].ds.get('SeriesDescription', '')}' "
        f"({len(items)} files, e.g. {items[0].path.name})"
        for uid, items in series.items()
    )
    return [
        Problem(
            str(directory),
            f"SeriesInstanceUID (0020,000E): the folder mixes {len(series)} series: {described}",
            "the files of one DCE series only: move the other series to their own folders",
        )
    ]


def check_kind(headers: Sequence[Header]) -> tuple[DicomLayout | None, list[Problem]]:
    problems: list[Problem] = []
    classes = {str(h.ds.get("SOPClassUID", "")) for h in headers}
    first = headers[0]
    modality = str(first.ds.get("Modality", ""))
    if modality != "MR":
        problems.append(
            problem(
                first.path,
                "Modality (0008,0060)",
                f"{modality or 'missing'}: not an MR series",
                "a DCE-MRI series (Modality MR)",
            )
        )
    if classes == {MR_IMAGE_STORAGE}:
        return DicomLayout.CLASSIC, problems
    if classes == {ENHANCED_MR_IMAGE_STORAGE}:
        return DicomLayout.ENHANCED, problems
    problems.append(
        problem(
            first.path,
            "SOPClassUID (0008,0016)",
            f"{', '.join(sorted(classes))}: not MR images of one kind",
            f"MR Image Storage ({MR_IMAGE_STORAGE}) or Enhanced MR Image Storage "
            f"({ENHANCED_MR_IMAGE_STORAGE})",
        )
    )
    return None, problems
