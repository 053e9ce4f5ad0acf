"""Flat parameters: criteria parameters with best-response rules, to and from flat keys.

RECIST 1.1, RANO-BM, Choi and mRECIST keep their own thresholds and a nested
:class:`~pseudoprog.criteria.best_response.BestResponseParameters`. A TOML file, ``--set
NAME=VALUE`` and the JSON output see them as one flat set of keys with the criteria's name;
:class:`FlatParameters` gives every such parameter class that view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from enum import StrEnum
from typing import Any, ClassVar, Self

from pseudoprog.criteria.best_response import BestResponseParameters
from pseudoprog.errors import ParameterError

__all__ = ["FlatParameters"]


class FlatParameters:
    """Mixin of a frozen parameter dataclass with a ``best_response`` field.

    Subclasses set ``NAME``, the criteria's name in the registry.
    """

    NAME: ClassVar[str]
    best_response: BestResponseParameters

    @property
    def criteria(self) -> str:
        """Name of the criteria."""
        return self.NAME

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values, best-response rules flattened in."""
        own = {
            f.name: getattr(self, f.name)
            for f in fields(self)  # type: ignore[arg-type]
            if f.name != "best_response"
        }
        own = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in own.items()}
        return {"criteria": self.criteria, **own, **self.best_response.to_dict()}

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Self:
        """Build parameters from flat keys (those of :meth:`to_dict`, e.g. a TOML file).

        Raises
        ------
        ParameterError
            For parameters of other criteria, an unknown key (the message lists the known
            ones) or a bad value.
        """
        criteria = values.get("criteria", cls.NAME)
        if criteria != cls.NAME:
            raise ParameterError(
                f"parameters for criteria {criteria!r} given to {cls.NAME}; "
                f"remove the 'criteria' key or set it to '{cls.NAME}'"
            )
        own_names = {f.name for f in fields(cls)} - {"best_response"}  # type: ignore[arg-type]
        bor_names = {f.name for f in fields(BestResponseParameters)}
        unknown = sorted(set(values) - own_names - bor_names - {"criteria"})
        if unknown:
            known = ", ".join(sorted(own_names | bor_names))
            raise ParameterError(
                f"unknown parameter {', '.join(map(repr, unknown))} for {cls.__name__}; "
                f"known parameters: {known}"
            )
        own = {k: v for k, v in values.items() if k in own_names}
        bor = {k: v for k, v in values.items() if k in bor_names}
        try:
            return cls(**own, best_response=BestResponseParameters.from_mapping(bor))  # type: ignore[call-arg]
        except TypeError as exc:
            raise ParameterError(f"bad parameter value: {exc}") from None
