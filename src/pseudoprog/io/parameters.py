"""Criteria parameters from a TOML file and from ``NAME=VALUE`` options.

Every criteria set takes its parameters as flat ``name = value`` pairs, the keys being the
names that ``pseudoprog criteria show NAME`` lists. :func:`read_parameters_file` reads them
from a TOML file, :func:`parse_assignment` from one ``--set NAME=VALUE`` option, and
:func:`parameters_from_file` builds a parameter object from a file with every error naming the
file.

Examples
--------
>>> parse_assignment("confirmation_required=true")
('confirmation_required', True)
>>> parse_assignment("primary_sequence=T2FS")
('primary_sequence', 'T2FS')
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pseudoprog.errors import ParameterError

__all__ = ["parameters_from_file", "parse_assignment", "read_parameters_file"]

T = TypeVar("T")


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``NAME=VALUE`` as given to ``--set``; the value is read as TOML when it can be.

    Raises
    ------
    ParameterError
        When the text is not ``NAME=VALUE``.
    """
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ParameterError(
            f"--set {text!r} is not NAME=VALUE; write for example --set confirmation_min_days=28"
        )
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return name, value


def read_parameters_file(path: str | Path) -> dict[str, Any]:
    """The ``name = value`` pairs of a TOML file (a lone ``[parameters]`` table is read too).

    Raises
    ------
    ParameterError
        Starting with the file's path, when it is missing, a folder, unreadable or not TOML.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except FileNotFoundError:
        raise ParameterError(
            f"{path}: parameters file not found; give the path of an existing TOML file"
        ) from None
    except IsADirectoryError:
        raise ParameterError(f"{path}: is a folder; give the path of a TOML file") from None
    except OSError as exc:
        raise ParameterError(f"{path}: cannot be opened ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParameterError(
            f"{path}: not a valid TOML file ({exc}); write one key = value per line, e.g. "
            "confirmation_required = true"
        ) from None
    if set(data) == {"parameters"} and isinstance(data["parameters"], dict):
        data = data["parameters"]
    return data


def parameters_from_file(path: str | Path, build: Callable[[Mapping[str, Any]], T]) -> T:
    """Build parameters from a TOML file with ``build`` (a ``from_mapping``); errors name it.

    Raises
    ------
    ParameterError
        Starting with the file's path: a file problem, an unknown key, a value of the wrong
        type.
    """
    values = read_parameters_file(path)
    try:
        return build(values)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None
