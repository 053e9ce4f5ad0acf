"""DICOMweb store results (STOW-RS): what a PACS stored, what it rejected and why.

The failure reasons of the Store Instances response are those of DICOM PS3.18 section
10.5.3, with the status codes of PS3.7 Annex C.4 and the Storage Service Class (PS3.4 Annex
B.2.3); each comes with what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RejectedInstance", "StoreResult", "failure_reason"]


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
