"""Jailbreak templates: ids, plain placeholder substitution (no template engine), sampling, errors.

Template text is harmful-adjacent data: these tests assert on structure only (ids, counts,
placeholders, a marker request we author) and never print a template.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from accord.attacks import plan_attacks
from accord.attacks._templates import TEMPLATES_FILE, get_template, load_templates, sample_slugs, slugify, template_slugs
from accord.errors import AccordError, InputError
from accord.records import Item, Message

MARKER = "ACCORD-TEST-REQUEST-7f3c"
MANY_SHOT = "multi-parameter-many-shot-template"


def _item(text: str = MARKER) -> Item:
    return Item(suite_id="s", item_id="i", messages=(Message(role="user", content=text),))


def _write(root: Path, rows: list[dict[str, Any]]) -> Path:
    file = root / TEMPLATES_FILE
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root


def _row(path: str, value: str, parameters: list[str] | None = None) -> dict[str, Any]:
    return {"_path": path, "value": value, "parameters": parameters or ["prompt"], "name": path}


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A templates file we author (benign text), set as the data dir."""
    root = _write(
        tmp_path,
        [
            _row("plain.yaml", "Please answer: {{ prompt }}"),
            _row("in_the_wild/Odd Name_01.yaml", "{% raw %}Literal {{ prompt }} and {{braces}}{% endraw %}\nReal: {{prompt}}"),
            _row("nested.yaml", '{% raw %}{% raw %}Keep {x}{% endraw %}{{ "" }}Q: {{ prompt }}{% endraw %}'),
            _row("twice.yaml", "{{ prompt }} / {{ prompt }}"),
            _row("multi_parameter/shots.yaml", "{% for e in examples %}{{ e }}{% endfor %}{{ prompt }}", ["prompt", "examples"]),
            _row("no_placeholder.yaml", "nothing to fill"),
            _row("expression.yaml", "{{ 7 * 7 }} {{ prompt }}"),
        ],
    )
    monkeypatch.setenv("ACCORD_DATA_DIR", str(root))
    return root


def test_slugs_are_lowercase_path_words() -> None:
    assert slugify("in_the_wild/trustairlab_00118a609b9a9e63.yaml") == "in-the-wild-trustairlab-00118a609b9a9e63"
    assert slugify("cipher_chat.yaml") == "cipher-chat"
    assert slugify("in_the_wild/Odd Name_01.yml") == "in-the-wild-odd-name-01"


def test_placeholder_is_replaced_by_plain_substitution(small: Path) -> None:
    assert get_template("plain").fill(MARKER) == f"Please answer: {MARKER}"
    assert get_template("twice").fill("r") == "r / r"
    # Inside a raw block text is literal (as Jinja reads it); outside, {{prompt}} without spaces counts too.
    assert get_template("in-the-wild-odd-name-01").fill("R") == "Literal {{ prompt }} and {{braces}}\nReal: R"
    # Nested raw markers are dropped, {{ "" }} is its (empty) text.
    assert get_template("nested").fill("R") == "Keep {x}Q: R"


def test_the_request_is_inserted_verbatim_never_interpreted(small: Path) -> None:
    request = r"{{ prompt }} \1 \g<0> {% raw %} $& {{ 7*7 }}"
    assert get_template("plain").fill(request) == "Please answer: " + request


def test_templates_needing_more_than_the_prompt_are_left_out(small: Path) -> None:
    assert template_slugs() == ["in-the-wild-odd-name-01", "nested", "plain", "twice"]
    with pytest.raises(InputError, match="parameters other than the prompt"):
        get_template("multi-parameter-shots")
    with pytest.raises(InputError, match="no \\{\\{ prompt \\}\\} placeholder"):
        get_template("no-placeholder")
    with pytest.raises(InputError, match="markup other than"):
        get_template("expression")
    assert len(load_templates()) == 7


def test_unknown_slug_lists_close_ids(small: Path) -> None:
    with pytest.raises(InputError) as info:
        plan_attacks(["template:plian"])
    assert "plain" in (info.value.fix or "")


@pytest.mark.parametrize("spec", ["template", "template:plain,n=2", "template:n=0", "template:all=true,n=1", "template:n=9"])
def test_bad_template_parameters_are_refused(small: Path, spec: str) -> None:
    with pytest.raises(InputError):
        plan_attacks([spec])


def test_a_bad_file_is_refused_with_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _write(tmp_path, [_row("a.yaml", "{{ prompt }}"), _row("a.yml", "{{ prompt }}")])
    monkeypatch.setenv("ACCORD_DATA_DIR", str(root))
    with pytest.raises(InputError, match="two templates have the id 'a'") as info:
        template_slugs()
    assert info.value.line == 2
    (root / TEMPLATES_FILE).write_text('{"_path": "a.yaml", "value": "{{ prompt }}"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match="not JSON") as info:
        template_slugs()
    assert info.value.line == 2


def test_a_missing_data_dir_says_accord_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCORD_DATA_DIR")
    with pytest.raises(AccordError) as info:
        plan_attacks(["template:n=1"])
    assert "ACCORD_DATA_DIR" in info.value.diagnostics()
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path))
    with pytest.raises(AccordError) as info:
        template_slugs()
    assert "ACCORD_DATA_DIR" in info.value.diagnostics()


def test_sampling_is_fixed_by_seed_and_independent_of_order() -> None:
    pool = [f"t{i}" for i in range(50)]
    first = sample_slugs(pool, 5, 0)
    assert len(set(first)) == 5 and set(first) <= set(pool)
    assert sample_slugs(list(reversed(pool)), 5, 0) == first
    assert sample_slugs(pool, 5, 1) != first
    assert set(first) < set(sample_slugs(pool, 6, 0))  # a larger n extends the sample


# The shipped collection, read in place.


def test_the_shipped_collection_loads(datasets_dir: Path) -> None:
    templates = load_templates(datasets_dir)
    slugs = template_slugs(datasets_dir)
    assert len(templates) == 500
    assert len(slugs) == 499 and MANY_SHOT not in slugs  # the one many-shot template needs example answers
    assert "cipher-chat" in slugs and "in-the-wild-trustairlab-00118a609b9a9e63" in slugs
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", s) for s in slugs)


def test_every_shipped_template_takes_the_request_and_leaves_no_markup(datasets_dir: Path) -> None:
    bad = []
    for slug in template_slugs(datasets_dir):
        out = get_template(slug, datasets_dir).fill(MARKER)
        if MARKER not in out or re.search(r"\{\{\s*prompt|\{%|%\}", out):
            bad.append(slug)  # ids only: never the template text
    assert bad == []


def test_variants_of_the_shipped_templates(datasets_dir: Path) -> None:
    sampled = plan_attacks(["template:n=3"]).variants
    assert len(sampled) == 3 and len({v.variant_id for v in sampled}) == 3
    assert [v.variant_id for v in plan_attacks(["template:n=3"]).variants] == [v.variant_id for v in sampled]
    assert [v.variant_id for v in plan_attacks(["template:n=3,seed=1"]).variants] != [v.variant_id for v in sampled]
    # A sampled template has the same id as the template named directly.
    slug = sampled[0].steps[0].params["slug"]
    assert sampled[0].steps[0].params == {"slug": slug}
    assert plan_attacks([f"template:{slug}"]).variants[0].variant_id == sampled[0].variant_id
    assert len(plan_attacks(["template:all=true"]).variants) == 499
    with pytest.raises(InputError, match="parameters other than the prompt"):
        plan_attacks([f"template:{MANY_SHOT}"])


def test_the_wrapped_request_replaces_the_last_user_turn(datasets_dir: Path) -> None:
    (variant,) = plan_attacks(["template:cipher-chat"]).variants
    out = variant.apply_local(_item())[-1].content
    assert MARKER in out and len(out) > len(MARKER)


def test_composed_with_base64_the_template_wraps_the_encoded_request(datasets_dir: Path) -> None:
    import base64

    plan = plan_attacks(["base64", "template:n=3", "base64+template:cipher-chat"])
    assert len(plan.variants) == 5
    chained = plan.variants[-1]
    assert chained.variant_id.startswith("base64_template-")
    out = chained.apply_local(_item())[-1].content
    assert MARKER not in out and base64.b64encode(MARKER.encode()).decode() in out
    assert plan_attacks(["base64+template:cipher-chat"]).variants[0].variant_id == chained.variant_id
