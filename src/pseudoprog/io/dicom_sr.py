"""Results out as DICOM SR: one TID 1500 Measurement Report per patient and study date.

Each lesion measured that day is one Measurement Group (TID 1501) with

- ``Tracking Identifier`` (DCM 112039) = the lesion id and ``Tracking Unique Identifier``
  (DCM 112040) = a UID derived from the patient and lesion ids, the same in every report and
  every export, so that a viewer links the lesion across time points;
- ``Finding`` (DCM 121071) = Lesion (SCT 52988006) and ``Finding Site`` (SCT 363698007) =
  Spine (SCT 421060004), Brain (SCT 12738006) or Liver (SCT 10200004);
- ``Time Point`` (UMLS C2348792, TID 1502) = the study date;
- a ``Length`` (SCT 410668003) in mm, its ``Measurement Method`` (DCM 370129005) naming the MR
  sequence measured (coding scheme ``99PSPROG``);
- ``Response Evaluation`` (DCM 112020) = the response category and ``Response Evaluation
  Method`` (DCM 112021) = the criteria (``99PSPROG`` codes);
- ``Pseudoprogression assessment`` (``99PSPROG``) = whether a probability was estimated and, if
  not, why; with an estimate, ``Probability of pseudoprogression`` and its interval bounds as
  numbers (UCUM ``1``).

The codes of the private scheme ``99PSPROG`` are listed in the document's Coding Scheme
Identification Sequence. UIDs are derived from the content (``2.25`` UUID-derived UIDs), so
exporting the same results again gives the same files. The reports are in a study of their
own per patient and date (the table inputs do not carry the imaging study's UID).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pseudoprog.domain import ResponseCategory, Site
from pseudoprog.io.atomic import atomic_path
from pseudoprog.io.lesion_timeline import LesionTimepoint, StudyResults

__all__ = [
    "PRIVATE_SCHEME",
    "SITE_CODES",
    "deterministic_uid",
    "measurement_reports",
    "report_files",
    "report_name",
    "tracking_uid",
    "write_measurement_reports",
]

#: Private coding scheme of pseudoprog's own concepts (responses, criteria, sequences).
PRIVATE_SCHEME = "99PSPROG"
#: SNOMED CT finding sites of the lesion sites (codes as in the DICOM content mapping resource).
SITE_CODES: dict[Site, tuple[str, str]] = {
    Site.SPINE: ("421060004", "Spine"),
    Site.BRAIN: ("12738006", "Brain"),
    Site.LIVER: ("10200004", "Liver"),
}
PROBABILITY = ("PPROB", "Probability of pseudoprogression")
PROBABILITY_LOW = ("PPROB-LOW", "Probability of pseudoprogression, lower interval bound")
PROBABILITY_HIGH = ("PPROB-HIGH", "Probability of pseudoprogression, upper interval bound")
ASSESSMENT = ("PSEUDOPROG", "Pseudoprogression assessment")
CRITERIA = ("amini2016", "Amini 2016 criteria with the point-of-care assessment")


def deterministic_uid(*parts: str) -> str:
    """A ``2.25`` UID (UUID-derived, PS3.5 B.2) from the SHA-256 of ``parts``.

    >>> deterministic_uid("1", "1-L1") == deterministic_uid("1", "1-L1")
    True
    >>> deterministic_uid("1", "1-L1").startswith("2.25.")
    True
    """
    digest = hashlib.sha256("\x1f".join(("pseudoprog", *parts)).encode("utf-8")).digest()
    return f"2.25.{int.from_bytes(digest[:16], 'big')}"


def tracking_uid(patient_id: str, lesion_id: str) -> str:
    """The Tracking Unique Identifier of a lesion: the same in every report and export."""
    return deterministic_uid("tracking", patient_id, lesion_id)


def _private(code: tuple[str, str]) -> Any:
    import highdicom as hd

    return hd.sr.CodedConcept(code[0], PRIVATE_SCHEME, code[1])


def _group(item: LesionTimepoint, day: str, tracking: Mapping[str, str]) -> Any:
    import highdicom as hd
    from pydicom.sr.codedict import codes

    lesion = item.lesion
    unit_one = hd.sr.CodedConcept("1", "UCUM", "no units")
    site_code, site_meaning = SITE_CODES[lesion.site]
    measurements = [
        hd.sr.Measurement(
            name=codes.SCT.Length,
            value=item.size_mm,
            unit=codes.UCUM.Millimeter,
            method=_private((item.sequence.value, f"MR sequence {item.sequence.value}")),
        )
    ]
    if item.probability is not None:
        for code, value in zip(
            (PROBABILITY, PROBABILITY_LOW, PROBABILITY_HIGH), item.probability, strict=True
        ):
            measurements.append(
                hd.sr.Measurement(name=_private(code), value=round(value, 4), unit=unit_one)
            )
    response: ResponseCategory = item.response
    evaluations = [
        hd.sr.QualitativeEvaluation(
            codes.DCM.ResponseEvaluation, _private((response.value, response.meaning[:64]))
        ),
        hd.sr.QualitativeEvaluation(codes.DCM.ResponseEvaluationMethod, _private(CRITERIA)),
        hd.sr.QualitativeEvaluation(
            _private(ASSESSMENT),
            _private((item.probability_note.value, item.probability_note.value.replace("_", " "))),
        ),
    ]
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=tracking.get(lesion.lesion_id) or tracking_uid(lesion.patient_id, lesion.lesion_id),
            identifier=lesion.lesion_id,
        ),
        time_point_context=hd.sr.TimePointContext(time_point=day),
        finding_type=codes.SCT.Lesion,
        finding_sites=[hd.sr.FindingSite(hd.sr.CodedConcept(site_code, "SCT", site_meaning))],
        measurements=measurements,
        qualitative_evaluations=evaluations,
    )


def _patient(study: StudyResults, study_uid: str) -> Any:
    """The patient and study of the report (what an image would otherwise give)."""
    from pydicom.dataset import Dataset

    first = study.lesions[0].lesion
    ds = Dataset()
    ds.PatientID = study.patient_id
    ds.PatientName = ""  # the tables carry no names
    ds.PatientBirthDate = ""
    ds.PatientSex = {"F": "F", "M": "M"}.get(first.sex.value if first.sex else "", "")
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = study.date.strftime("%Y%m%d")
    ds.StudyTime = "000000"
    ds.StudyID = "pseudoprog"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    # an identity for highdicom's evidence bookkeeping; not recorded (record_evidence=False)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ds.SOPInstanceUID = deterministic_uid("patient", study.patient_id)
    ds.SeriesInstanceUID = deterministic_uid("patient-series", study.patient_id)
    return ds


def _content_key(study: StudyResults) -> list[str]:
    parts = [study.patient_id, study.date.isoformat()]
    for item in study.lesions:
        parts += [item.lesion.lesion_id, item.sequence.value, repr(item.size_mm)]
        parts += [item.response.value, item.probability_note.value, repr(item.probability)]
    return parts


def measurement_reports(
    studies: Iterable[StudyResults],
    *,
    software_version: str = "0",
    tracking_uids: Mapping[str, str] | None = None,
) -> list[tuple[StudyResults, Any]]:
    """One highdicom ``Comprehensive3DSR`` TID 1500 report per patient and study date.

    ``tracking_uids`` gives lesions (by lesion id) a Tracking Unique Identifier of their own,
    e.g. the one a database keeps; other lesions get :func:`tracking_uid`.
    """
    tracking = tracking_uids or {}
    import highdicom as hd
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence as DicomSequence
    from pydicom.sr.codedict import codes

    out = []
    for study in studies:
        day = study.date.isoformat()
        key = _content_key(study)
        context = hd.sr.ObservationContext(
            observer_device_context=hd.sr.ObserverContext(
                observer_type=codes.DCM.Device,
                observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
                    uid=deterministic_uid("device"), name="pseudoprog"
                ),
            )
        )
        report = hd.sr.MeasurementReport(
            observation_context=context,
            procedure_reported=hd.sr.CodedConcept("113091000", "SCT", "Magnetic resonance imaging"),
            imaging_measurements=[_group(item, day, tracking) for item in study.lesions],
        )
        study_uid = deterministic_uid("study", study.patient_id, day)
        document: Any = hd.sr.Comprehensive3DSR(
            evidence=[_patient(study, study_uid)],
            content=report,
            series_instance_uid=deterministic_uid("series", study.patient_id, day),
            series_number=1,
            sop_instance_uid=deterministic_uid("report", *key),
            instance_number=1,
            manufacturer="pseudoprog",
            is_complete=True,
            record_evidence=False,
            series_description="pseudoprog lesion measurements and responses",
        )
        scheme = Dataset()
        scheme.CodingSchemeDesignator = PRIVATE_SCHEME
        scheme.CodingSchemeName = "pseudoprog concepts"
        scheme.CodingSchemeResponsibleOrganization = "pseudoprog developers"
        document.CodingSchemeIdentificationSequence = DicomSequence([scheme])
        document.ContentDate = study.date.strftime("%Y%m%d")
        document.ContentTime = "000000"
        document.SoftwareVersions = software_version
        out.append((study, document))
    return out


@dataclass(frozen=True, slots=True)
class WrittenReport:
    """A report file and what it holds."""

    path: Path
    patient_id: str
    date: str
    lesions: int


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def report_name(study: StudyResults) -> str:
    """Where a report goes, relative to the output folder: ``<patient>/<date>.dcm``."""
    return f"{_safe(study.patient_id)}/{study.date.isoformat()}.dcm"


def report_files(
    studies: Sequence[StudyResults],
    *,
    software_version: str = "0",
    tracking_uids: Mapping[str, str] | None = None,
) -> list[tuple[str, bytes]]:
    """Each report as :func:`report_name` and the bytes of its DICOM file (for an archive)."""
    out = []
    for study, document in measurement_reports(
        studies, software_version=software_version, tracking_uids=tracking_uids
    ):
        buffer = io.BytesIO()
        document.save_as(buffer, enforce_file_format=True)
        out.append((report_name(study), buffer.getvalue()))
    return out


def write_measurement_reports(
    directory: Path,
    studies: Sequence[StudyResults],
    *,
    software_version: str = "0",
    tracking_uids: Mapping[str, str] | None = None,
) -> list[WrittenReport]:
    """Write ``<patient>/<date>.dcm`` per report into ``directory`` (each file atomically)."""
    written = []
    for study, document in measurement_reports(
        studies, software_version=software_version, tracking_uids=tracking_uids
    ):
        target = directory / report_name(study)
        with atomic_path(target) as tmp:
            document.save_as(tmp, enforce_file_format=True)
        written.append(
            WrittenReport(target, study.patient_id, study.date.isoformat(), len(study.lesions))
        )
    return written
