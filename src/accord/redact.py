"""Secret redaction: the one place that masks credentials in text we store or print.

``redact(text, secrets)`` replaces every occurrence of each known secret (an API key the
process holds, a header value it sends) with ``***``; ``redact_auth(text)`` masks what looks
like a credential even when we do not know its value: ``Authorization: <scheme> <token>``,
bearer tokens, ``sk-``/``sk-ant-``-like keys, ``api-key``/``x-api-key`` header values,
``"api_key": "..."`` JSON values and URL userinfo (``https://user:pass@host`` ->
``https://***@host``). Both are pure: no I/O, no imports beyond ``re``.

Use both on any text that came from a server or a user and is about to reach the store, a
report, a log line or an attestation: ``redact_auth(redact(text, secrets))``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
#: Secrets shorter than this are not replaced: masking "a" or "ab" everywhere would garble text
#: and a key that short protects nothing.
MIN_SECRET_LEN = 4

_AUTH_HEADER = re.compile(r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*[\"']?)([A-Za-z][A-Za-z0-9._~+/-]*\s+)?([^\s\"',;}]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)(\s+)([A-Za-z0-9._~+/=-]{4,})")
_KEY_LIKE = re.compile(r"\b(sk-(?:ant-|proj-|live-|test-)?)[A-Za-z0-9_-]{6,}")
_KEY_HEADER = re.compile(r"(?i)\b((?:x-)?api[-_]?key|ocp-apim-subscription-key|x-goog-api-key|cookie)(\s*[:=]\s*[\"']?)([^\s\"',;}&]+)")
_JSON_KEY = re.compile(r"(?i)([\"'](?:api[_-]?key|access[_-]?token|secret|password|token|authorization)[\"']\s*:\s*[\"'])([^\"']+)([\"'])")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every occurrence of each secret (``len >= 4``) replaced by ``***``.

    Longer secrets are replaced first, so a key that contains another is masked whole.
    """
    values = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LEN}, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def redact_auth(text: str) -> str:
    """``text`` with credential-looking values masked (see the module docstring)."""
    text = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + (m.group(2) or "") + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + m.group(2) + (MASK if m.group(3) != MASK else m.group(3)), text)
    text = _KEY_LIKE.sub(lambda m: m.group(1) + MASK, text)
    text = _KEY_HEADER.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _JSON_KEY.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return text


def redact_all(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``redact_auth(redact(text, secrets))``: known values first, then anything credential-like."""
    return redact_auth(redact(text, secrets))
