"""The repository explains itself.

* No tracked file refers to a design document kept outside the repository: every rule must be
  found in the README and ``docs/``.
* Every relative link of the README and of ``docs/*.md`` points to a file of the repository
  and, for a link into a markdown file with ``#anchor``, to one of its headings (GitHub's
  heading slugs).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
SELF = Path(__file__).resolve()
#: The outside document no file may name; built here so that this file does not name it.
OUTSIDE_DOCUMENT = "DESIGN" + ".md"
MARKDOWN = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_INLINE_LINK = re.compile(
    r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_HTML_ANCHOR = re.compile(r"<a\s[^>]*(?:name|id)\s*=\s*[\"']([^\"']+)[\"']", re.I)
_SCHEME = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def _tracked_files() -> list[Path]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed, so the tracked files cannot be listed")
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} has no .git folder (not a git checkout): no tracked files to check")
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listing.returncode != 0:
        pytest.skip(f"git ls-files failed: {listing.stderr.decode(errors='replace').strip()}")
    return [ROOT / name for name in listing.stdout.decode().split("\0") if name]


def test_no_file_refers_to_an_outside_design_document() -> None:
    pattern = re.compile(re.escape(OUTSIDE_DOCUMENT.encode()), re.I)
    found = []
    for path in _tracked_files():
        if path.resolve() == SELF or not path.is_file():
            continue
        data = path.read_bytes()
        for match in pattern.finditer(data):
            line = data.count(b"\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert not found, (
        f"these files refer to {OUTSIDE_DOCUMENT}, which is not in the repository; point them "
        "at the README or docs/ instead (docs/criteria.md, docs/conventions.md): "
        + ", ".join(found)
    )


def _prose(text: str) -> list[tuple[int, str]]:
    """Numbered lines outside fenced code blocks, with inline code removed."""
    lines, fence = [], ""
    for number, line in enumerate(text.splitlines(), start=1):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        lines.append((number, _CODE_SPAN.sub("", line)))
    return lines


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor of a markdown file: heading slugs (``-1``, ``-2`` for repeats), HTML ids."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    text = path.read_text(encoding="utf-8")
    fence = ""
    for line in text.splitlines():
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        found.update(_HTML_ANCHOR.findall(line))
        heading = _HEADING.match(line)
        if heading is None:
            continue
        slug = github_slug(heading.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def links(path: Path) -> list[tuple[int, str]]:
    """The relative link targets of a markdown file, with their line numbers."""
    out = []
    for number, line in _prose(path.read_text(encoding="utf-8")):
        targets = _INLINE_LINK.findall(line)
        reference = _REFERENCE_LINK.match(line)
        if reference:
            targets.append(reference.group(1))
        out.extend((number, t) for t in targets if t and not _SCHEME.match(t))
    return out


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("The Amini 2016 criteria", "the-amini-2016-criteria"),
        ("`pseudoprog assess`", "pseudoprog-assess"),
        ("Days, weeks and months", "days-weeks-and-months"),
        (
            "Amini 2016: spine SSRS, osseous pseudoprogression",
            "amini-2016-spine-ssrs-osseous-pseudoprogression",
        ),
        ("Input tables (CSV or Excel)", "input-tables-csv-or-excel"),
        ("The `evidence` input table", "the-evidence-input-table"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_repeated_headings_are_numbered(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Notes\n\n```\n# not a heading\n```\n\n## Notes\n\n## Notes\n")
    assert anchors(page) == {"notes", "notes-1", "notes-2"}


@pytest.mark.parametrize("document", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(document: Path) -> None:
    broken = []
    for number, target in links(document):
        path_part, _, anchor = unquote(target).partition("#")
        destination = (document.parent / path_part).resolve() if path_part else document
        where = f"{document.relative_to(ROOT)}:{number} -> {target}"
        if not destination.is_relative_to(ROOT):
            broken.append(f"{where} (outside the repository)")
        elif not destination.exists():
            broken.append(f"{where} (no such file)")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{where} (no heading with that anchor)")
    assert not broken, "links that point nowhere: " + "; ".join(broken)


def test_markdown_files_have_links() -> None:
    """The link check found the links (a broken pattern would find none and pass)."""
    readme = [target for _, target in links(ROOT / "README.md")]
    assert "#input-tables" in readme
    assert "docs/criteria.md" in readme
    assert "docs/conventions.md" in readme
