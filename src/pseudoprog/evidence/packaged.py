"""The evidence tables shipped with pseudoprog (YAML files beside this module).

``spine_ssrs`` (osseous pseudoprogression after spine SSRS) is the default table; ``brain_srs``
(radiation necrosis vs local recurrence of brain metastases after SRS) is the table of brain
lesions; ``liver_choi`` (response vs progression of liver metastases growing under imatinib,
without a prior) the table of liver lesions. :func:`table_for_site` picks the table of a
lesion's site.

>>> table = default_table()
>>> table.name, [f.feature.value for f in table.features if f.quantitative]
('spine_ssrs', ['growth_within_80pct_isodose', 'dce_vp_change_pct'])
>>> [(s.name, s.pseudoprogression, s.enlarging) for s in table.prior.strata]
[('single_fraction', 5, 8), ('multi_fraction', 0, 6)]
>>> brain = table_for_site("brain")
>>> brain.name, [(s.pseudoprogression, s.enlarging) for s in brain.prior.strata]
('brain_srs', [(24, 35)])
>>> liver = table_for_site("liver")
>>> liver.name, liver.prior is None, [f.feature.value for f in liver.features if f.quantitative]
('liver_choi', True, ['attenuation_change_pct'])
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources

import yaml

from pseudoprog.domain import Site
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.schema import YamlLocator, parse_evidence_table
from pseudoprog.evidence.table import EvidenceTable

__all__ = [
    "DEFAULT_TABLE",
    "PACKAGED_TABLE",
    "PACKAGED_TABLES",
    "SITE_TABLES",
    "default_table",
    "packaged_table",
    "packaged_text",
    "table_for_site",
]

#: Name of the default packaged table (spine SSRS).
DEFAULT_TABLE = "spine_ssrs"

#: File name of the default packaged table, in this package.
PACKAGED_TABLE = "spine_ssrs.yaml"

#: Every packaged table: name -> file name in this package.
PACKAGED_TABLES: Mapping[str, str] = {
    "spine_ssrs": PACKAGED_TABLE,
    "brain_srs": "brain_srs.yaml",
    "liver_choi": "liver_choi.yaml",
}

#: The packaged table of each site that has one.
SITE_TABLES: Mapping[Site, str] = {
    Site.SPINE: "spine_ssrs",
    Site.BRAIN: "brain_srs",
    Site.LIVER: "liver_choi",
}


def _file(name: str) -> str:
    try:
        return PACKAGED_TABLES[name]
    except KeyError:
        raise ParameterError(
            f"name={name!r} is not a packaged evidence table; expected one of "
            f"{', '.join(PACKAGED_TABLES)}"
        ) from None


def packaged_text(name: str = DEFAULT_TABLE) -> str:
    """The text of a packaged table (e.g. to start an institution's own table from it).

    Raises
    ------
    ParameterError
        If ``name`` is not a packaged table.
    """
    return resources.files("pseudoprog.evidence").joinpath(_file(name)).read_text("utf-8")


@cache
def packaged_table(name: str = DEFAULT_TABLE) -> EvidenceTable:
    """A packaged evidence table by name, validated like a user table.

    Raises
    ------
    ParameterError
        If ``name`` is not a packaged table.
    """
    data = yaml.safe_load(packaged_text(name))
    origin = f"packaged:{_file(name)}"
    return parse_evidence_table(
        data, origin=origin, locator=YamlLocator.for_data(origin, data), default_name=name
    )


def default_table() -> EvidenceTable:
    """The packaged evidence table for spine SSRS, validated like a user table."""
    return packaged_table(DEFAULT_TABLE)


def table_for_site(site: Site | str) -> EvidenceTable | None:
    """The packaged table of a lesion's site (``None`` when no table covers the site).

    Raises
    ------
    ParameterError
        If ``site`` is not a known site.
    """
    name = SITE_TABLES.get(Site.parse(site))
    return None if name is None else packaged_table(name)
