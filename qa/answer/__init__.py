"""Answering: question → evidence → draft → decision (retrieve, evidence, prompt, models, hosted, answer)."""
