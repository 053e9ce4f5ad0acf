"""Lesion histories built on demand from validated, sorted measurement columns.

A registry of 100,000 lesions has millions of measurements. Holding them as Python objects
costs memory and time, and copying them into worker processes costs more. :class:`LesionHistories`
keeps the validated measurements as four NumPy columns sorted by lesion, sequence and date,
and builds :class:`~pseudoprog.domain.LesionHistory` objects only for the lesions asked for.
It is an ordinary read-only sequence: ``len``, indexing, slicing and iteration work as for a
tuple, and a slice is built in one vectorised pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from collections.abc import Sequence as Seq
from datetime import date
from types import MappingProxyType
from typing import overload

import numpy as np
import numpy.typing as npt

from pseudoprog.domain import Event, Lesion, LesionHistory, Sequence, SizeSeries

__all__ = ["LesionHistories"]

_SEQUENCES = tuple(Sequence)
#: Lesions built per vectorised pass while iterating.
_BATCH = 4096


class LesionHistories(Seq[LesionHistory]):
    """The histories of ``lesions``, in the same order, built when accessed.

    Parameters
    ----------
    lesions
        The lesions.
    lesion_index, sequence_index, day, size_mm
        One entry per measurement, sorted by lesion, then sequence, then date, with no repeated
        (lesion, sequence, date): the lesion's position in ``lesions``, the sequence's position
        in ``Sequence``, the date as days since 1970-01-01, and the size.
    events
        Events of the lesions' patients; each history gets its patient's events that are not
        tied to another lesion, in date order. ``None`` when no events table was given.
    """

    def __init__(
        self,
        lesions: Seq[Lesion],
        *,
        lesion_index: npt.NDArray[np.int64],
        sequence_index: npt.NDArray[np.int64],
        day: npt.NDArray[np.int64],
        size_mm: npt.NDArray[np.float64],
        events: Iterable[Event] | None = None,
    ) -> None:
        self._lesions = tuple(lesions)
        self._sequence = sequence_index
        self._day = day
        self._size = size_mm
        # rows of lesion i are bounds[i]:bounds[i + 1]
        self._bounds = np.searchsorted(lesion_index, np.arange(len(self._lesions) + 1))
        self._events_recorded = events is not None
        by_patient: dict[str, list[Event]] = defaultdict(list)
        for event in sorted(events or (), key=lambda e: e.date):
            by_patient[event.patient_id].append(event)
        self._events = dict(by_patient)

    @property
    def lesions(self) -> tuple[Lesion, ...]:
        """The lesions, in order (without building their histories)."""
        return self._lesions

    def __len__(self) -> int:
        return len(self._lesions)

    @overload
    def __getitem__(self, index: int) -> LesionHistory: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[LesionHistory, ...]: ...

    def __getitem__(self, index: int | slice) -> LesionHistory | tuple[LesionHistory, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return tuple(self[i] for i in range(start, stop, step))
            return self._build(start, stop)
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(f"history index {index} out of range for {len(self)} lesions")
        return self._build(position, position + 1)[0]

    def part(self, start: int, stop: int) -> LesionHistories:
        """The histories of lesions ``start:stop`` as a self-contained sequence.

        It holds only those lesions' measurements and their patients' events, so that it can
        be shipped to another process or machine (it pickles to about the size of its data);
        its histories are the same as ``self[start:stop]``.
        """
        start, stop, _ = slice(start, stop).indices(len(self))
        stop = max(start, stop)
        a, b = int(self._bounds[start]), int(self._bounds[stop])
        lesions = self._lesions[start:stop]
        patients = dict.fromkeys(lesion.patient_id for lesion in lesions)
        events = [e for p in patients for e in self._events.get(p, ())]
        return LesionHistories(
            lesions,
            lesion_index=np.repeat(
                np.arange(stop - start, dtype=np.int64), np.diff(self._bounds[start : stop + 1])
            ),
            sequence_index=self._sequence[a:b].copy(),
            day=self._day[a:b].copy(),
            size_mm=self._size[a:b].copy(),
            events=events if self._events_recorded else None,
        )

    def __iter__(self) -> Iterator[LesionHistory]:
        for start in range(0, len(self), _BATCH):
            yield from self._build(start, min(len(self), start + _BATCH))

    def _build(self, start: int, stop: int) -> tuple[LesionHistory, ...]:
        """Histories of lesions ``start:stop`` in one vectorised pass."""
        if stop <= start:
            return ()
        a, b = int(self._bounds[start]), int(self._bounds[stop])
        seq = self._sequence[a:b]
        dates: list[date] = self._day[a:b].astype("datetime64[D]").astype(object).tolist()
        sizes: list[float] = self._size[a:b].tolist()
        owners = np.repeat(np.arange(start, stop), np.diff(self._bounds[start : stop + 1]))
        key = owners * len(_SEQUENCES) + seq
        cuts = np.flatnonzero(key[1:] != key[:-1]) + 1
        group_starts = [0, *cuts.tolist()]
        group_ends = [*cuts.tolist(), b - a]
        series: list[dict[Sequence, SizeSeries]] = [{} for _ in range(stop - start)]
        owner_list, seq_list = owners.tolist(), seq.tolist()
        for g0, g1 in zip(group_starts, group_ends, strict=True):
            if g0 == g1:
                continue
            sequence = _SEQUENCES[seq_list[g0]]
            # sorted by date and de-duplicated on construction: dates strictly increase
            series[owner_list[g0] - start][sequence] = SizeSeries.from_sorted(
                sequence, tuple(dates[g0:g1]), tuple(sizes[g0:g1])
            )
        out = []
        for lesion, per in zip(self._lesions[start:stop], series, strict=True):
            own = tuple(
                e
                for e in self._events.get(lesion.patient_id, ())
                if e.lesion_id is None or e.lesion_id == lesion.lesion_id
            )
            out.append(LesionHistory(lesion, MappingProxyType(per), own, self._events_recorded))
        return tuple(out)
