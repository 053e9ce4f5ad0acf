"""Hostile input tables, and the checks run on them, for the fuzz tests and ``benchmarks/fuzz.py``.

One copy of the generators serves both: the test suite runs a few hundred examples, the
benchmark tens of thousands. Every generated :class:`Case` is a set of input files (CSV bytes,
Excel workbooks or raw bytes) for one *reader*:

* ``lesions``, ``measurements``, ``events``: :func:`pseudoprog.io.cohort.load_cohort`;
* ``evidence``: :func:`pseudoprog.io.evidence.load_evidence`;
* ``evidence_table``: :func:`pseudoprog.io.evidence.load_evidence_table` (``--evidence-table``);
* ``accuracy``: :func:`pseudoprog.cli.study.load_accuracy_table` (``accuracy --table``);
* ``aif``: :func:`pseudoprog.io.dce.read_aif_csv` (``perfusion fit --aif``);
* ``evidence_append``: :func:`pseudoprog.io.dce.write_evidence_rows` on an existing table
  (``perfusion change --out``);
* ``responses``, ``treatment_start``: :func:`pseudoprog.io.responses.load_responses`
  (``best-response``).

Through the command line, ``classify`` and ``assess`` also run every registered criteria set
(``--criteria``) on the same tables.

Cases start from a coherent cohort (so that fuzzed values reach the classifier, not only the
parser) and then get hostile: cells replaced by huge numbers, NaN, far dates, NUL bytes, very
long text, random unicode; headers duplicated, emptied or renamed; rows made ragged; the text
written with other delimiters, quoting, line ends and encodings (BOMs, UTF-16); bytes truncated
or spliced. Some cases are random bytes or random text outright. Excel cases are workbooks
written with openpyxl with random sheet names and typed cells (numbers, datetimes, booleans,
formulas, empty cells).

:func:`run_api` and :func:`run_cli` run a case and raise :class:`ContractError` when the code
under test breaks its contract: an exception other than a pseudoprog error, a traceback, an
exit code other than 0 or 2, a rejection without a message, or output written on rejection.
"""

from __future__ import annotations

import csv
import io
import json
import re
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "CLI_COMMANDS",
    "EXTRA_READERS",
    "READERS",
    "Case",
    "ContractError",
    "Outcome",
    "cases",
    "cli_cases",
    "run_api",
    "run_cli",
]

Grid = list[list[str]]

#: The four readers of the input tables.
READERS = ("lesions", "measurements", "events", "evidence")
#: The other readers of user tables.
EXTRA_READERS = (
    "evidence_table",
    "accuracy",
    "aif",
    "evidence_append",
    "responses",
    "treatment_start",
)
#: Commands that read user tables, and the readers each one is fuzzed with.
CLI_COMMANDS: dict[str, tuple[str, ...]] = {
    "classify": ("lesions", "measurements", "events", "evidence"),
    "study": ("lesions", "measurements", "events"),
    "assess": ("lesions", "measurements", "events", "evidence", "evidence_table"),
    "accuracy": ("accuracy",),
    "perfusion-fit": ("aif",),
    "perfusion-change": ("evidence_append",),
    "best-response": ("responses", "treatment_start"),
}

# ---- columns and their values ------------------------------------------------------------------

#: Columns of each table (in the order written) and the kind of value each holds.
COLUMNS: dict[str, dict[str, str]] = {
    "lesions": {
        "patient_id": "patient",
        "lesion_id": "lesion",
        "treatment_date": "date",
        "dose_gy": "dose",
        "fractions": "fractions",
        "site": "site",
        "level": "level",
        "histology": "text",
        "age": "age",
        "sex": "sex",
        "response": "response",
        "in_vertebral_body": "bool",
        "body_involvement_pct": "percent",
        "role": "role",
        "organ": "text",
        "lymph_node": "bool",
        "treatment": "treatment",
    },
    "measurements": {
        "lesion_id": "lesion",
        "date": "date",
        "sequence": "sequence",
        "size_mm": "size",
        "status": "status",
        "perpendicular_mm": "size",
        "attenuation_hu": "hu",
        "viable_mm": "size",
        "intratumoral_nodule": "nodule",
    },
    "events": {
        "patient_id": "patient",
        "date": "date",
        "kind": "event_kind",
        "lesion_id": "lesion",
        "detail": "text",
        "value": "size",
    },
    "evidence": {
        "lesion_id": "lesion",
        "date": "date",
        "kind": "evidence_kind",
        "value": "evidence_value",
        "note": "text",
    },
    "evidence_table": {
        "feature": "evidence_kind",
        "positive_when": "rule",
        "pseudoprogression_positive": "count",
        "pseudoprogression_total": "count",
        "progression_positive": "count",
        "progression_total": "count",
        "sensitivity": "fraction",
        "specificity": "fraction",
        "lr_positive": "ratio",
        "lr_negative": "ratio",
        "reported": "text",
        "citation": "text",
        "location": "text",
        "description": "text",
        "assumptions": "text",
    },
    "accuracy": {"marker": "size", "outcome": "outcome", "group": "text"},
    "aif": {"time_s": "seconds", "cp_mM": "size"},
    "evidence_append": {
        "lesion_id": "lesion",
        "date": "date",
        "kind": "evidence_kind",
        "value": "evidence_value",
        "note": "text",
    },
    "responses": {"patient_id": "patient", "date": "date", "response": "overall"},
    "treatment_start": {
        "patient_id": "patient",
        "treatment_date": "date",
        "progression_date": "date",
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "lesions": ("patient_id", "lesion_id", "treatment_date", "dose_gy", "fractions"),
    "measurements": ("lesion_id", "date", "sequence", "size_mm"),
    "events": ("patient_id", "date", "kind"),
    "evidence": ("lesion_id", "date", "kind", "value"),
    "evidence_table": ("feature", "citation", "location"),
    "accuracy": ("marker", "outcome"),
    "aif": ("time_s", "cp_mM"),
    "evidence_append": ("lesion_id", "date", "kind", "value"),
    "responses": ("patient_id", "date", "response"),
    "treatment_start": ("patient_id", "treatment_date"),
}

HUGE_NUMBERS = (
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "1e400",
    "-1e400",
    "5e-324",
    "1e-400",
    "-0",
    "-0.0",
    "+0",
    "0",
    "0.0",
    "1" * 400,
    "9" * 5000,
    "0." + "0" * 400 + "1",
    "18446744073709551616",
    "-9223372036854775809",
    "2**64",
)
NAN_TEXT = (
    "nan",
    "NaN",
    "-nan",
    "NAN",
    "inf",
    "-inf",
    "+inf",
    "Infinity",
    "-Infinity",
    "INF",
    "infinity",
    "NaT",
    "null",
    "NULL",
    "None",
    "N/A",
    "#N/A",
    "#DIV/0!",
    "#VALUE!",
)
ODD_NUMBERS = (
    "1_000",
    "0x1A",
    "1,5",
    "1.5.1",
    "٣",
    "１２",
    "24 Gy",
    "24e",
    ".5",
    "5.",
    " 24 ",
    "\u00a024",
    "24\x00",
    "50",
    "51",
    "49.99999999999999999",
    "300",
    "300.0000001",
    "-1",
    "1e3",
    "3.0",
    "3.5",
    "1e-5",
)
FAR_DATES = (
    "0001-01-01",
    "0001-01-02",
    "9999-12-31",
    "9999-12-30",
    "9999-06-30",
    "10000-01-01",
    "0000-01-01",
    "0000-00-00",
    "-0001-01-01",
    "-2010-01-01",
    "+2010-01-01",
    "99999-01-01",
    "1677-09-21",
    "1677-09-22",
    "2262-04-11",
    "2262-04-12",
    "1900-01-01",
    "1899-12-30",
    "1899-12-31",
    "1970-01-01",
    "1969-12-31",
    "2038-01-19",
    "2100-02-29",
    "2000-02-29",
)
ODD_DATES = (
    "2010-02-30",
    "2010-13-01",
    "2010-00-10",
    "2010-1-1",
    "20100101",
    "01/02/2010",
    "2010/01/02",
    "2010-01-01T00:00:00",
    "2010-01-01 00:00",
    "2010-01-01T00:00:00.000",
    "2010-01-01T12:00:00",
    "2010-01-01Z",
    "2010-01-01T00:00:00+05:00",
    "2010-W01-1",
    "٢٠١٠-٠١-٠١",
    "２０１０-０１-０１",
    "2010-01-01\x00",
    "today",
    "40179",
    "1" * 30,
)
NASTY_TEXT = (
    "",
    " ",
    "\t",
    "\x00",
    "\x00\x00\x00",
    "\ufeff",
    "\u200b",
    "\u202e",
    '"',
    '""',
    "'",
    ",",
    ";",
    "|",
    "\n",
    "\r",
    "\r\n",
    "a\nb",
    '"a\nb"',
    "=1+1",
    "=1/0",
    '=HYPERLINK("x")',
    "@SUM(1)",
    "+1",
    "-",
    "TRUE",
    "[bold]x",
    "[/]",
    "[red]x[/red]",
    "%s%n",
    "{0}",
    "\\",
    "\\N",
    "😀",
    "\U0010fffd",
    "ﷺ",
    "İ",
    "ß",
    "\x1b[31m",
    "</td><script>",
    "x" * 300,
)
VALID: dict[str, tuple[str, ...]] = {
    "patient": ("P1", "P2", "P3", "1", "01"),
    "lesion": ("L1", "L2", "L3", "P1-L1", "l1", " L1 "),
    "date": ("2010-01-01", "2010-03-15", "2011-06-30", "2009-12-31", "2010-01-01 00:00:00"),
    "dose": ("24", "27", "30", "16", "24.0", "8"),
    "fractions": ("1", "3", "5", "1.0", "10", "50"),
    "site": ("spine", "Spine", "brain", "liver", " SPINE ", "bone"),
    "level": ("T12", "L1", "C7", "S1", "t12", "L 1", "Th4", "D10", "X9", "L7"),
    "age": ("57", "18", "90", "120", "0", "55.5"),
    "sex": ("F", "M", "f", "male", "female", "woman"),
    "response": ("PR", "SD", "PD", "OPP", "INDETERMINATE", "pd", "progression"),
    "bool": ("yes", "no", "true", "false", "1", "0", "Y", "N", "T", "F"),
    "percent": ("0", "10", "50", "75", "76", "100", "33.3"),
    "sequence": ("T1", "T2FS", "T1C", "t1", "T1-C", "T2 FS", "T1W", "flair"),
    "size": ("20", "25.5", "0.1", "300", "12", "1e1", "7"),
    "event_kind": (
        "systemic_therapy_change",
        "other_bone_lesions_enlarged",
        "other_bone_lesions_decreased",
        "hardware",
        "fracture",
        "cement",
        "corticosteroids",
        "clinical_status",
        "surgery",
        "reirradiation",
        "new_bone_lesions",
        "Systemic Therapy Change",
    ),
    "evidence_kind": (
        "dce_vp_change_pct",
        "t2_signal_ratio_change_pct",
        "growth_within_80pct_isodose",
        "dsc_rcbv_ratio",
        "amino_acid_pet_tbr_mean",
        "pathology",
        "DCE VP change pct",
    ),
    "evidence_value": (
        "-45",
        "22",
        "0",
        "-100",
        "150",
        "yes",
        "no",
        "true",
        "1",
        "2.1",
        "necrosis",
        "tumour",
        "mixed",
    ),
    "rule": ("true", "false", "< 0", "> 0", "<= -10", ">= 20", "== 3", "<"),
    "count": ("0", "1", "3", "12", "15", "20", "40", "-1", "2.5"),
    "fraction": ("0.8", "0.5", "1", "0", "1.2"),
    "ratio": ("5", "0.2", "12.44", "1", "0", "-1"),
    "outcome": ("0", "1", "yes", "no", "positive", "negative", "true", "false", "OPP"),
    "seconds": ("0", "2.5", "5", "300", "600", "1e6"),
    "text": ("Renal cell carcinoma", "new drug", "Our registry 2020", "Table 2", "x"),
    "role": ("target", "non_target", "new", "non-target", "TARGET", "nontarget"),
    "status": ("present", "absent", "unequivocal_progression", "equivocal", "not_evaluated"),
    "overall": ("CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE", "ND", "non-CR/non-PD"),
    "treatment": ("ssrs", "srs", "chemotherapy", "immunotherapy", "SRS", "radiotherapy"),
    "hu": ("45", "-20", "0", "120.5", "3000", "-1000", "68"),
    "nodule": ("absent", "present", "new", "growing", "NEW", "maybe"),
}
NUMERIC_KINDS = {
    "dose",
    "fractions",
    "age",
    "percent",
    "size",
    "count",
    "fraction",
    "ratio",
    "seconds",
    "evidence_value",
    "hu",
}

_EXCEL_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_SHEET_ILLEGAL = re.compile(r"[\\*?:/\[\]]")


def _long_text() -> st.SearchStrategy[str]:
    """Very long cells: beyond Excel's limit, and beyond Arrow's CSV block of 1 MiB."""
    return st.builds(
        lambda char, n: char * n,
        st.sampled_from(["x", "9", "é", "😀", "\x00", ",", '"', "\n"]),
        st.sampled_from([1_000, 40_000, 70_000, 1_100_000]),
    )


def _cell(kind: str) -> st.SearchStrategy[str]:
    """A hostile or valid text cell of a column that holds ``kind`` values."""
    valid = st.sampled_from(VALID[kind])
    specific: list[st.SearchStrategy[str]] = []
    if kind in NUMERIC_KINDS:
        specific += [
            st.sampled_from(HUGE_NUMBERS),
            st.sampled_from(NAN_TEXT),
            st.sampled_from(ODD_NUMBERS),
            st.floats().map(repr),
            st.integers(-(2**80), 2**80).map(str),
        ]
    if kind == "date":
        specific += [
            st.sampled_from(FAR_DATES),
            st.sampled_from(FAR_DATES),
            st.sampled_from(ODD_DATES),
            st.dates().map(date.isoformat),
            st.datetimes().map(datetime.isoformat),
        ]
    return st.one_of(
        valid,
        valid,
        *specific,
        st.sampled_from(NASTY_TEXT),
        st.text(max_size=12),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
        _long_text(),
    )


# ---- coherent cohorts -------------------------------------------------------------------------

_ANCHORS = (
    date(1, 1, 1),
    date(1, 3, 1),
    date(1677, 9, 21),
    date(1899, 12, 31),
    date(1900, 1, 1),
    date(2199, 6, 30),
    date(2199, 12, 31),
    date(1969, 12, 31),
    date(2262, 4, 11),
    date(9999, 1, 1),
    date(9999, 6, 30),
    date(9999, 12, 31),
)


def _shift(day: date, days: int) -> date:
    """``day + days``, held within the dates Python can represent."""
    ordinal = min(max(day.toordinal() + days, date.min.toordinal()), date.max.toordinal())
    return date.fromordinal(ordinal)


def _anchor() -> st.SearchStrategy[date]:
    common = st.dates(min_value=date(1995, 1, 1), max_value=date(2030, 12, 31))
    return st.one_of(*[common] * 6, st.sampled_from(_ANCHORS), st.dates())


@dataclass
class Cohort:
    """Coherent tables (text cells) of one generated cohort; ``grids[name][0]`` is the header."""

    grids: dict[str, Grid]
    lesion_ids: list[str]


#: Valid events of a coherent cohort: (kind, detail, value); the lesion is drawn apart.
_COHERENT_EVENTS = (
    ("systemic_therapy_change", "new drug", ""),
    ("other_bone_lesions_enlarged", "", ""),
    ("other_bone_lesions_decreased", "", ""),
    ("hardware", "", ""),
    ("fracture", "", ""),
    ("new_bone_lesions", "", "2"),
    ("corticosteroids", "", "4"),
    ("corticosteroids", "", "0"),
    ("clinical_status", "worse", ""),
    ("clinical_status", "stable", ""),
    ("surgery", "", ""),
    ("reirradiation", "", ""),
)


@st.composite
def _liver_cells(draw: st.DrawFn, liver: bool, size: float) -> list[str]:
    """Attenuation (HU), viable diameter (at most the size) and nodule cells, or none."""
    if not liver:
        return []
    hu = f"{draw(st.floats(10.0, 140.0)):.0f}"
    viable = f"{draw(st.floats(0.0, 1.0)) * size:.1f}"
    nodule = draw(st.sampled_from(["", "absent", "present", "new"]))
    return [hu, viable, nodule]


@st.composite
def cohorts(draw: st.DrawFn) -> Cohort:
    """A small valid cohort: lesions, measurements with baselines, events and evidence."""
    anchor = draw(_anchor())
    n_lesions = draw(st.integers(1, 3))
    optional = [c for c in COLUMNS["lesions"] if c not in REQUIRED["lesions"]]
    extra = draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    lesion_header = [*REQUIRED["lesions"], *(c for c in optional if c in extra)]
    lesions: Grid = [lesion_header]
    # Liver columns (Choi, mRECIST) on some cohorts: attenuation, viable diameter, nodules.
    liver = draw(st.booleans())
    liver_columns = ["attenuation_hu", "viable_mm", "intratumoral_nodule"] if liver else []
    measurements: Grid = [[*REQUIRED["measurements"], *liver_columns]]
    events: Grid = [["patient_id", "date", "kind", "lesion_id", "detail", "value"]]
    evidence: Grid = [["lesion_id", "date", "kind", "value", "note"]]
    ids, patients, treated = [], [], []
    for i in range(n_lesions):
        patient = f"P{draw(st.integers(1, 2))}"
        lesion = f"L{i + 1}"
        day = _shift(anchor, draw(st.integers(0, 400)))
        dose, fractions = draw(
            st.sampled_from([("24", "1"), ("27", "3"), ("30", "5"), ("16", "1")])
        )
        values = {
            "patient_id": patient,
            "lesion_id": lesion,
            "treatment_date": day.isoformat(),
            "dose_gy": dose,
            "fractions": fractions,
            "site": draw(st.sampled_from(["spine"] * 6 + ["brain", "liver"])),
            "level": draw(st.sampled_from(["T12", "L1", "C7", "S1", ""])),
            "histology": draw(st.sampled_from(["Renal cell carcinoma", "Breast", ""])),
            "age": str(draw(st.integers(18, 90))),
            "sex": draw(st.sampled_from(["F", "M", ""])),
            "response": draw(st.sampled_from(["PR", "SD", "PD", "OPP", ""])),
            "in_vertebral_body": draw(st.sampled_from(["yes", "no", ""])),
            "body_involvement_pct": str(draw(st.integers(0, 100))),
            "role": draw(st.sampled_from(["target", "target", "non_target"])),
            "organ": draw(st.sampled_from(["bone", "liver", "lung", ""])),
            "lymph_node": draw(st.sampled_from(["no", "yes", ""])),
            "treatment": draw(st.sampled_from(["", "", "chemotherapy", "srs"])),
        }
        if values["site"] != "spine":
            values["level"] = ""
        lesions.append([values[c] for c in lesion_header])
        ids.append(lesion)
        patients.append(patient)
        treated.append(day)
        sequences = draw(
            st.lists(st.sampled_from(["T1C", "T2FS"]), unique=True, max_size=2).map(
                lambda s: ["T1", *s]
            )
        )
        for sequence in sequences:
            when = _shift(day, -draw(st.integers(0, 60)))
            size = draw(st.floats(1.0, 60.0))
            cells = draw(_liver_cells(liver, size))
            measurements.append([lesion, when.isoformat(), sequence, f"{size:.1f}", *cells])
            for _ in range(draw(st.integers(0, 4))):
                when = _shift(when, draw(st.integers(20, 200)))
                size = max(0.5, size + draw(st.floats(-8.0, 8.0)))
                cells = draw(_liver_cells(liver, size))
                measurements.append([lesion, when.isoformat(), sequence, f"{size:.1f}", *cells])
    for _ in range(draw(st.integers(0, 3))):
        k = draw(st.integers(0, n_lesions - 1))
        events.append(
            [
                patients[k],
                _shift(treated[k], draw(st.integers(0, 700))).isoformat(),
                *draw(st.sampled_from(_COHERENT_EVENTS)),
            ]
        )
        events[-1][3:3] = [draw(st.sampled_from([ids[k], ""]))]
    for _ in range(draw(st.integers(0, 3))):
        k = draw(st.integers(0, n_lesions - 1))
        kind = draw(st.sampled_from(VALID["evidence_kind"][:6]))
        if kind.startswith("growth"):
            value = draw(st.sampled_from(["yes", "no"]))
        elif kind == "pathology":
            value = draw(st.sampled_from(["necrosis", "tumour", "mixed"]))
        elif kind in ("dsc_rcbv_ratio", "amino_acid_pet_tbr_mean"):
            value = f"{draw(st.floats(0.3, 6.0)):.2f}"
        else:
            value = str(draw(st.integers(-100, 200)))
        evidence.append(
            [ids[k], _shift(treated[k], draw(st.integers(0, 400))).isoformat(), kind, value, ""]
        )
    grids = {"lesions": lesions, "measurements": measurements, "events": events}
    grids["evidence"] = evidence
    grids["evidence_append"] = [[*row] for row in evidence]
    starts: Grid = [["patient_id", "treatment_date", "progression_date"]]
    responses: Grid = [["patient_id", "date", "response"]]
    for patient in dict.fromkeys(patients):
        first = min(t for t, p in zip(treated, patients, strict=True) if p == patient)
        late = draw(st.sampled_from(["", "", _shift(first, 400).isoformat()]))
        starts.append([patient, first.isoformat(), late])
        when = first
        for _ in range(draw(st.integers(0, 4))):
            when = _shift(when, draw(st.integers(20, 120)))
            responses.append([patient, when.isoformat(), draw(st.sampled_from(VALID["overall"]))])
    grids["treatment_start"], grids["responses"] = starts, responses
    return Cohort(grids, ids)


@st.composite
def _other_grid(draw: st.DrawFn, reader: str) -> Grid:
    """A valid table of one of the readers outside the cohort."""
    if reader == "evidence_table":
        header = ["feature", "positive_when", *REQUIRED["evidence_table"][1:]]
        header += ["pseudoprogression_positive", "pseudoprogression_total"]
        header += ["progression_positive", "progression_total", "reported", "lr_positive"]
        rows = [header]
        for feature in draw(
            st.lists(st.sampled_from(VALID["evidence_kind"][:3]), unique=True, max_size=3)
        ):
            total_a, total_b = draw(st.integers(1, 40)), draw(st.integers(1, 40))
            rows.append(
                [
                    feature,
                    "true" if feature.startswith("growth") else "< 0",
                    "Our registry 2020",
                    "Table 2",
                    str(draw(st.integers(0, total_a))),
                    str(total_a),
                    str(draw(st.integers(0, total_b))),
                    str(total_b),
                    "",
                    "",
                ]
            )
        return rows
    if reader == "accuracy":
        rows = [["marker", "outcome", "group"]]
        for _ in range(draw(st.integers(2, 12))):
            rows.append(
                [
                    f"{draw(st.floats(-100, 100)):.3g}",
                    draw(st.sampled_from(["0", "1", "yes", "no"])),
                    "a",
                ]
            )
        return rows
    # aif: a curve over 0..60 s (the frames of the perfusion kit), sometimes too short
    step = draw(st.sampled_from([1.0, 2.5, 5.0, 7.0]))
    end = draw(st.sampled_from([60.0, 65.0, 40.0]))
    times = np.arange(0.0, end + step / 2, step)
    return [["time_s", "cp_mM"]] + [[f"{t:g}", f"{5 * t * np.exp(-t / 10):.4g}"] for t in times]


# ---- making tables hostile --------------------------------------------------------------------

_HEADER_VARIANTS = (
    lambda n: n.upper(),
    lambda n: n.replace("_", " ").title(),
    lambda n: f"  {n}  ",
    lambda n: "\ufeff" + n,
    lambda n: n + "\x00",
    lambda n: n.replace("_", "-"),
    lambda n: f'"{n}"',
)


@st.composite
def hostile(draw: st.DrawFn, grid: Grid, reader: str) -> Grid:
    """``grid`` with a few cells, headers and rows made hostile."""
    kinds = COLUMNS[reader]
    rows = [list(row) for row in grid]
    operations = draw(
        st.lists(
            st.sampled_from(
                [
                    "cell",
                    "cell",
                    "cell",
                    "cell",
                    "column",
                    "duplicate_header",
                    "empty_header",
                    "header_variant",
                    "random_header",
                    "drop_column",
                    "extra_column",
                    "duplicate_row",
                    "drop_row",
                    "ragged",
                    "blank_row",
                    "random_row",
                ]
            ),
            min_size=1,
            max_size=5,
        )
    )
    for op in operations:
        header = rows[0]
        width = len(header)
        if op in ("cell", "column") and len(rows) > 1 and width:
            j = draw(st.integers(0, width - 1))
            kind = kinds.get(header[j].strip().lower(), "text")
            targets = (
                range(1, len(rows)) if op == "column" else [draw(st.integers(1, len(rows) - 1))]
            )
            for i in targets:
                if j < len(rows[i]):
                    rows[i][j] = draw(_cell(kind))
        elif op == "duplicate_header" and width:
            j = draw(st.integers(0, width - 1))
            rows = [
                [*row, row[j] if j < len(row) else ""] if i else [*row, header[j]]
                for i, row in enumerate(rows)
            ]
        elif op == "empty_header" and width:
            rows[0][draw(st.integers(0, width - 1))] = draw(st.sampled_from(["", " ", "\ufeff"]))
        elif op == "header_variant" and width:
            j = draw(st.integers(0, width - 1))
            rows[0][j] = draw(st.sampled_from(_HEADER_VARIANTS))(header[j])
        elif op == "random_header" and width:
            rows[0][draw(st.integers(0, width - 1))] = draw(
                st.one_of(st.text(max_size=10), st.sampled_from(NASTY_TEXT))
            )
        elif op == "drop_column" and width:
            j = draw(st.integers(0, width - 1))
            rows = [[c for k, c in enumerate(row) if k != j] for row in rows]
        elif op == "extra_column":
            name = draw(st.one_of(st.sampled_from(list(kinds)), st.text(max_size=8)))
            kind = kinds.get(name, "text")
            rows = [[*row, name if i == 0 else draw(_cell(kind))] for i, row in enumerate(rows)]
        elif op == "duplicate_row" and len(rows) > 1:
            i = draw(st.integers(1, len(rows) - 1))
            rows.insert(draw(st.integers(1, len(rows))), list(rows[i]))
        elif op == "drop_row" and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif op == "ragged" and len(rows) > 1:
            i = draw(st.integers(1, len(rows) - 1))
            cut = draw(st.integers(0, width + 3))
            rows[i] = rows[i][:cut] + ["x"] * max(0, cut - len(rows[i]))
        elif op == "blank_row":
            rows.insert(draw(st.integers(1, len(rows))), [""] * draw(st.sampled_from([0, width])))
        elif op == "random_row":
            rows.append([draw(_cell(kinds.get(h.strip().lower(), "text"))) for h in header])
    return rows


@st.composite
def random_grid(draw: st.DrawFn, reader: str) -> Grid:
    """Random cells under a valid (or nearly valid) header."""
    names = list(COLUMNS[reader])
    header = draw(
        st.one_of(
            st.just(list(REQUIRED[reader])),
            st.just(names),
            st.lists(st.sampled_from(names), min_size=1, max_size=len(names) + 2),
        )
    )
    n = draw(st.integers(0, 6))
    cells = st.one_of(st.text(max_size=10), st.sampled_from(NASTY_TEXT))
    return [header] + [
        [draw(st.one_of(cells, _cell(COLUMNS[reader].get(h, "text")))) for h in header]
        for _ in range(n)
    ]


# ---- writing tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BytesFile:
    """A file given as bytes (a CSV in some encoding, or anything else)."""

    data: bytes
    suffix: str = ".csv"

    def write(self, stem: Path) -> Path:
        path = stem.with_name(stem.name + self.suffix)
        path.write_bytes(self.data)
        return path

    def describe(self) -> str:
        shown = self.data[:600]
        more = f" ... ({len(self.data)} bytes)" if len(self.data) > 600 else ""
        return f"{self.suffix} bytes {shown!r}{more}"


@dataclass(frozen=True)
class ExcelFile:
    """A workbook: sheets of typed cells (the first row of each is its header)."""

    sheets: tuple[tuple[str, tuple[tuple[Any, ...], ...]], ...]
    suffix: str = ".xlsx"

    def write(self, stem: Path) -> Path:
        import openpyxl

        path = stem.with_name(stem.name + self.suffix)
        book = openpyxl.Workbook(write_only=True)
        for title, rows in self.sheets:
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(list(row))
        book.save(path)
        return path

    def describe(self) -> str:
        return f"{self.suffix} workbook {_short(self.sheets)}"


FileSpec = BytesFile | ExcelFile


def _short(value: object, limit: int = 2000) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f" ... ({len(text)} characters)"


@st.composite
def csv_bytes(draw: st.DrawFn, grid: Grid) -> bytes:
    """``grid`` as CSV bytes: some delimiter, quoting, line end, encoding and byte damage.

    Four times in ten the grid is written plainly (UTF-8, commas, minimal quoting), so that
    the cells, not the file format, decide what happens.
    """
    if draw(st.integers(0, 9)) < 4:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(grid)
        return buffer.getvalue().encode("utf-8")
    delimiter = draw(st.sampled_from([",", ",", ",", ",", ";", "\t", "|"]))
    style = draw(st.sampled_from(["minimal", "minimal", "minimal", "all", "raw"]))
    end = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    if style == "raw":  # no quoting at all: delimiters and newlines in cells break the rows
        text = end.join(delimiter.join(row) for row in grid)
    else:
        buffer = io.StringIO()
        quoting = csv.QUOTE_ALL if style == "all" else csv.QUOTE_MINIMAL
        writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=end)
        writer.writerows(grid)
        text = buffer.getvalue()
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    encoding = draw(
        st.sampled_from(
            ["utf-8"] * 12
            + ["utf-8-sig", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]
            + ["latin-1", "cp1252"]
        )
    )
    data = text.encode(encoding, errors="replace")
    damage = draw(st.sampled_from([None] * 8 + ["nul", "truncate", "splice", "bom"]))
    if damage is not None and data:
        at = draw(st.integers(0, len(data)))
        if damage == "nul":
            data = data[:at] + b"\x00" + data[at:]
        elif damage == "truncate":
            data = data[:at]
        elif damage == "splice":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        else:
            data = data[:at] + "\ufeff".encode() + data[at:]
    return data


def _excel_text(text: str) -> str:
    return _EXCEL_ILLEGAL.sub("", text)[:32_767]


def _typed(cell: str) -> st.SearchStrategy[Any]:
    """A typed workbook cell for the text ``cell``: as text, a number or a date; rarely random."""
    options: list[Any] = [_excel_text(cell)]
    try:
        number = float(cell)
    except ValueError:
        number = None
    if number is not None:
        options.append(number)
        if number.is_integer() and abs(number) < 2**62:
            options.append(int(number))
    try:
        day = date.fromisoformat(cell[:10]) if len(cell) >= 10 else None
    except ValueError:
        day = None
    if day is not None:
        options += [datetime.combine(day, time()), day]
    faithful = st.sampled_from(options)
    with_time = st.nothing() if day is None else st.times().map(lambda t: datetime.combine(day, t))
    return st.integers(0, 39).flatmap(
        lambda k: excel_values() if k == 0 else with_time | faithful if k == 1 else faithful
    )


def excel_values() -> st.SearchStrategy[Any]:
    """Random typed workbook cells."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(),
        st.sampled_from([1e308, -1e308, 5e-324, -0.0, 0.0, float("nan"), float("inf")]),
        st.datetimes(),
        st.dates(),
        st.sampled_from(
            [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59), date(1899, 12, 30)]
        ),
        st.times(),
        st.timedeltas(min_value=timedelta(days=-1000), max_value=timedelta(days=1000)),
        st.sampled_from(["=1/0", "=A1", "=NOW()", "=SUM(A1:A3)", "=", '="2010-01-01"', "=1e400"]),
        st.text(max_size=10).map(_excel_text),
        st.sampled_from(NASTY_TEXT).map(_excel_text),
    )


def _sheet_title(text: str) -> str:
    title = _SHEET_ILLEGAL.sub("", _excel_text(text)).strip("'")[:31]
    return title or "Sheet"


def sheet_names(name: str) -> st.SearchStrategy[str]:
    """The name a table's sheet may carry: mostly its own name, else a variant or anything."""
    variants = [name.upper(), name.title(), f" {name} ", f"{name}s", name[:-1]]
    return st.integers(0, 9).flatmap(
        lambda k: (
            st.just(name)
            if k < 7
            else st.sampled_from(variants)
            if k < 9
            else st.text(min_size=1, max_size=40).map(_sheet_title)
        )
    )


@st.composite
def excel_sheet(draw: st.DrawFn, grid: Grid) -> tuple[tuple[Any, ...], ...]:
    """``grid`` with typed cells; the header is text, once in ten with one random cell."""
    rows: list[tuple[Any, ...]] = [tuple(_excel_text(c) for c in row) for row in grid[:1]]
    if rows and rows[0] and draw(st.integers(0, 9)) == 0:
        header = list(rows[0])
        header[draw(st.integers(0, len(header) - 1))] = draw(excel_values())
        rows[0] = tuple(header)
    rows += [tuple(draw(_typed(c)) for c in row) for row in grid[1:]]
    return tuple(rows)


# ---- cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """The input files of one fuzzed run of ``reader``.

    ``files`` are the tables given one by one (``lesions``, ``measurements``, ``events``,
    ``evidence``, ...); ``workbook`` a workbook given with ``--workbook`` (sheets named after
    the tables). ``excel`` says whether any workbook takes part.
    """

    reader: str
    files: tuple[tuple[str, FileSpec], ...] = ()
    workbook: ExcelFile | None = None
    origin: str = ""

    @property
    def excel(self) -> bool:
        return self.workbook is not None or any(isinstance(f, ExcelFile) for _, f in self.files)

    def write(self, folder: Path) -> tuple[dict[str, Path], Path | None]:
        """Write the files into ``folder``: the path of each table, and of the workbook."""
        paths = {name: spec.write(folder / name) for name, spec in self.files}
        book = None if self.workbook is None else self.workbook.write(folder / "workbook")
        return paths, book

    def describe(self) -> str:
        parts = [f"reader {self.reader} ({self.origin})"]
        parts += [f"  {name}: {spec.describe()}" for name, spec in self.files]
        if self.workbook is not None:
            parts.append(f"  --workbook: {self.workbook.describe()}")
        return "\n".join(parts)


_CONTEXT = {
    "responses": ("treatment_start",),
    "treatment_start": ("responses",),
    "lesions": ("measurements", "events"),
    "measurements": ("lesions", "events"),
    "events": ("lesions", "measurements"),
    "evidence": ("lesions", "measurements", "events"),
}


def _context(cohort: Cohort, reader: str) -> tuple[str, ...]:
    """The valid tables that go with ``reader`` (those with data rows)."""
    return tuple(name for name in _CONTEXT.get(reader, ()) if len(cohort.grids[name]) > 1)


def _plain_csv(grid: Grid) -> BytesFile:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(grid)
    return BytesFile(buffer.getvalue().encode("utf-8"))


@st.composite
def _target_grid(draw: st.DrawFn, reader: str, cohort: Cohort) -> tuple[Grid, str]:
    grid = cohort.grids[reader] if reader in cohort.grids else draw(_other_grid(reader))
    how = draw(st.sampled_from(["hostile"] * 4 + ["valid"] * 4 + ["random"]))
    if how == "hostile":
        return draw(hostile(grid, reader)), "hostile cells"
    if how == "random":
        return draw(random_grid(reader)), "random cells"
    return grid, "valid"


@st.composite
def csv_cases(draw: st.DrawFn, reader: str) -> Case:
    """A case whose ``reader`` table is a CSV file (or raw bytes)."""
    cohort = draw(cohorts())
    context = tuple((name, _plain_csv(cohort.grids[name])) for name in _context(cohort, reader))
    kind = draw(st.sampled_from(["table"] * 8 + ["bytes", "text", "header+bytes"]))
    if kind == "bytes":
        target = BytesFile(draw(st.binary(max_size=400)))
        origin = "random bytes"
    elif kind == "text":
        encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-16"]))
        target = BytesFile(draw(st.text(max_size=400)).encode(encoding, errors="replace"))
        origin = f"random text ({encoding})"
    elif kind == "header+bytes":
        head = ",".join(REQUIRED[reader]) + "\n"
        target = BytesFile(head.encode() + draw(st.binary(max_size=200)))
        origin = "valid header, random bytes"
    else:
        grid, origin = draw(_target_grid(reader, cohort))
        target = BytesFile(draw(csv_bytes(grid)))
    return Case(reader, (*context, (reader, target)), origin=origin)


@st.composite
def excel_cases(draw: st.DrawFn, reader: str) -> Case:
    """A case where workbooks take part: the table as an .xlsx, or a sheet of --workbook."""
    cohort = draw(cohorts())
    grid, origin = draw(_target_grid(reader, cohort))
    layout = draw(
        st.sampled_from(
            ["file"] * 3 + (["workbook"] * 3 if reader in READERS else []) + ["garbage"]
        )
    )
    context_names = _context(cohort, reader)
    if layout == "garbage":  # not a workbook at all, under an .xlsx name
        data = draw(
            st.one_of(
                st.binary(max_size=300),
                st.just(b"PK\x03\x04" + bytes(40)),
                st.builds(lambda g: _plain_csv(g).data, st.just(grid)),
                st.just(_zip_bytes()),
            )
        )
        target: FileSpec = BytesFile(data, ".xlsx")
        context = tuple((name, _plain_csv(cohort.grids[name])) for name in context_names)
        return Case(reader, (*context, (reader, target)), origin="not a workbook")
    sheet = draw(excel_sheet(grid))
    extra = draw(
        st.lists(
            st.tuples(
                st.text(min_size=1, max_size=12).map(_sheet_title),
                st.lists(st.tuples(excel_values(), excel_values()), max_size=3).map(tuple),
            ),
            max_size=2,
        )
        if draw(st.integers(0, 2)) == 0
        else st.just([])
    )
    if layout == "file":
        first = draw(sheet_names(reader))
        ahead = draw(st.integers(0, 3)) == 0
        sheets = (*extra, (first, sheet)) if ahead else ((first, sheet), *extra)
        context = tuple((name, _plain_csv(cohort.grids[name])) for name in context_names)
        book = ExcelFile(_unique_titles(sheets), draw(st.sampled_from([".xlsx", ".xlsx", ".XLSM"])))
        return Case(reader, (*context, (reader, book)), origin=f"{origin}, .xlsx file")
    sheets_list: list[tuple[str, tuple[tuple[Any, ...], ...]]] = [
        (draw(sheet_names(reader)), sheet)
    ]
    for name in context_names:
        other = cohort.grids[name]
        sheets_list.append((name, tuple(tuple(r) for r in other)))
    sheets_list += extra
    order = draw(st.permutations(range(len(sheets_list))))
    book = ExcelFile(_unique_titles(tuple(sheets_list[i] for i in order)))
    return Case(reader, workbook=book, origin=f"{origin}, --workbook")


def _unique_titles(
    sheets: Sequence[tuple[str, tuple[tuple[Any, ...], ...]]],
) -> tuple[tuple[str, tuple[tuple[Any, ...], ...]], ...]:
    seen: set[str] = set()
    out = []
    for title, rows in sheets:
        name, k = title, 2
        while name.lower() in seen:
            name, k = f"{title[:28]}{k}", k + 1
        seen.add(name.lower())
        out.append((name, rows))
    return tuple(out)


def _zip_bytes() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook><sheets></sheets>")
    return buffer.getvalue()


def cases(reader: str, *, excel: bool = False) -> st.SearchStrategy[Case]:
    """Cases of ``reader``: CSV (and raw bytes) cases, or Excel cases with ``excel``."""
    if reader in ("aif", "evidence_append") and excel:
        raise ValueError(f"{reader} reads CSV only")
    return excel_cases(reader) if excel else csv_cases(reader)


# ---- running a case through the Python API ----------------------------------------------------


class ContractError(AssertionError):
    """The code under test broke its contract on a case."""


@dataclass
class Outcome:
    """``accepted`` (a valid result) or ``rejected`` (a pseudoprog error with a message)."""

    status: str
    detail: str = ""


@contextmanager
def _contract(case: Case, where: str) -> Iterator[list[Outcome]]:
    """Turn pseudoprog errors into ``rejected``; anything else into a :class:`ContractError`."""
    from pseudoprog.errors import PseudoprogError

    box: list[Outcome] = []
    try:
        yield box
    except PseudoprogError as exc:
        if not str(exc).strip():
            raise ContractError(f"{where}: empty error message\n{case.describe()}") from exc
        box.append(Outcome("rejected", str(exc)))
    except ContractError:
        raise
    except Exception as exc:
        raise ContractError(
            f"{where}: {type(exc).__name__}: {exc}\n{case.describe()}\n"
            + "".join(traceback.format_exception(exc))
        ) from exc


def run_api(case: Case, folder: Path) -> Outcome:
    """Run ``case`` through its reader and what is computed from the result; check the result."""
    paths, book = case.write(folder)
    with _contract(case, f"API {case.reader}") as box:
        _API[case.reader](case, paths, book)
        box.append(Outcome("accepted"))
    return box[-1]


def _load_cohort(paths: dict[str, Path], book: Path | None) -> Any:
    from pseudoprog.io.cohort import load_cohort

    return load_cohort(
        lesions=paths.get("lesions"),
        measurements=paths.get("measurements"),
        events=paths.get("events"),
        workbook=book,
    )


def _check_cohort(cohort: Any) -> None:
    from pseudoprog.domain import Event, Lesion, LesionHistory

    ids = [lesion.lesion_id for lesion in cohort.lesions]
    _expect(len(ids) == len(set(ids)), "duplicate lesion ids accepted")
    for lesion in cohort.lesions:
        _expect(isinstance(lesion, Lesion), f"not a Lesion: {lesion!r}")
        _expect(lesion.lesion_id.strip() != "" and lesion.patient_id.strip() != "", "empty id")
        treatment = lesion.treatment
        _expect(isinstance(treatment.date, date), f"treatment date {treatment.date!r}")
        _expect(np.isfinite(treatment.dose_gy) and treatment.dose_gy > 0, "bad dose")
        _expect(isinstance(treatment.fractions, int), "fractions not an int")
        _expect(1 <= treatment.fractions <= 50, "fractions out of range")
        for value in (lesion.age, lesion.body_involvement_pct):
            _expect(value is None or np.isfinite(value), f"non-finite value {value!r}")
    histories = list(cohort.histories)
    _expect(len(histories) == len(cohort.lesions), "histories do not match lesions")
    for history in histories:
        _expect(isinstance(history, LesionHistory), f"not a LesionHistory: {history!r}")
        for series in history.series.values():
            for day, size in zip(series.dates, series.sizes_mm, strict=True):
                _expect(isinstance(day, date), f"measurement date {day!r}")
                _expect(np.isfinite(size) and 0 < size <= 300, f"size {size!r}")
    for event in cohort.events:
        _expect(isinstance(event, Event) and isinstance(event.date, date), f"event {event!r}")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ContractError(f"invalid result: {message}")


def _api_cohort(case: Case, paths: dict[str, Path], book: Path | None) -> None:
    from pseudoprog.criteria.amini2016 import assess_many

    cohort = _load_cohort(paths, book)
    _check_cohort(cohort)
    assess_many(cohort.histories)


def _api_evidence(case: Case, paths: dict[str, Path], book: Path | None) -> None:
    from pseudoprog.domain import Evidence
    from pseudoprog.evidence import ModelParameters, assess_lesions
    from pseudoprog.io.evidence import load_evidence

    cohort = _load_cohort(paths, book)
    rows = load_evidence(paths.get("evidence"), lesions=cohort.lesions, workbook=book)
    known = {lesion.lesion_id for lesion in cohort.lesions}
    for row in rows:
        _expect(isinstance(row, Evidence) and row.lesion_id in known, f"evidence {row!r}")
        _expect(isinstance(row.value, bool) or np.isfinite(row.value), f"value {row.value!r}")
    assess_lesions(cohort.histories, evidence=rows, model=ModelParameters(draws=200))


def _api_evidence_table(case: Case, paths: dict[str, Path], book: Path | None) -> None:
    from pseudoprog.evidence.table import EvidenceTable
    from pseudoprog.io.evidence import load_evidence_table

    table = load_evidence_table(paths["evidence_table"])
    _expect(isinstance(table, EvidenceTable), f"not an EvidenceTable: {table!r}")


def _api_accuracy(case: Case, paths: dict[str, Path], book: Path | None) -> None:
    from pseudoprog.cli.study import load_accuracy_table
    from pseudoprog.stats.accuracy import diagnostic_accuracy

    values, flags = load_accuracy_table(paths["accuracy"], marker="marker", outcome="outcome")
    _expect(len(values) == len(flags) and all(np.isfinite(values)), "bad marker values")
    _expect(0 < sum(flags) < len(flags), "one outcome only")
    diagnostic_accuracy(values, flags)


#: Frame times of the perfusion kit (see :func:`perfusion_kit`).
KIT_TIMES = np.arange(13) * 5.0


def _api_aif(case: Case, paths: dict[str, Path], book: Path | None) -> None:
    from pseudoprog.io.dce import read_aif_csv

    cp = read_aif_csv(paths["aif"], KIT_TIMES)
    _expect(cp.shape == KIT_TIMES.shape and bool(np.all(np.isfinite(cp))), "bad AIF")


def _api_evidence_append(case: Case, paths: dict[str, Path], book: Path | None) -> None:
    from pseudoprog.domain import Evidence
    from pseudoprog.io.dce import write_evidence_rows

    path = paths["evidence_append"]
    before = path.read_bytes()
    row = Evidence("L1", date(2010, 5, 1), "dce_vp_change_pct", -12.5)
    try:
        write_evidence_rows(path, [row], notes=["fuzz"])
    except Exception:
        _expect(path.read_bytes() == before, "the table changed although it was rejected")
        raise
    text = path.read_text(encoding="utf-8")
    _expect("dce_vp_change_pct" in text, "row not appended")


def _api_responses(case: Case, paths: dict[str, Path], book: Path | None) -> None:
    from pseudoprog.criteria.best_response import BestResponseParameters
    from pseudoprog.io.responses import load_responses

    given = load_responses(
        responses=paths.get("responses", _MISSING),
        treatment_start=paths.get("treatment_start", _MISSING),
    )
    for patient in given.patients:
        _expect(isinstance(patient.treatment_start, date), f"treatment start {patient!r}")
        patient.best_response(BestResponseParameters())


_MISSING = Path("missing-table.csv")


_API: dict[str, Callable[[Case, dict[str, Path], Path | None], None]] = {
    "lesions": _api_cohort,
    "measurements": _api_cohort,
    "events": _api_cohort,
    "evidence": _api_evidence,
    "evidence_table": _api_evidence_table,
    "accuracy": _api_accuracy,
    "aif": _api_aif,
    "evidence_append": _api_evidence_append,
    "responses": _api_responses,
    "treatment_start": _api_responses,
}


# ---- running a case through the command line -------------------------------------------------


@dataclass(frozen=True)
class CliCase:
    """A case run through ``command`` with some of its options."""

    command: str
    case: Case
    options: tuple[str, ...] = ()
    output: str | None = None  # file name of --output, inside the output folder

    def describe(self) -> str:
        return f"pseudoprog {self.command} {' '.join(self.options)} --output {self.output}\n" + (
            self.case.describe()
        )


@st.composite
def cli_cases(draw: st.DrawFn, command: str, *, excel: bool = False) -> CliCase:
    """A case for ``command``: a fuzzed table of one of its readers, and some options."""
    readers = CLI_COMMANDS[command]
    if excel:
        readers = tuple(r for r in readers if r not in ("aif", "evidence_append"))
    reader = draw(st.sampled_from(readers))
    case = draw(cases(reader, excel=excel))
    options: list[str] = []
    output: str | None = draw(st.sampled_from([None, "result.out", "sub/dir/result.out"]))
    if command == "classify":
        options += ["--format", draw(st.sampled_from(["table", "json", "csv"])), "--jobs", "1"]
    elif command == "study":
        output = draw(st.sampled_from(["study", "sub/study"]))
        options += draw(st.sampled_from([[], ["--synthetic", "measurements"], ["--keep-excluded"]]))
    elif command == "assess":
        options += ["--format", draw(st.sampled_from(["table", "json"])), "--draws", "200"]
    elif command == "accuracy":
        options += ["--marker", "marker", "--outcome", "outcome"]
        options += draw(st.sampled_from([[], ["--format", "json"], ["--positive", "1"]]))
    elif command == "perfusion-fit":
        output = draw(st.sampled_from(["fit", "sub/fit"]))
    elif command == "perfusion-change":
        output = None  # --out is the fuzzed table itself
    elif command == "best-response":
        options += ["--format", draw(st.sampled_from(["table", "json", "csv"]))]
    if command in ("classify", "assess") and draw(st.integers(0, 2)) == 0:
        options += ["--criteria", draw(st.sampled_from(_criteria_names()))]
    if command in ("classify", "assess") and draw(st.integers(0, 5)) == 0:
        options += ["--as-of", draw(st.sampled_from(["2010-06-01", "1900-01-01", "2100-01-01"]))]
    return CliCase(command, case, tuple(options), output)


def _criteria_names() -> list[str]:
    """Every registered criteria set: a command takes it or rejects it with a message."""
    from pseudoprog.criteria.registry import REGISTRY

    return sorted(REGISTRY)


@dataclass(frozen=True)
class PerfusionKit:
    """Small NIfTI files for ``perfusion fit`` and ``perfusion change``."""

    dce: Path
    before: Path
    after: Path
    roi: Path


def perfusion_kit(folder: Path) -> PerfusionKit:
    """A 2 x 2 x 1 concentration series of 13 frames (every 5 s) and two vp maps."""
    import nibabel as nib

    from pseudoprog.perfusion import extended_tofts, parker_aif

    folder.mkdir(parents=True, exist_ok=True)
    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    cp = parker_aif(KIT_TIMES, delay_s=10.0)
    shape = (2, 2, 1)
    ct = extended_tofts(
        KIT_TIMES, cp, ktrans=np.full(shape, 0.1), ve=np.full(shape, 0.3), vp=np.full(shape, 0.05)
    )
    dce = folder / "conc.nii.gz"
    nib.save(nib.Nifti1Image(ct.astype(np.float32), affine), str(dce))
    (folder / "conc.json").write_text(json.dumps({"FrameTimes": KIT_TIMES.tolist()}))
    before, after, roi = folder / "vp1.nii.gz", folder / "vp2.nii.gz", folder / "roi.nii.gz"
    nib.save(nib.Nifti1Image(np.full(shape, 0.05, np.float32), affine), str(before))
    nib.save(nib.Nifti1Image(np.full(shape, 0.03, np.float32), affine), str(after))
    nib.save(nib.Nifti1Image(np.ones(shape, np.int16), affine), str(roi))
    return PerfusionKit(dce, before, after, roi)


@dataclass
class CliRun:
    """What a command did: its exit code and its output."""

    exit_code: int
    output: str
    status: str = field(init=False)

    def __post_init__(self) -> None:
        self.status = "accepted" if self.exit_code == 0 else "rejected"


def _table_arguments(command: str, paths: dict[str, Path], book: Path | None) -> list[str]:
    args: list[str] = []
    for name in ("lesions", "measurements", "events", "evidence"):
        if name in paths and (command in ("classify", "assess") or name != "evidence"):
            args += [f"--{name}", str(paths[name])]
    if "evidence_table" in paths:
        args += ["--evidence-table", str(paths["evidence_table"])]
    if book is not None:
        args += ["--workbook", str(book)]
    return args


@dataclass(frozen=True)
class CliCall:
    """The command line of a :class:`CliCase` once its files are written."""

    args: list[str]
    output: Path | None  # --output (or --out of perfusion fit), inside out_folder
    out_folder: Path
    table: Path | None  # the table the command updates in place (perfusion change --out)


def cli_arguments(cli_case: CliCase, folder: Path, kit: PerfusionKit | None) -> CliCall:
    """Write the files of ``cli_case`` into ``folder`` and build the command line."""
    inputs = folder / "in"
    inputs.mkdir(parents=True, exist_ok=True)
    out_folder = folder / "out"
    out_folder.mkdir(parents=True, exist_ok=True)
    paths, book = cli_case.case.write(inputs)
    output = None if cli_case.output is None else out_folder / cli_case.output
    command = cli_case.command
    table = None
    if command in ("classify", "study", "assess"):
        if command == "assess" and "evidence_table" in paths:  # a cohort to go with it
            paths = {**paths, **_example_paths()}
        args = [command, *_table_arguments(command, paths, book), *cli_case.options]
    elif command == "accuracy":
        args = ["accuracy", "--table", str(paths["accuracy"]), *cli_case.options]
    elif command == "best-response":
        args = ["best-response", *cli_case.options]
        for name in ("responses", "treatment_start"):
            flag = "--" + name.replace("_", "-")
            args += [flag, str(paths.get(name, folder / "in" / "missing.csv"))]
    elif command == "perfusion-fit":
        if kit is None:
            raise ValueError("perfusion-fit needs a perfusion kit")
        args = ["perfusion", "fit", "--dce", str(kit.dce), "--concentration"]
        args += ["--bolus-arrival", "10", "--aif", str(paths["aif"])]
    else:
        if kit is None:
            raise ValueError("perfusion-change needs a perfusion kit")
        table = paths["evidence_append"]
        args = ["perfusion", "change", "--before", str(kit.before), "--after", str(kit.after)]
        args += ["--roi", str(kit.roi), "--lesion-id", "L1", "--date", "2010-05-01"]
        args += ["--out", str(table)]
    if output is not None:
        flag = "--out" if command == "perfusion-fit" else "--output"
        args += [flag, str(output)]
    return CliCall(args, output, out_folder, table)


def _example_paths() -> dict[str, Path]:
    root = Path(__file__).resolve().parents[1] / "examples" / "amini2016"
    return {name: root / f"{name}.csv" for name in ("lesions", "measurements", "events")}


_RUNNER: Any = None


def _cli_runner() -> Any:
    global _RUNNER
    if _RUNNER is None:
        from typer.testing import CliRunner

        from pseudoprog.cli import _register, app

        if not app.registered_commands:
            _register()
        _RUNNER = (CliRunner(), app)
    return _RUNNER


def run_cli(cli_case: CliCase, folder: Path, kit: PerfusionKit | None = None) -> CliRun:
    """Run ``cli_case`` in process with typer's runner and check the command's contract."""
    call = cli_arguments(cli_case, folder, kit)
    before = None if call.table is None else call.table.read_bytes()
    runner, app = _cli_runner()
    result = runner.invoke(app, call.args, catch_exceptions=True)
    text = result.output
    run = CliRun(int(result.exit_code), text)
    problems = []
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problems.append("".join(traceback.format_exception(result.exception)).rstrip())
    if run.exit_code not in (0, 2):
        problems.append(f"exit code {run.exit_code}")
    if "Traceback" in text:
        problems.append("a traceback in the output")
    if run.exit_code == 2:
        if not text.strip():
            problems.append("rejected without a message")
        if call.output is not None and call.output.exists():
            problems.append(f"{call.output} was written although the input was rejected")
        left = sorted(p.relative_to(call.out_folder).as_posix() for p in call.out_folder.rglob("*"))
        if left:
            problems.append(f"files left in the output folder: {left}")
        if call.table is not None and call.table.read_bytes() != before:
            problems.append(f"{call.table} changed although the input was rejected")
    elif run.exit_code == 0 and call.output is not None and not call.output.exists():
        problems.append(f"exit code 0 but {call.output} was not written")
    if problems:
        raise ContractError(
            f"CLI {' '.join(call.args)}\n"
            + "\n".join(problems)
            + f"\n--- output ---\n{text[-3000:]}\n--- case ---\n{cli_case.describe()}"
        )
    return run
