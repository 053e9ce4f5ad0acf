"""The criteria registry: every criteria set by name, with its kind, source and parameters.

Lesion-level criteria judge one treated lesion's own course (``amini2016``, ``srs-brain``);
patient-level criteria judge all of a patient's lesions at each assessment (``recist1.1``,
``irecist``, ``pcwg3-bone``, ``rano-bm``, ``choi``, ``mrecist``). Each :class:`CriteriaSet`
names the module of its engine and its parameter class; modules are imported when first used,
so listing the registry stays cheap.

Examples
--------
>>> get("RECIST 1.1").name
'recist1.1'
>>> get("recist1.1").kind.value
'patient'
>>> [p.name for p in get("amini2016").parameters()][:2]
['error_mm', 'decline_window_days']
>>> default_for_site(Site.SPINE).name
'amini2016'
>>> default_for_site(Site.BRAIN).name
'rano-bm'
>>> default_for_site(Site.LIVER).name
'choi'
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import ModuleType
from typing import Any

from pseudoprog.domain import Site, normalize_token
from pseudoprog.errors import ParameterError

__all__ = [
    "REGISTRY",
    "CriteriaKind",
    "CriteriaSet",
    "ParameterInfo",
    "default_for_site",
    "get",
]


class CriteriaKind(StrEnum):
    """Whether criteria judge one lesion or all of a patient's lesions together."""

    LESION = "lesion"
    PATIENT = "patient"


@dataclass(frozen=True, slots=True)
class ParameterInfo:
    """One parameter of a criteria set: name, default and what it means."""

    name: str
    default: Any
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "default": self.default, "description": self.description}


@dataclass(frozen=True, slots=True)
class CriteriaSet:
    """A criteria set of the registry.

    Parameters
    ----------
    name
        The name used by ``--criteria`` and recorded in every result.
    kind
        Lesion level or patient level.
    title, citation, version
        What it is, where its rules come from, and the version of the rules implemented.
    module, parameters_class
        The engine's module (with ``assess(record_or_history, *, as_of, params)``) and the name
        of its parameter class there.
    sites
        The sites for which this set is the default.
    applies_to
        The only sites this set judges (empty: any site).
    aliases
        Other spellings accepted by :func:`get`.
    """

    name: str
    kind: CriteriaKind
    title: str
    citation: str
    version: str
    module: str
    parameters_class: str
    sites: tuple[Site, ...] = ()
    applies_to: tuple[Site, ...] = ()
    aliases: tuple[str, ...] = ()

    def load(self) -> ModuleType:
        """The engine's module."""
        return importlib.import_module(self.module)

    @property
    def assess(self) -> Callable[..., Any]:
        """The engine: ``assess(input, *, as_of=None, params=None)``."""
        return self.load().assess  # type: ignore[no-any-return]

    @property
    def parameter_type(self) -> type[Any]:
        return getattr(self.load(), self.parameters_class)  # type: ignore[no-any-return]

    def default_parameters(self) -> Any:
        return self.parameter_type()

    def parameters(self) -> tuple[ParameterInfo, ...]:
        """Every parameter with its default and the description from the class docstring."""
        defaults = self.default_parameters()
        described = _described(self.parameter_type)
        for field in dataclasses.fields(defaults):
            nested = getattr(defaults, field.name)
            if dataclasses.is_dataclass(nested):
                described.update(_described(type(nested)))
        return tuple(
            ParameterInfo(name, value, described.get(name, ""))
            for name, value in _flat_defaults(defaults).items()
            if name != "criteria"
        )

    def make_parameters(self, values: Mapping[str, Any]) -> Any:
        """The parameter object from flat ``values`` (a TOML file, ``--set`` options).

        Raises
        ------
        ParameterError
            For an unknown name (listing the known ones) or a value of the wrong kind.
        """
        cls = self.parameter_type
        custom = getattr(cls, "from_mapping", None)
        if callable(custom):
            return custom(values)
        return _simple_from_mapping(cls, values, criteria=self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "title": self.title,
            "citation": self.citation,
            "version": self.version,
            "default_for_sites": [s.value for s in self.sites],
            "applies_to_sites": [s.value for s in self.applies_to],
            "parameters": [p.to_dict() for p in self.parameters()],
        }


def _flat_defaults(params: Any) -> dict[str, Any]:
    to_dict = getattr(params, "to_dict", None)
    values = to_dict() if callable(to_dict) else dataclasses.asdict(params)
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in values.items()}


_PARAM_HEAD = re.compile(r"^([a-z_][a-z0-9_]*(?:, [a-z_][a-z0-9_]*)*)\s*$")


def _described(cls: type[Any]) -> dict[str, str]:
    """Parameter descriptions from a numpy-style ``Parameters`` section of ``cls``'s docstring."""
    doc = inspect.getdoc(cls) or ""
    if "Parameters\n----------" not in doc:
        return {}
    section = doc.split("Parameters\n----------", 1)[1]
    out: dict[str, str] = {}
    names: list[str] = []
    text: list[str] = []

    def flush() -> None:
        for name in names:
            out[name] = " ".join(text)

    for line in section.splitlines():
        head = _PARAM_HEAD.match(line)
        if head:
            flush()
            names, text = head.group(1).split(", "), []
        elif line.startswith("    ") and names:
            text.append(line.strip())
        elif line.strip():
            break
    flush()
    return out


def _simple_from_mapping(cls: type[Any], values: Mapping[str, Any], *, criteria: str) -> Any:
    """Build a flat parameter dataclass, converting enum values from their codes."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields) - {"criteria"})
    if unknown:
        raise ParameterError(
            f"unknown parameter {', '.join(map(repr, unknown))} for {criteria}; known "
            f"parameters: {', '.join(fields)}"
        )
    defaults = cls()
    converted: dict[str, Any] = {}
    for name, value in values.items():
        if name == "criteria":
            continue
        current = getattr(defaults, name)
        try:
            converted[name] = _convert(value, current)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"parameter {name}={value!r} for {criteria}: {exc}; expected a value like "
                f"{current.value if isinstance(current, Enum) else current!r}"
            ) from None
    return cls(**converted)


def _convert(value: Any, like: Any) -> Any:
    if isinstance(like, Enum):
        parse = getattr(type(like), "parse", None)
        return parse(value) if callable(parse) else type(like)(value)
    if isinstance(like, bool):
        if not isinstance(value, bool):
            raise TypeError("not true or false")
        return value
    if isinstance(like, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not a whole number")
        return value
    if isinstance(like, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("not a number")
        return float(value)
    return value


_SPINE = "Amini B, Beaman CB, Madewell JE, et al. AJNR Am J Neuroradiol 2016;37:387-392"

#: Every criteria set, by name.
REGISTRY: dict[str, CriteriaSet] = {
    c.name: c
    for c in (
        CriteriaSet(
            name="amini2016",
            kind=CriteriaKind.LESION,
            title="Osseous pseudoprogression after spine stereotactic radiosurgery",
            citation=_SPINE,
            version="2016",
            module="pseudoprog.criteria.amini2016",
            parameters_class="Amini2016Parameters",
            sites=(Site.SPINE,),
            applies_to=(Site.SPINE,),
            aliases=("amini", "spine", "opp"),
        ),
        CriteriaSet(
            name="recist1.1",
            kind=CriteriaKind.PATIENT,
            title="Response Evaluation Criteria in Solid Tumours, version 1.1",
            citation="Eisenhauer EA, Therasse P, Bogaerts J, et al. Eur J Cancer 2009;45:228-247",
            version="1.1",
            module="pseudoprog.criteria.recist",
            parameters_class="RecistParameters",
            aliases=("recist", "recist11", "recist 1.1"),
        ),
        CriteriaSet(
            name="irecist",
            kind=CriteriaKind.PATIENT,
            title="RECIST 1.1 for immune-based therapeutics (iUPD/iCPD confirmation)",
            citation="Seymour L, Bogaerts J, Perrone A, et al. Lancet Oncol 2017;18:e143-e152",
            version="2017",
            module="pseudoprog.criteria.irecist",
            parameters_class="IRecistParameters",
            aliases=("i-recist", "immune recist"),
        ),
        CriteriaSet(
            name="pcwg3-bone",
            kind=CriteriaKind.PATIENT,
            title="Prostate Cancer Working Group 3, bone scan progression (2+2 rule, flare)",
            citation="Scher HI, Morris MJ, Stadler WM, et al. J Clin Oncol 2016;34:1402-1418",
            version="3",
            module="pseudoprog.criteria.pcwg3",
            parameters_class="Pcwg3Parameters",
            aliases=("pcwg3", "pcwg3bone", "pcwg"),
        ),
        CriteriaSet(
            name="rano-bm",
            kind=CriteriaKind.PATIENT,
            title="Response Assessment in Neuro-Oncology criteria for brain metastases",
            citation="Lin NU, Lee EQ, Aoyama H, et al. Lancet Oncol 2015;16:e270-e278",
            version="2015",
            module="pseudoprog.criteria.rano_bm",
            parameters_class="RanoBmParameters",
            sites=(Site.BRAIN,),
            aliases=("rano bm", "rano brain metastases", "ranobm"),
        ),
        CriteriaSet(
            name="srs-brain",
            kind=CriteriaKind.LESION,
            title="Brain metastasis after SRS: suspected progression versus treatment effect",
            citation=(
                "Lin NU, Lee EQ, Aoyama H, et al. Lancet Oncol 2015;16:e270-e278 (lesion rule); "
                "Ruzevick J, Kleinberg L, Rigamonti D. Neurosurg Rev 2014;37:193-201"
            ),
            version="2015",
            module="pseudoprog.criteria.srs_brain",
            parameters_class="SrsBrainParameters",
            applies_to=(Site.BRAIN,),
            aliases=("srs brain", "brain srs", "srsbrain"),
        ),
        CriteriaSet(
            name="choi",
            kind=CriteriaKind.PATIENT,
            title=(
                "Choi CT criteria: response by size or attenuation (GIST and liver metastases "
                "under targeted therapy)"
            ),
            citation="Choi H, Charnsangavej C, Faria SC, et al. J Clin Oncol 2007;25:1753-1759",
            version="2007",
            module="pseudoprog.criteria.choi",
            parameters_class="ChoiParameters",
            sites=(Site.LIVER,),
            aliases=("choi criteria", "choi2007"),
        ),
        CriteriaSet(
            name="mrecist",
            kind=CriteriaKind.PATIENT,
            title=(
                "Modified RECIST for hepatocellular carcinoma: viable, arterially enhancing tumour"
            ),
            citation="Lencioni R, Llovet JM. Semin Liver Dis 2010;30:52-60",
            version="2010",
            module="pseudoprog.criteria.mrecist",
            parameters_class="MRecistParameters",
            applies_to=(Site.LIVER,),
            aliases=("m-recist", "modified recist", "mrecist hcc"),
        ),
    )
}


def _lookup() -> dict[str, CriteriaSet]:
    table: dict[str, CriteriaSet] = {}
    for entry in REGISTRY.values():
        for spelling in (entry.name, *entry.aliases):
            table[normalize_token(spelling)] = entry
    return table


def get(name: str) -> CriteriaSet:
    """The criteria set called ``name`` (any accepted spelling).

    Raises
    ------
    ParameterError
        For an unknown name; the message lists the known ones.
    """
    found = _lookup().get(normalize_token(name))
    if found is None:
        raise ParameterError(
            f"--criteria {name!r} is not a known criteria set; expected one of "
            f"{', '.join(REGISTRY)} (see 'pseudoprog criteria list')"
        )
    return found


def default_for_site(site: Site) -> CriteriaSet:
    """The default criteria set of a lesion site.

    Raises
    ------
    ParameterError
        When no criteria set is the default for ``site``; the message says which to choose.
    """
    for entry in REGISTRY.values():
        if site in entry.sites:
            return entry
    patient = ", ".join(n for n, c in REGISTRY.items() if c.kind is CriteriaKind.PATIENT)
    raise ParameterError(
        f"no criteria set is the default for site {site.value!r}; choose one with --criteria "
        f"({patient})"
    )
