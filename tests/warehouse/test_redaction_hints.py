"""The cheap guards that let redaction skip a slow detector or pattern never make it miss a
secret."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import TEST_KEY
from warehouse import redaction
from warehouse.redaction import redact

PLANTED = [
    ("aws-secret-key", 'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'),
    ("gitlab-token", "token: glpat-abcdefghij0123456789"),
    ("openai-key", "OPENAI=sk-proj-" + "x1y2z3" * 6),
    ("password-assignment", 'PASSWORD = "correcthorse"'),
    ("password-assignment", "Client_Secret: 'abcdef123456'"),
    ("password-assignment", 'API_KEY="zzzzzz999"'),
    ("url-credentials", "https://bob:pa55word@example.org/x"),
    ("email", "mail Ana.Lima@Corp.IO today"),
    (
        "slack-token",
        "hook https://hooks.slack.com/services/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",
    ),
    ("stripe-key", "STRIPE sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
]
_pieces = st.sampled_from(
    [
        "AKIA",
        "IOSFODNN7EXAMPLE",
        "ghp_",
        "a1B2c3D4e5" * 4,
        "@",
        "ana@corp.io",
        "://",
        "u:p4ssw0rd@h",
        "password",
        " = ",
        '"',
        "hunter22",
        "secret",
        "key",
        "eyJ",
        "abcdefghij.",
        "sk-",
        "xoxb-",
        "-" * 5,
        "PRIVATE KEY",
        "\n",
        "glpat-",
        "AIza",
        "_live_",
        "Sy" * 20,
        "plain words ",
        "token: '",
        "@@ -1 +1 @@",
        "x",
        "-",
        ".",
        "AKC",
        "APA",
        "-us1",
        "hooks.slack.com/services/T1/B2/c3",
        "cloudant",
        "softlayer",
        "aws",
        "mysql -u root ",
        "-p",
        "curl -u ana:",
        "password was ",
        "--token=",
        "os.environ['K']",
    ]
)


@pytest.mark.parametrize(("kind", "text"), PLANTED)
def test_planted_secrets_of_every_kind_are_found(kind: str, text: str) -> None:
    clean, found = redact(text, TEST_KEY)
    assert kind in [f.kind for f in found] and clean != text


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=14).map("".join))
def test_guards_change_nothing_redact_finds(text: str) -> None:
    guarded = redact(text, TEST_KEY)
    redaction._USE_GUARDS = False  # run every detector on every text
    try:
        assert redact(text, TEST_KEY) == guarded
    finally:
        redaction._USE_GUARDS = True
