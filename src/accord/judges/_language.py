"""Which language a text is in, cheaply, for the ``other-language`` flag.

Two steps. First the writing system, from code-point ranges (no model): Han without kana is
``zh``, kana ``ja``, Hangul ``ko``, Greek ``el``, Hebrew ``he``, Thai ``th``. Scripts shared by
many languages (Latin, Cyrillic, Arabic, Devanagari) go to py3langid (BSD-3, a numpy naive
Bayes over byte n-grams, 142 languages, loaded once without pickle), which reads at most the
first ``SAMPLE`` characters and answers only when its normalised probability is at least
``MIN_CONFIDENCE``; otherwise the language is unknown and the script stands for it.

``differs(request, response)`` is ``True`` when the writing systems differ, or when the
response is surely in a language the request is unlikely to be in; a short or unclear
response never raises the flag. To stay cheap, a plain-ASCII answer to a request whose
likeliest language is English is taken to be English without asking py3langid (so an English
request answered in, say, Indonesian or unaccented French is not flagged). An encoded request
(base64) is unlikely to be English, so an English answer to it is flagged: that is what the
flag is for.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

SAMPLE = 100
SCRIPT_SAMPLE = 300
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.9
UNLIKELY = 0.05

# (script, pattern). Han and kana/Hangul characters carry about a word each, so they weigh 3.
_SCRIPTS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    ("latin", re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"), 1),
    ("han", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"), 3),
    ("kana", re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]"), 3),
    ("hangul", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"), 3),
    ("cyrillic", re.compile(r"[\u0400-\u04ff]"), 1),
    ("greek", re.compile(r"[\u0370-\u03ff]"), 1),
    ("arabic", re.compile(r"[\u0600-\u06ff\u0750-\u077f]"), 1),
    ("hebrew", re.compile(r"[\u0590-\u05ff]"), 1),
    ("devanagari", re.compile(r"[\u0900-\u097f]"), 1),
    ("thai", re.compile(r"[\u0e00-\u0e7f]"), 1),
)
_ONE_LANGUAGE = {"han": "zh", "kana": "ja", "hangul": "ko", "greek": "el", "hebrew": "he", "thai": "th"}
_LATIN = _SCRIPTS[0][1]
#: English function words other Latin-script languages rarely use (no "a", "i", "in", "to",
#: "do": Spanish, Italian, German, Polish have them). Only a cheap pre-test, never a verdict on
#: its own: both texts must look English for ``differs`` to skip py3langid.
_EN_FUNCTION = frozenset(
    "the and is are you your what how does can of it this that with for my me be have was were why should would will "
    "not there which who when where an or if from about they their been has".split()
)
_EN_WORD = re.compile(r"[a-z']+")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def script(text: str) -> str | None:
    """The dominant writing system of the text's first ``SCRIPT_SAMPLE`` characters, or ``None``
    when it has fewer than ``MIN_LETTERS`` weighted letters."""
    head = text[:SCRIPT_SAMPLE]
    if head.isascii():
        return "latin" if len(_ASCII_LETTERS.findall(head)) >= MIN_LETTERS else None
    counts = {name: len(pat.findall(head)) * w for name, pat, w in _SCRIPTS}
    if counts["kana"] and counts["han"]:  # Japanese mixes kanji and kana
        counts["kana"] += counts["han"]
        counts["han"] = 0
    name, best = max(counts.items(), key=lambda kv: kv[1])
    return name if best >= MIN_LETTERS else None


_identifier: Any = None


def _langid() -> Any:
    global _identifier
    if _identifier is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def language(text: str) -> tuple[str | None, str | None]:
    """``(script, language)``; either may be ``None`` (too little text, or an unsure guess)."""
    s = script(text)
    return s, _sure_language(text, s)


def _sure_language(text: str, s: str | None) -> str | None:
    if s is None:
        return None
    if s in _ONE_LANGUAGE:
        return _ONE_LANGUAGE[s]
    sample = text[:SAMPLE]
    if s == "latin" and len(_LATIN.findall(sample)) < MIN_LETTERS:
        return None
    lang, p = _langid().classify(sample)
    return str(lang) if p >= MIN_CONFIDENCE else None


@lru_cache(maxsize=4096)  # a run asks each request many times (epochs, variants, judges)
def _request_profile(text: str) -> tuple[str | None, dict[str, float]]:
    """The request's script and its probability for each language (empty: not worked out)."""
    s = script(text)
    if s is None:
        return None, {}
    if s in _ONE_LANGUAGE:
        return s, {_ONE_LANGUAGE[s]: 1.0}
    return s, dict(_langid().rank(text[:SAMPLE]))


def _looks_english(text: str) -> bool:
    """At least three words, a quarter of them (and at least two) common English function words."""
    words = _EN_WORD.findall(text[:SAMPLE].lower())
    hits = sum(1 for w in words if w in _EN_FUNCTION)
    return len(words) >= 3 and hits >= 2 and hits * 4 >= len(words)


def differs(request: str, response: str) -> bool:
    """Whether the response is in another language than the request (see the module doc).

    The response needs a sure language (probability >= ``MIN_CONFIDENCE``); the request is
    short, so its guess is less sure, and it is enough that the request is unlikely to be in
    the response's language (< ``UNLIKELY``). That keeps "How do I bake bread?" (English at
    0.41, Nigerian Pidgin at 0.31 for py3langid) from flagging an English answer."""
    if request[:SAMPLE].isascii() and response[:SAMPLE].isascii() and _looks_english(request) and _looks_english(response):
        return False  # the common case, plainly English both ways: no model call
    rs, dist = _request_profile(request[:SCRIPT_SAMPLE])  # all it reads; keeps the cache small
    ps = script(response)
    if rs is None or ps is None:
        return False
    if rs != ps:
        return True
    if ps == "latin" and response[:SAMPLE].isascii() and dist and max(dist, key=dist.__getitem__) == "en":
        return False  # the common case, English asked and plain ASCII answered: not worth a model call
    pl = _sure_language(response, ps)
    return pl is not None and bool(dist) and dist.get(pl, 0.0) < UNLIKELY
