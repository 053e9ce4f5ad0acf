"""Response codes of the patient-level criteria (RECIST 1.1 family, iRECIST, PCWG3 bone).

A timepoint of a patient gets a target, a non-target and an overall response; a patient gets a
best overall response. The codes are those of the guidelines and of trial data sets, so they
serialise as text directly (``OverallResponse.NON_CR_NON_PD == "NON_CR_NON_PD"``) and parse the
spellings investigators write (``NON-CR/NON-PD``, ``complete response``).

Examples
--------
>>> OverallResponse.parse("non-CR/non-PD")
<OverallResponse.NON_CR_NON_PD: 'NON_CR_NON_PD'>
>>> IRecistResponse.parse("icpd").meaning
'confirmed progressive disease'
>>> IRecistResponse.from_recist(OverallResponse.PR)
<IRecistResponse.IPR: 'iPR'>
"""

from __future__ import annotations

from collections.abc import Mapping

from pseudoprog.domain import CodedEnum

__all__ = ["IRecistResponse", "OverallResponse"]


class OverallResponse(CodedEnum):
    """Response at one assessment (RECIST 1.1, Eisenhauer et al. 2009, Tables 1 and 2).

    ``ND`` (not done) appears only in assessed-response input, for a scheduled assessment that
    was not performed; the engines never produce it.
    """

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON_CR_NON_PD"
    PD = "PD"
    NE = "NE"
    ND = "ND"

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]

    @property
    def is_response(self) -> bool:
        """Whether this is an objective response (CR or PR)."""
        return self in (OverallResponse.CR, OverallResponse.PR)

    @property
    def is_evaluable(self) -> bool:
        """Whether the assessment says something about the disease (not NE, not ND)."""
        return self not in (OverallResponse.NE, OverallResponse.ND)

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return _ALIASES

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return None, "overall response"


_MEANINGS = {
    OverallResponse.CR: "complete response",
    OverallResponse.PR: "partial response",
    OverallResponse.SD: "stable disease",
    OverallResponse.NON_CR_NON_PD: "non-CR/non-PD (non-target disease only)",
    OverallResponse.PD: "progressive disease",
    OverallResponse.NE: "not evaluable",
    OverallResponse.ND: "not done",
}

_ALIASES = {
    "complete response": "CR",
    "partial response": "PR",
    "stable disease": "SD",
    "stable": "SD",
    "progressive disease": "PD",
    "progression": "PD",
    "not evaluable": "NE",
    "not evaluated": "NE",
    "unable to evaluate": "NE",
    "not done": "ND",
    "NON-CR/NON-PD": "NON_CR_NON_PD",
    "NONCR NONPD": "NON_CR_NON_PD",
    "non CR non PD": "NON_CR_NON_PD",
    "NN": "NON_CR_NON_PD",
}


class IRecistResponse(CodedEnum):
    """Response at one assessment by iRECIST (Seymour et al., Lancet Oncol 2017;18:e143-e152).

    ``iUPD`` is unconfirmed progression, awaiting the next assessment; ``iCPD`` is confirmed
    progression.
    """

    ICR = "iCR"
    IPR = "iPR"
    ISD = "iSD"
    INN = "iNN"
    IUPD = "iUPD"
    ICPD = "iCPD"
    NE = "NE"

    @property
    def meaning(self) -> str:
        return _I_MEANINGS[self]

    @classmethod
    def from_recist(cls, response: OverallResponse) -> IRecistResponse:
        """The iRECIST code of a RECIST 1.1 response that is not progression.

        Raises
        ------
        ValueError
            For PD: whether it is iUPD or iCPD depends on the assessments before it.
        """
        if response is OverallResponse.PD:
            raise ValueError("PD maps to iUPD or iCPD depending on the assessments before it")
        return _FROM_RECIST[response]

    @property
    def recist(self) -> OverallResponse:
        """The RECIST 1.1 code of the same response (iUPD and iCPD are both PD)."""
        return _TO_RECIST[self]

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {"NON-iCR/NON-iUPD": "iNN", "NONICRNONIUPD": "iNN"}

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return None, "iRECIST response"


_I_MEANINGS = {
    IRecistResponse.ICR: "complete response",
    IRecistResponse.IPR: "partial response",
    IRecistResponse.ISD: "stable disease",
    IRecistResponse.INN: "non-iCR/non-iUPD (non-target disease only)",
    IRecistResponse.IUPD: "unconfirmed progressive disease",
    IRecistResponse.ICPD: "confirmed progressive disease",
    IRecistResponse.NE: "not evaluable",
}

_FROM_RECIST = {
    OverallResponse.CR: IRecistResponse.ICR,
    OverallResponse.PR: IRecistResponse.IPR,
    OverallResponse.SD: IRecistResponse.ISD,
    OverallResponse.NON_CR_NON_PD: IRecistResponse.INN,
    OverallResponse.NE: IRecistResponse.NE,
    OverallResponse.ND: IRecistResponse.NE,
}

_TO_RECIST = {
    IRecistResponse.ICR: OverallResponse.CR,
    IRecistResponse.IPR: OverallResponse.PR,
    IRecistResponse.ISD: OverallResponse.SD,
    IRecistResponse.INN: OverallResponse.NON_CR_NON_PD,
    IRecistResponse.IUPD: OverallResponse.PD,
    IRecistResponse.ICPD: OverallResponse.PD,
    IRecistResponse.NE: OverallResponse.NE,
}
