"""accord.redact: known secrets and credential-looking values never survive into stored text."""

from __future__ import annotations

import pytest

from accord.redact import MASK, redact, redact_all, redact_auth


def test_known_secrets_replaced_longest_first() -> None:
    assert redact("key sk-abc-LONGER and sk-abc", ["sk-abc", "sk-abc-LONGER"]) == f"key {MASK} and {MASK}"
    assert redact("ab stays, None and empty ignored", ["ab", "", None]) == "ab stays, None and empty ignored"


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("Authorization: Bearer sk-live-abcdef123456", "abcdef123456"),
        ("authorization=Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
        ('{"headers": {"Authorization": "Bearer tok_0123456789"}}', "tok_0123456789"),
        ("echo: bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ("invalid key sk-ant-api03-Zm9vYmFyYmF6", "Zm9vYmFyYmF6"),
        ("invalid key sk-proj-Zm9vYmFyYmF6", "Zm9vYmFyYmF6"),
        ("x-api-key: 0123456789abcdef", "0123456789abcdef"),
        ("api-key=azure-secret-value&api-version=1", "azure-secret-value"),
        ('{"api_key": "hunter2hunter2"}', "hunter2hunter2"),
        ("POST http://alice:s3cr3tpw@example.com/v1 failed", "s3cr3tpw"),
        ("https://token@example.com/v1", "token@"),
    ],
)
def test_credential_shapes_are_masked(text: str, leaked: str) -> None:
    out = redact_auth(text)
    assert leaked not in out
    assert MASK in out


def test_plain_text_is_left_alone() -> None:
    text = "model 'x' not found; see https://example.com/docs?a=1 for the list"
    assert redact_auth(text) == text


def test_redact_all_combines_both() -> None:
    out = redact_all("server said: my-own-odd-key and Bearer abcdefgh", ["my-own-odd-key"])
    assert "my-own-odd-key" not in out and "abcdefgh" not in out
