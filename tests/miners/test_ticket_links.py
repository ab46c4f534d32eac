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


def test_keys_that_look_like_tickets_but_no_export_holds_never_link() -> None:
    keys = ["PROJ-8", "#2", "UTF-9"]
    text = (
        "Read UTF-8 input, hash with SHA-256, write ISO-8601 dates (RFC-3339); fixes UTF-8 handling"
    )
    assert _links(text, keys) == {}
    assert _links("Decode UTF-9 like UTF-8", keys) == {"UTF-9": "subject_key"}


def test_gitlab_merge_requests_and_numbered_branches() -> None:
    keys = ["#6", "!12", "#7"]
    message = (
        "Merge branch '6-rounding' into 'main'\n\nRound totals once\n\nCloses #7\n\nSee "
        "merge request shop/stocky!12"
    )
    assert _links(message, keys) == {
        "#6": "branch_name",
        "!12": "merge_pull_request",
        "#7": "closing_keyword",
    }
    assert _links("Merge branch 'fix/issue-7-x'", keys) == {"#7": "branch_name"}
    assert _links("Speed up (!12 follow-up)", keys) == {"!12": "subject_key"}


def test_branch_names_of_pull_request_merges_and_lowercase_keys() -> None:
    keys = ["#14", "PROJ-30"]
    assert _links("Merge pull request #14 from team/proj-30-csv-import", keys) == {
        "#14": "merge_pull_request",
        "PROJ-30": "branch_name",
    }
    assert _links("Merged in bugfix-PROJ-30-x (pull request #9)", keys) == {
        "PROJ-30": "branch_name"
    }


def test_only_real_trailers_count_as_trailers() -> None:
    keys = ["PROJ-40", "PROJ-41"]
    assert _links("Tidy\n\nRefs: PROJ-40\nSigned-off-by: A <a@x.example>", keys) == {
        "PROJ-40": "trailer"
    }
    assert _links("Tidy\n\nRefs: PROJ-41 is related, as the\nprose around it says.", keys) == {
        "PROJ-41": "mention"
    }
