"""Ticket traceability: every sentence a resolution record states must appear in its ticket's
thread.

Records drafted from a resolved ticket (the ``resolution`` family) promise to invent nothing: the
output is the resolution as the thread reached it. This check holds them to it — each sentence of
an instruction record's output, and an agent record's final answer, is looked up in the cleaned
thread (title, description, human comments), after normalising case, spaces and Markdown marks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from miners.ticket_threads import output_sentences, untraced
from warehouse.assay.checks.base import Verdict
from warehouse.records import AgentRecord, Record
from warehouse.selection.tickets import thread_of
from warehouse.store import Warehouse

FAMILY = "resolution"
HEADINGS = (
    "Cause:",
    "Steps:",
    "Check:",
    "If it goes wrong:",
    "原因：",
    "步骤：",
    "确认方法：",
    "出错时：",
    "以下内容摘自工单讨论原文：",
    "修复提交：",
)


class TicketTracer:
    """The threads of the ticket tasks in one assay pass, for :meth:`verdict`."""

    def __init__(self, warehouse: Warehouse, task_ids: Iterable[str]) -> None:
        rows = warehouse.query(
            "SELECT t.id, k.title, k.body, k.comments FROM tasks t JOIN tickets k ON k.id = "
            "t.ticket_id "
            "WHERE t.commit_id IS NULL AND t.id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(set(task_ids))],
        ).rows
        self._threads = {
            task_id: _thread_text(title, body, comments) for task_id, title, body, comments in rows
        }

    def verdict(self, record: Record) -> Verdict | None:
        """Is every sentence of the record's answer in its thread? None for records not from a
        ticket."""
        thread = self._threads.get(record.provenance.task_id)
        if thread is None or record.task_type != FAMILY:
            return None
        sentences = _answer_sentences(record)
        missing = untraced(sentences, thread)
        if missing:
            return Verdict.fail(
                f"{len(missing)} sentence(s) not in the thread, e.g. {missing[0][:80]!r}",
                1 - len(missing) / max(len(sentences), 1),
            )
        return Verdict.ok(f"all {len(sentences)} sentence(s) appear in the thread")


def _thread_text(title: str, body: str, comments_json: Any) -> str:
    return "\n\n".join([title, body, *(comment.text for comment in thread_of(comments_json))])


def _answer_sentences(record: Record) -> list[str]:
    if isinstance(record, AgentRecord):
        last = record.conversation[-1].content
        return output_sentences(getattr(last, "final_answer", None) or "", HEADINGS)
    commit_lines = [
        line for line in record.output.splitlines() if line.startswith(("Fixed in ", "修复提交："))
    ]
    body = "\n".join(line for line in record.output.splitlines() if line not in commit_lines)
    return output_sentences(body, HEADINGS)
