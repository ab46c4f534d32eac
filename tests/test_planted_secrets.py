"""Secrets and personal data planted in a repository's history never reach anything goldmine writes
or sends.

Over twenty are planted in commit messages (a deploy token stated in prose), in the diffs (a
``.env`` file, a PEM key, config code with secrets of every shape — a 45-character AWS secret, a
twelve-letter lowercase password — a deploy script's ``mysql -p…``, and the very function the
drafter turns into a record) and in two ticket exports: GitHub's (title, body, comments) and a
Jira search whose description and comment say "password was … - rotate it". After a whole run —
mine, draft instruction records and agent trajectories (whose tools read the repository's files)
in both languages, assay, export, report — not one of the values appears in any column of any
table, in any exported file, in the report, or on the review pages served over loopback HTTP;
and with the LLM drafter, in no request sent to the model. No record's code holds a placeholder:
the ones in string literals and comments became neutral values, the others kept the record from
being made.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.builders import STOCK_TICKETS, STOCK_V1, BuildRepo, Cli, Commit, stock_history
from tests.llm_server import FakeLLMServer, Reply
from warehouse.record_text import code_blocks
from warehouse.store import Warehouse

PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE "
    "KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF\n"
    "mQ3nV5ogWQzjZrF0wYnqzY2wXk3vDbHNLvCQ7dX3tqVNe5vK1C1rYx7Hq0dKwB\n-----END RSA PRIVATE KEY-----"
)
PLANTED = {
    "aws-access-key": "AKIAZ7QW3XKD8MRT4PLN",
    "aws-secret-key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8TXvUk2L",
    "github-token": "ghp_8fK2mQ7vL1xR4tZ9wB3nC6yH0pD5sJ2aE7uG",
    "private-key": PRIVATE_KEY.splitlines()[1],
    "slack-token": "xoxb-284756019283-7465839201847-QvR8sT2uW4xY6zA1bC3dE5fG",
    "slack-webhook": "https://hooks.slack.com/services/T04AB1CD2/B05EF3GH4/q8W2e4R6t8Y0u2I4o6P8a0S"
    "2",
    "stripe-key": "sk_live_51Hq8ZxK2mN4pQ6rS8tU0vW2y",
    "google-api-key": "AIzaSyD4x8Qw2Er6Ty0Ui4Op8As2Df6Gh0Jk4Lz",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdG9ja3ktYWRtaW4ifQ.kq3Wc9Zr2Xv7Bn5Mp1Ls8Td4Fg6Hj0Ya",
    "url-credentials": "Pr0d-Db-Passw0rd",
    "password-assignment": "warehouse-admin-2024!",
    "openai-key": "sk-proj-Zq8Wx3Cv5Bn7Mk9Lj2Hg4Fd6Sa1Po0Iu",
    "env-secret": "a81f6c09d2e47b35",
    "sendgrid-key": "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",
    "email": "maria.gonzalez@stocky-corp.io",
    "dependency-credentials": "s3cr3tP4ssw0rdDeps",
    # secrets known only by their names: no format detector knows these shapes
    "aws-secret-any-shape": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEYq1w9",
    "lowercase-password": "qwmnbvcxzlkj",
    "cli-password": "S3cretCli99",
    "token-in-commit-message": "Zx81qPq0LmR4tV7w",
    "jira-description-password": "hunter2-Prod-DB-Password-8841",
    "jira-comment-password": "hunter2-Prod-DB-Password-8842",
    "jira-email": "jira.reporter@stocky-corp.io",
}
URL_WITH_PASSWORD = f"postgres://app:{PLANTED['url-credentials']}@db.internal:5432/stocky"
CONFIG = f'''"""Settings of the stock service."""

DATABASE_URL = "{URL_WITH_PASSWORD}"
DB_PASSWORD = "{PLANTED["password-assignment"]}"
AWS_ACCESS_KEY_ID = "{PLANTED["aws-access-key"]}"
aws_secret_access_key = "{PLANTED["aws-secret-key"]}"
AWS_SECRET_ACCESS_KEY = "{PLANTED["aws-secret-any-shape"]}"
SLACK_WEBHOOK = "{PLANTED["slack-webhook"]}"
'''
LEAKY_FIX = (
    STOCK_V1.replace(
        '''    """Reserve qty of sku and return what is left."""
    levels[sku] = levels[sku] - qty''',
        f'''    """Reserve qty of sku and return what is left."""
    if qty <= 0:
        # temporary: page {PLANTED["email"]} with token {PLANTED["github-token"]}
        logger.warning("bad quantity %s (stripe {PLANTED["stripe-key"]})", qty)
        raise ValueError(f"quantity must be positive, got {{qty}}")
    levels[sku] = levels[sku] - qty''',
    )
    + f'''

@functools.cache
def owner() -> str:
    """Ask {PLANTED["email"]} before changing the stock rules."""
    return "ops"
'''
)
# A dependency fetched with a password in its URL: the project profile reads it into instructions.
PYPROJECT = (
    '[project]\nname = "stocky"\nrequires-python = ">=3.11"\n'
    'dependencies = ["internal-sdk @ '
    f'git+https://deploy:{PLANTED["dependency-credentials"]}@git.stocky-corp.io/sdk.git"]\n'
)


def _history() -> list[Commit]:
    initial, _, _ = stock_history()
    return [
        initial,
        {
            "date": "2024-01-04T09:00:00+00:00",
            "author": "Bo Chen <bo.chen@stocky-corp.io>",
            "message": "Add service settings\n\nOpenAI key for the summariser: "
            f"{PLANTED['openai-key']}\n"
            f"Contact {PLANTED['email']} for the JWT {PLANTED['jwt']}\n"
            f"Deploy token: {PLANTED['token-in-commit-message']}",
            "files": {
                "src/config.py": CONFIG,
                "deploy/app.yml": f"database:\n  user: stocky\n  password: "
                f"{PLANTED['lowercase-password']}\n",
                "deploy/restore.sh": f"#!/bin/sh\nmysql -u app -p{PLANTED['cli-password']} stocky "
                "< dump.sql\n",
                ".env": f"API_TOKEN={PLANTED['env-secret']}\n",
                "deploy/key.pem": PRIVATE_KEY + "\n",
            },
        },
        {
            "date": "2024-01-05T09:30:00+00:00",
            "author": "Bo Chen <bo.chen@stocky-corp.io>",
            "message": "Reject negative reservations\n\nA negative quantity increased the stock. "
            "Reported by "
            f"{PLANTED['email']}; the SendGrid key {PLANTED['sendgrid-key']} was in the "
            "log.\n\nFixes #1",
            "files": {"src/stock.py": LEAKY_FIX, "pyproject.toml": PYPROJECT},
        },
    ]


def _tickets(path: Path) -> Path:
    tickets = json.loads(json.dumps(STOCK_TICKETS))
    first = tickets[0]
    first["title"] += f" (seen with key {PLANTED['google-api-key']})"
    first["body"] += (
        f"\n\nSlack: {PLANTED['slack-token']}\nReporter: {PLANTED['email']}\nDB: "
        f"{URL_WITH_PASSWORD}"
    )
    first["comments"][0]["body"] += f" Our AWS key {PLANTED['aws-access-key']} is in the trace."
    first["comments"][0]["user"]["login"] = PLANTED["email"]  # some trackers name people by address
    path.write_text(json.dumps(tickets), encoding="utf-8")
    return path


def _jira_export(path: Path) -> Path:
    """A Jira search result whose description and comment state a password in prose."""
    issue = {
        "key": "PROJ-7",
        "self": "https://stocky.atlassian.net/rest/api/2/issue/10007",
        "fields": {
            "summary": "Stock service cannot reach its database after the migration",
            "description": "The nightly job fails to log in. The DB password was "
            f"{PLANTED['jira-description-password']} - rotate it. Reported by "
            f"{PLANTED['jira-email']}.",
            "issuetype": {"name": "Bug"},
            "status": {"name": "Done", "statusCategory": {"key": "done"}},
            "resolution": {"name": "Done"},
            "resolutiondate": "2024-01-06T09:30:00.000+0000",
            "created": "2024-01-05T08:00:00.000+0000",
            "reporter": {"displayName": "Maria Gonzalez"},
            "comment": {
                "comments": [
                    {
                        "author": {"displayName": "Bo Chen"},
                        "created": "2024-01-06T09:00:00.000+0000",
                        "body": "Rotated. For the record: the old password was "
                        f"{PLANTED['jira-comment-password']} - rotate it everywhere.",
                    }
                ],
                "total": 1,
            },
        },
    }
    path.write_text(json.dumps({"issues": [issue]}), encoding="utf-8")
    return path


def _warehouse_text(database: Path) -> str:
    """Every value of every column of every table (each cast to text), as one text."""
    parts = []
    with Warehouse(database, read_only=True) as warehouse:
        for table in warehouse.tables():
            columns = warehouse.query(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                "AND schema_name = 'main'",
                [table],
            ).rows
            for (column,) in columns:
                rows = warehouse.query(f'SELECT CAST("{column}" AS VARCHAR) FROM {table}').rows
                parts += [str(row[0]) for row in rows]
    return "\n".join(parts)


def _review_pages(workspace: Path) -> str:
    """Every page of a review of a sample, fetched over loopback HTTP from ``goldmine review``
    running in its own process."""
    goldmine = Path(sys.executable).with_name("goldmine")
    server = subprocess.Popen(
        [
            *(str(goldmine), "review", "--sample", "20", "--seed", "1", "--port", "0"),
            *("--reviewer", "tester", "--workspace", str(workspace)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        base = _printed_url(server).rstrip("/")
        pages = [_get(f"{base}/") or ""]
        n = 1
        while (page := _get(f"{base}/item/{n}", missing_ok=True)) is not None:
            pages.append(page)
            n += 1
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)
    assert n > 2, "the review showed fewer than two items"
    return "\n".join(pages)


def _printed_url(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None and server.stderr is not None
    for line in server.stdout:
        if line.startswith("review at "):
            return line.removeprefix("review at ").strip()
    raise AssertionError(f"goldmine review printed no URL: {server.stderr.read()}")


def _get(url: str, *, missing_ok: bool = False) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        if missing_ok and error.code == 404:
            return None
        raise


def _codes(record: dict[str, Any]) -> list[str]:
    """A record's code, read independently of goldmine's own rule: the fenced blocks of its
    texts, and a trajectory's tool results and action parameters."""
    if record["kind"] == "instruction":
        texts = [record.get(key) or "" for key in ("instruction", "input", "output")]
        return [block.code for text in texts for block in code_blocks(text)]
    codes = []
    for turn in record["conversation"]:
        content = turn["content"]
        if turn["role"] == "tool":
            codes.append(json.dumps(content, ensure_ascii=False))
        elif isinstance(content, dict):
            codes.append(json.dumps((content.get("action") or {}).get("parameters") or {}))
            texts = [content.get("thought") or "", content.get("final_answer") or ""]
            codes += [block.code for text in texts for block in code_blocks(text)]
    return codes


def _placeholder_in_code(record: dict[str, Any]) -> bool:
    return any("<SECRET:" in code or "<EMAIL>" in code for code in _codes(record))


def _exported_code(export: Path) -> list[str]:
    """The code of every exported row: alpaca rows' fenced blocks, sharegpt observations and
    calls."""
    codes = []
    for path in export.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts = [str(row.get(key) or "") for key in ("instruction", "input", "output")]
            codes += [block.code for text in texts for block in code_blocks(text)]
            codes += [
                turn["value"]
                for turn in row.get("conversations") or []
                if turn.get("from") in ("observation", "function_call")
            ]
    return codes


def _assert_nowhere(texts: dict[str, str]) -> None:
    for kind, secret in PLANTED.items():
        for where, text in texts.items():
            assert secret not in text, f"{kind} is in {where}"


def test_no_planted_secret_or_address_reaches_the_warehouse_exports_report_or_review_page(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    assert len(PLANTED) >= 10
    repo = make_repo(_history(), "stocky")
    workspace = tmp_path / "ws"
    result = cli(
        "run",
        "--inline",
        "--repo",
        repo,
        "--tickets",
        _tickets(tmp_path / "issues.json"),
        "--tickets",
        _jira_export(tmp_path / "jira.json"),
        "--lang",
        "both",
        "--kinds",
        "both",
        "--workspace",
        workspace,
    )
    assert result.exit_code == 0, result.output
    assert cli("report", "--workspace", workspace).exit_code == 0
    texts = {
        "the warehouse": _warehouse_text(workspace / "goldmine.duckdb"),
        "the review pages": _review_pages(workspace),
    }
    for path in [*(workspace / "export").iterdir(), *(workspace / "report").iterdir()]:
        texts[path.name] = path.read_text(encoding="utf-8")
    _assert_nowhere(texts)
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        kinds = {
            row[0] for row in warehouse.query("SELECT DISTINCT kind FROM secret_findings").rows
        }
        records = [
            json.loads(row[0])
            for row in warehouse.query(
                "SELECT record FROM candidates WHERE record IS NOT NULL"
            ).rows
        ]
        accepted = warehouse.query("SELECT count(*) FROM candidates WHERE status = 'accepted'")
    assert len(kinds) >= 14, kinds
    assert {"password-assignment", "secret-in-prose", "cli-password"} <= kinds, kinds
    assert accepted.rows[0][0] > 0 and {r["kind"] for r in records} == {"agent", "instruction"}
    # no record's code holds a placeholder: the ones in literals and comments became neutral values
    assert not [r["id"] for r in records if _placeholder_in_code(r)]
    neutral = [r for r in records if r["provenance"].get("neutralised")]
    assert neutral and all(
        any("example-secret" in code or "user@example.com" in code for code in _codes(r))
        for r in neutral
    )
    exported = _exported_code(workspace / "export")
    assert exported and not [code for code in exported if "<SECRET:" in code or "<EMAIL>" in code]


def test_no_planted_secret_or_address_is_sent_to_the_llm(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(_history(), "stocky")
    with FakeLLMServer(
        lambda body, n: Reply(content="{}")
    ) as server:  # a model that answers nothing useful
        monkeypatch.setenv("GOLDMINE_LLM_BASE_URL", server.url)
        monkeypatch.setenv("GOLDMINE_LLM_MODEL", "fake-model")
        result = cli(
            "run",
            "--inline",
            "--drafter",
            "llm",
            "--repo",
            repo,
            "--tickets",
            _tickets(tmp_path / "issues.json"),
            "--tickets",
            _jira_export(tmp_path / "jira.json"),
            "--lang",
            "both",
            "--kinds",
            "both",
            "--workspace",
            tmp_path / "ws",
        )
    assert result.exit_code == 0, result.output
    sent = json.dumps(server.requests, ensure_ascii=False)
    # prompts about the planted fix were sent (its code's placeholders sit in a comment and
    # string literals, so it is drafted, and the record gets neutral values instead)
    assert len(server.requests) >= 2 and "stock" in sent
    _assert_nowhere(
        {
            "the prompts sent": sent,
            "the warehouse": _warehouse_text(tmp_path / "ws" / "goldmine.duckdb"),
        }
    )
