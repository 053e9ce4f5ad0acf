"""Values read from DICOM headers: numbers, DA/TM/DT times, functional group items, problems.

Every reader of :mod:`pseudoprog.io.dicom_dce` takes header values through these functions,
which give ``None`` for what is absent or unreadable rather than raising.

>>> parse_time("20240305", "101500.5").isoformat()
'2024-03-05T10:15:00.500000'
>>> parse_datetime("20240305101500+0100").isoformat()
'2024-03-05T10:15:00'
>>> number("1.5"), number("nan"), floats(["1", "2"])
(1.5, None, (1.0, 2.0))
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pseudoprog.errors import Problem

__all__ = [
    "first_item",
    "floats",
    "functional_group",
    "number",
    "parse_datetime",
    "parse_time",
    "problem",
    "temporal",
]


def problem(path: Path, attribute: str, message: str, expected: str) -> Problem:
    return Problem(str(path), f"{attribute}: {message}", expected)


def floats(value: Any) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        return tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None


def number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_time(date_text: str, time_text: str) -> datetime | None:
    """A DICOM DA + TM pair (``YYYYMMDD``, ``HHMMSS.FFFFFF``) as a datetime."""
    time_text = time_text.strip()
    if not time_text:
        return None
    whole, _, fraction = time_text.partition(".")
    whole = whole.ljust(6, "0")
    try:
        base = datetime.strptime(f"{date_text.strip() or '19000101'}{whole[:6]}", "%Y%m%d%H%M%S")
    except ValueError:
        return None
    micro = int((fraction + "000000")[:6]) if fraction.isdigit() else 0
    return base + timedelta(microseconds=micro)


def parse_datetime(text: str) -> datetime | None:
    """A DICOM DT (``YYYYMMDDHHMMSS.FFFFFF&ZZXX``) as a naive datetime (offset dropped)."""
    text = str(text).strip()
    for sign in "+-":
        if sign in text[8:]:
            text = text[: 8 + text[8:].index(sign)]
    if len(text) < 8:
        return None
    return parse_time(text[:8], text[8:] or "000000")


def temporal(value: Any) -> int | None:
    found = number(value)
    return None if found is None else int(found)


def first_item(sequence: Any) -> Any:
    return sequence[0] if sequence else None


def functional_group(ds: Any, per_frame: Any, name: str) -> Any:
    """A functional group macro item: per-frame first, else shared (or None)."""
    if per_frame is not None and name in per_frame:
        return first_item(getattr(per_frame, name))
    shared = first_item(ds.get("SharedFunctionalGroupsSequence"))
    if shared is not None and name in shared:
        return first_item(getattr(shared, name))
    return None
