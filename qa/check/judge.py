"""A learned entailment judge: does this quote state this claim?

A cross-encoder (all-MiniLM-L6-v2 fine-tuned to read "claim [SEP] quote" and give one logit) shipped
as int8 ONNX with its tokenizer in `qa/check/judge_model/`; it runs on onnxruntime and tokenizers alone, so
the answer path never imports torch. Rebuild it with evals/judge/make_pairs.py and evals/judge/train.py.

What it tests: whether a one-sentence claim says only what its quote says, having been trained on
sentences of Debian docs, Python docstrings and WordNet examples paired with faithful rewrites (number
formats, entailed prefixes, reordered clauses, WordNet synonyms, dropped parentheticals, attribution
rephrased, passive voice) and with perturbations (a number's value or scale, a direction word,
negation, a quantifier or modal, a swapped name, swapped subject and object, an invented cause, a
date, the speaker, an added detail, a sentence of the same document about something else).

What it cannot: it is a small model and has seen no news text; it gives probabilities, not proofs.
It judges one quote at a time (facts merged from two sentences must be split first), sees 128
tokens at most, knows nothing outside the quote (a claim that is true in the world but not in the
quote is "not stated"), and its scores on kinds of change it was not shown — and on arithmetic
("rose from 5 to 7" for "rose by 2") — are unreliable. Exact checks (figures with their unit, names
present) stay the rules' in `qa.check.claims`.
"""

from __future__ import annotations

import math
from functools import cached_property
from importlib.resources import files
from pathlib import Path

MAX_LENGTH = 128


def model_dir() -> Path:
    """The shipped model's folder (package data)."""
    return Path(str(files("qa.check") / "judge_model"))


class LearnedJudge:
    """P(quote states claim) for (claim, quote) pairs; the ONNX session is made on first use, once."""

    def __init__(self, folder: Path | None = None, threads: int = 1) -> None:
        self.folder = folder or model_dir()
        self.threads = threads

    @cached_property
    def _session(self):  # noqa: ANN202
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = self.threads
        return ort.InferenceSession(str(self.folder / "model.onnx"), opts, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self):  # noqa: ANN202
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        tok.enable_truncation(MAX_LENGTH)
        tok.enable_padding()
        return tok

    def score(self, pairs: list[tuple[str, str]], batch_size: int = 32) -> list[float]:
        """The probability that each quote states its claim, in the order given."""
        import numpy as np

        out: list[float] = []
        for k in range(0, len(pairs), batch_size):
            chunk = pairs[k : k + batch_size]
            enc = self._tokenizer.encode_batch([(" ".join(c.split()), " ".join(q.split())) for c, q in chunk])
            feed = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
            }
            logits = self._session.run(None, feed)[0].reshape(-1)
            out.extend(1.0 / (1.0 + math.exp(-float(x))) for x in logits)
        return out

    def judge(self, min_probability: float):  # noqa: ANN201 - a qa.check.verify.Judge
        """A `qa.check.verify.Judge`: the claim is stated when its probability reaches `min_probability`."""

        def judge(claim: str, quote: str) -> bool:
            return self.score([(claim, quote)])[0] >= min_probability

        return judge


_shared: LearnedJudge | None = None


def shared() -> LearnedJudge:
    """One judge per process: the session costs ~0.3 s to make."""
    global _shared
    if _shared is None:
        _shared = LearnedJudge()
    return _shared


def for_settings(settings, llm_judge):  # noqa: ANN001, ANN201 - (qa.config.Settings, Judge | None) -> (judge, confirm)
    """The verifier's two judge slots under `settings.learned_judge`: (the judge of unmatched
    words, the judge that must confirm every kept sentence). "off" leaves the answer model's judge
    alone and confirms nothing."""
    if settings.learned_judge == "off":
        return llm_judge, None
    learned = shared().judge(settings.learned_judge_min)
    return (learned, None) if settings.learned_judge == "undecided" else (llm_judge, learned)
