"""The question as the pipeline takes it: cleaned, or refused with one clear line. Light on
purpose (nothing but the standard library), so that the CLI and the server can refuse a bad
question before any model or index loads."""

from __future__ import annotations

import re
import unicodedata

from qa.errors import QAError


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")


def clean_question(raw: str, max_chars: int) -> str:
    """Normalise whitespace and strip control characters; refuse what cannot be a question."""
    text = _ANSI.sub(" ", raw)  # pasted terminal colour codes
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QAError("empty question: ask something, e.g. qa ask \"Why did Kim skip Moscow?\"")
    if len(text) > max_chars:
        raise QAError(f"question is {len(text)} characters; the limit is {max_chars} (QA_MAX_QUESTION_CHARS)")
    return text


# ", and which…", " and how much…": a second question joined to the first
_SECOND_QUESTION = re.compile(r",?\s+and\s+(?=(?:what|which|who|whom|whose|how|when|where|why)\b)", re.IGNORECASE)


def question_parts(question: str) -> list[str]:
    """The questions a compound question asks ("What did X offer, and how much debt did Y
    have?"), each as a question of its own; one part for a simple question."""
    parts = [p.strip(" ,?") for p in _SECOND_QUESTION.split(question)]
    parts = [p + "?" for p in parts if len(p.split()) >= 3]
    return parts if len(parts) > 1 else [question]
