"""The problem and its reasons as a record may state them: read from evidence, never the subject."""

from __future__ import annotations

from flows.draft.evidence import commit_evidence, editorial_sentences, plain_title


def test_a_body_of_trailers_and_ticket_lines_is_no_evidence() -> None:
    body = "fixes #4756\n\nCo-authored-by: David Lord <<EMAIL>>\n(cherry picked from commit abc123)"
    assert commit_evidence(body) is None


def test_a_squash_log_is_not_prose() -> None:
    body = "* Properly remove f.name usage in send_file\n\n* Update changelogs\n\n* Fix tests"
    assert commit_evidence(body) is None


def test_first_person_and_sprint_notes_are_dropped_and_reasons_kept() -> None:
    body = (
        "I needed this method to adjust the cache headers.\n\n"
        "Spelunking through the issues at the PyCon sprints.\n\n"
        "Latin-1 is allowed by pep3333, but that breaks gunicorn (#1234)."
    )
    found = commit_evidence(body)
    assert found is not None
    assert found.statement == "Latin-1 is allowed by pep3333, but that breaks gunicorn."
    assert found.why == ("Latin-1 is allowed by pep3333, but that breaks gunicorn.",)


def test_rest_markup_becomes_markdown_code() -> None:
    body = "Calling :meth:`~flask.Flask.run` twice was not an error, but ``debug`` was lost."
    assert editorial_sentences(body) == [
        "Calling `run` twice was not an error, but `debug` was lost."
    ]


def test_a_body_that_only_says_what_gives_no_reason() -> None:
    found = commit_evidence("Use click.echo for banner messages.")
    assert found is not None and not found.has_reason


def test_an_identifier_keeps_its_case_and_a_title_loses_its_ticket() -> None:
    assert editorial_sentences("cache_timeout was ignored when the file was a stream") == [
        "cache_timeout was ignored when the file was a stream."
    ]
    assert (
        plain_title("fix teardown bug in FlaskClient (#1988)") == "Fix teardown bug in FlaskClient"
    )


def test_the_authors_diary_and_references_to_discussions_are_not_the_projects_voice() -> None:
    body = (
        "As pointed out in issue #1234 sqlite3.Row should be used. Also altered the patterns "
        "example. Did not touch the tutorial examples.\n\n... the idea being, that an extension "
        "might raise.\n\nThe session was lost when the cookie expired."
    )
    assert editorial_sentences(body) == ["The session was lost when the cookie expired."]


def test_what_is_left_of_a_sentence_whose_reference_was_cut_is_not_stated() -> None:
    body = (
        "This allows toml config files via #123. Partial revert of #55. Issue: the loader "
        "breaks. The loader broke on a bytes path because it was decoded twice."
    )
    assert editorial_sentences(body) == [
        "The loader broke on a bytes path because it was decoded twice."
    ]
