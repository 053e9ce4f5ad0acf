"""The column engine writes the reference engine's output byte for byte.

Registries are written as table files; the reference output is read, assessed and written by
the reference path (``load_cohort``, ``assess``, ``classify_serialized``,
``assessments_to_table``), the column output by ``load_columns`` and ``classify_columnar``.
Hypothesis draws registries with every rule of the criteria, missing baselines and
follow-ups, events of every kind the criteria read (and some they do not), ``as_of`` dates,
parameters, ids that JSON escapes or CSV quotes, and missing optional values.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pseudoprog.criteria.amini2016 import Amini2016Parameters, Rule
from pseudoprog.criteria.amini2016_columnar import RuleCode, assess_columns, supports
from pseudoprog.domain import Sequence
from pseudoprog.io.columnar_classify import (
    classify_columnar,
    classify_columnar_table,
    reference_lesions,
)
from pseudoprog.io.columnar_load import load_columns
from tests.columnar_registries import (
    SEQUENCES,
    Registry,
    reference_assessments,
    reference_table,
    reference_text,
    rule_codes,
    seeded_registry,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "amini2016"
TREATED = date(2012, 3, 1)


def assert_same_output(
    lesions: Path,
    measurements: Path,
    events: Path | None,
    *,
    params: Amini2016Parameters,
    as_of: date | None,
    threads: int = 2,
) -> None:
    """JSON, CSV and the Parquet table of both engines are equal."""
    cohort = load_columns(lesions=lesions, measurements=measurements, events=events)
    assert cohort is not None, "the column loader must cover this input"
    for output_format in ("json", "csv"):
        expected = reference_text(
            lesions, measurements, events, params=params, as_of=as_of, output_format=output_format
        )
        pieces = classify_columnar(
            cohort, params=params, as_of=as_of, output_format=output_format, threads=threads
        )
        assert b"".join(bytes(p) for p in pieces) == expected
    table = classify_columnar_table(cohort, params=params, as_of=as_of, threads=threads)
    expected_table = reference_table(lesions, measurements, events, params=params, as_of=as_of)
    assert table.schema == expected_table.schema
    assert table.to_pylist() == expected_table.to_pylist()


# ---- seeded registries: every rule, many lesions, several parts ------------------------------


@pytest.mark.parametrize(
    ("params", "as_of", "events"),
    [
        (Amini2016Parameters(), None, False),
        (Amini2016Parameters(), None, True),
        (Amini2016Parameters(error_mm=1.5, primary_sequence=Sequence.T2FS), None, True),
        (
            Amini2016Parameters(
                decline_window_days=45,
                opp_peak_window_weeks=12.5,
                min_follow_up_months=13,
                max_body_involvement_pct=40.5,
            ),
            date(2010, 6, 30),
            False,
        ),
    ],
)
def test_seeded_registry_gives_the_reference_output(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    params: Amini2016Parameters,
    as_of: date | None,
    events: bool,
) -> None:
    from pseudoprog.io import columnar_classify

    monkeypatch.setattr(columnar_classify, "PART_SIZE", 97)  # many parts, on two threads
    files = seeded_registry(1200, seed=11, events=events, error=params.error_mm).write(tmp_path)
    assert_same_output(*files, params=params, as_of=as_of)


def test_seeded_registry_reaches_every_rule(tmp_path: Path) -> None:
    files = seeded_registry(1200, seed=11, events=True).write(tmp_path)
    codes = rule_codes(reference_assessments(*files, params=Amini2016Parameters(), as_of=None))
    assert codes == {str(r) for r in Rule}


def test_rule_codes_name_the_reference_rules() -> None:
    assert {c.rule for c in RuleCode} | {
        Rule.ENLARGED,
        Rule.SYSTEMIC_THERAPY_EXPLAINS_DECLINE,
        Rule.OTHER_BONE_LESIONS_ENLARGED,
    } == set(Rule)


# ---- the bundled example ---------------------------------------------------------------------


@pytest.mark.parametrize("with_events", [False, True])
@pytest.mark.parametrize("as_of", [None, date(2010, 6, 1), date(2005, 1, 1)])
def test_bundled_example_gives_the_reference_output(with_events: bool, as_of: date | None) -> None:
    events = EXAMPLES / "events.csv" if with_events else None
    assert_same_output(
        EXAMPLES / "lesions.csv",
        EXAMPLES / "measurements.csv",
        events,
        params=Amini2016Parameters(),
        as_of=as_of,
    )


def test_bundled_example_with_parameters_gives_the_reference_output() -> None:
    params = Amini2016Parameters(
        error_mm=1.0, decline_window_days=60, primary_sequence=Sequence.T1C, min_follow_up_months=3
    )
    assert_same_output(
        EXAMPLES / "lesions.csv",
        EXAMPLES / "measurements.csv",
        EXAMPLES / "events.csv",
        params=params,
        as_of=None,
        threads=1,
    )


# ---- hypothesis: small registries with every kind of case ------------------------------------

ids = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9\-_.]{0,6}", fullmatch=True),
    st.text(
        alphabet=st.sampled_from('aZ9-é東"\\, \t'),
        min_size=1,
        max_size=6,
    ).map(lambda t: f"x{t}y"),
)
sizes = st.one_of(
    st.integers(min_value=5, max_value=600).map(lambda k: k / 10),
    st.integers(min_value=5, max_value=60_000).map(lambda k: k / 1000),
    st.floats(min_value=0.01, max_value=299.0, allow_nan=False, allow_infinity=False),
)
EVENT_KINDS = (
    "systemic_therapy_change",
    "other_bone_lesions_enlarged",
    "other_bone_lesions_decreased",
    "hardware",
    "fracture",
    "surgery",
)


@st.composite
def registries(draw: st.DrawFn) -> Registry:
    n = draw(st.integers(min_value=1, max_value=6))
    lesion_ids = draw(st.lists(ids, min_size=n, max_size=n, unique=True))
    patients = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    registry = Registry(events=[] if draw(st.booleans()) else None)
    for lesion_id in lesion_ids:
        patient = draw(st.sampled_from(patients))
        treated = TREATED + timedelta(days=draw(st.integers(0, 400)))
        registry.lesions.append(
            {
                "patient_id": patient,
                "lesion_id": lesion_id,
                "treatment_date": treated.isoformat(),
                "dose_gy": "24",
                "fractions": str(draw(st.sampled_from([1, 3, 5]))),
                "in_vertebral_body": draw(st.sampled_from(["", "true", "false"])),
                "body_involvement_pct": draw(st.sampled_from(["", "0", "50", "75", "75.5", "100"])),
            }
        )
        for s, sequence in enumerate(SEQUENCES):
            days = draw(
                st.lists(st.integers(-90, 900), min_size=0 if s else 1, max_size=8, unique=True)
            )
            if s == 0:
                days.append(-draw(st.integers(0, 90)) - 91)  # a baseline
            for day in sorted(set(days)):
                size = draw(sizes)
                studied = (treated + timedelta(days=day)).isoformat()
                registry.measurements.append((lesion_id, studied, sequence, repr(size)))
        if registry.events is not None:
            for _ in range(draw(st.integers(0, 2))):
                kind = draw(st.sampled_from(EVENT_KINDS))
                when = treated + timedelta(days=draw(st.integers(-30, 700)))
                own = draw(st.sampled_from(["", lesion_id]))
                registry.events.append(
                    {
                        "patient_id": patient,
                        "date": when.isoformat(),
                        "kind": kind,
                        "lesion_id": own,
                    }
                )
    return registry


parameters = st.builds(
    Amini2016Parameters,
    error_mm=st.sampled_from([2.0, 0.5, 1.25, 3.0]),
    decline_window_days=st.sampled_from([92, 30, 365]),
    opp_peak_window_weeks=st.sampled_from([26.0, 8.5, 52.0]),
    primary_sequence=st.sampled_from(list(Sequence)),
    min_follow_up_months=st.sampled_from([6, 1, 14]),
    max_body_involvement_pct=st.sampled_from([75.0, 50.0, 100.0]),
)
as_of_dates = st.one_of(
    st.none(), st.integers(-200, 1400).map(lambda d: TREATED + timedelta(days=d))
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(registry=registries(), params=parameters, as_of=as_of_dates)
def test_drawn_registries_give_the_reference_output(
    tmp_path_factory: pytest.TempPathFactory,
    registry: Registry,
    params: Amini2016Parameters,
    as_of: date | None,
) -> None:
    files = registry.write(tmp_path_factory.mktemp("registry"))
    assert_same_output(*files, params=params, as_of=as_of)


# ---- what goes to the reference engine -------------------------------------------------------


def test_only_lesions_with_read_events_or_escaped_ids_go_to_the_reference(tmp_path: Path) -> None:
    registry = Registry(events=[])
    for i, lesion_id in enumerate(["A1", "A2", 'B"1', "B,2", "C1", "C2", "Cé"]):
        registry.lesions.append(
            {
                "patient_id": lesion_id[0],
                "lesion_id": lesion_id,
                "treatment_date": "2012-01-01",
                "dose_gy": "24",
                "fractions": "1",
            }
        )
        registry.measurements.append((lesion_id, "2011-12-20", "T1", f"{20 + i}"))
    assert registry.events is not None
    registry.events += [
        {"patient_id": "A", "date": "2012-05-01", "kind": "fracture", "lesion_id": ""},
        {"patient_id": "C", "date": "2012-05-01", "kind": "hardware", "lesion_id": "C2"},
        {"patient_id": "C", "date": "2012-05-01", "kind": "surgery", "lesion_id": ""},
    ]
    lesions, measurements, events = registry.write(tmp_path)
    cohort = load_columns(lesions=lesions, measurements=measurements, events=events)
    assert cohort is not None
    routed = reference_lesions(cohort)
    assert routed.tolist() == [True, True, True, True, False, True, False]


def test_rules_on_no_measurement_at_all() -> None:
    empty = np.empty(0, dtype=np.int64)
    results = assess_columns(
        lesion=empty,
        sequence=empty,
        day=empty,
        size_mm=np.empty(0),
        treated=np.array([15000, 15010]),
        params=Amini2016Parameters(),
    )
    assert results.deciding.tolist() == [-1, -1]
    assert results.rule.size == 0


def test_unsupported_parameters_are_left_to_the_reference() -> None:
    assert supports(Amini2016Parameters())
    assert not supports(Amini2016Parameters(decline_window_days=2**50))
