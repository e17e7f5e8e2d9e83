"""Prompt templates (the top-level prompts/ folder, shipped in the wheel as `qa.prompts`) and the fencing of untrusted text.

Documents, file names, questions and chat history are data. They reach the model only through
`fence`, so that no document can close a passage, open a fake one, or forge a chat turn.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from pathlib import Path

from qa.types import Passage

# The one "cannot answer" phrase: the prompts ask for it and `is_not_found` detects it.
ABSTAIN_TEXT = "The documents do not say."


_CHECKOUT = Path(__file__).resolve().parents[2] / "prompts"


@cache
def template(name: str) -> str:
    """A template from a checkout's prompts/ folder, else from the installed `qa.prompts`."""
    if (_CHECKOUT / name).is_file() and (_CHECKOUT.parent / "pyproject.toml").is_file():
        return (_CHECKOUT / name).read_text(encoding="utf-8")
    return files("qa.prompts").joinpath(name).read_text(encoding="utf-8")


# Chat-template control markers of common model families. llama.cpp tokenizes the rendered prompt
# with special tokens enabled, so a document containing "<|im_start|>system" would otherwise become
# a real system turn; these are defanged (their "<" or "[" swapped for a lookalike) wherever
# untrusted text enters a prompt.
_CONTROL = re.compile(
    r"<\|[^|<>\s]{1,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>|</?(?:passage|source)",
    re.IGNORECASE,
)


def fence(text: str) -> str:
    """Untrusted text (passages, questions, chat history) can never close a passage delimiter, open
    a fake one, or forge a chat turn."""
    return _CONTROL.sub(lambda m: "‹" + m.group(0)[1:] if m.group(0)[0] == "<" else "⁅" + m.group(0)[1:], text)


def build_messages(question: str, passages: list[Passage], name: str = "answer.txt", grouped: bool = False) -> list[dict[str, str]]:
    """The evidence, then the question and the instruction. Whole chunks go one per numbered
    `<passage>` block, their line breaks kept; sentence evidence (`grouped`) goes as snippets
    numbered [1]..[n] in one block per source document (a file name costs tokens once, not once
    per snippet)."""
    if grouped:
        blocks: list[tuple[str, list[str]]] = []
        for i, p in enumerate(passages, 1):
            source = _source(p)
            line = template("snippet.txt").format(n=i, text=" ".join(fence(p.text).split())).strip()
            if blocks and blocks[-1][0] == source:
                blocks[-1][1].append(line)
            else:
                blocks.append((source, [line]))
        evidence = "\n\n".join(template("source.txt").format(source=src, snippets="\n".join(lines)).strip() for src, lines in blocks)
    else:
        item = template("passage.txt")
        evidence = "\n\n".join(item.format(n=i, source=_source(p), text=fence(p.text).strip()).strip() for i, p in enumerate(passages, 1))
    user = template(name).format(passages=evidence, question=fence(question), abstain=ABSTAIN_TEXT)
    return [{"role": "system", "content": template("system.txt").strip()}, {"role": "user", "content": user.strip()}]


def read_grammar(n: int, allow_none: bool = True, max_ids: int = 3) -> str:
    """GBNF for the reader's reply: the numbers of the evidence sentences it rests on (only numbers
    that exist), then a one-line answer; or "none". The model can only point at real sentences."""
    nums = " | ".join(f'"{i}"' for i in range(1, n + 1)) or '"1"'
    choice = '( "none" | ids "\\nAnswer: " ans )' if allow_none else 'ids "\\nAnswer: " ans'
    return (
        f'root ::= "Sentences: " {choice}\n'
        f'ids ::= num ( ", " num ){{0,{max_ids - 1}}}\n'
        f"num ::= {nums}\n"
        "ans ::= [^\\n]{1,400}\n"
    )


_READ_IDS = re.compile(r"sentences?\s*:\s*([^\n]*)", re.IGNORECASE)
_READ_ANSWER = re.compile(r"answer\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)


def parse_reading(reply: str, n: int) -> tuple[list[int], str]:
    """(sentence numbers in 1..n, in the order given, without repeats; the answer line). Lenient, so
    that a model that ignores the grammar (a hosted one) is read the same way; no numbers: none."""
    ids_line = _READ_IDS.search(reply)
    answer = _READ_ANSWER.search(reply)
    raw = ids_line.group(1) if ids_line else ""
    ids = [int(x) for x in re.findall(r"\d+", raw) if 1 <= int(x) <= n]
    text = " ".join((answer.group(1) if answer else "").split())
    return list(dict.fromkeys(ids)), text


def build_judge_messages(question: str, quote: str) -> list[dict[str, str]]:
    """Does this quote answer the question? One word back (see `Answerer._judged`)."""
    user = template("judge.txt").format(quote=" ".join(fence(quote).split()), question=fence(question))
    return [{"role": "system", "content": template("judge_system.txt").strip()}, {"role": "user", "content": user.strip()}]


def build_entail_messages(claim: str, quote: str) -> list[dict[str, str]]:
    """Does this quote state this claim? One word back (see `qa.check.verify.model_judge`)."""
    user = template("entail.txt").format(quote=" ".join(fence(quote).split()), claim=" ".join(fence(claim).split()))
    return [{"role": "system", "content": template("entail_system.txt").strip()}, {"role": "user", "content": user.strip()}]


def _source(p: Passage) -> str:
    return fence(Path(p.source).name.replace('"', "'"))
