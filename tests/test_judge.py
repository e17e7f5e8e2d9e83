"""The learned judge ships in the package and tells a stated claim from a contradicted one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qa.check.judge import LearnedJudge, model_dir


def test_shipped_model_is_package_data() -> None:
    folder = model_dir()
    assert (folder / "model.onnx").is_file() and (folder / "tokenizer.json").is_file()
    assert (folder / "model.onnx").stat().st_size < 40_000_000  # int8: a few tens of MB at most


def test_stated_scores_above_changed_number() -> None:
    judge = LearnedJudge()
    quote = "The company said its profit rose 12 percent to 4.5 million dollars in 1986."
    stated, wrong_number, wrong_direction = judge.score(
        [
            ("The company's profit rose 12 percent.", quote),
            ("The company's profit rose 45 percent.", quote),
            ("The company's profit fell 12 percent.", quote),
        ]
    )
    assert stated > wrong_number
    assert stated > wrong_direction


def test_scores_come_back_in_order_across_batches() -> None:
    judge = LearnedJudge()
    pairs = [("The cat sat on the mat.", "The cat sat on the mat."), ("The dog ran.", "Stocks closed lower in Tokyo.")] * 20
    scores = judge.score(pairs, batch_size=3)
    assert len(scores) == 40
    assert all(0.0 <= s <= 1.0 for s in scores)
    # int8 activations are quantized per batch, so padding may move a score a little, never far
    assert abs(scores[0] - scores[2]) < 0.05 and abs(scores[1] - scores[3]) < 0.05
    assert scores[0] > scores[1]


def test_scoring_needs_no_torch() -> None:
    code = "import sys; from qa.check.judge import LearnedJudge; LearnedJudge().score([('a b c', 'a b c')]); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


def test_confirm_judge_drops_what_the_rules_keep_only_when_it_says_no() -> None:
    from qa.check.verify import NOT_CONFIRMED, verify
    from qa.index.split import sentence_spans
    from qa.types import Passage

    text = "Annual trade between Russia and North Korea is worth only about $100 million."
    p = Passage("id0", "doc.txt", 0, len(text), text, list(sentence_spans(text)))
    draft = "Annual trade between Russia and North Korea is worth about $100 million [1]."
    asked: list[tuple[str, str]] = []

    def no(claim: str, quote: str) -> bool:
        asked.append((claim, quote))
        return False

    assert verify(draft, [p], "How much is trade worth?").kept == 1
    assert verify(draft, [p], "How much is trade worth?", confirm=lambda c, q: True).kept == 1
    refused = verify(draft, [p], "How much is trade worth?", confirm=no)
    assert refused.kept == 0 and refused.reasons == [NOT_CONFIRMED]
    assert asked == [("Annual trade between Russia and North Korea is worth about $100 million.", text)]


def test_setting_picks_the_judge_slot() -> None:
    from qa.check.judge import for_settings
    from qa.config import Settings

    llm = object()
    assert for_settings(Settings(learned_judge="off"), llm) == (llm, None)
    judge, confirm = for_settings(Settings(learned_judge="undecided"), llm)
    assert judge is not llm and confirm is None
    judge, confirm = for_settings(Settings(learned_judge="confirm"), llm)
    assert judge is llm and callable(confirm)
