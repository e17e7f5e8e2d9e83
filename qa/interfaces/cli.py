"""The `qa` command line: thin wrappers that parse flags, call the pipeline, and print.

Heavy libraries (torch, chromadb, llama.cpp) are imported inside commands, so `qa --help` is instant.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from qa.errors import QAError
from qa.errors import say_error as _err

FORMATS = ".txt .md .html .pdf .docx .epub, and text files without a known extension (README, notes.org, main.c)"

app = typer.Typer(
    help=f"Answer questions about your documents, offline, with verified citations. Reads {FORMATS}.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: typer's rich panels label every flag `<bool>`, as if it took a value
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"qa {version('qa')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            print("qa (not installed)")
        raise typer.Exit()


@app.callback()
def main(
    show_version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_version)] = False,
) -> None:
    """Answer questions about your documents, offline, with verified citations."""

CollectionOpt = Annotated[Optional[str], typer.Option("--collection", "-c", help="Corpus name (default: 'default').")]
ModelOpt = Annotated[
    Optional[str],
    typer.Option("--model", "-m", help="qwen2.5-1.5b (default), qwen2.5-0.5b, PATH.gguf, openai:NAME (hosted), or 'none' for extractive answers."),
]
FallbackOpt = Annotated[
    Optional[str],
    typer.Option("--fallback", help="When a hosted model's endpoint is down: 'none' (default: fail) or 'extractive'."),
]




@app.command()
def ingest(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Files or folders (default: ./seeds, the repository's sample documents).")] = None,
    collection: CollectionOpt = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-index everything from scratch.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Forget files that no longer exist under PATHS.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="A line per committed batch, and where the time went.")] = False,
    watch: Annotated[bool, typer.Option("--watch", help="Keep indexing PATHS as files are added, changed or deleted (Ctrl-C stops).")] = False,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Embed in N worker processes (local model) or N concurrent requests (remote).")] = None,
) -> None:
    """Index documents into a collection: .txt .md .html .pdf .docx .epub, and text files without
    a known extension (README, notes.org, main.c). Other files are skipped, a line each. Unchanged
    files are skipped too. Interrupted (Ctrl-C, kill -9)? Run it again: committed batches are kept,
    the rest is finished."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from qa.config import load_settings
    from qa.index.ingest import ingest as run_ingest

    settings = load_settings(collection=collection, ingest_jobs=jobs)
    paths = paths or _default_paths()
    err = Console(stderr=True)
    if watch:
        _watch(paths, settings, err)
        return
    columns = [
        TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TextColumn("files,"), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.description}"),
    ]
    first: list[tuple[float, int]] = []  # (time, chunks) at the first embedded batch: the rate excludes the model load
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("", total=None, rate="")

        def progress(label: str, done: int, total: int, chunks: int) -> None:
            rate = ""
            if chunks and not first:
                first.append((time.perf_counter(), chunks))
            elif first and chunks > first[0][1]:
                r = (chunks - first[0][1]) / max(1e-6, time.perf_counter() - first[0][0])
                rate = f"{r:.1f} chunks/s" if r < 10 else f"{r:.0f} chunks/s"
            rate = f"{chunks} chunks" + (f", {rate}" if rate else "")
            bar.update(task, completed=done, total=total, rate=rate, description=Path(label).name if label else "")

        def on_commit(s) -> None:  # noqa: ANN001
            if verbose:
                err.print(f"committed batch {s.batches}: {s.files} files, {s.chunks} chunks so far", highlight=False)

        summary = run_ingest(
            paths, settings, rebuild=rebuild, prune=prune, progress=progress, on_commit=on_commit,
            warn=_warner(err),
        )
    extra = f", {summary.removed} removed" if summary.removed else ""
    extra += ", rebuilt" if summary.rebuilt else ""
    extra += f", {len(summary.ignored)} not documents (listed above)" if summary.ignored else ""
    extra += f", {len(summary.failed)} failed" if summary.failed else ""
    print(
        f"ingested {summary.files} files ({summary.chunks} chunks), skipped {summary.skipped} unchanged{extra} "
        f"into {settings.collection!r} in {summary.seconds:.1f} s"
    )
    if verbose:
        t = summary.timings
        other = summary.seconds - sum(t.values())
        print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in t.items()) + f", other {other:.1f} s (startup, lock, catalog)")


def _default_paths() -> list[str]:
    """./seeds (the repository's sample documents) when there is one; elsewhere, say what to pass."""
    if Path("seeds").is_dir():
        return ["seeds"]
    raise QAError("no files or folders given: name what to index, e.g. `qa ingest ~/Documents/notes report.pdf` "
                  "(with no path it reads ./seeds, the repository's sample documents, which is not here)")


NoServerOpt = Annotated[bool, typer.Option("--no-server", help="Answer in this process even when a `qa serve` is running.")]


def _watch(paths: list[str], settings, err) -> None:  # noqa: ANN001
    from qa.index.watch import watch

    def on_sync(s, events: int) -> None:  # noqa: ANN001
        cause = f"{events} change{'s' if events != 1 else ''}: " if events else ""
        print(f"{cause}indexed {s.files} files ({s.chunks} chunks), {s.skipped} unchanged, {s.removed} removed, "
              f"{len(s.failed)} failed in {s.seconds:.1f} s", flush=True)

    try:
        watch(paths, settings, on_sync, warn=_warner(err),
              ready=lambda: err.print(f"watching {' '.join(paths)} (Ctrl-C stops)", highlight=False))
    except KeyboardInterrupt:  # during a sync: its batch was rolled back
        pass
    err.print("stopped watching; the index holds every change committed so far", highlight=False)


def _warner(err):  # noqa: ANN001, ANN202 - a rich Console on stderr
    """Where ingest's warnings go: one yellow line each on stderr, never parsed as markup."""
    return lambda m: err.print(m, style="yellow", markup=False, highlight=False, soft_wrap=True)


def _answerer(collection: str | None, model: str | None, **overrides):  # noqa: ANN003, ANN202
    from qa.interfaces.service import Service

    return Service().answerer(collection, model, overrides.get("passages"), overrides.get("fallback"))


def _loading(json_out: bool):  # noqa: ANN202
    """A spinner on a terminal (stdout a TTY, not --json) while the answerer loads; else nothing."""
    if json_out or not sys.stdout.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    from qa.interfaces import render

    return render.loading(Console())


def _remote(no_server: bool, collection: str | None, model: str | None, fallback: str | None):  # noqa: ANN202
    """A running `qa serve` to answer through (QA_SERVER_URL, or found via $QA_HOME), else None."""
    from qa.interfaces.client import RemoteAnswerer, connect
    from qa.config import load_settings

    remote = connect(load_settings(), no_server)
    return RemoteAnswerer(remote, collection, model, fallback) if remote else None


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, or '-' to read one question per line from stdin.")],
    collection: CollectionOpt = None,
    model: ModelOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object per answer.")] = False,
    passages: Annotated[Optional[int], typer.Option("--passages", "-k", help="Retrieved chunks whose sentences compete for the prompt.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show timings and why an answer was abstained.")] = False,
    fallback: FallbackOpt = None,
    no_server: NoServerOpt = False,
) -> None:
    """Answer QUESTION from the ingested documents, citing the passages it used. Uses a running
    `qa serve` when there is one (QA_SERVER_URL or $QA_HOME/server.json); same output either way."""
    with _loading(json_out):  # on a terminal, a spinner from the first moment: loading takes seconds
        answerer = _remote(no_server, collection, model, fallback)
        if answerer is not None:
            answerer.passages = passages  # the server checks the question, with the same message
        else:
            from qa.answer.question import clean_question
            from qa.config import load_settings

            if question != "-":
                clean_question(question, load_settings().max_question_chars)  # fail fast, before loading models
            answerer = _answerer(collection, model, passages=passages, fallback=fallback)
    questions = (line for line in sys.stdin if line.strip()) if question == "-" else [question]
    for q in questions:
        _ask_one(answerer, q, json_out, verbose, many=question == "-")


def _ask_one(answerer, question: str, json_out: bool, verbose: bool, many: bool) -> None:  # noqa: ANN001
    """One answer; with `ask -`, a bad line is reported and the next one answered."""
    try:
        _render_one(answerer, question, json_out, verbose, many)
    except QAError as e:
        if not many:
            raise
        _err(str(e))


def _render_one(answerer, question: str, json_out: bool, verbose: bool, many: bool) -> None:  # noqa: ANN001
    from qa.interfaces import render

    if json_out or not sys.stdout.isatty():
        render.piped(answerer.ask(question), json_out, verbose, many)
        return
    from rich.console import Console

    from qa.interfaces.service import ask_streaming

    console = Console()
    with render.LiveDraft(console) as live:
        answer = ask_streaming(answerer, question, live.token, live.reset, on_stage=live.stage)
    render.rich_answer(render.noted(answer), console, verbose)


@app.command()
def chat(collection: CollectionOpt = None, model: ModelOpt = None, fallback: FallbackOpt = None, no_server: NoServerOpt = False) -> None:
    """Talk to your documents: follow-up questions, /sources, /show N, /reset, /model, /exit.
    Uses a running `qa serve` when there is one, like `qa ask`."""
    from qa.interfaces.chat import Conversation, RemoteConversation, run_plain, run_terminal
    from qa.config import qa_home

    remote = _remote(no_server, collection, model, fallback)
    if remote is not None:
        conv: Conversation = RemoteConversation(remote)

        def switch_model(name: str) -> None:
            if not name:
                raise QAError("usage: /model NAME")
            remote.model = name
    else:
        from qa.interfaces.service import Service

        service = Service()
        answerer = service.answerer(collection, model, None, fallback)
        conv = Conversation(answerer)

        def switch_model(name: str) -> None:
            if not name:
                raise QAError("usage: /model NAME")
            service.set_model(answerer, name)

    if sys.stdin.isatty() and sys.stdout.isatty():
        run_terminal(conv, qa_home() / "chat_history", switch_model)
    else:
        run_plain(conv, sys.stdin)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to listen on (default 127.0.0.1; any other needs QA_SERVER_TOKEN).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default 8765; 0 picks a free one).")] = None,
    collection: CollectionOpt = None,
    model: ModelOpt = None,
) -> None:
    """Keep models warm and answer over HTTP (POST /v1/ask, /v1/search; GET /v1/status, /healthz,
    /openapi.json). `qa ask` and `qa chat` use it automatically. Ctrl-C stops."""
    from qa.config import load_settings
    from qa.errors import NothingIngested
    from qa.interfaces.server import serve as run_server
    from qa.interfaces.service import Service

    settings = load_settings(collection=collection, model=model, server_host=host, server_port=port)
    service = Service(collection=collection, model=model)

    def warm() -> None:
        try:
            service.answerer()  # load the default collection and model now, not on the first question
        except NothingIngested as e:
            sys.stderr.write(f"qa: warning: {e}\n")

    try:
        run_server(settings, service, settings.server_host, settings.server_port, warm=warm,
                   on_listen=lambda url: sys.stderr.write(f"qa serve: listening on {url} (model {settings.model}; Ctrl-C stops; "
                                                          f"the page: {url}/)\n") or sys.stderr.flush())
    except KeyboardInterrupt:
        sys.stderr.write("qa serve: stopped\n")  # Ctrl-C is how a server is meant to stop


@app.command()
def mcp(collection: CollectionOpt = None, model: ModelOpt = None) -> None:
    """Model Context Protocol server over stdio: tools `ask` and `search`, ingested files as
    resources. Register it with an MCP client as the command `qa mcp` (see README)."""
    from qa.interfaces.mcp import run

    run(collection=collection, model=model)


@app.command()
def show(
    target: Annotated[str, typer.Argument(metavar="SOURCE[:START-END]", help="An ingested document, optionally with a cited span.")],
    collection: CollectionOpt = None,
    context: Annotated[int, typer.Option("--context", help="Characters shown either side of a span.")] = 300,
) -> None:
    """Print an ingested document's text (the text citations count offsets in), or a cited span
    with some context, highlighted."""
    from rich.console import Console

    from qa.config import load_settings
    from qa.interfaces.show import show as run_show

    run_show(target, load_settings(collection=collection), context, Console())


@app.command("eval")
def eval_(
    gold: Annotated[Path, typer.Argument(help="Gold questions (JSONL), or conversations (JSONL lines with \"turns\").")] = Path("evals/seeds-dev.jsonl"),
    collection: CollectionOpt = None,
    model: ModelOpt = None,
    corpus: Annotated[Optional[list[str]], typer.Option("--corpus", help="Ingest these paths into the collection first.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary and rows as JSON.")] = False,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write a Markdown report here.")] = None,
    min_accuracy: Annotated[Optional[float], typer.Option(help="Fail (exit 1) below this answer accuracy.")] = None,
    min_abstain_precision: Annotated[Optional[float], typer.Option(help="Fail below this abstention precision.")] = None,
    min_abstain_recall: Annotated[Optional[float], typer.Option(help="Fail below this abstention recall.")] = None,
    min_citation_precision: Annotated[Optional[float], typer.Option(help="Fail below this citation precision.")] = None,
    max_phantom: Annotated[int, typer.Option(help="Fail above this many unverifiable citations.")] = 0,
    min_multi_source: Annotated[Optional[float], typer.Option(help="Fail below this share of multi-source answers citing every part's source.")] = None,
    max_wrong: Annotated[Optional[int], typer.Option(help="Fail above this many answers matching a gold `wrong` pattern.")] = None,
) -> None:
    """Score answers against a gold-fact set: accuracy, abstention, citations, retrieval, latency.
    A conversations file is played through `qa chat`'s follow-up rewriting instead."""
    import json

    from rich.console import Console

    from qa.evaluation import evals
    from qa.evaluation.report import print_summary

    if evals.is_conversation_file(gold):
        _eval_conversations(gold, collection, model, corpus, json_out, min_accuracy)
        return
    from qa.evaluation import adversarial

    if adversarial.is_adversarial_file(gold):
        _eval_adversarial(gold, json_out, model)
        return
    gold_rows = evals.load_gold(gold)
    err = Console(stderr=True)
    if corpus:
        from qa.config import load_settings
        from qa.index.ingest import ingest as run_ingest

        run_ingest(corpus, load_settings(collection=collection), warn=_warner(err))
    answerer = _answerer(collection, model)

    def on_row(r) -> None:  # noqa: ANN001
        if not json_out:
            style = "green" if evals.verdict(r).startswith("pass") else "red"
            err.print(f"[{style}]{evals.verdict(r):<17}[/{style}] {r.id:<24} {r.answer[:90]!r}", highlight=False)

    rows, summary = evals.run(answerer, gold_rows, on_row)
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(evals.markdown(rows, summary, str(gold)), encoding="utf-8")
    if json_out:
        print(json.dumps({"summary": summary, "rows": evals.rows_json(rows)}, ensure_ascii=False))
    else:
        print_summary(summary)
    failures = []
    checks = [
        ("accuracy", min_accuracy), ("abstain_precision", min_abstain_precision),
        ("abstain_recall", min_abstain_recall), ("citation_precision", min_citation_precision),
    ]
    for key, floor in checks:
        if floor is not None and summary[key] < floor:
            failures.append(f"{key} {summary[key]:.3f} < {floor}")
    if min_multi_source is not None and summary["multi_source"] and summary["multi_source_complete"] < min_multi_source:
        failures.append(f"multi_source_complete {summary['multi_source_complete']:.3f} < {min_multi_source}")
    if max_wrong is not None and summary["wrong_answers"] > max_wrong:
        failures.append(f"wrong answers {summary['wrong_answers']} > {max_wrong}")
    if summary["phantom_citations"] > max_phantom:
        failures.append(f"phantom citations {summary['phantom_citations']} > {max_phantom}")
    if failures:
        _err("eval below threshold: " + "; ".join(failures))
        raise typer.Exit(1)


def _eval_conversations(gold: Path, collection: str | None, model: str | None, corpus: list[str] | None, json_out: bool, min_accuracy: float | None) -> None:
    """Two-turn (or longer) conversations through `qa chat`'s Conversation: follow-up accuracy and
    time to first token for first and follow-up questions."""
    import json

    from rich.console import Console

    from qa.evaluation import evals
    from qa.evaluation.report import metric_table

    convs = evals.load_conversations(gold)
    err = Console(stderr=True)
    if corpus:
        from qa.config import load_settings
        from qa.index.ingest import ingest as run_ingest

        run_ingest(corpus, load_settings(collection=collection), warn=_warner(err))
    answerer = _answerer(collection, model)

    def on_row(r: dict) -> None:
        if not json_out:
            style = "green" if r["correct"] else "red"
            err.print(f"[{style}]{'pass' if r['correct'] else 'FAIL':<5}[/{style}] {r['conversation']}#{r['turn']:<3} "
                      f"{r['standalone'][:70]!r} → {r['answer'][:70]!r} (first token {r['ttft_ms'] / 1000:.1f} s)", highlight=False, soft_wrap=True)

    rows, summary = evals.run_conversations(answerer, convs, on_row)
    if json_out:
        print(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False))
    else:
        metrics = [
            ("first-turn accuracy", f"{summary['first_turn_accuracy']:.1%}"),
            ("follow-up accuracy (rewritten from the conversation)", f"{summary['follow_up_accuracy']:.1%}"),
            ("follow-up accuracy (asked on its own)", f"{summary['follow_up_accuracy_without_conversation']:.1%}"),
            ("phantom citations", str(summary["phantom_citations"])),
        ]
        for key, label in (("ttft_ms_first", "first question"), ("ttft_ms_follow_up", "follow-up")):
            metrics.append((f"time to first token, {label} p50 / p95", f"{summary[key]['p50']:.0f} / {summary[key]['p95']:.0f} ms"))
        metric_table(f"qa eval (conversations) · model {summary['model']} · {summary['conversations']} conversations", metrics)
    if min_accuracy is not None and summary["follow_up_accuracy"] < min_accuracy:
        _err(f"eval below threshold: follow-up accuracy {summary['follow_up_accuracy']:.3f} < {min_accuracy}")
        raise typer.Exit(1)


def _eval_adversarial(gold: Path, json_out: bool, model: str | None) -> None:
    """The verifier (the model judging only what the rules cannot match; `--model none`: the rules
    alone) against false and faithful drafts; exit 1 below the targets (qa/evaluation/adversarial.py)."""
    import json

    from qa.evaluation import adversarial as A
    from qa.config import load_settings
    from qa.answer.models import load_model

    settings = load_settings(model=model)
    results = A.run(A.load(gold), A.root_of(gold), load_model(settings.model, settings))
    summ = A.summary(results)
    print(json.dumps({"summary": summ, "rows": A.results_json(results)}, ensure_ascii=False) if json_out else A.markdown(summ))
    if missed := A.failures(summ):
        _err("adversarial suite below target: " + "; ".join(missed))
        raise typer.Exit(1)


@app.command()
def bench(
    models: Annotated[str, typer.Option(help="Comma-separated models to time end to end.")] = "none,qwen2.5-0.5b,qwen2.5-1.5b",
    peer_model: Annotated[str, typer.Option("--peer-model", help="Model for the LlamaIndex peer ('' to skip it).")] = "qwen2.5-1.5b",
    gold: Annotated[Path, typer.Option(help="Gold set for answer quality.")] = Path("evals/seeds-dev.jsonl"),
    corpus: Annotated[Path, typer.Option(help="The folder the gold set's questions are about.")] = Path("seeds"),
    limit: Annotated[int, typer.Option(help="Use N evenly spaced gold questions (0: all); the peer is slow.")] = 0,
    docs: Annotated[int, typer.Option(help="Files from /usr/share/doc/*/copyright for the large-corpus ingest (0: skip).")] = 3000,
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path("reports/bench.json"),
    scale: Annotated[str, typer.Option(help="Scale run: one collection in a Chroma server grown through these sizes in real text files, e.g. 2000,5000 ('': skip).")] = "",
    scale_embedder: Annotated[str, typer.Option(help="Scale run: what embeds the grown collection: 'local' (in the ingest process) or 'remote' (a local OpenAI-compatible embedding server the run starts).")] = "local",
    scale_compare: Annotated[int, typer.Option(help="Scale run: the first N files also ingested with the other embedder, into a second collection (0: skip).")] = 500,
    scale_bytes: Annotated[int, typer.Option(help="Scale run: cut each file to its first N bytes (bounds the embedding time).")] = 1200,
    scale_only: Annotated[bool, typer.Option("--scale-only", help="Run only the scale benchmark (no answers, no peer).")] = False,
    scale_out: Annotated[Path, typer.Option(help="Where to write the scale results.")] = Path("reports/bench-scale.json"),
    serve: Annotated[bool, typer.Option("--serve", help="Load-test `qa serve` on loopback (extractive requests; bounded).")] = False,
    serve_llm: Annotated[str, typer.Option("--serve-llm", help="With --serve: also 20 requests to this model ('' to skip: the default).")] = "",
    serve_out: Annotated[Path, typer.Option(help="Where to write the --serve results.")] = Path("reports/bench-serve.json"),
) -> None:
    """Benchmark ingest, retrieval and answers, beside the documented LlamaIndex recipe.
    `--serve`: load-test a warm `qa serve` on loopback instead."""
    if serve:
        from qa.evaluation.bench.serve import serve_load

        serve_load(out=serve_out, llm_model=serve_llm, gold=gold)
        return
    if scale:
        from qa.evaluation.bench.scale import run_scale

        try:
            sizes = [int(s) for s in scale.split(",") if s.strip()]
        except ValueError:
            raise QAError(f"--scale {scale!r}: give sizes in files, e.g. 2000,5000") from None
        run_scale(sizes, scale_bytes, scale_out, scale_compare, scale_embedder)
    if scale_only:
        return
    from qa.evaluation.bench.answers import run

    run(models, peer_model, gold, limit, docs, out, corpus)


@app.command()
def status(
    collection: CollectionOpt = None,
    files: Annotated[bool, typer.Option("--files", "-f", help="Also list every file with its chunk count.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """List collections: files, chunks, the models and chunking that built them, and the store's size."""
    import json

    from qa.config import load_settings
    from qa.interfaces.status import status as get_status

    st = get_status(load_settings(), only=collection, with_files=files)
    if json_out:
        print(json.dumps(st, ensure_ascii=False, indent=1))
        return
    size = f", {st['size_bytes'] / 1e6:.1f} MB on disk" if st["size_bytes"] is not None else ""
    print(f"store: {st['store']}{size}")
    if not st["collections"]:
        print("no collections yet: run `qa ingest PATH`")
    for c in st["collections"]:
        print(
            f"{c['name']}: {c['files']} files, {c['chunks']} chunks, embed {c['embed_model']}, "
            f"chunk {c['chunk_size']}/{c['chunk_overlap']} tokens, updated {c['updated']}"
        )
        for f in c.get("file_list", []):
            print(f"  {f['chunks']:>6}  {f['source']}" + (f"  \u00b7 {f['title']}" if f.get("title") else ""))


app.command("collections", hidden=True, help="Same as `qa status`.")(status)


config_app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    collection: CollectionOpt = None,
    model: ModelOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Every setting, its effective value and where it came from (secrets masked). Precedence:
    defaults < OPENAI_BASE_URL/OPENAI_API_KEY < $QA_HOME/config.toml < QA_* env < flags."""
    import json

    from qa.config import describe

    rows = describe(collection=collection, model=model)
    if json_out:
        print(json.dumps({name: {"value": value, "from": origin} for name, value, origin in rows}, ensure_ascii=False))
        return
    width = max(len(name) for name, _, _ in rows)
    vwidth = max(len(value) for _, value, _ in rows)
    for name, value, origin in rows:
        print(f"{name:<{width}}  {value:<{vwidth}}  {origin}")
