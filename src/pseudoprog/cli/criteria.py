"""``pseudoprog criteria``: the criteria sets, their sources, versions and parameters."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape

from pseudoprog.cli._common import console, report_user_errors
from pseudoprog.cli._tables import ColumnSpec, fit_table
from pseudoprog.criteria.registry import REGISTRY, get

__all__ = ["register"]

app = typer.Typer(
    name="criteria",
    help="The response criteria pseudoprog implements: sources, versions and parameters.",
    no_args_is_help=True,
)


class ListFormat(StrEnum):
    """Output formats of ``criteria list``."""

    TABLE = "table"
    JSON = "json"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@app.command("list")
@report_user_errors
def list_criteria(
    output_format: Annotated[
        ListFormat, typer.Option("--format", case_sensitive=False, help="Output format.")
    ] = ListFormat.TABLE,
) -> None:
    """List every criteria set: name, kind, source, version, parameters and defaults."""
    if output_format is ListFormat.JSON:
        document = {"criteria": [c.to_dict() for c in REGISTRY.values()]}
        sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
        return
    columns = [
        ColumnSpec("Name"),
        ColumnSpec("Kind"),
        ColumnSpec("Version", level=1),
        ColumnSpec("Default for", level=1),
        ColumnSpec("Source", wrap=True, min_width=20),
    ]
    rows = [
        [
            escape(c.name),
            c.kind.value,
            escape(c.version),
            ", ".join(s.value for s in c.sites) or "-",
            escape(f"{c.title}. {c.citation}"),
        ]
        for c in REGISTRY.values()
    ]
    console.print(fit_table(columns, rows, width=console.width, title="Criteria sets"))
    for entry in REGISTRY.values():
        values = ", ".join(f"{p.name}={_value(p.default)}" for p in entry.parameters())
        console.print()
        console.print(f"[bold]{escape(entry.name)}[/] parameters: {escape(values)}")
    console.print()
    console.print(
        "Set them with --set NAME=VALUE or --parameters FILE.toml; "
        "'pseudoprog criteria show NAME' explains each."
    )


@app.command("show")
@report_user_errors
def show_criteria(
    name: Annotated[str, typer.Argument(help="A criteria set, e.g. recist1.1.")],
) -> None:
    """Show one criteria set with every parameter, its default and its meaning."""
    entry = get(name)
    console.print(
        f"[bold]{escape(entry.name)}[/] ({entry.kind.value} level, version {entry.version})"
    )
    console.print(escape(entry.title))
    console.print(f"Source: {escape(entry.citation)}")
    if entry.sites:
        console.print(f"Default for: {', '.join(s.value for s in entry.sites)}")
    console.print("Parameters:")
    for info in entry.parameters():
        console.print(f"  {info.name} = {_value(info.default)}")
        if info.description:
            console.print(f"      {escape(info.description)}")


def register(root: typer.Typer) -> None:
    """Add the ``criteria`` command group to ``root``."""
    root.add_typer(app)
