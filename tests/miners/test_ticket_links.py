from __future__ import annotations

from miners.ticket_links import KeyMatcher, link_commit


def _links(message: str, keys: list[str]) -> dict[str, str]:
    return {link.ticket_key: link.method for link in link_commit(KeyMatcher(keys), "sha", message)}


def test_closing_keywords_in_several_styles() -> None:
    keys = ["#3", "#5", "PROJ-12"]
    assert _links("Handle empty carts\n\nFixes #3", keys) == {"#3": "closing_keyword"}
    assert _links("closes GH-5: crash on import", keys) == {"#5": "closing_keyword"}
    assert _links("Resolves PROJ-12", keys) == {"PROJ-12": "closing_keyword"}


def test_subject_keys_trailers_branches_and_pull_requests() -> None:
    keys = ["#14", "PROJ-21", "PROJ-30", "PROJ-40"]
    assert _links("PROJ-21 speed up export", keys) == {"PROJ-21": "subject_key"}
    assert _links("Tidy\n\nRefs: PROJ-40", keys) == {"PROJ-40": "trailer"}
    assert _links("Merge branch 'feature/PROJ-30-csv'", keys) == {"PROJ-30": "branch_name"}
    assert _links("Merge pull request #14 from team/feature", keys) == {"#14": "merge_pull_request"}
    assert _links("Tidy\n\nsee PROJ-21 for context", keys) == {"PROJ-21": "mention"}


def test_only_keys_the_exports_hold_are_linked() -> None:
    keys = ["PROJ-8", "#2"]
    assert _links("Use UTF-8 and SHA-256 for ISO-8601 stamps (#99)", keys) == {}
    assert _links("Fix #2 and PROJ-8", keys) == {"#2": "closing_keyword", "PROJ-8": "subject_key"}
