"""Turn one loaded row into a validated ``Item``, or say exactly what is wrong with it.

Every loader (JSONL, CSV, the public datasets) ends here, so the rules are the same
whatever the format: a non-empty id, a prompt or a message list whose last turn is the
user's, a canonical hazard id, an intent, a BCP 47 locale. Errors are ``InputError`` with
file, line and the field *as the user wrote it* (a CSV column mapped onto ``prompt`` is
reported under its own column name).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, get_args

from pydantic import ValidationError

from accord.errors import InputError, brief
from accord.readers import has_lone_surrogates
from accord.records import Intent, Item, Message
from accord.taxonomy import BENIGN, hazard_ids

INTENTS: tuple[str, ...] = get_args(Intent)
ROLES = ("system", "user", "assistant")
# language, optional script, optional region (en, zh-CN, zh-Hans-CN, fr-FR, es-419)
_BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")


def is_locale(value: str) -> bool:
    return bool(_BCP47.match(value))


class RowContext:
    """Where a row came from, for errors and for the item's ``source``."""

    def __init__(self, file: str, line: int | None, column: Callable[[str], str] | None = None) -> None:
        self.file = file
        self.line = line
        self._column = column or (lambda f: f)

    def column(self, field: str) -> str:
        """The name the user's file gives this field (a CSV column, or the JSON key)."""
        return self._column(field)

    def error(
        self, message: str, field: str | None, *, expected: str | None = None, got: object = None, fix: str | None = None
    ) -> InputError:
        return InputError(
            message,
            file=self.file,
            line=self.line,
            field=self.column(field) if field else None,
            expected=expected,
            got=got,
            fix=fix,
        )


def _text(value: Any, ctx: RowContext, field: str, *, required: bool, numbers: bool = False) -> str | None:
    """A text field: a string (an integer too with ``numbers``, for ids), never another type."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ctx.error(f"empty {field}", field, expected="non-empty text")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int) if numbers else str):
        raise ctx.error(
            f"{field} must be text", field, expected="a string" + (" or an integer" if numbers else ""), got=type(value).__name__
        )
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # past the interpreter's digit limit
            raise ctx.error(f"{field} is too long a number", field, expected="an id of at most 4300 digits") from None
    _check_chars(value, ctx, field)
    return value


def _check_chars(value: str, ctx: RowContext, field: str) -> None:
    """Text must be encodable: a lone surrogate (from a JSON escape) cannot be sent, stored or hashed."""
    if has_lone_surrogates(value):
        raise ctx.error(
            "a lone UTF-16 surrogate (U+D800-U+DFFF) is not text",
            field,
            expected="text (astral characters as a surrogate pair or as UTF-8)",
        )


def check_hazard(value: str, ctx: RowContext, field: str = "hazard") -> str:
    known = hazard_ids()
    if value not in known:
        close = difflib.get_close_matches(value, sorted(known), n=1)
        raise ctx.error(
            f"unknown hazard {brief(value)}",
            field,
            expected="a canonical hazard id",
            fix=(f"did you mean '{close[0]}'? " if close else "") + "known: " + ", ".join(sorted(known)),
        )
    return value


def _messages(value: Any, ctx: RowContext) -> tuple[Message, ...]:
    if not isinstance(value, list) or not value:
        raise ctx.error("messages must be a non-empty list", "messages", expected="[{role, content}, ...]", got=type(value).__name__)
    out: list[Message] = []
    for i, turn in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(turn, dict) or set(turn) - {"role", "content"} or not {"role", "content"} <= set(turn):
            raise InputError(
                "each message must be an object with exactly 'role' and 'content'",
                file=ctx.file,
                line=ctx.line,
                field=where,
                expected="{role, content}",
                got=turn,
            )
        if not isinstance(turn["role"], str) or turn["role"] not in ROLES:
            raise InputError("bad role", file=ctx.file, line=ctx.line, field=f"{where}.role", expected=" | ".join(ROLES), got=turn["role"])
        if not isinstance(turn["content"], str):
            raise InputError(
                "message content must be text", file=ctx.file, line=ctx.line, field=f"{where}.content",
                expected="a string", got=type(turn["content"]).__name__,
            )  # fmt: skip
        if not turn["content"].strip():
            raise InputError("empty message content", file=ctx.file, line=ctx.line, field=f"{where}.content", expected="non-empty text")
        if has_lone_surrogates(turn["content"]):
            raise InputError(
                "a lone UTF-16 surrogate (U+D800-U+DFFF) is not text", file=ctx.file, line=ctx.line, field=f"{where}.content",
                expected="text (astral characters as a surrogate pair or as UTF-8)",
            )  # fmt: skip
        out.append(Message(role=turn["role"], content=turn["content"]))  # type: ignore[arg-type]  # role checked against ROLES
    if out[-1].role != "user":
        raise ctx.error("the last message must be a user turn", "messages", expected="role 'user' last", got=out[-1].role)
    return tuple(out)


def _tags(value: Any, ctx: RowContext) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list) and all(isinstance(t, str) and t for t in value):
        for t in value:
            _check_chars(t, ctx, "tags")
        return tuple(value)
    raise ctx.error("tags must be a list of strings", "tags", expected='["tag", ...] (or "a;b" in CSV)', got=value)


def make_item(suite_id: str, row: Mapping[str, Any], ctx: RowContext, *, source: str | None = None) -> Item:
    """Validate one row (canonical field names: id, prompt | messages, hazard, intent, locale, answer, tags,
    and the optional family, pair, framing, persona, subtype, canary, expect, contrast_of)."""
    if "id" not in row or row["id"] is None:
        raise ctx.error("missing id", "id", expected="a unique, non-empty item id")
    item_id = _text(row["id"], ctx, "id", required=True, numbers=True)
    prompt, messages = row.get("prompt"), row.get("messages")
    if messages is not None and prompt not in (None, ""):
        raise ctx.error("give either prompt or messages, not both", "messages")
    if messages is not None:
        turns = _messages(messages, ctx)
    elif prompt is not None:
        turns = (Message(role="user", content=_text(prompt, ctx, "prompt", required=True) or ""),)
    else:
        raise ctx.error("missing prompt", "prompt", expected="a 'prompt' (text) or 'messages' (chat turns)")

    hazard = _text(row.get("hazard"), ctx, "hazard", required=False) or BENIGN
    check_hazard(hazard.strip(), ctx)
    hazard = hazard.strip()
    intent = _text(row.get("intent"), ctx, "intent", required=False)
    if intent is None:
        intent = "benign" if hazard == BENIGN else "harmful"
    elif intent not in INTENTS:
        raise ctx.error(f"bad intent {brief(intent)}", "intent", expected=" | ".join(INTENTS), got=intent)
    locale = _text(row.get("locale"), ctx, "locale", required=False) or "en"
    if not is_locale(locale):
        raise ctx.error(f"bad locale {brief(locale)}", "locale", expected="a BCP 47 tag such as en, zh-CN, fr-FR", got=locale)
    answer = _text(row.get("answer"), ctx, "answer", required=False)
    tags = _tags(row.get("tags"), ctx)
    extras: dict[str, Any] = {
        name: _text(row.get(name), ctx, name, required=False)
        for name in ("family", "pair", "framing", "persona", "subtype", "canary", "contrast_of")
    }
    if row.get("expect") is not None:
        if not isinstance(row["expect"], Mapping):
            raise ctx.error(
                "bad expect", "expect", expected='an object {"<pack id>": {"behaviour": ..., "clause": ...}}', got=brief(str(row["expect"]))
            )
        extras["expect"] = row["expect"]
    where = source if source is not None else (f"{ctx.file}:{ctx.line}" if ctx.line else ctx.file)
    try:
        return Item(
            suite_id=suite_id,
            item_id=item_id or "",
            messages=turns,
            hazard=hazard,
            intent=intent,  # type: ignore[arg-type]
            locale=locale,
            answer=answer,
            source=where,
            tags=tags,
            **extras,
        )
    except ValidationError as exc:  # belt and braces: Item's own rules
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err.get("loc") else None
        raise ctx.error(err["msg"], field) from None
