"""How an agent step's thought is laid out in an exported turn: the three styles of ``[export]
thoughts``.

- ``inline``: the thought as plain text before the call or the answer (non-reasoning templates:
  ``qwen``, ``llama3`` …). LLaMA-Factory's FunctionFormatter keeps the text before
  ``<tool_call>`` as the turn's own words.
- ``think``: the thought inside ``<think>\\n…\\n</think>\\n\\n`` — byte for byte the thought words
  of LLaMA-Factory's reasoning templates (``qwen3``: its ReasoningTemplate). With the exact words
  the template recognises the block: it trains it with ``enable_thinking: true`` (the default) and
  strips it with ``enable_thinking: false``, and it adds no empty block of its own to a turn that
  has one.
- ``drop``: no thought at all — only the call or the answer. A reasoning template then trains
  an empty think block on every turn (``enable_thinking: true``) or none (``false``).

Each style is its own dataset (``goldmine_sharegpt``, ``goldmine_sharegpt_think``,
``goldmine_sharegpt_nothought``): a training config names the layout it was written for, so an
export made with another layout can never be trained under its name.
"""

from __future__ import annotations

import json
from typing import Any, Literal, get_args

ThoughtStyle = Literal["inline", "think", "drop"]
THOUGHT_STYLES: tuple[ThoughtStyle, ...] = get_args(ThoughtStyle)
# LLaMA-Factory's default thought words (``register_template``), used by ``qwen3`` and its kin.
THINK_WORDS = ("<think>\n", "\n</think>\n\n")
TOOL_CALL_WORDS = ("<tool_call>", "</tool_call>")
# The dataset-name suffix of each style; inline keeps the plain name it always had.
STYLE_SUFFIX: dict[ThoughtStyle, str] = {"inline": "", "think": "_think", "drop": "_nothought"}


def with_thought(thought: str, body: str, style: ThoughtStyle, *, separator: str) -> str:
    """The turn's text: ``body`` (a call or an answer) with the thought laid out in ``style``.

    ``separator`` is what stands between an inline thought and the body (a newline before a call,
    a blank line before an answer, as goldmine has always written them).
    """
    thought = thought.strip()
    if style == "drop" or not thought:
        return body
    if style == "think":
        return f"{THINK_WORDS[0]}{thought}{THINK_WORDS[1]}{body}"
    return f"{thought}{separator}{body}".strip()


def tool_call_text(name: str, arguments: dict[str, Any]) -> str:
    """A call in LLaMA-Factory's default tool-call words; arguments stay a JSON object (a string
    would be encoded twice by the template)."""
    call = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return f"{TOOL_CALL_WORDS[0]}{call}{TOOL_CALL_WORDS[1]}"


def step_text(step: Any, style: ThoughtStyle) -> str:
    """An assistant step as one turn's text: the thought, then the call or the final answer."""
    if step.action is not None:
        call = tool_call_text(step.action.tool_name, step.action.parameters)
        return with_thought(step.thought, call, style, separator="\n")
    return with_thought(step.thought, (step.final_answer or "").strip(), style, separator="\n\n")
