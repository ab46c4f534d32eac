"""The checks of the assay, in the issue's order (cheapest first), each a small question.

1. schema of the record kind (``assay.assess``);
2. heuristics: length, looping, refusals and meta-talk, unclosed fences, wrong language;
3. the seed's four principles: role and context, numbered requirements, explicit constraints,
   an input/output example, specificity; code that parses, error handling, logging, comments,
   an explanation, an output that addresses what the instruction names;
4. code grounding, the output's code is the commit's own (``real_code``), and the output
   applied to the parent snapshot resolves (these need the warehouse and the repository: the
   runner passes them in);
5. the agent contract: catalog tools, valid parameters, alternating turns, thoughts, results used;
   and the agent's method: files read before they are patched, no blob ids in patches, thoughts
   that cite only what was shown, a final answer in sentences that says how the tests came out;
6. secrets and personal data;
7. the optional LLM judge (passed in by the caller).
Duplicates and contamination compare candidates with each other, so the runner adds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from warehouse.assay.checks import agent_contract, agent_method, heuristics, principles, voice
from warehouse.assay.checks.base import Check, Verdict
from warehouse.record_text import string_values
from warehouse.records import Record
from warehouse.redacted_code import placeholder_in_code
from warehouse.redaction import quick_scan
from warehouse.seed_folder import CATALOG_NAME, SEEDS_DIR
from warehouse.tool_catalog import load_tool_catalog


def check_secrets(raw: dict[str, Any]) -> Verdict:
    """Is the record free of secrets and e-mail addresses, with no redaction placeholder in its
    code (placeholders in prose are fine)?"""
    found = quick_scan("\n".join(string_values(raw)))
    if found:
        kinds = sorted({span.kind for span in found})
        return Verdict.fail(
            f"the record holds {len(found)} secret(s) or address(es): {', '.join(kinds)}"
        )
    if placeholder_in_code(raw):
        return Verdict.fail("a redaction placeholder sits inside the record's code")
    return Verdict.ok()


def default_checks(
    catalog: Mapping[str, dict[str, Any]] | None = None,
    *,
    grounding: Callable[[Record], Verdict | None] | None = None,
    judge: Callable[[Record], Verdict | None] | None = None,
    traceability: Callable[[Record], Verdict | None] | None = None,
    resolves: Callable[[Record], Verdict | None] | None = None,
    real_code: Callable[[Record], Verdict | None] | None = None,
) -> tuple[Check, ...]:
    """Every check in order, cheapest first. Grounding, ``real_code``, ``resolves`` and the judge
    need the caller's context (the warehouse and the repository)."""
    contract = agent_contract.AgentContract(
        dict(_shipped_catalog() if catalog is None else catalog)
    )
    checks = [
        Check("length", heuristics.check_length),
        Check("repetition", heuristics.check_repetition, weight=2.0),
        Check("meta_talk", heuristics.check_meta_talk),
        Check("code_fences", heuristics.check_fences),
        Check("language", heuristics.check_language),
        Check("role_context", principles.check_role_context, weight=2.0, hard=False),
        Check(
            "numbered_requirements", principles.check_numbered_requirements, weight=2.0, hard=False
        ),
        Check("constraints", principles.check_constraints, hard=False),
        Check("io_example", principles.check_io_example, hard=False),
        Check("specificity", principles.check_specificity, hard=False),
        Check("code_parses", principles.check_code_parses, weight=2.0),
        Check("error_handling", principles.check_error_handling, hard=False),
        Check("logging", principles.check_logging, hard=False),
        Check("comments", principles.check_comments, hard=False),
        Check("explanation", principles.check_explanation, hard=False),
        Check("instruction_match", principles.check_instruction_match, hard=False),
        Check("record_voice", voice.check_record_voice, weight=2.0),
    ]
    if grounding is not None:
        checks.append(Check("grounding", grounding, weight=2.0))
    if real_code is not None:
        checks.append(Check("real_code", real_code, weight=2.0))
    if resolves is not None:
        checks.append(Check("resolves", resolves, weight=2.0))
    if traceability is not None:
        checks.append(Check("traceability", traceability, weight=2.0))
    checks += [
        Check("agent_tools", run_raw=contract.check_tools, weight=2.0),
        Check("agent_parameters", run_raw=contract.check_parameters, weight=2.0),
        Check("agent_turns", run_raw=agent_contract.check_turns, weight=2.0),
        Check("agent_thoughts", run_raw=agent_contract.check_thoughts, weight=2.0),
        Check("agent_uses_results", run_raw=agent_contract.check_uses_results, hard=False),
        Check("agent_reads_before_patch", run_raw=agent_method.check_reads_before_patch),
        Check("agent_no_blob_ids", run_raw=agent_method.check_no_blob_ids),
        Check("agent_grounded_thoughts", run_raw=agent_method.check_grounded_thoughts),
        Check("agent_final_answer", run_raw=agent_method.check_final_answer, hard=False),
        Check("secrets", run_raw=check_secrets),
    ]
    if judge is not None:
        checks.append(Check("llm_judge", judge, weight=2.0, hard=False))
    return tuple(checks)


def _shipped_catalog() -> dict[str, dict[str, Any]]:
    """The tools of the shipped ``seeds/tools.json`` by name (as plain JSON objects)."""
    return load_tool_catalog(SEEDS_DIR / CATALOG_NAME).schemas()
