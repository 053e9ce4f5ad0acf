"""Results out as FHIR R4: one Bundle per patient, in the spirit of mCODE.

A ``collection`` Bundle holds the Patient and, for each lesion and study date:

- a tumour-size Observation (mCODE *Tumor Size*,
  ``http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tumor-size``): code LOINC
  21889-1 "Size Tumor", one component LOINC 33728-7 "Size.maximum dimension in Tumor" with
  the size in UCUM ``mm``, the body site (SNOMED CT, as in the SR export) and the lesion id
  as identifier;
- a disease-status Observation (mCODE *Cancer Disease Status*,
  ``http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status``): code
  LOINC 97509-4 "Cancer disease progression"; the value codes the response category in
  pseudoprog's own code system and, where one means the same, the SNOMED CT finding of
  mCODE's condition status trend value set
  (``http://hl7.org/fhir/us/mcode/ValueSet/mcode-condition-status-trend-vs``, mCODE STU4
  4.0.0: PR 268910001 "Patient's condition improved", SD 359746009 "Patient's condition
  stable", PD 271299001 "Patient's condition worsened", INDETERMINATE 709137006 "Patient
  condition undetermined"); pseudoprogression (OPP) and the
  other categories have no SNOMED CT equivalent here and carry only pseudoprog's code;
- a pseudoprogression-assessment Observation (pseudoprog's code system): the probability
  that an enlargement is pseudoprogression with its interval as components, or why there is
  none (the probability note) as a coded value.

Resources are checked against the ``fhir.resources`` R4B models (FHIR 4.3, which leaves
Patient, Observation and Bundle as in R4 4.0.1). Ids and ``urn:uuid`` full URLs are derived
from the content, so a re-export gives the same documents.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pseudoprog.domain import ResponseCategory, Sex
from pseudoprog.io.atomic import atomic_write_text
from pseudoprog.io.dicom_sr import SITE_CODES
from pseudoprog.io.lesion_timeline import StudyResults

__all__ = ["CODE_SYSTEM", "MCODE", "patient_bundles", "write_bundles"]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
#: pseudoprog's own concepts (response categories, criteria, the pseudoprogression view).
CODE_SYSTEM = "urn:pseudoprog:codes"
PATIENT_IDS = "urn:pseudoprog:patient-id"
LESION_IDS = "urn:pseudoprog:lesion-id"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
_SNOMED_STATUS = {
    ResponseCategory.PR: ("268910001", "Patient's condition improved"),
    ResponseCategory.SD: ("359746009", "Patient's condition stable"),
    ResponseCategory.PD: ("271299001", "Patient's condition worsened"),
    ResponseCategory.INDETERMINATE: ("709137006", "Patient condition undetermined"),
}
_NAMESPACE = uuid.UUID("6c2f6c1e-8a4e-4c3b-9c59-70736575646f")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _category(code: str, display: str) -> dict[str, Any]:
    system = "http://terminology.hl7.org/CodeSystem/observation-category"
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _observation(
    key: tuple[str, ...], profile: str | None, patient_url: str, day: str
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _uuid("observation", *key),
        "status": "final",
        "subject": {"reference": patient_url},
        "effectiveDateTime": day,
    }
    if profile is not None:
        resource["meta"] = {"profile": [MCODE + profile]}
    return resource


def _bundle(patient_id: str, studies: Sequence[StudyResults]) -> dict[str, Any]:
    patient_uuid = _uuid("patient", patient_id)
    patient_url = f"urn:uuid:{patient_uuid}"
    first = studies[0].lesions[0].lesion
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_uuid,
        "identifier": [{"system": PATIENT_IDS, "value": patient_id}],
    }
    if first.sex is not None:
        patient["gender"] = "female" if first.sex is Sex.FEMALE else "male"
    entries = [{"fullUrl": patient_url, "resource": patient}]
    for study in studies:
        day = study.date.isoformat()
        for item in study.lesions:
            lesion = item.lesion
            key = (patient_id, lesion.lesion_id, day)
            site_code, site_meaning = SITE_CODES[lesion.site]
            size = _observation(("size", *key), "mcode-tumor-size", patient_url, day)
            size |= {
                "category": [_category("imaging", "Imaging")],
                "identifier": [{"system": LESION_IDS, "value": lesion.lesion_id}],
                "code": {"coding": [{"system": LOINC, "code": "21889-1", "display": "Size Tumor"}]},
                "bodySite": {
                    "coding": [{"system": SNOMED, "code": site_code, "display": site_meaning}]
                },
                "method": {"text": f"MR sequence {item.sequence.value}"},
                "component": [
                    {
                        "code": {
                            "coding": [
                                {
                                    "system": LOINC,
                                    "code": "33728-7",
                                    "display": "Size.maximum dimension in Tumor",
                                }
                            ]
                        },
                        "valueQuantity": {
                            "value": item.size_mm,
                            "unit": "mm",
                            "system": UCUM,
                            "code": "mm",
                        },
                    }
                ],
            }
            response = item.response
            codings = [{"system": CODE_SYSTEM, "code": response.value, "display": response.meaning}]
            if response in _SNOMED_STATUS:
                code, display = _SNOMED_STATUS[response]
                codings.insert(0, {"system": SNOMED, "code": code, "display": display})
            status = _observation(("status", *key), "mcode-cancer-disease-status", patient_url, day)
            status |= {
                "focus": [{"display": f"lesion {lesion.lesion_id}"}],
                "code": {
                    "coding": [
                        {
                            "system": LOINC,
                            "code": "97509-4",
                            "display": "Cancer disease progression",
                        }
                    ]
                },
                "valueCodeableConcept": {"coding": codings, "text": response.meaning},
                "method": {
                    "coding": [{"system": CODE_SYSTEM, "code": "amini2016"}],
                    "text": "Amini 2016 criteria",
                },
                "hasMember": [{"reference": f"urn:uuid:{size['id']}"}],
            }
            view = _observation(("pseudoprogression", *key), None, patient_url, day)
            view |= {
                "focus": [{"display": f"lesion {lesion.lesion_id}"}],
                "code": {
                    "coding": [
                        {
                            "system": CODE_SYSTEM,
                            "code": "pseudoprogression-probability",
                            "display": "Probability that the enlargement is pseudoprogression",
                        }
                    ]
                },
                "derivedFrom": [{"reference": f"urn:uuid:{status['id']}"}],
            }
            note = item.probability_note.value
            if item.probability is None:
                view["valueCodeableConcept"] = {
                    "coding": [{"system": CODE_SYSTEM, "code": note}],
                    "text": note.replace("_", " "),
                }
            else:
                estimate, low, high = item.probability
                view["valueQuantity"] = {
                    "value": round(estimate, 4),
                    "unit": "1",
                    "system": UCUM,
                    "code": "1",
                }
                view["component"] = [
                    {
                        "code": {"coding": [{"system": CODE_SYSTEM, "code": name}]},
                        "valueQuantity": {
                            "value": round(value, 4),
                            "unit": "1",
                            "system": UCUM,
                            "code": "1",
                        },
                    }
                    for name, value in (("interval-low", low), ("interval-high", high))
                ]
            for resource in (size, status, view):
                entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
    return {
        "resourceType": "Bundle",
        "id": _uuid("bundle", patient_id),
        "type": "collection",
        "entry": entries,
    }


def patient_bundles(studies: Iterable[StudyResults]) -> dict[str, dict[str, Any]]:
    """One validated FHIR Bundle (as JSON-ready dict) per patient, in patient order."""
    from fhir.resources.R4B.bundle import Bundle

    by_patient: dict[str, list[StudyResults]] = {}
    for study in studies:
        by_patient.setdefault(study.patient_id, []).append(study)
    out = {}
    for patient_id, items in by_patient.items():
        data = _bundle(patient_id, items)
        Bundle.model_validate(data)  # raises on a resource the R4 models reject
        out[patient_id] = data
    return out


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def write_bundles(directory: Path, studies: Iterable[StudyResults]) -> list[Path]:
    """Write ``<patient>.json`` per patient into ``directory`` (each file atomically)."""
    written = []
    for patient_id, bundle in patient_bundles(studies).items():
        target = directory / f"{_safe(patient_id)}.json"
        atomic_write_text(target, json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
        written.append(target)
    return written
