"""Generate the bundled example: Table 1 of Amini et al. 2016 with synthetic MRI histories.

Published (seed ``001``, Table 1): patient number, age, sex, histology, level, dose,
fractions and response of the 37 lesions in 36 patients (patient 17 has two lesions).

Synthetic (this script, fixed seed): treatment dates, MRI dates, lesion sizes on the three
sequences and the events table. The histories follow the paper's protocol and time course:

* baseline MRI 1-42 days before SSRS (within 6 weeks); for some lesions an older screening MRI
  too, so that the baseline is the latest study on or before treatment;
* follow-up every 3 months for 2 years, then every 6 months (Image Review and Analysis),
  three or more follow-up studies (9 months or so) for every lesion (the paper required 6
  months);
* three sequences, T1, T2FS and T1C, whose sizes differ by about a millimetre;
* the five OPP lesions reproduce the published T1 time course exactly: time to peak 9.7-24.4
  weeks (mean 13.9, 95% CI 8.6-19.1), peak 4-8 mm above baseline (mean 5), back to baseline
  after 23.1-52.4 weeks (mean 32); on T2FS the peaks are 2-10 mm (mean 5) and on T1C 4-9 mm
  (mean 6), with one lesion on each not returning to baseline (Results, Fig 3);
* PD lesions enlarge on the early scans and keep growing; PR lesions shrink by 2 mm or more;
  SD lesions stay within 2 mm;
* multi-fraction lesions are treated in 2003-2007 and single-fraction lesions in 2007-2011,
  as in the paper's two consecutive trials (Patient Population).

Two lesions exercise the systemic-therapy rule: patient 40 (PD) shrinks after a change of
systemic therapy with no other bone lesion enlarging, and patient 45 (OPP) had a change of
systemic therapy after its peak while its other bone lesions enlarged.

Every generated history is checked with pseudoprog's classifier; a draw that does not give the
published response on every sequence is drawn again, so the example is consistent by
construction. Run ``python examples/amini2016/generate.py [DIR]`` to rewrite the CSV files
(in this folder, or in DIR).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from pseudoprog.criteria.amini2016 import assess
from pseudoprog.domain import (
    Event,
    EventKind,
    Lesion,
    LesionHistory,
    Measurement,
    ResponseCategory,
    Sequence,
    Treatment,
)

HERE = Path(__file__).resolve().parent
SEED = 20160201

# Amini et al. 2016, Table 1: No., age, sex, histology, level, dose (Gy), fractions, response.
TABLE_1: list[tuple[str, int, str, str, str, int, int, str]] = [
    ("1", 57, "F", "Renal cell carcinoma", "L1", 24, 1, "OPP"),
    ("3", 55, "M", "Renal cell carcinoma", "L4", 24, 1, "SD"),
    ("4", 54, "F", "Renal cell carcinoma", "T12", 24, 1, "PD"),
    ("5", 52, "M", "Renal cell carcinoma", "L1", 27, 3, "PR"),
    ("8", 52, "M", "Renal cell carcinoma", "L4", 30, 5, "PD"),
    ("9", 42, "M", "Renal cell carcinoma", "T11", 30, 5, "SD"),
    ("11", 53, "F", "Renal cell carcinoma", "T12", 30, 5, "PR"),
    ("12", 60, "F", "Breast carcinoma", "T8", 30, 5, "SD"),
    ("13", 63, "F", "Melanoma", "L1", 27, 3, "SD"),
    ("15", 58, "M", "Basal cell carcinoma", "T4", 30, 5, "PD"),
    ("16", 32, "F", "Thyroid carcinoma", "L3", 30, 5, "SD"),
    ("17", 46, "F", "Thyroid carcinoma", "L1", 27, 3, "PR"),
    ("17", 46, "F", "Thyroid carcinoma", "L2", 27, 3, "SD"),
    ("18", 50, "F", "Thyroid carcinoma", "T11", 27, 3, "SD"),
    ("19", 49, "M", "Thyroid carcinoma", "T6", 27, 3, "PD"),
    ("20", 44, "F", "Sarcoma", "C3", 27, 3, "PR"),
    ("22", 50, "F", "Sarcoma", "T8", 27, 3, "SD"),
    ("23", 70, "F", "Sarcoma", "L2", 27, 3, "PR"),
    ("24", 49, "M", "Thyroid carcinoma", "T1", 27, 3, "SD"),
    ("25", 48, "F", "Breast carcinoma", "T2", 18, 1, "PR"),
    ("26", 51, "F", "Breast carcinoma", "T5", 18, 1, "SD"),
    ("27", 38, "F", "Lung carcinoma", "L1", 18, 1, "SD"),
    ("29", 74, "M", "Lung carcinoma", "L1", 18, 1, "OPP"),
    ("30", 35, "M", "Sarcoma", "T8", 16, 1, "PR"),
    ("31", 50, "F", "Sarcoma", "T5", 18, 1, "PD"),
    ("32", 59, "M", "Sarcoma", "T5", 18, 1, "SD"),
    ("35", 44, "M", "Renal cell carcinoma", "L4", 24, 1, "PD"),
    ("36", 63, "M", "Renal cell carcinoma", "L6", 24, 1, "OPP"),
    ("37", 70, "M", "Renal cell carcinoma", "T12", 24, 1, "OPP"),
    ("38", 65, "M", "Renal cell carcinoma", "C3", 24, 1, "PR"),
    ("39", 61, "M", "Renal cell carcinoma", "T6", 27, 3, "PD"),
    ("40", 33, "F", "Breast carcinoma", "L4", 27, 3, "PD"),
    ("41", 67, "M", "Colon carcinoma", "L3", 27, 3, "PR"),
    ("42", 48, "F", "Adenoid cystic carcinoma", "C2", 27, 3, "PD"),
    ("43", 58, "F", "Thyroid carcinoma", "L2", 27, 3, "PR"),
    ("44", 34, "F", "Breast carcinoma", "T9", 16, 1, "PR"),
    ("45", 65, "M", "Prostate carcinoma", "T6", 16, 1, "OPP"),
]

# OPP lesions: follow-up days after SSRS and change from baseline (mm) per sequence, chosen to
# reproduce the published time course (Results; Fig 3). Peak days 68, 73, 85, 88, 171 are
# 9.7, 10.4, 12.1, 12.6 and 24.4 weeks (mean 13.9; mean ± 1.96 SD/√n = 8.6-19.1); T1 returns
# to baseline on days 162, 182, 196, 213, 367 (23.1-52.4 weeks, mean 32.0).
OPP_COURSES: dict[str, dict[str, list[float]]] = {
    "1": {
        "days": [68, 162, 253, 344, 435, 526, 617, 708, 890],
        "T1": [4.0, 1.0, 0.0, -0.5, 0.0, -1.0, -1.0, -1.0, -1.0],
        "T2FS": [5.0, 1.5, 0.5, 0.0, 0.0, -0.5, -0.5, -1.0, -1.0],
        "T1C": [4.0, 1.5, 0.5, 0.0, 0.0, -0.5, -0.5, -0.5, -1.0],
    },
    "29": {
        "days": [73, 182, 273, 364, 455, 546, 637],
        "T1": [5.0, 0.5, 0.0, 0.0, -0.5, -0.5, -0.5],
        "T2FS": [4.0, 1.5, 0.5, 0.0, 0.0, 0.0, -0.5],
        "T1C": [6.0, 3.0, 2.5, 2.2, 2.5, 2.3, 2.2],
    },
    "36": {
        "days": [85, 196, 287, 378, 469, 560, 651, 742],
        "T1": [4.0, 1.0, 0.5, 0.0, 0.0, -0.5, -0.5, -0.5],
        "T2FS": [2.0, -1.0, -1.0, -0.5, -1.0, -1.0, -1.0, -1.0],
        "T1C": [5.0, 1.0, 0.5, 0.5, 0.0, 0.0, 0.0, -0.5],
    },
    "37": {
        "days": [88, 170, 213, 262, 353, 444, 535, 626, 717],
        "T1": [4.0, 2.5, 0.8, 0.5, 0.0, 0.0, -0.5, -0.5, -0.5],
        "T2FS": [4.5, 2.3, 2.2, 1.0, 0.5, 0.5, 0.0, 0.0, 0.0],
        "T1C": [6.0, 3.5, 2.5, 1.5, 1.0, 0.5, 0.5, 0.0, 0.0],
    },
    "45": {
        "days": [84, 171, 259, 367, 458, 549, 640, 731],
        "T1": [3.0, 8.0, 5.0, 1.5, 1.0, 0.5, 0.5, 0.0],
        "T2FS": [4.0, 10.0, 7.0, 6.0, 5.0, 5.0, 4.5, 4.5],
        "T1C": [3.5, 9.0, 6.0, 1.5, 1.0, 0.5, 0.5, 0.5],
    },
}

# Systemic therapy around the peak of patient 45 (OPP kept: other bone lesions enlarged) and
# after the peak of patient 40 (PD: the decline is attributed to systemic therapy).
PLANNED_EVENTS = {
    "45": [
        (175, EventKind.SYSTEMIC_THERAPY_CHANGE, "second-line systemic therapy started"),
        (259, EventKind.OTHER_BONE_LESIONS_ENLARGED, "enlarging metastases in the pelvis"),
    ],
    "40": [(190, EventKind.SYSTEMIC_THERAPY_CHANGE, "switched to another systemic therapy")],
}

# Sequence offsets from the T1 size (mm): fat-suppressed T2 shows surrounding oedema.
SEQUENCE_OFFSET = {"T1": (0.0, 0.0), "T2FS": (0.5, 2.0), "T1C": (-1.0, 1.0)}


@dataclass
class Generated:
    lesion: Lesion
    measurements: list[Measurement]
    events: list[Event]


def lesion_id(patient: str, level: str) -> str:
    return f"P{int(patient):02d}-{level}"


def treatment_dates(rng: np.random.Generator) -> list[date]:
    """Multi-fraction lesions in 2003-2007, single-fraction in 2007-2011 (two trials)."""
    out = []
    for row in TABLE_1:
        fractions = row[6]
        start = date(2003, 1, 6) if fractions > 1 else date(2007, 7, 2)
        out.append(start + timedelta(days=int(rng.integers(0, 4 * 365))))
    return out


def schedule(rng: np.random.Generator, visits: int) -> list[int]:
    """Follow-up days: every 3 months for 2 years, then every 6 months, with a week's jitter."""
    days = []
    for k in range(1, visits + 1):
        nominal = 91 * k if k <= 8 else 728 + 182 * (k - 8)
        days.append(nominal + int(rng.integers(-7, 8)))
    return days


def change_course(rng: np.random.Generator, response: str, days: list[int]) -> list[float]:
    """T1 change from baseline (mm) at each follow-up for a non-OPP response."""
    n = len(days)
    if response == "SD":
        return [float(x) for x in rng.uniform(-1.0, 1.0, n)]
    if response == "PR":
        final = rng.uniform(-7.0, -3.0)
        ramp = np.minimum(1.0, np.arange(1, n + 1) / rng.integers(2, 5))
        return [float(x) for x in final * ramp + rng.uniform(-0.3, 0.3, n)]
    # PD: early enlargement that keeps growing, or grows then plateaus above the peak - e.
    first = rng.uniform(2.5, 5.0)
    steps = rng.uniform(1.0, 3.5, n)
    course = first + np.concatenate(([0.0], np.cumsum(steps[1:])))
    if rng.random() < 0.4 and n >= 4:
        course[2:] = course[1] + rng.uniform(-0.8, 0.8, n - 2)
    return [float(x) for x in course]


def pd_with_systemic_decline(days: list[int]) -> list[float]:
    """Patient 40: growth to a peak, then a decline after a change of systemic therapy."""
    peaks = {91: 4.0, 182: 6.5}
    return [peaks.get(d, 3.0 if d < 400 else 2.5) for d in days]


def generate_lesion(
    rng: np.random.Generator, row: tuple[str, int, str, str, str, int, int, str], treated: date
) -> Generated:
    patient, age, _sex, histology, level, dose, fractions, response = row
    lesion = Lesion(
        patient_id=patient,
        lesion_id=lesion_id(patient, level),
        treatment=Treatment(treated, float(dose), fractions),
        level=level,
        histology=histology,
        age=float(age),
        response=ResponseCategory.parse(response),
    )
    base_t1 = float(np.round(rng.uniform(12.0, 32.0), 1))
    offsets = {s: float(rng.uniform(*SEQUENCE_OFFSET[s])) for s in SEQUENCE_OFFSET}
    baseline_day = -int(rng.integers(1, 43))
    if patient in OPP_COURSES:
        course = OPP_COURSES[patient]
        days = [int(d) for d in course["days"]]
        changes = {s: [float(x) for x in course[s]] for s in SEQUENCE_OFFSET}
        noise = 0.0
    else:
        visits = int(rng.integers(3, 6)) if response == "PD" else int(rng.integers(3, 12))
        days = schedule(rng, visits)
        if patient == "40":
            days = [91, 182, 273, 364, 455]
            t1 = pd_with_systemic_decline(days)
        else:
            t1 = change_course(rng, response, days)
        changes = dict.fromkeys(SEQUENCE_OFFSET, t1)
        noise = 0.4
    measurements = []
    all_days = [baseline_day, *days]
    if rng.random() < 0.25:
        all_days.insert(0, baseline_day - int(rng.integers(30, 70)))
    for sequence, offset in offsets.items():
        seq = Sequence.parse(sequence)
        base = round(base_t1 + offset, 1)
        follow = changes[sequence]
        for k, day in enumerate(all_days):
            change = 0.0 if day <= 0 else follow[k - (len(all_days) - len(days))]
            if day < baseline_day:
                change = float(rng.uniform(-1.0, 0.0))
            jitter = float(rng.uniform(-noise, noise)) if day > 0 else 0.0
            size = round(base + change + jitter, 1)
            measurements.append(
                Measurement(lesion.lesion_id, treated + timedelta(days=day), seq, size)
            )
    events = [
        Event(patient, treated + timedelta(days=d), kind, None, detail)
        for d, kind, detail in PLANNED_EVENTS.get(patient, [])
    ]
    return Generated(lesion, measurements, events)


def consistent(generated: Generated) -> bool:
    """Whether every sequence gives the published response."""
    history = LesionHistory.from_measurements(
        generated.lesion, generated.measurements, generated.events
    )
    result = assess(history)
    expected = generated.lesion.response
    return all(r.category is expected for r in result.per_sequence.values()) and (
        result.category is expected
    )


def main(out: Path = HERE) -> None:
    """Write lesions.csv, measurements.csv and events.csv to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    dates = treatment_dates(rng)
    lesions: list[Generated] = []
    for row, treated in zip(TABLE_1, dates, strict=True):
        for _attempt in range(200):
            generated = generate_lesion(rng, row, treated)
            if consistent(generated):
                break
        else:
            raise RuntimeError(f"could not generate a consistent history for {row}")
        lesions.append(generated)

    with (out / "lesions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "patient_id",
                "lesion_id",
                "treatment_date",
                "dose_gy",
                "fractions",
                "site",
                "level",
                "histology",
                "age",
                "sex",
                "response",
            ]
        )
        for g, row in zip(lesions, TABLE_1, strict=True):
            lesion = g.lesion
            writer.writerow(
                [
                    lesion.patient_id,
                    lesion.lesion_id,
                    lesion.treatment.date.isoformat(),
                    row[5],
                    row[6],
                    "spine",
                    row[4],
                    row[3],
                    row[1],
                    row[2],
                    row[7],
                ]
            )
    with (out / "measurements.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["lesion_id", "date", "sequence", "size_mm"])
        for g in lesions:
            for m in sorted(g.measurements, key=lambda m: (m.date, m.sequence.value)):
                writer.writerow(
                    [m.lesion_id, m.date.isoformat(), m.sequence.value, f"{m.size_mm:.1f}"]
                )
    with (out / "events.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["patient_id", "date", "kind", "lesion_id", "detail"])
        for g in lesions:
            for e in g.events:
                writer.writerow([e.patient_id, e.date.isoformat(), e.kind.value, "", e.detail])
    print(f"wrote {len(lesions)} lesions to {out}")


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
