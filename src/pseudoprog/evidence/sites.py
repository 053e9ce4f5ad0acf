"""Which criteria and evidence table the point-of-care assessment uses for a lesion's site.

One :class:`SiteRoute` per site that pseudoprog can assess at the point of care:

* **spine**: the Amini 2016 criteria (``amini2016``) and the spine SSRS table; an enlarging
  lesion awaiting follow-up is INDETERMINATE, and the probability is that of osseous
  pseudoprogression.
* **brain**: the ``srs-brain`` criteria and the brain SRS table; an enlarging lesion that is
  still undecided is SUSPECTED_PD, and the probability is that of treatment effect (radiation
  necrosis or pseudoprogression) versus progression (local recurrence).

A lesion of a site without a lesion-level route (e.g. liver) is classified as on the spine
route and gets no probability, because no evidence table of lesion-level criteria covers it.

Liver metastases under systemic therapy are judged at the patient level (all of a patient's
lesions at each CT). :data:`LIVER_ROUTE`, a :class:`PatientRoute`, names their criteria
(``choi``) and evidence table (``liver_choi``, which gives no prior); :func:`patient_route_for`
finds it, and :mod:`pseudoprog.evidence.patient_evidence` uses it.

Examples
--------
>>> route = route_for(Site.BRAIN)
>>> route.criteria, route.table, route.awaiting.value, route.outcome
('srs-brain', 'brain_srs', 'SUSPECTED_PD', 'treatment effect')
>>> route_for("liver").criteria
'amini2016'
>>> liver = patient_route_for("liver")
>>> liver.criteria, liver.table, liver.outcome
('choi', 'liver_choi', 'response')
>>> patient_route_for("spine") is None
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TypeAlias

from pseudoprog.criteria import registry
from pseudoprog.criteria.amini2016 import Amini2016Parameters
from pseudoprog.criteria.result import Assessment
from pseudoprog.criteria.srs_brain import SrsBrainParameters
from pseudoprog.domain import Evidence, LesionHistory, ResponseCategory, Site
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.citation import Citation, Source

__all__ = [
    "BRAIN_ROUTE",
    "LIVER_ROUTE",
    "PATIENT_ROUTES",
    "ROUTES",
    "SPINE_ROUTE",
    "LesionCriteria",
    "PatientRoute",
    "SiteRoute",
    "criteria_sets",
    "patient_route_for",
    "route_for",
]

#: Parameters of the lesion-level criteria the point-of-care assessment can use.
LesionCriteria: TypeAlias = Amini2016Parameters | SrsBrainParameters


def criteria_sets(
    given: LesionCriteria | Iterable[LesionCriteria] | None,
) -> tuple[LesionCriteria, ...]:
    """One parameter set, several, or none, as a tuple."""
    if given is None:
        return ()
    if isinstance(given, Amini2016Parameters | SrsBrainParameters):
        return (given,)
    return tuple(given)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteRoute:
    """The point-of-care setting of one site.

    Parameters
    ----------
    site
        The lesions' site.
    criteria
        Name of the lesion-level criteria in the registry.
    table
        Name of the packaged evidence table.
    awaiting
        The category of an enlarging lesion that the criteria have not decided yet: the one
        that gets a probability.
    effect
        The category of a lesion the criteria have called treatment effect.
    outcome
        What the probability is of (the ``pseudoprogression`` group of the table's counts).
    effect_text
        The effect category in words, capitalised, for recommendations.
    decided_by
        How the criteria decide a lesion, for the note of a decided lesion.
    reference_standard
        What made the prior's lesions treatment effect or progression.
    reads_evidence
        Whether the criteria read the ``evidence`` rows (pathology, advanced imaging).
    criteria_source, criteria_location
        Where the criteria come from.
    """

    site: Site
    criteria: str
    table: str
    awaiting: ResponseCategory
    effect: ResponseCategory
    outcome: str
    effect_text: str
    decided_by: str
    reference_standard: str
    reads_evidence: bool
    criteria_source: Source
    criteria_location: str

    @property
    def criteria_citation(self) -> Citation:
        """Where the criteria come from."""
        return Citation(self.criteria_source, self.criteria_location)

    @property
    def parameter_type(self) -> type[LesionCriteria]:
        """The parameter class of the criteria."""
        kind: type[LesionCriteria] = registry.get(self.criteria).parameter_type
        return kind

    def parameters(self, given: LesionCriteria | Iterable[LesionCriteria] | None) -> LesionCriteria:
        """The parameters among ``given`` that belong to these criteria, else their defaults.

        Raises
        ------
        ParameterError
            If ``given`` holds two parameter sets of these criteria.
        """
        mine = [p for p in criteria_sets(given) if p.criteria == self.criteria]
        if len(mine) > 1:
            raise ParameterError(
                f"criteria: give at most one parameter set of {self.criteria}, got {len(mine)}"
            )
        found: LesionCriteria = mine[0] if mine else self.parameter_type()
        return found

    def classify(
        self,
        history: LesionHistory,
        *,
        as_of: date | None,
        params: LesionCriteria,
        evidence: Iterable[Evidence] = (),
    ) -> Assessment:
        """The lesion's category by these criteria, seeing only what is dated up to ``as_of``."""
        engine = registry.get(self.criteria).assess
        if self.reads_evidence:
            mine = tuple(e for e in evidence if e.lesion_id == history.lesion.lesion_id)
            result: Assessment = engine(history, as_of=as_of, params=params, evidence=mine)
        else:
            result = engine(history, as_of=as_of, params=params)
        return result


SPINE_ROUTE = SiteRoute(
    site=Site.SPINE,
    criteria="amini2016",
    table="spine_ssrs",
    awaiting=ResponseCategory.INDETERMINATE,
    effect=ResponseCategory.OPP,
    outcome="pseudoprogression",
    effect_text="Osseous pseudoprogression",
    decided_by="by serial MRI under the Amini 2016 criteria",
    reference_standard="same definition of OPP and PD",
    reads_evidence=False,
    criteria_source=Source(
        "amini2016",
        "Amini B, Beaman CB, Madewell JE, Allen PK, Rhines LD, Tatsui CE, Tannir NM, Li J, "
        "Brown PD, Ghia AJ. Osseous pseudoprogression in vertebral bodies treated with "
        "stereotactic radiosurgery: a secondary analysis of prospective phase I/II clinical "
        "trials. AJNR Am J Neuroradiol 2016;37(2):387-392. PMID 26494690.",
        "http://ajnr.org/content/37/2/387",
    ),
    criteria_location="Materials and Methods, Image Review and Analysis",
)

BRAIN_ROUTE = SiteRoute(
    site=Site.BRAIN,
    criteria="srs-brain",
    table="brain_srs",
    awaiting=ResponseCategory.SUSPECTED_PROGRESSION,
    effect=ResponseCategory.TREATMENT_EFFECT,
    outcome="treatment effect",
    effect_text="Treatment effect (radiation necrosis or pseudoprogression)",
    decided_by=(
        "by the srs-brain criteria (continued growth or stabilisation on the next MRI, "
        "pathology, or advanced imaging at or above its cut-off)"
    ),
    reference_standard="same reference standard, pathology of the enlarging lesion",
    reads_evidence=True,
    criteria_source=Source(
        "lin2015",
        "Lin NU, Lee EQ, Aoyama H, et al. Response assessment criteria for brain metastases: "
        "proposal from the RANO group. Lancet Oncol 2015;16(6):e270-e278. PMID 26065612.",
        "https://doi.org/10.1016/S1470-2045(15)70057-4",
    ),
    criteria_location=(
        "Table 2, progressive disease (at least 20% and 5 mm above the nadir), applied to one "
        "lesion by the srs-brain criteria (docs/criteria-srs-brain.md)"
    ),
)

#: The route of every site that has one.
ROUTES: Mapping[Site, SiteRoute] = MappingProxyType(
    {SPINE_ROUTE.site: SPINE_ROUTE, BRAIN_ROUTE.site: BRAIN_ROUTE}
)


def route_for(site: Site | str) -> SiteRoute:
    """The route of a site; a site without one takes the spine route (and gets no estimate).

    Raises
    ------
    ParameterError
        If ``site`` is not a known site.
    """
    return ROUTES.get(Site.parse(site), SPINE_ROUTE)


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientRoute:
    """The point-of-care setting of a site judged by patient-level criteria (liver).

    Parameters
    ----------
    site
        The lesions' site.
    criteria
        Name of the patient-level criteria in the registry (the site's default).
    table
        Name of the packaged evidence table.
    outcome
        What the table's ``pseudoprogression`` group is (``response``).
    alternative
        What its ``progression`` group is (``true progression``).
    question
        The question the evidence answers, in words.
    criteria_source, criteria_location
        Where the criteria come from.
    """

    site: Site
    criteria: str
    table: str
    outcome: str
    alternative: str
    question: str
    criteria_source: Source
    criteria_location: str

    @property
    def criteria_citation(self) -> Citation:
        """Where the criteria come from."""
        return Citation(self.criteria_source, self.criteria_location)


LIVER_ROUTE = PatientRoute(
    site=Site.LIVER,
    criteria="choi",
    table="liver_choi",
    outcome="response",
    alternative="true progression",
    question=(
        "the target lesions grew under systemic therapy: response with loss of enhancement, or "
        "true progression?"
    ),
    criteria_source=Source(
        "choi2007",
        "Choi H, Charnsangavej C, Faria SC, et al. Correlation of computed tomography and "
        "positron emission tomography in patients with metastatic gastrointestinal stromal "
        "tumor treated at a single institution with imatinib mesylate: proposal of new computed "
        "tomography response criteria. J Clin Oncol 2007;25(13):1753-1759. PMID 17470865.",
        "https://pubmed.ncbi.nlm.nih.gov/17470865/",
    ),
    criteria_location=(
        "response table as reproduced in Clin Transl Imaging 2017;5:183-197, Table 2 "
        "(docs/criteria-choi.md)"
    ),
)

#: The patient-level route of every site that has one.
PATIENT_ROUTES: Mapping[Site, PatientRoute] = MappingProxyType({LIVER_ROUTE.site: LIVER_ROUTE})


def patient_route_for(site: Site | str) -> PatientRoute | None:
    """The patient-level route of a site (``None``: the site is assessed lesion by lesion).

    Raises
    ------
    ParameterError
        If ``site`` is not a known site.
    """
    return PATIENT_ROUTES.get(Site.parse(site))
