"""evals/replay.py: the model that replays recorded drafts hands the recorded one to every answer
prompt and everything else (the one-word judges) to the real model, so a replay measures the current
checks and decision on what the model actually wrote."""

from __future__ import annotations

import importlib.util

from conftest import ROOT
from qa.answer.models import ScriptedModel


def _replay_module():  # noqa: ANN202 - evals/ is scripts, not a package
    spec = importlib.util.spec_from_file_location("replay", ROOT / "evals" / "replay.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_answer_prompts_get_the_recorded_draft_and_judges_the_real_model() -> None:
    real = ScriptedModel("qwen").enqueue("yes", logprobs=[("yes", -0.1)], top=[{"yes": -0.1, "no": -2.5}])
    model = _replay_module().ReplayModel(real, {"Why?": "Because of X. [1]"})
    model.question = "Why?"
    assert model.generate([{"role": "user", "content": "answer"}], 160) == "Because of X. [1]"
    assert model.last_logprobs == [] and real.prompts == []  # the real model was not asked
    assert model.generate([{"role": "user", "content": "does it?"}], 1) == "yes"
    assert model.last_logprobs == [("yes", -0.1)] and model.last_top == [{"yes": -0.1, "no": -2.5}]
    assert model.name == "qwen" and len(real.prompts) == 1
