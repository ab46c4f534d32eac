"""Redaction spares what is plainly not a secret, and never puts a placeholder into a record's
code.

A flask-style project keeps ``PASSWORD='default'`` in its development settings and reads
``SECRET_KEY = os.environ["SECRET_KEY"]``: neither is a secret, so neither is redacted, and the
record drafted from the fix that touches them carries them as they are. A signing key written as
an integer literal is a real secret outside any string: its placeholder cannot become a neutral
value, so no record is drafted from the fix that touches it — and a record that holds a
placeholder in its code anyway (an old candidate, an edit) is never exported.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import BuildRepo, Cli, Commit
from warehouse.record_text import code_blocks
from warehouse.store import Warehouse

SIGNING_KEY = "0x5F3759DF8BADF00D"
AUTH_V1 = f'''"""Logging in to the shop's back office."""
import hashlib
import os

SECRET_KEY = os.environ["SECRET_KEY"]


def default_settings() -> dict[str, str]:
    """The settings of a development server."""
    return dict(USERNAME="admin", PASSWORD='default')


def sign(payload: bytes) -> int:
    """A checksum of the payload under the signing key."""
    SIGNING_KEY = {SIGNING_KEY}
    return int(hashlib.sha256(payload).hexdigest(), 16) ^ SIGNING_KEY
'''
AUTH_V2 = AUTH_V1.replace(
    """    return dict(USERNAME="admin", PASSWORD='default')""",
    """    if not SECRET_KEY:
        raise RuntimeError("set SECRET_KEY before starting the server")
    return dict(USERNAME="admin", PASSWORD='default', SECRET_KEY=SECRET_KEY)""",
)
AUTH_V3 = AUTH_V2.replace(
    '''    """A checksum of the payload under the signing key."""
    SIGNING_KEY''',
    '''    """A checksum of the payload under the signing key."""
    if isinstance(payload, str):
        raise TypeError("sign() takes bytes; encode the text first")
    SIGNING_KEY''',
)
TICKETS = [
    {
        "number": number,
        "title": title,
        "body": body,
        "state": "closed",
        "labels": [{"name": "bug"}],
        "user": {"login": "mkowalski"},
        "html_url": f"https://example.com/shop/issues/{number}",
        "created_at": "2024-01-03T08:00:00Z",
        "closed_at": "2024-01-06T09:30:00Z",
        "comments": [],
    }
    for number, title, body in [
        (
            1,
            "Sessions break on the development server",
            "Every request logs the user out: `default_settings()` has no SECRET_KEY, so "
            "sessions cannot be signed.\n\nExpected: the settings carry the SECRET_KEY, and a "
            "server without one does not start.",
        ),
        (
            2,
            "sign() gives a wrong checksum for text",
            "Calling `sign('abc')` fails deep inside hashlib with an unclear error.\n\n"
            "Expected: a TypeError that says to pass bytes.",
        ),
    ]
]


def _history() -> list[Commit]:
    return [
        {
            "date": "2024-01-02T10:00:00+00:00",
            "author": "Ana Lima <ana@corp.example>",
            "message": "Add the back-office login\n\nSettings for a development server.",
            "files": {
                "pyproject.toml": '[project]\nname = "shop"\nrequires-python = ">=3.11"\n',
                "README.md": "# shop\n\nThe shop's back office.\n",
                "src/auth.py": AUTH_V1,
            },
        },
        {
            "date": "2024-01-05T09:30:00+00:00",
            "author": "Bo Chen <bo@corp.example>",
            "message": "Put the SECRET_KEY into the development settings\n\n"
            "Without it every session was dropped, because nothing could sign the cookie.\n\n"
            "Fixes #1",
            "files": {"src/auth.py": AUTH_V2},
        },
        {
            "date": "2024-01-06T09:30:00+00:00",
            "author": "Bo Chen <bo@corp.example>",
            "message": "Reject text payloads in sign()\n\n"
            "hashlib failed with an unclear error when given a str.\n\nFixes #2",
            "files": {"src/auth.py": AUTH_V3},
        },
    ]


def _run(cli: Cli, make_repo: BuildRepo, tmp_path: Path) -> Path:
    repo = make_repo(_history(), "shop")
    tickets = tmp_path / "issues.json"
    tickets.write_text(json.dumps(TICKETS), encoding="utf-8")
    workspace = tmp_path / "ws"
    result = cli(
        *("run", "--inline", "--repo", repo, "--tickets", tickets),
        *("--kinds", "both", "--workspace", workspace),
    )
    assert result.exit_code == 0, result.output
    return workspace


def _code(record: dict[str, object]) -> str:
    texts = [str(record.get(key) or "") for key in ("instruction", "input", "output")]
    return "\n".join(block.code for text in texts for block in code_blocks(text))


def test_flask_style_defaults_stay_and_a_secret_outside_a_string_keeps_its_record_from_being_made(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    workspace = _run(cli, make_repo, tmp_path)
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        diffs = "\n".join(r[0] for r in warehouse.query("SELECT diff FROM file_changes").rows)
        records = [
            json.loads(r[0])
            for r in warehouse.query(
                "SELECT record FROM candidates WHERE kind = 'instruction' AND record IS NOT NULL"
            ).rows
        ]
        trajectories = "\n".join(
            r[0] for r in warehouse.query("SELECT record FROM candidates WHERE kind = 'agent'").rows
        )
        skips = warehouse.query(
            "SELECT s.category, s.reason, t.commit_id FROM draft_skips s "
            "JOIN tasks t ON t.id = s.task_id WHERE s.kind = 'instruction'"
        ).rows
        sign_commit = warehouse.query(
            "SELECT id FROM commits WHERE subject LIKE 'Reject text payloads%'"
        ).rows[0][0]
    # neither is redacted where it is stored…
    assert "PASSWORD='default'" in diffs and 'SECRET_KEY = os.environ["SECRET_KEY"]' in diffs
    assert SIGNING_KEY not in diffs and "SIGNING_KEY = <SECRET:" in diffs
    # …nor in the record drafted from the fix that touches them
    settings = [r for r in records if "default_settings" in _code(r)]
    assert settings, [r["instruction"][:80] for r in records]
    code = _code(settings[0])
    assert "PASSWORD='default'" in code and "SECRET_KEY=SECRET_KEY" in code
    assert "<SECRET:" not in code and not settings[0]["provenance"].get("neutralised")
    # the trajectories read the whole file with their tools
    assert 'SECRET_KEY = os.environ[\\"SECRET_KEY\\"]' in trajectories
    # the fix of sign() would put a placeholder outside any string into the record's code
    assert not [r for r in records if "def sign" in _code(r) and "TypeError" in _code(r)]
    assert any(
        category == "redacted_code"
        and "outside a string literal" in reason
        and commit == sign_commit
        for category, reason, commit in skips
    ), skips


def test_a_record_with_a_placeholder_in_its_code_is_never_exported(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    workspace = _run(cli, make_repo, tmp_path)
    database = workspace / "goldmine.duckdb"
    with Warehouse(database) as warehouse:
        candidate_id, record_json = warehouse.query(
            "SELECT id, record FROM candidates WHERE status = 'accepted' AND kind = 'instruction' "
            "ORDER BY id LIMIT 1"
        ).rows[0]
        record = json.loads(record_json)
        # an accepted record whose code holds a placeholder (as an old candidate, or a reviewer's
        # edit redacted on its way in, might)
        record["output"] = record["output"].replace(
            "```python\n", "```python\nAPI_TOKEN = <SECRET:password-assignment>\n", 1
        )
        assert "<SECRET:" in _code(record)
        warehouse.execute(
            "UPDATE candidates SET record = ? WHERE id = ?", [json.dumps(record), candidate_id]
        )
    result = cli("export", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    exported = [
        json.loads(line)
        for path in (workspace / "export").glob("goldmine_alpaca*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert exported and not [row for row in exported if "<SECRET:" in row["output"]]
    manifest = (workspace / "export" / "manifest.json").read_text(encoding="utf-8")
    assert candidate_id in manifest and "placeholder" in manifest
