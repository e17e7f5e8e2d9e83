"""The `qa` executable. One case is answered here, before typer, pydantic and rich are imported:
`qa ask` through a running `qa serve` with piped or --json output. That import is most of what a
warm-server ask costs (about 130 of 260 ms measured), and the server already did the work.

The lean path only takes what it recognises for certain: a single question, the flags below in
their plain forms, no config.toml, no QA_* variable but the server's own. Anything else (a
typo, `-`, --help, a terminal to draw on, a setting to validate) goes to the full CLI, which gives
the same answer or the same error, only slower to start.
"""

from __future__ import annotations

import os
import sys

from qa.errors import QAError, say_error

_SWITCHES = {"--json": "json", "-v": "verbose", "--verbose": "verbose"}
_VALUED = {"-c": "collection", "--collection": "collection", "-m": "model", "--model": "model",
           "-k": "passages", "--passages": "passages", "--fallback": "fallback"}
# QA_* variables whose meaning the lean path reproduces exactly; any other goes through Settings.
_PLAIN_ENV = {"QA_HOME", "QA_MODELS_DIR", "QA_SERVER_URL", "QA_SERVER_TOKEN"}


def parse_ask(args: list[str]) -> dict | None:
    """The options of `qa ask QUESTION [flags]`, or None when not certain what the CLI would make of them."""
    if not args or args[0] != "ask":
        return None
    opts: dict = {"json": False, "verbose": False}
    question = None
    rest = iter(args[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        if arg in _SWITCHES:
            opts[_SWITCHES[arg]] = True
        elif name in _VALUED:
            value = value if eq else next(rest, None)
            if not value or value.startswith("-") or _VALUED[name] in opts:
                return None
            opts[_VALUED[name]] = value
        elif arg.startswith("-") or question is not None:
            return None
        else:
            question = arg
    if question is None or question == "-" or not question.strip():
        return None
    if "passages" in opts:
        if not opts["passages"].isdigit():
            return None
        opts["passages"] = int(opts["passages"])
    opts["question"] = question
    return opts


def lean_ask(args: list[str]) -> bool:
    """Answer through a running server without the full CLI; False when this case is not one for it."""
    opts = parse_ask(args)
    if opts is None or (not opts["json"] and sys.stdout.isatty()):
        return False
    if any(k.upper().startswith("QA_") and k not in _PLAIN_ENV and not k.startswith("QA_TEST_") for k in os.environ):
        return False
    from qa.home import qa_home

    if (qa_home() / "config.toml").exists():
        return False
    from qa.interfaces.client import reach

    remote = reach(os.environ.get("QA_SERVER_URL") or None, os.environ.get("QA_SERVER_TOKEN") or None)
    if remote is None:
        return False  # no server: in-process answering needs the full CLI anyway
    from qa.interfaces import render

    answer = remote.ask(opts["question"], collection=opts.get("collection"), model=opts.get("model"),
                        passages=opts.get("passages"), fallback=opts.get("fallback"))
    render.piped(answer, opts["json"], opts["verbose"])
    return True


def main() -> None:
    """Every `qa` command ends here: a QAError is one line and its exit code, never a traceback."""
    try:
        if not lean_ask(sys.argv[1:]):
            from qa.interfaces.cli import app

            app()
    except QAError as e:
        say_error(str(e))
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        say_error("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as e:
        # A store damaged after it opened fails inside chroma; say so in one line, not a traceback.
        if not type(e).__module__.startswith("chromadb"):
            raise
        detail = (str(e).strip().splitlines() or [type(e).__name__])[-1][:160]
        say_error(f"the vector store failed ({detail}): if it is damaged, `qa ingest --rebuild PATH` sets it aside and re-indexes")
        sys.exit(2)
