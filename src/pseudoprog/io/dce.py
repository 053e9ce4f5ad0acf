"""Tabular and JSON files around DCE-MRI fitting.

* frame times from a JSON sidecar (``FrameTimes`` in seconds, or ``FrameInterval``);
* a measured arterial input function from CSV (``time_s``, ``cp_mM``);
* ROI summaries of parameter maps to CSV;
* rows of the ``evidence`` table (``lesion_id, date, kind, value, note``) to CSV, appended to
  an existing table when there is one.

Every reader reports all problems of a file at once in an
:class:`~pseudoprog.errors.InputValidationError`; every writer writes atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pseudoprog.domain import Evidence
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.atomic import atomic_write_text
from pseudoprog.perfusion.roi import RoiSummary

__all__ = [
    "EVIDENCE_HEADER",
    "ROI_HEADER",
    "default_sidecar",
    "read_aif_csv",
    "read_frame_times",
    "regular_frame_times",
    "write_evidence_rows",
    "write_roi_summaries",
]

FloatArray = npt.NDArray[np.float64]

#: Columns of the ROI summary CSV.
ROI_HEADER = ("label", "parameter", "voxels", "used", "mean", "median", "q1", "q3", "iqr")
#: Columns written to an evidence table (README, "Input tables", table ``evidence``).
EVIDENCE_HEADER = ("lesion_id", "date", "kind", "value", "note")

_TIME_KEYS = ("FrameTimes", "frame_times_s", "AcquisitionTimes")
_INTERVAL_KEYS = ("FrameInterval", "frame_interval_s")


def default_sidecar(dce_path: str | os.PathLike[str]) -> Path:
    """The JSON sidecar beside a NIfTI file: ``scan.nii.gz`` → ``scan.json``."""
    p = Path(dce_path)
    name = p.name
    for suffix in (".nii.gz", ".nii"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return p.with_name(name + ".json")


def _check_times(source: str, times: FloatArray, frames: int | None) -> list[Problem]:
    problems: list[Problem] = []
    if frames is not None and times.size != frames:
        problems.append(
            Problem(
                source,
                f"lists {times.size} frame times but the DCE series has {frames} frames",
                "one time per frame",
            )
        )
    if not np.all(np.isfinite(times)):
        problems.append(Problem(source, "frame times contain NaN or infinity", "finite seconds"))
    elif times.size > 1 and np.any(np.diff(times) <= 0):
        i = int(np.argmax(np.diff(times) <= 0))
        problems.append(
            Problem(
                source,
                f"frame times are not strictly increasing at frame {i + 1} "
                f"({times[i]:g} s then {times[i + 1]:g} s)",
                "strictly increasing times in seconds",
            )
        )
    return problems


def regular_frame_times(
    frames: int, interval_s: float, *, source: str = "--frame-interval"
) -> FloatArray:
    """``0, Δ, 2Δ, …`` for ``frames`` frames."""
    if not (np.isfinite(interval_s) and interval_s > 0):
        raise InputValidationError(
            [
                Problem(
                    source,
                    "the frame interval must be a positive number of seconds",
                    "e.g. 2.5",
                    value=str(interval_s),
                )
            ]
        )
    return np.arange(frames, dtype=np.float64) * float(interval_s)


def read_frame_times(path: str | os.PathLike[str], frames: int | None = None) -> FloatArray:
    """Frame times in seconds from a JSON sidecar.

    Accepted keys: ``FrameTimes`` (a list, seconds; also ``frame_times_s``,
    ``AcquisitionTimes``) or ``FrameInterval`` (seconds between frames, first frame at 0;
    also ``frame_interval_s``). ``frames`` is the number of frames of the series.
    """
    p = Path(path)
    source = str(p)
    if not p.exists():
        raise InputValidationError(
            [
                Problem(
                    source,
                    "frame-time sidecar not found",
                    "a JSON file with FrameTimes (s), or give --times or --frame-interval",
                )
            ]
        )
    try:
        content = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputValidationError(
            [Problem(source, f"cannot be read as JSON ({exc})", "a JSON object")]
        ) from None
    if not isinstance(content, dict):
        raise InputValidationError(
            [Problem(source, "is not a JSON object", '{"FrameTimes": [...]}')]
        )
    for key in _TIME_KEYS:
        if key in content:
            raw = content[key]
            try:
                times = np.asarray(raw, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                raise InputValidationError(
                    [
                        Problem(
                            source,
                            f"{key} is not a list of numbers",
                            "seconds",
                            column=key,
                            value=str(raw)[:60],
                        )
                    ]
                ) from None
            problems = _check_times(source, times, frames)
            if problems:
                raise InputValidationError(problems)
            return times
    for key in _INTERVAL_KEYS:
        if key in content:
            try:
                interval = float(content[key])
            except (TypeError, ValueError):
                interval = float("nan")
            if frames is None:
                raise InputValidationError(
                    [Problem(source, f"{key} needs the number of frames", "FrameTimes instead")]
                )
            return regular_frame_times(frames, interval, source=f"{source}: {key}")
    keys = ", ".join(_TIME_KEYS + _INTERVAL_KEYS)
    raise InputValidationError([Problem(source, "has no frame timing", f"one of the keys {keys}")])


def read_aif_csv(path: str | os.PathLike[str], times_s: FloatArray) -> FloatArray:
    """A measured plasma AIF from CSV with columns ``time_s`` and ``cp_mM``.

    The curve is interpolated linearly onto ``times_s``, which it must cover.
    """
    p = Path(path)
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputValidationError(
            [Problem(source, f"cannot be read ({exc})", "a CSV file")]
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        records = list(reader)
    except csv.Error as exc:  # e.g. a cell longer than the csv module's field limit
        raise InputValidationError(
            [
                _csv_error(
                    source, reader.reader.line_num, exc, "a CSV file with columns time_s and cp_mM"
                )
            ]
        ) from None
    fields = [f.strip() for f in (reader.fieldnames or [])]
    missing = [c for c in ("time_s", "cp_mM") if c not in fields]
    if missing:
        raise InputValidationError(
            [
                Problem(
                    source,
                    f"missing column(s) {', '.join(missing)}",
                    "columns time_s (seconds) and cp_mM (plasma concentration, mM)",
                )
            ]
        )
    problems: list[Problem] = []
    t_list: list[float] = []
    c_list: list[float] = []
    for row_number, row in enumerate(records, start=2):
        clean = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        values = []
        for column in ("time_s", "cp_mM"):
            try:
                value = float(clean[column])
                if not np.isfinite(value):
                    raise ValueError
                values.append(value)
            except ValueError:
                problems.append(
                    Problem(
                        source,
                        "not a finite number",
                        "a number",
                        row=row_number,
                        column=column,
                        value=clean[column],
                    )
                )
        if len(values) == 2:
            t_list.append(values[0])
            c_list.append(values[1])
    if not problems and len(t_list) < 2:
        problems.append(Problem(source, "has fewer than 2 rows", "the AIF at every frame"))
    if problems:
        raise InputValidationError(problems)
    t = np.asarray(t_list)
    c = np.asarray(c_list)
    problems = _check_times(source, t, None)
    if not problems and (t[0] > times_s[0] + 1e-6 or t[-1] < times_s[-1] - 1e-6):
        problems.append(
            Problem(
                source,
                f"covers {t[0]:g}–{t[-1]:g} s, not the frames {times_s[0]:g}–{times_s[-1]:g} s",
                "an AIF covering every frame time",
            )
        )
    if problems:
        raise InputValidationError(problems)
    return np.asarray(np.interp(times_s, t, c), dtype=np.float64)


def _csv_error(source: str, line: int, exc: csv.Error, expected: str) -> Problem:
    return Problem(source, f"cannot be read as CSV (line {line}: {exc})", expected)


def write_roi_summaries(path: str | os.PathLike[str], rows: Iterable[RoiSummary]) -> None:
    """Write ROI summaries to CSV (columns :data:`ROI_HEADER`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ROI_HEADER)
    for r in rows:
        writer.writerow(
            [r.label, r.parameter, r.voxels, r.used]
            + [_number(v) for v in (r.mean, r.median, r.q1, r.q3, r.iqr)]
        )
    atomic_write_text(path, buffer.getvalue())


def _number(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.6g}"


def _evidence_row(item: Evidence, note: str) -> list[str]:
    value = item.value
    text = str(value).lower() if isinstance(value, bool) else f"{float(value):.6g}"
    return [item.lesion_id, item.date.isoformat(), item.kind, text, note]


def write_evidence_rows(
    path: str | os.PathLike[str],
    rows: Sequence[Evidence],
    *,
    notes: Sequence[str] | None = None,
    replace: bool = False,
) -> int:
    """Append evidence rows to the CSV at ``path`` (created with a header if absent).

    An existing row for the same lesion, date and kind is an error unless ``replace`` is
    True, in which case it is replaced. Returns the number of rows of the table.
    """
    p = Path(path)
    source = str(p)
    notes = list(notes) if notes is not None else [""] * len(rows)
    existing: list[list[str]] = []
    header: list[str] = list(EVIDENCE_HEADER)
    if p.exists():
        try:
            text = p.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputValidationError(
                [Problem(source, f"cannot be read ({exc})", "a CSV evidence table")]
            ) from None
        lines = csv.reader(io.StringIO(text))
        try:
            table = list(lines)
        except csv.Error as exc:
            raise InputValidationError(
                [_csv_error(source, lines.line_num, exc, "a CSV evidence table")]
            ) from None
        if table:
            header = [h.strip() for h in table[0]]
            missing = [c for c in EVIDENCE_HEADER[:4] if c not in header]
            if missing:
                raise InputValidationError(
                    [
                        Problem(
                            source,
                            f"is not an evidence table (missing {', '.join(missing)})",
                            "columns lesion_id, date, kind, value (and optional note)",
                        )
                    ]
                )
            existing = [row for row in table[1:] if any(cell.strip() for cell in row)]
    position = {name: i for i, name in enumerate(header)}
    problems: list[Problem] = []
    new_rows: list[list[str]] = []
    for item, note in zip(rows, notes, strict=True):
        values = dict(zip(EVIDENCE_HEADER, _evidence_row(item, note), strict=True))
        key = (values["lesion_id"], values["date"], values["kind"])
        for i, row in enumerate(existing):
            padded = row + [""] * (len(header) - len(row))
            other = tuple(padded[position[c]].strip() for c in ("lesion_id", "date", "kind"))
            if other == key:
                if replace:
                    existing[i] = []
                else:
                    problems.append(
                        Problem(
                            source,
                            "already has a row for this lesion, date and kind",
                            "pass --replace to overwrite it",
                            row=i + 2,
                            value=", ".join(key),
                        )
                    )
        out = [""] * len(header)
        for name, value in values.items():
            if name in position:
                out[position[name]] = value
            elif value:
                header.append(name)
                position[name] = len(header) - 1
                out.append(value)
        new_rows.append(out)
    if problems:
        raise InputValidationError(problems)
    kept = [row for row in existing if row]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in kept + new_rows:
        writer.writerow(row + [""] * (len(header) - len(row)))
    atomic_write_text(p, buffer.getvalue())
    return len(kept) + len(new_rows)


def write_json(path: str | os.PathLike[str], content: dict[str, Any]) -> None:
    """Write ``content`` as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(content, indent=2, sort_keys=False) + "\n")
