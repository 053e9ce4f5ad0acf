"""Constants and one-value formatting helpers of the column engine's result text.

The sequences and response categories in the order the texts use them, the formats of one
number (``f"{x:.1f}"``, ``orjson.dumps(round(x, 2))``, ...), a reason, warning or inclusion
check as its JSON object, CSV quoting of text cells, the test for ids that JSON would escape
or CSV would quote, and the minimum follow-up date on days since 1970; shared by
:mod:`pseudoprog.io.columnar_groups`, :mod:`pseudoprog.io.columnar_lesions` and
:mod:`pseudoprog.io.columnar_write`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from pseudoprog.criteria import inclusion as _inclusion
from pseudoprog.criteria.amini2016_columnar import CATEGORY_OF
from pseudoprog.criteria.result import InclusionCheck
from pseudoprog.domain import Sequence
from pseudoprog.io.columnar_text import choose, join

__all__ = ["needs_escaping"]

_SEQUENCES = tuple(Sequence)
_NSEQ = len(_SEQUENCES)
_EPOCH = date(1970, 1, 1)
_CATEGORIES = ("PR", "SD", "PD", "OPP", "INDETERMINATE")
#: Category position of each rule code (5: none).
_CATEGORY_INDEX = np.array(
    [5 if c is None else _CATEGORIES.index(c.value) for c in CATEGORY_OF], dtype=np.int64
)
#: Formats one number.
_Format = Callable[[float], str]
#: Characters that JSON escapes or CSV quotes in an id.
_ESCAPED = r'[\x00-\x1f\x7f",\\]'


def needs_escaping(values: pa.Array) -> npt.NDArray[np.bool_]:
    """Which ids JSON would escape or CSV would quote."""
    found = pc.match_substring_regex(values, _ESCAPED)
    return np.asarray(pc.fill_null(found, True).to_numpy(zero_copy_only=False), dtype=bool)


def _one(value: float) -> str:
    return f"{value:.1f}"


def _signed(value: float) -> str:
    return f"{value:+.1f}"


def _two(value: float) -> str:
    return f"{value:.2f}"


def _rounded(value: float) -> str:
    return orjson.dumps(round(value, 2)).decode()


def _number(value: float) -> str:
    return orjson.dumps(value).decode()


def _item(code: str, message: pa.Array | str) -> pa.Array | str:
    """A reason or warning as the JSON object ``{"code", "message"}``."""
    if isinstance(message, str):
        return orjson.dumps({"code": code, "message": message}).decode()
    return join(f'{{"code":"{code}","message":"', message, '"}')


def _check(check: InclusionCheck) -> str:
    return orjson.dumps(check.to_dict()).decode()


def _csv_cell(values: pa.Array) -> pa.Array:
    """Text cells as ``csv.writer`` writes them (quoted when they hold a comma or quote)."""
    special = np.asarray(
        pc.match_substring_regex(values, '[,"\r\n]').to_numpy(zero_copy_only=False), dtype=bool
    )
    if not special.any():
        return values
    wrapped = join('"', pc.replace_substring(values, '"', '""'), '"')
    return choose(special, wrapped, values)


@lru_cache(maxsize=1 << 16)
def _months_later(day: int, months: int) -> int:
    """:func:`~pseudoprog.criteria.inclusion.add_months` on days since 1970."""
    return (_inclusion.add_months(_EPOCH + timedelta(days=day), months) - _EPOCH).days
