"""Where a number comes from: a source (paper) and the place in it (table, section, page)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Citation", "Source"]


@dataclass(frozen=True, slots=True)
class Source:
    """A publication the evidence table cites.

    Parameters
    ----------
    key
        Short name used in the table (e.g. ``amini2016``).
    reference
        The full reference.
    url
        Where to read it, when known.
    """

    key: str
    reference: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """A source and the place in it that a number comes from.

    >>> Citation(Source("amini2016", "Amini B, et al. AJNR 2016"), "Table 1").short
    'amini2016, Table 1'
    """

    source: Source
    location: str

    @property
    def short(self) -> str:
        """``key, location``: what tables and JSON show."""
        return f"{self.source.key}, {self.location}"

    def __str__(self) -> str:
        return f"{self.source.reference} {self.location}"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "source": self.source.key,
            "reference": self.source.reference,
            "location": self.location,
            "url": self.source.url,
        }
