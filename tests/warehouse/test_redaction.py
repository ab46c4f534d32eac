from __future__ import annotations

import pytest

from warehouse.redaction import redact

KEY = b"k" * 32
PLANTED = {
    "aws-access-key": "AKIAIOSFODNN7EXAMPLE",
    "github-token": "ghp_" + "a1B2c3D4e5" * 4,
    "private-key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "slack-token": "xoxb-123456789012-abcdefghij",
    "stripe-key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "google-api-key": "AIza" + "SyA-1234567890abcdefghijklmnopqrstu",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}


@pytest.mark.parametrize(("kind", "secret"), sorted(PLANTED.items()))
def test_each_kind_is_replaced_by_its_typed_placeholder(kind: str, secret: str) -> None:
    text, found = redact(f"config = {secret}\nmore text", KEY)
    assert secret not in text and f"<SECRET:{kind}>" in text
    assert [f.kind for f in found] == [kind]
    assert found[0].value_hash != secret and len(found[0].value_hash) == 32


def test_credentials_in_urls_and_password_assignments_keep_their_context() -> None:
    text, _ = redact('DB = "postgres://app:hunter2hunter@db.internal/prod"\npassword = "s3cr3tpass"', KEY)
    assert "hunter2hunter" not in text and "s3cr3tpass" not in text
    assert "postgres://app:<SECRET:url-credentials>@db.internal/prod" in text


def test_personal_emails_are_removed_but_example_addresses_stay() -> None:
    text, found = redact("Contact jane.doe@corp.io or noreply@example.com", KEY)
    assert text == "Contact <EMAIL> or noreply@example.com" and [f.kind for f in found] == ["email"]


def test_the_hash_is_keyed() -> None:
    _, with_one = redact("AKIAIOSFODNN7EXAMPLE", KEY)
    _, with_other = redact("AKIAIOSFODNN7EXAMPLE", b"o" * 32)
    assert with_one[0].value_hash != with_other[0].value_hash


def test_plain_code_is_untouched() -> None:
    code = "def reserve(levels, sku, qty):\n    return levels[sku] - qty  # see UTF-8 and SHA-256\n"
    assert redact(code, KEY) == (code, [])
