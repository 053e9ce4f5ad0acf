"""Bulk classification: worker processes give exactly the serial output."""

from __future__ import annotations

import gc
import json
from datetime import date, timedelta

import pytest

from pseudoprog.criteria.amini2016 import Amini2016Parameters, assess_many
from pseudoprog.domain import Lesion, LesionHistory, Sequence, SizeSeries, Treatment
from pseudoprog.errors import ParameterError
from pseudoprog.io import bulk
from pseudoprog.io.bulk import SerialFormat, classify_serialized, paused_gc
from pseudoprog.io.results import assessments_to_csv, assessments_to_json


def registry(n: int) -> list[LesionHistory]:
    start = date(2010, 1, 1)
    histories = []
    for i in range(n):
        treated = start + timedelta(days=i % 400)
        days = [-10, 90, 180, 270]
        pattern = [(20, 20, 20, 20), (20, 26, 21, 20), (20, 24, 27, 30), (20, 18, 17, 16)][i % 4]
        series = SizeSeries(
            Sequence.T1,
            tuple(treated + timedelta(days=d) for d in days),
            tuple(float(x) for x in pattern),
        )
        lesion = Lesion(f"P{i}", f"L{i}", Treatment(treated, 24.0, 1))
        histories.append(LesionHistory(lesion, {Sequence.T1: series}))
    return histories


@pytest.mark.parametrize("output_format", [SerialFormat.JSON, SerialFormat.CSV])
def test_workers_give_the_serial_output(
    monkeypatch: pytest.MonkeyPatch, output_format: SerialFormat
) -> None:
    monkeypatch.setattr(bulk, "MIN_LESIONS_PER_WORKER", 10)
    histories = registry(200)
    params = Amini2016Parameters()
    as_of = date(2011, 12, 1)  # after every study: all four patterns are decided
    parallel = b"".join(
        classify_serialized(
            histories,
            params=params,
            as_of=as_of,
            output_format=output_format,
            jobs=2,
            notices=["a note"],
        )
    )
    results = assess_many(histories, as_of=as_of, params=params)
    if output_format is SerialFormat.JSON:
        serial = assessments_to_json(
            results, parameters=params, as_of=as_of, notices=["a note"]
        ).encode()
        document = json.loads(parallel)
        assert len(document["lesions"]) == 200
        assert {x["response"] for x in document["lesions"]} == {"SD", "OPP", "PD", "PR"}
    else:
        serial = assessments_to_csv(results).encode()
    assert parallel == serial


def test_jobs_must_be_positive() -> None:
    with pytest.raises(ParameterError, match="jobs must be at least 1"):
        classify_serialized(registry(2), params=Amini2016Parameters(), jobs=0)


def test_paused_gc_restores_the_collector() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
