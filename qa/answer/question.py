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
