"""Placeholders in a record's code: spared as neutral values in literals and comments, else the
record is not made."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import TEST_KEY
from warehouse.redacted_code import literal_spans, placeholder_in_code, spare_code
from warehouse.redaction import redact


def _instruction(output: str, instruction: str = "Fix it.") -> dict[str, Any]:
    return {"kind": "instruction", "instruction": instruction, "input": "", "output": output}


def test_a_placeholder_in_a_string_literal_or_comment_becomes_a_neutral_value() -> None:
    code = 'DB_PASSWORD = "<SECRET:password-assignment>"  # ask <EMAIL>\n'
    record = _instruction(f"```python\n{code}```\n\nMail <EMAIL> to ask.", "Ask <EMAIL>.")
    spared = spare_code(record)
    assert not isinstance(spared, str)
    assert spared.neutralised == ("email", "password-assignment")
    assert 'DB_PASSWORD = "example-secret"  # ask user@example.com' in spared.record["output"]
    # prose keeps its typed placeholders: there they say what was removed
    assert spared.record["output"].endswith("Mail <EMAIL> to ask.")
    assert spared.record["instruction"] == "Ask <EMAIL>."
    assert not placeholder_in_code(spared.record)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("API_TOKEN=<SECRET:env-secret>\n", "outside a string literal"),
        ("<SECRET:private-key>\n", "outside a string literal"),
        ("KEY = <SECRET:password-assignment>\n", "outside a string literal"),
        ('assert login("<SECRET:password-assignment>")\n', "compares or checks"),
        ('if token == "<SECRET:github-token>":\n    pass\n', "compares or checks"),
        ("x = 'it' + <SECRET:jwt> + 's'\n", "outside a string literal"),
    ],
)
def test_any_other_placeholder_keeps_the_record_from_being_made(code: str, reason: str) -> None:
    spared = spare_code(_instruction(f"```python\n{code}```"))
    assert isinstance(spared, str) and reason in spared, spared


def test_a_trajectory_s_observations_and_actions_are_code() -> None:
    record: dict[str, Any] = {
        "kind": "agent",
        "conversation": [
            {"role": "user", "content": "Login fails for <EMAIL>."},
            {
                "role": "assistant",
                "content": {
                    "thought": "Read the settings.",
                    "action": {"tool_name": "read_file", "parameters": {"path": "settings.py"}},
                },
            },
            {
                "role": "tool",
                "content": {
                    "result": '1: """Ask <EMAIL>\n2: before changing."""\n3: T = "<SECRET:jwt>"'
                },
            },
        ],
    }
    spared = spare_code(record)
    assert not isinstance(spared, str) and spared.neutralised == ("email", "jwt")
    turns = spared.record["conversation"]
    assert turns[0]["content"] == "Login fails for <EMAIL>."
    assert turns[2]["content"]["result"] == (
        '1: """Ask user@example.com\n2: before changing."""\n3: T = "example-secret"'
    )
    record["conversation"][2]["content"]["result"] = "API_TOKEN=<SECRET:env-secret>"
    assert isinstance(spare_code(record), str)


def test_a_record_without_placeholders_in_its_code_is_left_as_it_is() -> None:
    record = _instruction("```python\nPASSWORD = 'default'\n```\n\nThanks <EMAIL>.")
    spared = spare_code(record)
    assert not isinstance(spared, str) and spared.record == record and spared.neutralised == ()


def test_the_lexer_finds_strings_and_comments_and_skips_apostrophes() -> None:
    code = "x = \"a # b\"  # c\ny = '''d\ne'''\nz = don't /* f */ // g\n"
    found = [(code[s:e], is_string) for s, e, is_string in literal_spans(code)]
    assert found == [
        ("a # b", True),
        (" c", False),
        ("d\ne", True),
        (" f ", False),
        (" g", False),
    ]


def test_the_neutral_values_are_never_redacted_again() -> None:
    code = (
        'DB_PASSWORD = "example-secret"\nAPI_TOKEN=example-secret\n'
        'URL = "postgres://app:example-secret@db.internal/x"\nowner = "user@example.com"\n'
        "mysql -u app -pexample-secret shop\n"
    )
    assert redact(code, TEST_KEY) == (code, [])
