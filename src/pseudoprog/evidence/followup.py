"""When the next MRI of a lesion is due, and whether it is overdue.

The spine table carries the follow-up protocol of its source (MRI every 3 months, then every
6). The brain table has none: no source it cites gives a re-imaging interval after SRS of brain
metastases. A brain lesion's next MRI is then ``repeat_mri_weeks`` after its latest MRI, the
parameter of the ``srs-brain`` criteria (the project's default, said so in the output).

Examples
--------
>>> from pseudoprog.criteria.srs_brain import SrsBrainParameters
>>> from pseudoprog.evidence.packaged import packaged_table
>>> plan = next_mri(
...     packaged_table("brain_srs"), SrsBrainParameters(), treated=date(2011, 3, 1),
...     last_study=date(2011, 7, 1), as_of=date(2011, 10, 3),
... )
>>> plan.due.isoformat(), plan.overdue_days
('2011-09-23', 10)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pseudoprog.errors import ParameterError
from pseudoprog.evidence.citation import Citation
from pseudoprog.evidence.table import EvidenceTable

__all__ = ["NextMri", "next_mri"]


@dataclass(frozen=True, slots=True)
class NextMri:
    """The next MRI: when it is due, by which rule, and how late it is.

    ``overdue_days`` is ``None`` when it is not overdue or no assessment date was given.
    """

    last_study: date | None
    due: date
    overdue_days: int | None
    protocol: str
    citation: Citation | None

    def describe(self) -> str:
        """The rule with its source, for assumptions."""
        source = "" if self.citation is None else f" [{self.citation.short}]"
        return f"{self.protocol}{source}"


def next_mri(
    table: EvidenceTable,
    params: object,
    *,
    treated: date,
    last_study: date | None,
    as_of: date | None,
    overdue_after_days: int = 0,
) -> NextMri:
    """The next MRI by the table's follow-up protocol, or by the criteria's repeat interval.

    Parameters
    ----------
    table
        Evidence table; its ``follow_up`` section is used when it has one.
    params
        Criteria parameters; ``repeat_mri_weeks`` is used when the table has no protocol.
    treated, last_study
        Date of treatment and of the latest study seen (``None``: none).
    as_of
        Assessment date (``None``: overdue is not judged).
    overdue_after_days
        Days of grace after the due date.

    Raises
    ------
    ParameterError
        If neither the table nor the criteria give a re-imaging interval.
    """
    start = last_study if last_study is not None else treated
    schedule = table.follow_up_schedule
    weeks = getattr(params, "repeat_mri_weeks", None)
    if schedule is not None:
        due = schedule.next_due(start, treated)
        protocol, citation = schedule.describe(), schedule.citation
    elif isinstance(weeks, int):
        due = max(start, treated) + timedelta(weeks=weeks)
        protocol = (
            f"MRI {weeks} weeks after the latest MRI (parameter repeat_mri_weeks of the "
            f"criteria, the project's default: the sources of evidence table {table.name} give "
            "no re-imaging interval; follow the institution's protocol where it has one)"
        )
        citation = None
    else:
        raise ParameterError(
            f"evidence table {table.name} has no follow-up protocol and the criteria no "
            "repeat_mri_weeks: no date for the next MRI"
        )
    late = None if as_of is None else (as_of - due).days
    overdue = late if late is not None and late > overdue_after_days else None
    return NextMri(last_study, due, overdue, protocol, citation)
