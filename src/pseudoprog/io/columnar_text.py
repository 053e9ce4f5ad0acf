"""Building text columns with Arrow string kernels, exactly as Python formats each value.

Numbers are formatted by Python itself (``f"{x:.1f}"``, ``orjson.dumps(round(x, 2))``, ...),
once per distinct value (distinct bit pattern, so ``-0.0`` stays apart from ``0.0``), and
spread to the rows with ``take``; dates are cast from ``date32`` (``YYYY-MM-DD``, as
``date.isoformat`` writes years 1000-9999); sentences are joined element-wise. The kernels run
outside the interpreter lock, so several parts of a registry can be written on threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Part",
    "choose",
    "dates",
    "floats",
    "integers",
    "join",
    "join_lists",
    "quoted",
    "repeat",
    "scatter",
    "texts",
]

#: A piece of a sentence: an Arrow string array, or text repeated on every row.
Part: TypeAlias = Any


def texts(values: Sequence[str]) -> pa.Array:
    """Python strings as an Arrow string array."""
    return pa.array(list(values), pa.string())


def repeat(text: str, size: int) -> pa.Array:
    """``text`` on ``size`` rows."""
    return pa.repeat(pa.scalar(text, pa.string()), size)


def floats(values: npt.NDArray[np.floating[Any]], fmt: Callable[[float], str]) -> pa.Array:
    """``fmt`` of each value, computed once per distinct value."""
    if not len(values):
        return texts([])
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    unique, inverse = np.unique(bits, return_inverse=True)
    shown = texts([fmt(v) for v in unique.view(np.float64).tolist()])
    return shown.take(pa.array(inverse.astype(np.int64).ravel()))


def integers(values: npt.NDArray[np.int64]) -> pa.Array:
    """Integers in decimal, as ``str(int)`` writes them."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def dates(days: npt.NDArray[np.int64]) -> pa.Array:
    """Days since 1970 as ``YYYY-MM-DD`` (years 1000 to 9999)."""
    return pc.cast(pa.array(np.asarray(days, dtype=np.int32), pa.date32()), pa.string())


def join(*parts: Part) -> pa.Array:
    """The parts concatenated row by row (at least one part must be an array)."""
    return pc.binary_join_element_wise(*parts, "")


def quoted(values: pa.Array) -> pa.Array:
    """Each value as a JSON string (the values need no escaping)."""
    return join('"', values, '"')


def choose(mask: npt.NDArray[np.bool_], yes: Part, no: Part) -> pa.Array:
    """``yes`` where ``mask`` holds, else ``no``."""
    return pc.if_else(pa.array(mask, pa.bool_()), yes, no)


def scatter(size: int, pieces: Sequence[tuple[npt.NDArray[np.int64], pa.Array]]) -> pa.Array:
    """A column of ``size`` rows from pieces that give the text of some rows each.

    Every row must be given by exactly one piece.
    """
    rows = [np.asarray(r, dtype=np.int64) for r, _ in pieces]
    where = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    if len(where) != size:
        raise ValueError(f"scatter: {len(where)} rows given for a column of {size}")
    order = np.empty(size, dtype=np.int64)
    order[where] = np.arange(size)
    values = [t for _, t in pieces if len(t)]
    if not values:
        return texts([])
    return pa.concat_arrays(values).take(pa.array(order))


def join_lists(owner: npt.NDArray[np.int64], items: pa.Array, size: int, sep: str) -> pa.Array:
    """Per owner ``0..size-1``, its items joined by ``sep`` (``owner`` sorted, one per item)."""
    offsets = np.searchsorted(owner, np.arange(size + 1)).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), items)
    return pc.binary_join(lists, sep)
