"""JSON, CSV and table text of column-engine results, byte for byte as the reference writes it.

:class:`ColumnarText` turns a :class:`~pseudoprog.criteria.amini2016_columnar.ColumnarAssessment`
(a part of a registry) into the text of :mod:`pseudoprog.io.results`: each lesion's JSON
object as ``orjson.dumps(Assessment.to_dict())`` gives it, each CSV row as ``csv.writer``
gives it, and the columns of the Parquet output. Every sentence follows the templates of
:mod:`pseudoprog.criteria.amini2016`, :mod:`pseudoprog.criteria.result` and
:mod:`pseudoprog.criteria.inclusion`; every number is formatted by Python
(:mod:`pseudoprog.io.columnar_text`). The per-sequence and per-lesion texts are built by
:mod:`pseudoprog.io.columnar_groups` and :mod:`pseudoprog.io.columnar_lesions`.

Lesion and patient ids are written as they are: the caller leaves ids that JSON or CSV would
escape or quote to the reference writer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pseudoprog.criteria.amini2016_columnar import CATEGORY_OF, NO_STUDY, RuleCode
from pseudoprog.domain import ResponseCategory
from pseudoprog.io.columnar_format import (
    _NSEQ,
    _SEQUENCES,
    _csv_cell,
    _Format,
    _rounded,
    _two,
    needs_escaping,
)
from pseudoprog.io.columnar_groups import LesionColumns
from pseudoprog.io.columnar_lesions import LesionText
from pseudoprog.io.columnar_text import choose, floats, join, quoted, repeat, texts

__all__ = ["ColumnarText", "LesionColumns", "needs_escaping"]


class ColumnarText(LesionText):
    """The texts of one part of a registry: the JSON objects, CSV rows and Parquet columns
    of its lesions (parameters as for :class:`~pseudoprog.io.columnar_groups.GroupText`)."""

    def _deciding_numbers(self, fmt: _Format, empty: str) -> tuple[pa.Array, ...]:
        a = self.a
        d = np.maximum(a.deciding, 0)
        rule = a.rule[d] if len(a.rule) else a.deciding
        growing = self._decided & (rule >= RuleCode.GROWTH_PERSISTED)
        treated = self.lesions.treated
        out = []
        peak_row = a.peak_row[d] if len(a.rule) else a.deciding
        back_row = a.back_row[d] if len(a.rule) else a.deciding
        peak_day = a.day[np.maximum(peak_row, 0)] if len(a.day) else treated
        back_day = a.day[np.maximum(back_row, 0)] if len(a.day) else treated
        change = self.peak_size[d] - self.base_size[d] if len(a.rule) else treated * 0.0
        for mask, values in (
            (growing, (peak_day - treated) / 7.0),
            (growing, change),
            (growing & (back_row >= 0), (back_day - treated) / 7),
        ):
            shown = repeat(empty, self.n)
            rows = np.flatnonzero(mask)
            if len(rows):
                shown = pc.replace_with_mask(shown, pa.array(mask), floats(values[rows], fmt))
            out.append(shown)
        return tuple(out)

    def json_objects(self, separator: str = "") -> pa.Array:
        """Per lesion, ``orjson.dumps(assessment.to_dict())`` as text, ``separator`` after
        each but the last."""
        peak, change, back = self._deciding_numbers(_rounded, "null")
        deciding = choose(self._decided, quoted(self.deciding_sequence), "null")
        return join(
            '{"patient_id":"',
            self.lesions.patient_id,
            '","lesion_id":"',
            self.lesions.lesion_id,
            '","response":"',
            self.category,
            f'","primary_sequence":"{self.params.primary_sequence.value}","deciding_sequence":',
            deciding,
            ',"time_to_peak_weeks":',
            peak,
            ',"peak_change_mm":',
            change,
            ',"time_to_baseline_weeks":',
            back,
            ',"per_sequence":{',
            self.per_sequence_json,
            '},"reasons":[',
            self.reasons_json,
            '],"warnings":[',
            self.warnings_json,
            '],"inclusion":[',
            self.inclusion_json,
            "]}",
            choose(np.arange(self.n) < self.n - 1, separator, ""),
        )

    def _sequence_responses(self) -> list[pa.Array]:
        out = []
        names = texts(["", *(c.value if c else "" for c in CATEGORY_OF)])
        for s in range(_NSEQ):
            g = self.slot[:, s]
            code = np.zeros(self.n, dtype=np.int64)
            if len(self.a.rule):
                code = np.where(g >= 0, self.a.rule[np.maximum(g, 0)] + 1, 0)
            out.append(names.take(pa.array(code)))
        return out

    def csv_rows(self) -> pa.Array:
        """Per lesion, its CSV row (with the line end), as ``csv.writer`` writes it."""
        peak, change, back = self._deciding_numbers(_two, "")
        return join(
            self.lesions.patient_id,
            ",",
            self.lesions.lesion_id,
            ",",
            self.category,
            f",{self.params.primary_sequence.value},",
            self.deciding_sequence,
            ",",
            peak,
            ",",
            change,
            ",",
            back,
            ",",
            *(x for r in self._sequence_responses() for x in (r, ",")),
            _csv_cell(self.reasons_text),
            ",",
            _csv_cell(self.warnings_text),
            "\n",
        )

    def _group_numbers(self) -> dict[str, tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]]:
        """Per group, the unrounded peak and return numbers and where they are given."""
        a = self.a
        treated = self.lesions.treated[a.group_lesion]
        growing = a.rule >= RuleCode.GROWTH_PERSISTED
        back = a.back_row >= 0
        return {
            "time_to_peak_weeks": (growing, (a.day[np.maximum(a.peak_row, 0)] - treated) / 7.0),
            "peak_change_mm": (growing, self.peak_size - self.base_size),
            "time_to_baseline_weeks": (back, (a.day[np.maximum(a.back_row, 0)] - treated) / 7),
        }

    def table_columns(self) -> dict[str, pa.Array]:
        """The Parquet columns (:data:`pseudoprog.io.parquet_results.PARQUET_SCHEMA`)."""
        a = self.a
        lesions = self.lesions
        n = self.n

        def optional(values: pa.Array) -> pa.Array:
            return pc.if_else(pc.equal(values, ""), None, values)

        def numbers(mask: npt.NDArray[np.bool_], values: npt.NDArray[np.float64]) -> pa.Array:
            return pa.array(np.where(mask, values, 0.0), pa.float64(), mask=~mask)

        group = self._group_numbers()
        d = np.maximum(a.deciding, 0)
        columns: dict[str, pa.Array] = {
            "patient_id": lesions.patient_id,
            "lesion_id": lesions.lesion_id,
            "response": self.category,
            "primary_sequence": repeat(self.params.primary_sequence.value, n),
            "deciding_sequence": optional(self.deciding_sequence),
        }
        for name, (mask, values) in group.items():
            if len(a.rule):
                columns[name] = numbers(self._decided & mask[d], values[d])
            else:
                columns[name] = pa.nulls(n, pa.float64())
        for s, r in zip(_SEQUENCES, self._sequence_responses(), strict=True):
            columns[f"{s.value}_response"] = optional(r)
        columns["reasons"] = self.reasons_text
        columns["warnings"] = self.warnings_text
        columns["fractions"] = pa.array(lesions.fractions, pa.int32())
        columns["single_fraction"] = pa.array(lesions.fractions == 1, pa.bool_())

        treated = lesions.treated
        last = a.last_day
        none = (last == NO_STUDY) | (last <= treated)
        not_met = (
            none | (last < self._needed),
            lesions.in_vertebral_body == 0,
            lesions.body_involvement_pct > self.params.max_body_involvement_pct,
        )
        code = sum(m.astype(np.int64) << i for i, m in enumerate(not_met))
        names = ("follow_up", "vertebral_body", "body_involvement")
        shown = [" | ".join(x for i, x in enumerate(names) if c >> i & 1) for c in range(8)]
        columns["inclusion_not_met"] = texts(shown).take(pa.array(code))

        rule = a.rule[d] if len(a.rule) else np.zeros(n, dtype=np.int64)
        first = a.first_enlarged_row[d] if len(a.rule) else np.full(n, -1)
        ended = self._decided & (first >= 0)
        ended &= (rule == RuleCode.DECLINE) | np.isin(
            rule,
            [int(c) for c in RuleCode if CATEGORY_OF[c] is ResponseCategory.PD],
        )
        end = np.where(ended, a.day[np.maximum(first, 0)] if len(a.day) else 0, last)
        columns["survival_weeks"] = numbers(~none, (end - treated) / 7.0)
        outcome = np.where(~none, np.where(ended, np.where(rule == RuleCode.DECLINE, 1, 2), 0), 3)
        columns["survival_outcome"] = pa.array(["censored", "opp", "pd", None], pa.string()).take(
            pa.array(outcome)
        )

        for position, sequence in enumerate(_SEQUENCES):
            g = self.slot[:, position]
            present = g >= 0
            columns[f"{sequence.value}_assessed"] = pa.array(present, pa.bool_())
            safe = np.maximum(g, 0)
            for name, (mask, values) in group.items():
                key = f"{sequence.value}_{name}"
                if len(a.rule):
                    columns[key] = numbers(present & mask[safe], values[safe])
                else:
                    columns[key] = pa.nulls(n, pa.float64())
        return columns
