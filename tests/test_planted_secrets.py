"""Secrets and personal data planted in a repository's history never reach anything goldmine writes
or sends.

Fifteen kinds are planted in commit messages, in the diffs (a ``.env`` file, a PEM key, config
code, and the very function the drafter turns into a record) and in a ticket export (title, body,
comments). After a whole run — mine, draft instruction records and agent trajectories (whose
tools read the repository's files) in both languages, assay, export, report — not one of the
values appears in any text column of any table, in any exported file, in the report, or on the
review page; and with the LLM drafter, in no prompt sent to the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from flows.review.app import ReviewSession, create_app
from flows.workspace import Workspace
from tests.builders import STOCK_TICKETS, STOCK_V1, BuildRepo, Cli, Commit, stock_history
from tests.llm_server import FakeLLMServer, Reply
from warehouse.record_text import code_blocks
from warehouse.review.sample import open_sample
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
}
URL_WITH_PASSWORD = f"postgres://app:{PLANTED['url-credentials']}@db.internal:5432/stocky"
CONFIG = f'''"""Settings of the stock service."""

DATABASE_URL = "{URL_WITH_PASSWORD}"
DB_PASSWORD = "{PLANTED["password-assignment"]}"
AWS_ACCESS_KEY_ID = "{PLANTED["aws-access-key"]}"
aws_secret_access_key = "{PLANTED["aws-secret-key"]}"
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
            f"Contact {PLANTED['email']} for the JWT {PLANTED['jwt']}",
            "files": {
                "src/config.py": CONFIG,
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


def _warehouse_text(database: Path) -> str:
    """Every value of every column of every table, as one text."""
    parts = []
    with Warehouse(database, read_only=True) as warehouse:
        for table in warehouse.tables():
            parts += [repr(row) for row in warehouse.query(f"SELECT * FROM {table}").rows]
    return "\n".join(parts)


def _review_pages(workspace: Path) -> str:
    """Every page of a review of the accepted records, as the browser would get them."""
    space = Workspace.at(workspace)
    with space.open_warehouse() as warehouse:
        sample = open_sample(warehouse, size=20, seed=1)
        session = ReviewSession(warehouse, sample, "tester", space.key())
        with TestClient(create_app(session), base_url="http://127.0.0.1:8123") as client:
            pages = [
                client.get(f"{session.base}/item/{n}") for n in range(1, len(sample.items) + 1)
            ]
            pages.append(client.get(f"{session.base}/"))
    assert all(page.status_code == 200 for page in pages)
    return "\n".join(page.text for page in pages)


def _placeholder_in_code(record: str) -> bool:
    """A placeholder inside a fenced block of an instruction record's texts."""
    texts = json.loads(record)
    return any(
        "<SECRET:" in block.code or "<EMAIL>" in block.code
        for key in ("instruction", "input", "output")
        for block in code_blocks(texts.get(key) or "")
    )


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
        "the review page": _review_pages(workspace),
    }
    for path in [*(workspace / "export").iterdir(), *(workspace / "report").iterdir()]:
        texts[path.name] = path.read_text(encoding="utf-8")
    _assert_nowhere(texts)
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        kinds = {
            row[0] for row in warehouse.query("SELECT DISTINCT kind FROM secret_findings").rows
        }
        records = [
            row[0]
            for row in warehouse.query(
                "SELECT record FROM candidates WHERE status = 'accepted'"
            ).rows
        ]
        drafted = {row[0] for row in warehouse.query("SELECT DISTINCT kind FROM candidates").rows}
        instruction_skips = {
            row[0]
            for row in warehouse.query(
                "SELECT DISTINCT category FROM draft_skips WHERE kind = 'instruction'"
            ).rows
        }
    assert len(kinds) >= 10, kinds
    # trajectories read the repository's files through their tools; an instruction record whose
    # code would hold a placeholder is not made at all
    assert "agent" in drafted and "redacted_code" in instruction_skips, instruction_skips
    assert records and all("<SECRET:" in record and "<EMAIL>" in record for record in records)
    assert not any(
        json.loads(r)["kind"] == "instruction" and _placeholder_in_code(r) for r in records
    )


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
            "--lang",
            "both",
            "--kinds",
            "both",
            "--workspace",
            tmp_path / "ws",
        )
    assert result.exit_code == 0, result.output
    sent = json.dumps(server.requests, ensure_ascii=False)
    # prompts about the planted fix were sent: its trajectories (the instruction records, whose
    # code would hold a placeholder, are skipped before any request: redacted_code)
    assert len(server.requests) >= 2 and "stock" in sent
    _assert_nowhere(
        {
            "the prompts sent": sent,
            "the warehouse": _warehouse_text(tmp_path / "ws" / "goldmine.duckdb"),
        }
    )
