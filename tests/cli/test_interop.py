"""``export-sr``, ``import-sr`` and ``export-fhir``: validated by dciodvfy and the FHIR R4 models,
read back to the values that went in."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from fhir.resources.R4B.bundle import Bundle
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid
from typer.testing import CliRunner

from pseudoprog.cli import app, interop
from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.dicom_sr import tracking_uid
from pseudoprog.io.lesion_timeline import study_results

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "amini2016"
LESIONS = EXAMPLE / "lesions.csv"
MEASUREMENTS = EXAMPLE / "measurements.csv"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    if "export-sr" not in {c.name for c in app.registered_commands}:
        interop.register(app)
    return CliRunner()


def _small_tables(tmp: Path) -> tuple[Path, Path]:
    """The first three lesions of the bundled example."""
    lesions = tmp / "lesions.csv"
    measurements = tmp / "measurements.csv"
    rows = LESIONS.read_text().splitlines()
    lesions.write_text("\n".join(rows[:4]) + "\n")
    keep = {line.split(",")[1] for line in rows[1:4]}
    lines = MEASUREMENTS.read_text().splitlines()
    measurements.write_text(
        "\n".join([lines[0], *(x for x in lines[1:] if x.split(",")[0] in keep)]) + "\n"
    )
    return lesions, measurements


def _dciodvfy(path: Path) -> list[str]:
    tool = shutil.which("dciodvfy")
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("dciodvfy is missing on CI: install the Debian package dicom3tools")
        pytest.skip("dciodvfy not found: install the Debian package dicom3tools")
    run = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    return [line for line in (run.stdout + run.stderr).splitlines() if line.startswith("Error")]


def _code(item: Dataset) -> str:
    names = item.get("ConceptNameCodeSequence") or []
    return str(names[0].get("CodeValue", "")) if names else ""


def _groups(ds: Dataset) -> list[Dataset]:
    found = []
    for item in ds.ContentSequence:
        for child in item.get("ContentSequence") or []:
            if _code(child) == "125007":
                found.append(child)
    return found


def _value(group: Dataset, code: str, kind: str) -> object:
    for item in group.ContentSequence:
        if _code(item) == code and item.ValueType == kind:
            if kind == "NUM":
                return float(item.MeasuredValueSequence[0].NumericValue)
            if kind == "CODE":
                value = item.ConceptCodeSequence[0]
                return value.get("CodeValue") or value.get("LongCodeValue")
            if kind == "UIDREF":
                return item.UID
            return item.TextValue
    return None


def test_export_sr_validates_and_reads_back(runner: CliRunner, tmp_path: Path) -> None:
    lesions, measurements = _small_tables(tmp_path)
    out = tmp_path / "sr"
    result = runner.invoke(
        app, ["export-sr", "--lesions", str(lesions), "--measurements", str(measurements),
              "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cohort = load_cohort(lesions=lesions, measurements=measurements)
    expected = study_results(cohort.histories)
    files = sorted(out.rglob("*.dcm"))
    assert len(files) == len(expected)
    uids: dict[str, set[str]] = {}
    for study in expected:
        path = out / study.patient_id / f"{study.date.isoformat()}.dcm"
        assert not _dciodvfy(path)
        ds = pydicom.dcmread(path)
        assert ds.PatientID == study.patient_id
        assert ds.StudyDate == study.date.strftime("%Y%m%d")
        groups = {_value(g, "112039", "TEXT"): g for g in _groups(ds)}
        assert set(groups) == {item.lesion.lesion_id for item in study.lesions}
        for item in study.lesions:
            group = groups[item.lesion.lesion_id]
            assert _value(group, "410668003", "NUM") == pytest.approx(item.size_mm)
            assert _value(group, "112020", "CODE") == item.response.value
            assert _value(group, "PSEUDOPROG", "CODE") == item.probability_note.value
            if item.probability is not None:
                assert _value(group, "PPROB", "NUM") == pytest.approx(item.probability[0], abs=1e-4)
            uid = _value(group, "112040", "UIDREF")
            assert uid == tracking_uid(item.lesion.patient_id, item.lesion.lesion_id)
            uids.setdefault(item.lesion.lesion_id, set()).add(str(uid))
    assert all(len(v) == 1 for v in uids.values())  # one TrackingUID per lesion over time
    # re-export gives the same UIDs: study, series, instance and tracking
    again = tmp_path / "sr2"
    runner.invoke(app, ["export-sr", "--lesions", str(lesions), "--measurements",
                        str(measurements), "--output", str(again)])  # fmt: skip
    for path in files:
        first, second = pydicom.dcmread(path), pydicom.dcmread(again / path.relative_to(out))
        for name in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            assert first[name].value == second[name].value
        assert [_value(g, "112040", "UIDREF") for g in _groups(first)] == [
            _value(g, "112040", "UIDREF") for g in _groups(second)
        ]


def test_export_sr_then_import_sr_round_trips(runner: CliRunner, tmp_path: Path) -> None:
    lesions, measurements = _small_tables(tmp_path)
    out = tmp_path / "sr"
    runner.invoke(app, ["export-sr", "--lesions", str(lesions), "--measurements",
                        str(measurements), "--output", str(out)])  # fmt: skip
    table = tmp_path / "imported.csv"
    result = runner.invoke(
        app, ["import-sr", str(out), "--output", str(table), "--lesions", str(lesions)]
    )
    assert result.exit_code == 0, result.output
    before = load_cohort(lesions=lesions, measurements=measurements)
    after = load_cohort(lesions=lesions, measurements=table)
    for h0, h1 in zip(before.histories, after.histories, strict=True):
        # the export carries one size per date (the primary sequence's when measured)
        for item in h1.series.values():
            source = h0.series[item.sequence]
            for day, size in zip(item.dates, item.sizes_mm, strict=True):
                assert size == pytest.approx(source.sizes_mm[source.dates.index(day)])


def _ohif_like(folder: Path, patient: str, day: date, lengths: dict[str, float]) -> None:
    """A TID 1500 report as OHIF writes it: tool tag as tracking identifier, a polyline."""
    image = Dataset()
    image.PatientID, image.PatientName, image.PatientBirthDate, image.PatientSex = (
        patient, "Doe^Jane", "", "F")  # fmt: skip
    image.StudyInstanceUID, image.SeriesInstanceUID = generate_uid(), generate_uid()
    image.SOPInstanceUID, image.SOPClassUID = generate_uid(), "1.2.840.10008.5.1.4.1.1.4"
    image.StudyDate, image.StudyTime, image.StudyID = day.strftime("%Y%m%d"), "101500", "1"
    image.AccessionNumber, image.ReferringPhysicianName, image.Modality = "", "", "MR"
    groups = []
    for uid, length in lengths.items():
        source = hd.sr.SourceImageForRegion(
            referenced_sop_class_uid=image.SOPClassUID,
            referenced_sop_instance_uid=image.SOPInstanceUID,
        )
        groups.append(
            hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=uid, identifier="Cornerstone3DTools@^0.1.0:Length"
                ),
                referenced_region=hd.sr.ImageRegion(
                    graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                    graphic_data=np.array([[10.0, 10.0], [10.0, 10.0 + length]]),
                    source_image=source,
                ),
                finding_sites=[hd.sr.FindingSite(codes.SCT.Spine)],
                measurements=[
                    hd.sr.Measurement(
                        name=codes.SCT.Length, value=length / 10.0, unit=codes.UCUM.Centimeter
                    )
                ],
            )
        )
    _save(folder / f"ohif-{day.isoformat()}.dcm", image, groups)


def _slicer_like(folder: Path, patient: str, day: date, lengths: dict[str, float]) -> None:
    """As 3D Slicer writes it: lesion labels as tracking identifiers, no image region."""
    image = Dataset()
    image.PatientID, image.PatientName, image.PatientBirthDate, image.PatientSex = (
        patient, "Doe^Jane", "", "F")  # fmt: skip
    image.StudyInstanceUID, image.SeriesInstanceUID = generate_uid(), generate_uid()
    image.SOPInstanceUID, image.SOPClassUID = generate_uid(), "1.2.840.10008.5.1.4.1.1.4"
    image.StudyDate, image.StudyTime, image.StudyID = day.strftime("%Y%m%d"), "101500", "1"
    image.AccessionNumber, image.ReferringPhysicianName, image.Modality = "", "", "MR"
    groups = [
        hd.sr.MeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=generate_uid(), identifier=label),
            finding_type=codes.SCT.Lesion,
            finding_sites=[hd.sr.FindingSite(codes.SCT.Brain)],
            measurements=[
                hd.sr.Measurement(name=codes.SCT.LongAxis, value=size, unit=codes.UCUM.Millimeter),
                hd.sr.Measurement(
                    name=codes.SCT.Volume, value=1.0, unit=codes.UCUM.CubicCentimeter
                ),
            ],
        )
        for label, size in lengths.items()
    ]
    _save(folder / f"slicer-{day.isoformat()}.dcm", image, groups)


def _save(path: Path, image: Dataset, groups: list[object]) -> None:
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(
            observer_person_context=hd.sr.ObserverContext(
                observer_type=codes.DCM.Person,
                observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                    name="Reader^A"
                ),
            )
        ),
        procedure_reported=codes.SCT.MagneticResonanceImaging
        if hasattr(codes.SCT, "MagneticResonanceImaging")
        else hd.sr.CodedConcept("113091000", "SCT", "Magnetic resonance imaging"),
        imaging_measurements=groups,  # type: ignore[arg-type]
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=[image], content=report, series_instance_uid=generate_uid(), series_number=99,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer="viewer",
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    sr.save_as(path, enforce_file_format=True)


def test_import_sr_from_viewer_reports(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    ohif_uid = generate_uid()
    _ohif_like(folder, "7", date(2021, 1, 10), {ohif_uid: 21.5})
    _ohif_like(folder, "7", date(2021, 4, 12), {ohif_uid: 24.0})
    _slicer_like(folder, "8", date(2021, 2, 1), {"met A": 12.0, "met B": 8.5})
    table, lesions_table = tmp_path / "m.csv", tmp_path / "l.csv"
    result = runner.invoke(
        app, ["import-sr", str(folder), "--output", str(table), "--lesions-output",
              str(lesions_table)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(table.open()))
    got = {(r["lesion_id"], r["date"], r["sequence"]): float(r["size_mm"]) for r in rows}
    assert got == {
        (ohif_uid, "2021-01-10", "T1"): 21.5,
        (ohif_uid, "2021-04-12", "T1"): 24.0,
        ("met A", "2021-02-01", "T1"): 12.0,
        ("met B", "2021-02-01", "T1"): 8.5,
    }
    lesions = {r["lesion_id"]: r for r in csv.DictReader(lesions_table.open())}
    assert lesions[ohif_uid]["site"] == "spine"
    assert lesions[ohif_uid]["patient_id"] == "7"
    assert lesions["met A"]["site"] == "brain"
    assert lesions["met B"]["patient_id"] == "8"
    # completed with treatment details, the tables pass the readers
    completed = tmp_path / "lesions.csv"
    completed.write_text(
        "patient_id,lesion_id,treatment_date,dose_gy,fractions,site\n"
        f"7,{ohif_uid},2021-01-15,24,1,spine\n"
        "8,met A,2021-02-02,20,1,brain\n8,met B,2021-02-02,20,1,brain\n"
    )
    cohort = load_cohort(lesions=completed, measurements=table)
    assert cohort.histories[0].series[next(iter(cohort.histories[0].series))].sizes_mm == (
        21.5,
        24.0,
    )


def test_import_sr_rejects_a_folder_without_reports(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = tmp_path / "m.csv"
    result = runner.invoke(app, ["import-sr", str(tmp_path / "empty"), "--output", str(out)])
    assert result.exit_code == 2
    assert "contains no DICOM SR file" in result.output
    assert not out.exists()


def test_export_fhir_bundles_validate_and_carry_the_values(
    runner: CliRunner, tmp_path: Path
) -> None:
    lesions, measurements = _small_tables(tmp_path)
    out = tmp_path / "fhir"
    result = runner.invoke(
        app, ["export-fhir", "--lesions", str(lesions), "--measurements", str(measurements),
              "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cohort = load_cohort(lesions=lesions, measurements=measurements)
    expected = study_results(cohort.histories)
    for patient in cohort.patients:
        data = json.loads((out / f"{patient}.json").read_text())
        bundle = Bundle.model_validate(data)
        resources = [e.resource for e in bundle.entry]
        patients = [r for r in resources if r.get_resource_type() == "Patient"]
        assert patients[0].identifier[0].value == patient
        sizes = {
            (r.identifier[0].value, str(r.effectiveDateTime)): r.component[0].valueQuantity.value
            for r in resources
            if r.get_resource_type() == "Observation" and r.code.coding[0].code == "21889-1"
        }
        statuses = [
            r for r in resources
            if r.get_resource_type() == "Observation" and r.code.coding[0].code == "97509-4"
        ]  # fmt: skip
        mine = [s for s in expected if s.patient_id == patient]
        want = {
            (i.lesion.lesion_id, s.date.isoformat()): i.size_mm for s in mine for i in s.lesions
        }
        assert {k: float(v) for k, v in sizes.items()} == pytest.approx(want)
        responses = sorted(
            next(
                c.code for c in r.valueCodeableConcept.coding if c.system == "urn:pseudoprog:codes"
            )
            for r in statuses
        )
        assert responses == sorted(i.response.value for s in mine for i in s.lesions)
