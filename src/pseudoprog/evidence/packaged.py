"""The evidence table shipped with pseudoprog (``spine_ssrs.yaml``, beside this module).

>>> table = default_table()
>>> table.name, [f.feature.value for f in table.features if f.quantitative]
('spine_ssrs', ['growth_within_80pct_isodose', 'dce_vp_change_pct'])
>>> [(s.name, s.pseudoprogression, s.enlarging) for s in table.prior.strata]
[('single_fraction', 5, 8), ('multi_fraction', 0, 6)]
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from pseudoprog.evidence.schema import YamlLocator, parse_evidence_table
from pseudoprog.evidence.table import EvidenceTable

__all__ = ["PACKAGED_TABLE", "default_table", "packaged_text"]

#: File name of the packaged table, in this package.
PACKAGED_TABLE = "spine_ssrs.yaml"


def packaged_text() -> str:
    """The text of the packaged table (e.g. to start an institution's own table from it)."""
    return resources.files("pseudoprog.evidence").joinpath(PACKAGED_TABLE).read_text("utf-8")


@cache
def default_table() -> EvidenceTable:
    """The packaged evidence table for spine SSRS, validated like a user table."""
    data = yaml.safe_load(packaged_text())
    origin = f"packaged:{PACKAGED_TABLE}"
    return parse_evidence_table(
        data, origin=origin, locator=YamlLocator.for_data(origin, data), default_name="spine_ssrs"
    )
