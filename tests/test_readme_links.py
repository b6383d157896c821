"""README.md's links to files of the repository lead somewhere, headings included.

The docs site's strict build checks the links between pages under docs/
(docs/site.md); README.md is not one of them, and GitHub shows it, so its
relative links and their #anchors are checked here against GitHub's way of
naming headings.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings (outside code blocks)."""
    seen: Counter[str] = Counter()
    found = set()
    in_code = False
    for text in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(text):
            in_code = not in_code
            continue
        heading = None if in_code else HEADING.match(text)
        if heading is None:
            continue
        # Lower case; drop what is not a letter, digit, space, hyphen or
        # underscore; spaces become hyphens; a repeat gets -1, -2, ...
        slug = re.sub(r"[^\w\- ]", "", heading.group("title").lower()).replace(" ", "-")
        found.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
        seen[slug] += 1
    return found


def readme_links() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [
        link.group("target")
        for link in LINK.finditer(text)
        if not re.match(r"[a-z][a-z0-9+.-]*:", link.group("target"))  # http:, mailto:, ...
    ]


def test_the_readme_links_to_the_docs() -> None:
    assert {"docs/getting-started.md", "docs/design.md"} <= {
        target.partition("#")[0] for target in readme_links()
    }


@pytest.mark.parametrize("target", sorted(set(readme_links())))
def test_readme_link_leads_somewhere(target: str) -> None:
    path, _, anchor = target.partition("#")
    page = ROOT / path if path else ROOT / "README.md"
    assert page.exists(), f"README.md links to {path}, which does not exist"
    if anchor:
        assert anchor in anchors(page), f"{path or 'README.md'} has no heading #{anchor}"
