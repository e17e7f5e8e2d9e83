"""Tables printed by `qa eval` (the CLI only parses flags; evals.py computes the figures)."""

from __future__ import annotations


def metric_table(title: str, metrics: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics:
        table.add_row(name, value)
    Console().print(table)


def print_summary(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    k = next(key for key in summary if key.startswith("recall@"))
    lat = summary["latency_ms"]
    table = Table(title=f"qa eval · model {summary['model']} · {summary['questions']} questions · {summary['seconds']} s")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("answer accuracy", f"{summary['accuracy']:.1%}")
    table.add_row("abstention precision", f"{summary['abstain_precision']:.1%}")
    table.add_row("abstention recall", f"{summary['abstain_recall']:.1%}")
    table.add_row("false abstentions", str(summary["false_abstentions"]))
    table.add_row("citation precision", f"{summary['citation_precision']:.1%}")
    table.add_row("phantom citations (final / draft)", f"{summary['phantom_citations']} / {summary['draft_phantom_citations']}")
    if summary["multi_source"]:
        table.add_row("multi-source answers citing every source", f"{summary['multi_source_complete']:.1%} of {summary['multi_source']}")
    table.add_row("answers matching a wrong pattern", str(summary["wrong_answers"]))
    table.add_row("misses lost at", ", ".join(f"{k} {v}" for k, v in summary["lost_at"].items()) or "none")
    table.add_row(f"retrieval {k}", f"{summary[k]:.1%}")
    table.add_row("retrieval MRR", f"{summary['mrr']:.3f}")
    for stage in ("retrieve", "generate", "total"):
        table.add_row(f"{stage} p50 / p95", f"{lat[stage]['p50']:.0f} / {lat[stage]['p95']:.0f} ms")
    table.add_row("tokens prompt / completion", f"{summary['prompt_tokens']} / {summary['completion_tokens']}")
    if summary.get("generations"):
        from qa.evaluation.evals import calls_text

        table.add_row("model calls per question (calls: questions)", calls_text(summary["generations"]))
    Console().print(table)
