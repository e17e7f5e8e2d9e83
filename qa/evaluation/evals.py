"""`qa eval`: run a gold-fact set through the same Answerer as `qa ask` and score it.

Gold lines (validated by `Gold`): {"id", "question", "answerable", "facts": [[alternatives...], ...],
"sources": [...], "cite_all": [...], "wrong": [...], "type"}. An answer is correct when it is not
abstained and every fact group matches (any alternative: a case-insensitive regex matched on word
boundaries, so "20" never matches "2015"). `cite_all` names the files that each state part of the
answer (all must be cited); `wrong` names plausible wrong answers that must not appear. Citations are
re-checked here against the files on disk, independently of the verifier that produced them.
"""

from __future__ import annotations

import json
import os
import platform
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qa.answer.answer import Answerer
from qa.errors import QAError
from qa.types import Answer


class Gold(BaseModel):
    """One gold question. `extra="forbid"`: a misspelt key is an error, not a silently empty field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answerable: bool
    facts: list[list[str]] = Field(default_factory=list, description="groups of alternative regexes; all groups must match")
    sources: list[str] = Field(default_factory=list, description="files that state (part of) the answer")
    cite_all: list[str] = Field(default_factory=list, description="files that must all be cited (multi-source questions)")
    wrong: list[str] = Field(default_factory=list, description="regexes of plausible wrong answers")
    type: str = ""

    @field_validator("facts")
    @classmethod
    def _groups(cls, v: list[list[str]]) -> list[list[str]]:
        for group in v:
            if not group:
                raise ValueError("an empty fact group matches nothing")
            for alt in group:
                _compile(alt)
        return v

    @field_validator("wrong")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        for alt in v:
            _compile(alt)
        return v


@dataclass
class Row:
    id: str
    type: str
    question: str
    answerable: bool
    abstained: bool
    correct: bool
    missing: list[str]
    answer: str
    citations: int
    good_citations: int
    bad_quotes: int
    draft_phantom: int
    gold_rank: int | None  # 1-based rank of the first passage from a gold source, None if absent
    mode: str
    timings_ms: dict[str, float]
    usage: dict[str, float] = field(default_factory=dict)
    cited_all: bool | None = None  # every `cite_all` file cited (None: not a multi-source question)
    wrong: list[str] = field(default_factory=list)  # `wrong` patterns the answer matched
    lost_at: str = ""  # for a missed answerable question: the stage that lost it (see `lost_at`)
    reason: str = ""
    draft: str = ""


def load_gold(path: Path) -> list[Gold]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise QAError(f"cannot read gold file {path}: {e.strerror}") from None
    out = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(Gold.model_validate_json(line))
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "record"
            raise QAError(f"{path}:{i}: not a gold record: {where}: {first['msg']}") from None
    if not out:
        raise QAError(f"{path}: no gold questions")
    ids = [g.id for g in out]
    if len(set(ids)) != len(ids):
        raise QAError(f"{path}: duplicate id {next(x for x in ids if ids.count(x) > 1)!r}")
    return out


@cache
def _compile(alt: str) -> re.Pattern[str]:
    try:
        return re.compile(rf"(?<!\w)(?:{alt})(?!\w)", re.IGNORECASE)
    except re.error as e:
        raise ValueError(f"bad pattern {alt!r}: {e}") from None


def matches(text: str, group: list[str]) -> bool:
    """Any alternative of `group` in `text`, on word boundaries."""
    return any(_compile(alt).search(text) for alt in group)


def _source_text(source: str, cache: dict[str, str]) -> str | None:
    if source not in cache:
        from qa.index.load import read

        try:
            cache[source] = read(source, Path(source).resolve(), 1 << 40).text
        except QAError:
            cache[source] = None  # type: ignore[assignment]
    return cache[source]


def lost_at(g: Gold, a: Answer, correct: bool) -> str:
    """Which stage lost a missed answerable question: "retrieval" (the facts were not in the
    passages given to the model), "threshold" (abstained before the model was asked), "model" (the
    draft lacked the facts or said "not found"), "decision" (an answer was made, then withdrawn on the
    model's doubt that its quotes answer the question), "verification" (the draft had them, the final
    answer not), or "extractive" (no model, or its fallback, picked the wrong sentences)."""
    if correct or not g.answerable:
        return ""
    if not all(matches(" ".join(p.text for p in a.passages), grp) for grp in g.facts):
        return "retrieval"
    if a.mode == "abstained" and not a.draft:
        return "threshold" if a.model != "none" else "extractive"
    if a.mode == "abstained" and "answer_p" in a.usage:
        return "decision"  # the model wrote an answer, then doubted that its quotes answer the question
    if a.draft and all(matches(a.draft, grp) for grp in g.facts):
        return "verification"
    if a.draft:
        return "model"
    return "extractive"


def score(g: Gold, a: Answer, texts: dict[str, str]) -> Row:
    missing = [" | ".join(grp) for grp in g.facts if not matches(a.text, grp)] if g.answerable else []
    wrong = [w for w in g.wrong if not a.abstained and matches(a.text, [w])]
    correct = g.answerable and not a.abstained and not missing and not wrong
    good = bad = 0
    gold_names = {Path(s).name for s in g.sources}
    for c in a.citations:
        text = _source_text(c.source, texts)
        if text is None or text[c.start : c.end] != c.quote:
            bad += 1
        in_gold = Path(c.source).name in gold_names
        has_fact = any(matches(c.passage.text, grp) for grp in g.facts)
        good += in_gold or has_fact
    rank = next((i for i, p in enumerate(a.passages, 1) if Path(p.source).name in gold_names), None)
    phantom = a.verification.phantom if a.verification else 0
    cited = {Path(c.source).name for c in a.citations}
    cited_all = (not a.abstained and {Path(s).name for s in g.cite_all} <= cited) if g.cite_all else None
    return Row(
        g.id, g.type, g.question, g.answerable, a.abstained, correct, missing, a.text, len(a.citations), good, bad,
        phantom, rank, a.mode, a.timings_ms, a.usage, cited_all, wrong, lost_at(g, a, correct), a.reason, a.draft,
    )


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[k]


def summarise(rows: list[Row], k: int) -> dict:
    ans = [r for r in rows if r.answerable]
    una = [r for r in rows if not r.answerable]
    abst = [r for r in rows if r.abstained]
    cites = sum(r.citations for r in ans)
    ranks = [r.gold_rank for r in ans]
    stages = {}
    for stage in ("retrieve", "generate", "total"):
        vals = [r.timings_ms.get(stage, 0.0) for r in rows]
        stages[stage] = {"p50": round(pct(vals, 0.5), 1), "p95": round(pct(vals, 0.95), 1)}
    return {
        "questions": len(rows),
        "answerable": len(ans),
        "unanswerable": len(una),
        "accuracy": round(sum(r.correct for r in ans) / max(1, len(ans)), 3),
        "abstain_precision": round(sum(not r.answerable for r in abst) / len(abst), 3) if abst else 1.0,
        "abstain_recall": round(sum(r.abstained for r in una) / max(1, len(una)), 3),
        "false_abstentions": sum(r.abstained for r in ans),
        "citation_precision": round(sum(r.good_citations for r in ans) / cites, 3) if cites else 0.0,
        "phantom_citations": sum(r.bad_quotes for r in rows),
        "multi_source": sum(r.cited_all is not None for r in rows),
        "multi_source_complete": round(sum(bool(r.cited_all) for r in rows) / multi, 3) if (multi := sum(r.cited_all is not None for r in rows)) else None,
        "wrong_answers": sum(bool(r.wrong) for r in rows),
        "lost_at": {stage: n for stage in ("retrieval", "threshold", "model", "decision", "verification", "extractive") if (n := sum(r.lost_at == stage for r in rows))},
        "draft_phantom_citations": sum(r.draft_phantom for r in rows),
        f"recall@{k}": round(sum(x is not None for x in ranks) / max(1, len(ranks)), 3),
        "mrr": round(sum(1.0 / x for x in ranks if x) / max(1, len(ranks)), 3),
        "latency_ms": stages,
        "prompt_tokens": int(sum(r.usage.get("prompt_tokens", 0) for r in rows)),
        "completion_tokens": int(sum(r.usage.get("completion_tokens", 0) for r in rows)),
        # prompts the model read per question ({count: questions}): each is a prompt's reading time
        "generations": {str(n): c for n, c in sorted(Counter(int(r.usage.get("generations", 0)) for r in rows).items())},
    }


def run(answerer: Answerer, gold: list[Gold], on_row=None) -> tuple[list[Row], dict]:  # noqa: ANN001
    texts: dict[str, str] = {}
    rows = []
    t0 = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    for g in gold:
        a = answerer.ask(g.question)
        row = score(g, a, texts)
        rows.append(row)
        if on_row:
            on_row(row)
    summary = summarise(rows, answerer.settings.passages)
    summary["model"] = answerer.model_name
    summary["collection"] = answerer.settings.collection
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    # Timings mean little without the machine and how busy it was (docs/evaluation.md shows this).
    summary["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, load average {load_at_start:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    return rows, summary


def markdown(rows: list[Row], summary: dict, gold_path: str) -> str:
    lat = summary["latency_ms"]
    k = next(key for key in summary if key.startswith("recall@"))
    lines = [
        f"# qa eval: {gold_path}",
        "",
        f"model `{summary['model']}`, collection `{summary['collection']}`, {summary['questions']} questions "
        f"({summary['answerable']} answerable, {summary['unanswerable']} unanswerable), {summary['seconds']} s",
        "",
        "| metric | value |",
        "|---|---|",
        f"| answer accuracy | {summary['accuracy']:.1%} |",
        f"| abstention precision / recall | {summary['abstain_precision']:.1%} / {summary['abstain_recall']:.1%} |",
        f"| citation precision | {summary['citation_precision']:.1%} |",
        f"| phantom citations (final / model draft) | {summary['phantom_citations']} / {summary['draft_phantom_citations']} |",
        f"| multi-source answers citing every part's source | {_share(summary['multi_source_complete'], summary['multi_source'])} |",
        f"| answers matching a known wrong pattern | {summary['wrong_answers']} |",
        f"| misses by the stage that lost them | {', '.join(f'{k} {v}' for k, v in summary['lost_at'].items()) or 'none'} |",
        f"| retrieval {k} / MRR | {summary[k]:.1%} / {summary['mrr']:.3f} |",
        f"| latency p50/p95 retrieve | {lat['retrieve']['p50']:.0f} / {lat['retrieve']['p95']:.0f} ms |",
        f"| latency p50/p95 generate | {lat['generate']['p50']:.0f} / {lat['generate']['p95']:.0f} ms |",
        f"| latency p50/p95 total | {lat['total']['p50']:.0f} / {lat['total']['p95']:.0f} ms |",
        f"| tokens (prompt / completion) | {summary['prompt_tokens']} / {summary['completion_tokens']} |",
        f"| model calls per question (calls: questions) | {calls_text(summary.get('generations', {})) or 'n/a'} |",
        "",
        "| id | type | result | lost at | missing | answer |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.id} | {r.type} | {verdict(r)} | {r.lost_at} | {'; '.join(r.missing)} | {r.answer.replace('|', '/')[:200]} |")
    return "\n".join(lines) + "\n"


def calls_text(generations: dict[str, int]) -> str:
    """A summary's model calls per question as one line ("1: 13, 2: 8"), for every table that shows it."""
    return ", ".join(f"{n}: {c}" for n, c in generations.items())


def _share(rate: float | None, n: int) -> str:
    return "n/a" if rate is None else f"{rate:.1%} of {n}"


def verdict(r: Row) -> str:
    if r.wrong:
        return "FAIL (wrong)"
    if r.answerable:
        return "pass" if r.correct else ("FAIL (abstained)" if r.abstained else "FAIL")
    return "pass (abstained)" if r.abstained else "FAIL (answered)"


def rows_json(rows: list[Row]) -> list[dict]:
    return [asdict(r) for r in rows]



# -- conversations: follow-ups scored through the same Conversation that `qa chat` uses ----------


def is_conversation_file(path: Path) -> bool:
    try:
        first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "")
        return "turns" in json.loads(first)
    except (OSError, ValueError, TypeError):
        return False


def load_conversations(path: Path) -> list[tuple[str, list[Gold]]]:
    """Lines of {"id", "turns": [{"question", "facts", "sources"}, ...]}; every turn is answerable."""
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            turns = [
                Gold(id=f"{d['id']}#{n}", question=t["question"], answerable=True, facts=t["facts"], sources=t["sources"], type="turn")
                for n, t in enumerate(d["turns"], 1)
            ]
        except (ValueError, KeyError, TypeError, ValidationError) as e:
            raise QAError(f"{path}:{i}: not a conversation record ({e})") from None
        out.append((d["id"], turns))
    if not out:
        raise QAError(f"{path}: no conversations")
    return out


def run_conversations(answerer: Answerer, convs: list[tuple[str, list[Gold]]], on_row=None) -> tuple[list[dict], dict]:  # noqa: ANN001
    """Each conversation is played turn by turn in a fresh chat; the follow-ups are also asked on
    their own (no conversation), which shows what the rewrite is worth. Time to first token counts
    from pressing Enter: the rewrite, retrieval and prompt processing, with the model already loaded."""
    from qa.interfaces.chat import Conversation

    texts: dict[str, str] = {}
    rows: list[dict] = []
    for cid, turns in convs:
        conv = Conversation(answerer)
        for n, g in enumerate(turns, 1):
            first: list[float] = []
            t0 = time.perf_counter()
            turn = conv.ask(g.question, on_token=lambda _p: first.append(time.perf_counter()) if not first else None)
            total = time.perf_counter() - t0
            row = score(g, turn.answer, texts)
            rec = {
                "conversation": cid, "turn": n, "question": g.question, "standalone": turn.standalone,
                "correct": row.correct, "missing": row.missing, "answer": row.answer, "bad_quotes": row.bad_quotes,
                "ttft_ms": round(((first[0] if first else time.perf_counter()) - t0) * 1000, 1), "total_ms": round(total * 1000, 1),
            }
            if n > 1:
                alone = score(g, answerer.ask(g.question), texts)
                rec["correct_without_conversation"] = alone.correct
            rows.append(rec)
            if on_row:
                on_row(rec)
    firsts = [r for r in rows if r["turn"] == 1]
    follows = [r for r in rows if r["turn"] > 1]
    summary = {
        "model": answerer.model_name,
        "conversations": len(convs),
        "first_turn_accuracy": round(sum(r["correct"] for r in firsts) / max(1, len(firsts)), 3),
        "follow_up_accuracy": round(sum(r["correct"] for r in follows) / max(1, len(follows)), 3),
        "follow_up_accuracy_without_conversation": round(sum(r["correct_without_conversation"] for r in follows) / max(1, len(follows)), 3),
        "phantom_citations": sum(r["bad_quotes"] for r in rows),
        "ttft_ms_first": {"p50": round(pct([r["ttft_ms"] for r in firsts], 0.5), 1), "p95": round(pct([r["ttft_ms"] for r in firsts], 0.95), 1)},
        "ttft_ms_follow_up": {"p50": round(pct([r["ttft_ms"] for r in follows], 0.5), 1), "p95": round(pct([r["ttft_ms"] for r in follows], 0.95), 1)},
    }
    return rows, summary
