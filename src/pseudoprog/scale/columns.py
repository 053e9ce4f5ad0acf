"""Partitions cut from a registry loaded as columns, for ``classify --scheduler``.

:func:`~pseudoprog.io.columnar_load.load_columns` holds a validated registry as NumPy and
Arrow columns (about 32 bytes per measurement row) instead of one Python object per lesion.
:class:`ColumnPartitions` keeps those columns on the client and builds, for one partition of
whole patients at a time, a self-contained :class:`~pseudoprog.io.histories.LesionHistories`
of that partition's lesions only: the lesion objects are made per partition, built exactly as
:func:`~pseudoprog.io.cohort.load_cohort` builds them (as
:meth:`~pseudoprog.io.columnar_load.ColumnarCohort.histories` does for chosen lesions), never
for the whole registry on the client.

:func:`classify_columns` is the ``classify --scheduler`` path for amini2016 on valid input; it
returns ``False`` when the column reader does not cover the input, and the caller then loads
it with :func:`~pseudoprog.io.cohort.load_cohort`, which reports its problems with the usual
messages.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from pseudoprog.domain import Event, Site
from pseudoprog.io import cohort as _cohort
from pseudoprog.io.histories import LesionHistories

if TYPE_CHECKING:
    from rich.console import Console

    from pseudoprog.criteria.result import CriteriaParameters
    from pseudoprog.io.columnar_load import ColumnarCohort

__all__ = ["ColumnPartitions", "classify_columns"]


class ColumnPartitions:
    """A validated registry as columns, handing out partitions as :class:`LesionHistories`.

    Parameters
    ----------
    cohort
        The registry as :func:`~pseudoprog.io.columnar_load.load_columns` returns it.

    Notes
    -----
    ``source.part(start, stop)`` holds lesions ``start:stop`` of the lesions table, their
    measurements and their patients' events; its histories are those that
    ``load_cohort(...).histories[start:stop]`` gives.
    """

    def __init__(self, cohort: ColumnarCohort) -> None:
        self._cohort = cohort
        # measurement rows of lesion i are bounds[i]:bounds[i + 1] (sorted by lesion)
        self._bounds = np.searchsorted(cohort.lesion, np.arange(len(cohort) + 1))
        by_patient: dict[str, list[Event]] = defaultdict(list)
        for event in cohort.events:
            by_patient[event.patient_id].append(event)
        self._events = dict(by_patient)

    def __len__(self) -> int:
        return len(self._cohort)

    @property
    def notices(self) -> tuple[str, ...]:
        """Input notices, as :func:`~pseudoprog.io.cohort.load_cohort` records them."""
        return self._cohort.notices

    def patient_ids(self) -> npt.NDArray[np.str_]:
        """Each lesion's patient, in the order of the lesions table."""
        values = self._cohort.patient_id.to_numpy(zero_copy_only=False)
        return np.asarray(values, dtype=str)

    def part(self, start: int, stop: int) -> LesionHistories:
        """The histories of lesions ``start:stop`` as a self-contained sequence.

        Only these lesions' objects are built; the sequence holds their measurements and
        their patients' events (of the events table's order), and pickles to about the size
        of its data, like :meth:`LesionHistories.part`.
        """
        start, stop, _ = slice(start, stop).indices(len(self))
        stop = max(start, stop)
        cohort = self._cohort
        parsed = cohort._parsed
        window = slice(start, stop)
        subset = replace(
            parsed,
            ids=parsed.ids[window],
            patients=parsed.patients[window],
            treated=parsed.treated[window],
            build={k: v[window] for k, v in parsed.build.items()},
        )
        lesions = _cohort._build_lesions(subset)
        a, b = int(self._bounds[start]), int(self._bounds[stop])
        events = None
        if cohort.events_recorded:
            patients = dict.fromkeys(lesion.patient_id for lesion in lesions)
            events = [e for p in patients for e in self._events.get(p, ())]
        return LesionHistories(
            lesions,
            lesion_index=cohort.lesion[a:b] - start,
            sequence_index=cohort.sequence[a:b].copy(),
            day=cohort.day[a:b].copy(),
            size_mm=cohort.size_mm[a:b].copy(),
            events=events,
        )


def load_partitions(
    *, lesions: Path, measurements: Path, events: Path | None
) -> ColumnPartitions | None:
    """The registry as :class:`ColumnPartitions`; ``None`` when the column reader does not
    cover it, or when a lesion is not of the spine (amini2016 judges spinal lesions only;
    :func:`~pseudoprog.io.cohort.load_cohort` and the command then say so)."""
    from pseudoprog.io.columnar_load import load_columns

    cohort = load_columns(lesions=lesions, measurements=measurements, events=events)
    if cohort is None or any(s not in (None, Site.SPINE) for s in cohort.sites):
        return None
    return ColumnPartitions(cohort)


def classify_columns(
    *,
    lesions: Path,
    measurements: Path,
    events: Path | None,
    params: CriteriaParameters,
    as_of: date | None,
    output_format: str,
    output: Path | None,
    scheduler: str,
    partitions: int | None,
    jobs: int | None,
    console: Console,
) -> bool:
    """``classify --criteria amini2016 --scheduler ...`` from the registry loaded as columns.

    Parameters
    ----------
    lesions, measurements, events
        The table files.
    params, as_of
        The Amini 2016 parameters and date of the assessment.
    output_format, output, scheduler, partitions, jobs
        As for :func:`pseudoprog.scale.classify.run_classify`.
    console
        Receives the input notices (as the single-machine command prints them) and the
        progress bar.

    Returns
    -------
    bool
        ``False`` when the column reader does not cover the input (nothing was printed or
        written); ``True`` once the output is written.
    """
    from pseudoprog.io.bulk import paused_gc
    from pseudoprog.scale.classify import run_classify

    with paused_gc():
        source = load_partitions(lesions=lesions, measurements=measurements, events=events)
    if source is None:
        return False
    for notice in source.notices:
        console.print(f"[yellow]Note:[/] {notice}")
    run_classify(
        source,
        criteria="amini2016",
        params=params,
        as_of=as_of,
        evidence={},
        output_format=output_format,
        output=output,
        scheduler=scheduler,
        partitions=partitions,
        jobs=jobs,
        notices=source.notices,
        console=console,
    )
    return True
