from __future__ import annotations

from miners.ticket_threads import (
    ThreadComment,
    clean_comment,
    has_actionable_step,
    promises_a_code_change,
    read_resolution,
    resolution_comment,
)


def test_quotes_quote_headers_and_signatures_are_removed_but_code_and_prompts_stay() -> None:
    body = (
        "On Tue, 4 Jun 2024 at 10:02, Frank <frank@example.com> wrote:\n> it still fails\n> for 4 "
        "bags\n\n"
        "Run this:\n```python\n>>> total(4)\n> not a quote inside code\n```\n\n-- \nBo "
        "Chen\nstockroom support"
    )
    assert (
        clean_comment(body) == "Run this:\n```python\n>>> total(4)\n> not a quote inside code\n```"
    )


def test_the_resolution_is_the_last_substantive_comment_by_someone_else() -> None:
    thread = [
        ThreadComment(
            "ana",
            "Restart the worker and set STOCKROOM_HOLD_MINUTES=30 in the unit file, then reload "
            "it.",
        ),
        ThreadComment("frank", "Thanks, that worked perfectly for our shop, much appreciated!"),
        ThreadComment("bot", "Thanks!"),
    ]
    answer = resolution_comment(thread, {"frank", "frank-id"})
    assert answer is not None and answer.author == "ana"
    assert resolution_comment(thread[1:], {"frank"}) is None


def test_sentences_are_sorted_into_cause_steps_checks_and_error_cases_with_code_in_place() -> None:
    answer = ThreadComment(
        "ana",
        (
            "Hi Frank,\n\nThe reservations stay because the cron job passes a naive datetime. "
            "Call `expire_reservations()` without an "
            "argument:\n```python\ninventory.expire_reservations()\n```\n"
            "To check it, run the query again and you should see no rows. "
            "If it still fails with ValueError, search the script for `utcnow`.\n\nThanks!"
        ),
    )
    resolution = read_resolution(answer)
    assert resolution.causes == [
        "The reservations stay because the cron job passes a naive datetime."
    ]
    assert resolution.steps == [
        "Call `expire_reservations()` without an argument:",
        "```python\ninventory.expire_reservations()\n```",
    ]
    assert resolution.checks == ["To check it, run the query again and you should see no rows."]
    assert resolution.error_cases == [
        "If it still fails with ValueError, search the script for `utcnow`."
    ]
    assert has_actionable_step(resolution)


def test_promises_of_code_changes_are_recognised() -> None:
    assert promises_a_code_change("Good catch, I'll fix it this week.")
    assert promises_a_code_change("Fixed in #14.")
    assert not promises_a_code_change(
        "Let me know if it happens again. Use the --skip-bad-rows flag."
    )


def test_a_statement_before_the_first_step_explains_the_problem() -> None:
    answer = ThreadComment(
        "bo",
        (
            "Only `read_stock_rows()` has it; the README example was updated ahead of the code. "
            "You get the same behaviour today by calling it yourself:\n```python\nrows = "
            "read_stock_rows(stream, strict=False)\n```\n"
            "Keep `newline=''` exactly as above."
        ),
    )
    resolution = read_resolution(answer)
    assert resolution.causes == [
        "Only `read_stock_rows()` has it; the README example was updated ahead of the code."
    ]
    assert resolution.steps == [
        "You get the same behaviour today by calling it yourself:",
        "```python\nrows = read_stock_rows(stream, strict=False)\n```",
        "Keep `newline=''` exactly as above.",
    ]


def test_a_statement_that_refers_back_stays_with_its_step() -> None:
    answer = ThreadComment(
        "bo",
        (
            "Open the file with `encoding='utf-8-sig'`. That is what `load_stock_file()` does "
            "internally. "
            "Each skipped row is logged as a warning."
        ),
    )
    assert read_resolution(answer).steps == [
        "Open the file with `encoding='utf-8-sig'`. That is what `load_stock_file()` does "
        "internally.",
        "Each skipped row is logged as a warning.",
    ]
