"""Importing a library without the optional extras it would load for parts qa never calls.

Some libraries import everything they might use at package import: `import nltk` (for the Snowball
stemmer alone) pulls in scipy.stats and scikit-learn for its collocation statistics and classifiers,
about two thirds of a cold `qa ask --model none`. Both are optional to nltk (imported under
`try/except ImportError`), so nltk can be imported as if they were absent.

Only imports made by the calling thread are refused, so a background thread (the server's workers, a
warm-up) that imports scipy meanwhile gets it as usual; so does any import after the block.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.abc import MetaPathFinder


class _Refuse(MetaPathFinder):
    def __init__(self, names: frozenset[str]) -> None:
        self.names, self.thread = names, threading.get_ident()

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.partition(".")[0] in self.names and threading.get_ident() == self.thread:
            raise ModuleNotFoundError(f"No module named {fullname!r} (left out by qa)", name=fullname)


@contextmanager
def absent(*names: str) -> Iterator[None]:
    """Inside the block, this thread's `import NAME` (or NAME.anything) raises ImportError, unless
    already imported."""
    finder = _Refuse(frozenset(names))
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
