"""Building blocks of the self-contained HTML report: page, style, tables, figures, notices.

Everything is inline: the style sheet is in the page and the figures are embedded as base64
PNG, so the file opens offline and can be mailed as it is. No script is used.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from collections.abc import Sequence as Seq
from dataclasses import dataclass

from pseudoprog.report._format import esc

__all__ = ["FigureFile", "Section", "badge", "figure", "notice", "page", "table"]

_CSS = """
:root { --ink: #1d232b; --muted: #5b6570; --line: #d9dee3; --accent: #0b5f8a;
        --warn-bg: #fff4e0; --warn-line: #e0a030; --off-bg: #f3f4f6; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); margin: 0; background: #fafbfc; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 32px 64px; background: white;
       border-left: 1px solid var(--line); border-right: 1px solid var(--line); }
h1 { font-size: 1.6em; margin: 0.2em 0 0.3em; line-height: 1.25; }
h2 { font-size: 1.25em; margin: 2em 0 0.6em; padding-bottom: 0.25em;
     border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05em; margin: 1.4em 0 0.4em; }
p, li { max-width: 78ch; }
.meta { color: var(--muted); font-size: 0.9em; margin: 0.2em 0; }
nav ol { columns: 2; font-size: 0.92em; padding-left: 1.4em; }
nav a { color: var(--accent); text-decoration: none; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.92em; }
caption { text-align: left; font-weight: 600; padding: 0 0 0.4em; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); vertical-align: top;
         text-align: left; }
th { background: #f1f4f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group td { background: #f8f9fa; font-weight: 600; }
td.indent { padding-left: 24px; }
.badge { display: inline-block; font-size: 0.72em; font-weight: 700; letter-spacing: 0.03em;
         text-transform: uppercase; padding: 1px 7px; border-radius: 9px; vertical-align: 2px;
         margin-left: 8px; white-space: nowrap; }
.badge.synthetic { background: var(--warn-line); color: white; }
.badge.yes { background: #d8f0e3; color: #11603a; }
.badge.no { background: #fbe0d8; color: #8a2b0b; }
.badge.na { background: var(--off-bg); color: var(--muted); }
.notice { border-left: 5px solid var(--warn-line); background: var(--warn-bg);
          padding: 10px 16px; margin: 1em 0; }
.notice.off { border-left-color: #a0a8b0; background: var(--off-bg); }
.notice strong:first-child { display: block; margin-bottom: 2px; }
.notice p { margin: 0.3em 0; }
figure { margin: 1em 0 1.6em; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: 0.88em; color: var(--muted); max-width: 80ch; margin-top: 4px; }
.keyfigures { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
              gap: 10px; margin: 1em 0; }
.keyfigures div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.keyfigures b { display: block; font-size: 1.35em; }
.keyfigures span { color: var(--muted); font-size: 0.85em; }
code { font-size: 0.9em; background: var(--off-bg); padding: 0 3px; border-radius: 3px; }
footer { margin-top: 3em; color: var(--muted); font-size: 0.85em; }
@media print { body { background: white; } main { border: none; } h2 { break-after: avoid; }
               figure, table { break-inside: avoid; } }
"""


@dataclass(frozen=True, slots=True)
class FigureFile:
    """A rendered figure: file name, PNG bytes, caption and alternative text."""

    filename: str
    png: bytes
    caption: str
    alt: str


@dataclass(frozen=True, slots=True)
class Section:
    """A titled part of the report (``body`` is HTML)."""

    anchor: str
    title: str
    body: str
    synthetic: bool = False


def badge(text: str, kind: str) -> str:
    """A small label, e.g. ``badge("synthetic data", "synthetic")``."""
    return f'<span class="badge {esc(kind)}">{esc(text)}</span>'


def notice(title: str, body: str, *, off: bool = False) -> str:
    """A highlighted box; ``off`` for "not computed" notes (grey instead of amber)."""
    kind = "notice off" if off else "notice"
    return f'<div class="{kind}"><strong>{esc(title)}</strong>{body}</div>'


def table(
    header: Seq[str],
    rows: Iterable[Seq[str]],
    *,
    caption: str = "",
    numeric: Iterable[int] = (),
    row_classes: Seq[str] = (),
) -> str:
    """An HTML table; cells are HTML already; ``numeric`` columns are right-aligned."""
    right = set(numeric)

    def cls(i: int) -> str:
        return ' class="num"' if i in right else ""

    head = "".join(f"<th{cls(i)}>{h}</th>" for i, h in enumerate(header))
    body = []
    for k, row in enumerate(rows):
        rc = row_classes[k] if k < len(row_classes) and row_classes[k] else ""
        attr = f' class="{rc}"' if rc else ""
        cells = "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row))
        body.append(f"<tr{attr}>{cells}</tr>")
    cap = f"<caption>{caption}</caption>" if caption else ""
    return (
        f'<div class="scroll"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure(fig: FigureFile, number: int) -> str:
    """An embedded figure with its caption (the PNG also exists as ``fig.filename``)."""
    data = base64.b64encode(fig.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(fig.alt)}">'
        f"<figcaption><b>Figure {number}.</b> {fig.caption} "
        f"(<code>{esc(fig.filename)}</code>)</figcaption></figure>"
    )


def page(title: str, header: str, sections: Seq[Section], footer: str) -> str:
    """The whole document: header, table of contents, sections and footer."""
    toc = "".join(
        f'<li><a href="#{esc(s.anchor)}">{esc(s.title)}</a>'
        + (" *" if s.synthetic else "")
        + "</li>"
        for s in sections
    )
    parts = []
    for s in sections:
        mark = badge("synthetic data", "synthetic") if s.synthetic else ""
        parts.append(
            f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}{mark}</h2>{s.body}</section>'
        )
    legend = (
        '<p class="meta">* rests on synthetic data</p>'
        if any(s.synthetic for s in sections)
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body><main>"
        f"{header}<nav><h2>Contents</h2><ol>{toc}</ol>{legend}</nav>{''.join(parts)}"
        f"<footer>{footer}</footer></main></body></html>\n"
    )
