"""One exception type for problems the user can fix.

The CLI turns a QAError into a single line on stderr and a non-zero exit (`qa/interfaces/entry.py`); anything
else is a bug and keeps its traceback.
"""

import sys


def say_error(message: str) -> None:
    """The one line a failed command leaves on stderr."""
    sys.stderr.write(f"qa: error: {message}\n")
    sys.stderr.flush()


class QAError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    exit_code = 2


class NothingIngested(QAError):
    exit_code = 3


class NotFound(QAError):
    """A named thing (a document in a collection) that is not there: 404 over HTTP."""


class EndpointDown(QAError):
    """A hosted model's endpoint could not be reached or kept failing (connection refused, timeout,
    429/5xx after retries): the one failure where `--fallback extractive` answers without a model."""
