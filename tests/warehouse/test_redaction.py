from __future__ import annotations

import pytest

from tests.builders import TEST_KEY
from warehouse.redaction import quick_scan, redact

PLANTED = {
    "aws-access-key": "AKIAIOSFODNN7EXAMPLE",
    "github-token": "ghp_" + "a1B2c3D4e5" * 4,
    "private-key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "slack-token": "xoxb-123456789012-abcdefghij",
    "stripe-key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "google-api-key": "AIza" + "SyA-1234567890abcdefghijklmnopqrstu",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0"
    "THsR8U",
}


@pytest.mark.parametrize(("kind", "secret"), sorted(PLANTED.items()))
def test_each_kind_is_replaced_by_its_typed_placeholder(kind: str, secret: str) -> None:
    text, found = redact(f"config = {secret}\nmore text", TEST_KEY)
    assert secret not in text and f"<SECRET:{kind}>" in text
    assert [f.kind for f in found] == [kind]
    assert found[0].value_hash != secret and len(found[0].value_hash) == 32


def test_credentials_in_urls_and_password_assignments_keep_their_context() -> None:
    text, _ = redact(
        'DB = "postgres://app:hunter2hunter@db.internal/prod"\npassword = "s3cr3tpass"', TEST_KEY
    )
    assert "hunter2hunter" not in text and "s3cr3tpass" not in text
    assert "postgres://app:<SECRET:url-credentials>@db.internal/prod" in text


def test_personal_emails_are_removed_but_example_addresses_stay() -> None:
    text, found = redact("Contact jane.doe@corp.io or noreply@example.com", TEST_KEY)
    assert text == "Contact <EMAIL> or noreply@example.com" and [f.kind for f in found] == ["email"]


def test_the_hash_is_keyed() -> None:
    _, with_one = redact("AKIAIOSFODNN7EXAMPLE", TEST_KEY)
    _, with_other = redact("AKIAIOSFODNN7EXAMPLE", b"o" * 32)
    assert with_one[0].value_hash != with_other[0].value_hash


def test_plain_code_is_untouched() -> None:
    code = "def reserve(levels, sku, qty):\n    return levels[sku] - qty  # see UTF-8 and SHA-256\n"
    assert redact(code, TEST_KEY) == (code, [])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "key = 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",
            "sendgrid-api-key",
        ),
        (
            "hook https://hooks.slack.com/services/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",
            "slack-token",
        ),
        ("//registry.npmjs.org/:_authToken=npm_a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8", "npm-tokens"),
        ("API_TOKEN=a81f6c09d2e47b35", "env-secret"),
        ('"api_key": "9f8e7d6c5b4a39281706aabbccddeeff"', "password-assignment"),
        ("cloud_pw: Zq8Wx3Cv5Bn7Mk9Lj2Hg4Fd6Sa1Po0Iu8Yt6Re", "credential-assignment"),
    ],
)
def test_detect_secrets_and_assignment_patterns_find_what_the_token_patterns_miss(
    text: str, kind: str
) -> None:
    clean, found = redact(text, TEST_KEY)
    assert [f.kind for f in found] == [kind], found
    assert f"<SECRET:{kind}>" in clean


def test_decorators_placeholders_and_a_second_pass_are_left_alone() -> None:
    code = (
        "@app.route('/orders')\n+@pytest.mark.parametrize('x', [1])\ndef f(): "
        "pass\n```python\n@contextlib.contextmanager\n"
    )
    assert redact(code, TEST_KEY) == (code, [])
    once, _ = redact("token = 'ghp_" + "a1B2c3D4e5" * 4 + "' by ana@corp.io", TEST_KEY)
    assert redact(once, TEST_KEY) == (once, [])


def test_the_quick_scan_sees_tokens_and_addresses() -> None:
    text = "AKIAIOSFODNN7EXAMPLE then mail ana@corp.io, nothing else"
    assert [span.kind for span in quick_scan(text)] == ["aws-access-key", "email"]
    assert quick_scan("def reserve(levels, sku, qty): return levels[sku]") == []


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEYq1w9"',
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEYq1w9",
        ),
        ("password: qwertyuiopas", "qwertyuiopas"),
        ("DB_PASSWORD=qwertyuiopas", "qwertyuiopas"),
        ('{"client_secret": "abcdef"}', "abcdef"),
        ("def connect(password: str = 'hunter2abc'):", "hunter2abc"),
        ("git push --token=abcd1234efgh origin", "abcd1234efgh"),
        ("mysql -u root -pS3cretPass shop < dump.sql", "S3cretPass"),
        ("curl -u ana:s3cr3t99 https://api.internal/x", "s3cr3t99"),
        ("password was hunter2-Prod-DB-Password-8841 - rotate it", "hunter2-Prod-DB-Password-8841"),
        ("Hi, my password is Winter2024! and it stopped working", "Winter2024!"),
        ("Password: hunter22 for the staging box", "hunter22"),
    ],
)
def test_a_value_assigned_to_a_secret_name_is_redacted_whatever_it_looks_like(
    text: str, secret: str
) -> None:
    clean, found = redact(text, TEST_KEY)
    assert secret not in clean and found, clean


@pytest.mark.parametrize(
    "text",
    [
        "PASSWORD='default'",
        'SECRET_KEY = os.environ["SECRET_KEY"]',
        "SECRET_KEY='dev'",
        "token = os.getenv('GITHUB_TOKEN')",
        'password = "${DB_PASSWORD}"',
        "password: {{ db_password }}",
        "api_key: $API_KEY",
        "connect(password=user_password)",
        "self.password = password",
        "password: str",
        "    password: bool,",
        "secret_key = settings.SECRET_KEY",
        'token_name = "GITHUB_TOKEN"',
        "key = 'name'",
        "cache_key = 'user:%s'",
        "primary_key = True",
        "tokenizer = 'bert-base-uncased'",
        "token = 'IDENT'",
        "PWD=/home/ana",
        "mkdir -p build && cp -pr src dst",
        "the password is wrong",
        "Token: see the wiki",
        'error = "Password is required."',
        "use the --username and --password options",
        "DATABASE_URL = 'postgres://app:example-secret@db/x'",
        "API_TOKEN=example-secret",
        "password = '****'",
    ],
)
def test_values_that_are_plainly_not_secrets_are_left_alone(text: str) -> None:
    assert redact(text, TEST_KEY) == (text, [])
