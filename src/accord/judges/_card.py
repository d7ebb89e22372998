"""``accord judge train``: fit the embedded judge on the train split, write artefact + card.

The card (``models/embedded.card.json``) records what a reader needs to trust or redo the
numbers: the sha256 of every data file read, the split rule, the code version (accord's
version and a digest of the judge's own source files), library versions, the artefact's
digest, and agreement with the human labels on the held-out ``test`` split of each dataset,
with 95% intervals, next to the pattern baseline and (XSTest) the dataset authors' judges.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accord.judges import _datasets as D
from accord.judges._embedded import CARD_PATH, MODEL_PATH, RECIPE_VERSION, file_digest
from accord.judges._train import CV_ACCURACY, CV_ISSUE13, CV_N, TrainConfig, fit

SOURCE_FILES = ("_features.py", "_phrases.py", "_sentences.py", "_model.py", "_train.py", "_datasets.py", "_embedded.py")


def code_digest() -> str:
    """sha256 over the judge's source files that shape the artefact, in a fixed order."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in SOURCE_FILES:
        h.update(name.encode())
        h.update((here / name).read_bytes())
    return "sha256:" + h.hexdigest()


def _versions() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn

    from accord import __version__

    return {
        "accord": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def train_and_write(
    data_dir: str | Path | None = None,
    model_path: Path = MODEL_PATH,
    card_path: Path = CARD_PATH,
    cfg: TrainConfig = TrainConfig(),
    progress: Callable[[str], None] = lambda _msg: None,
) -> dict[str, Any]:
    """Fit on every dataset's ``train`` split, save, validate on ``test``, write the card.

    Training needs scikit-learn (the ``train`` extra); judging with the result does not.
    """
    try:
        import sklearn  # noqa: F401
    except ImportError:
        from accord.errors import MissingDependencyError

        raise MissingDependencyError("training the embedded judge", "train", "scikit-learn") from None
    from accord.judges._embedded import EmbeddedJudge
    from accord.judges._pattern import PatternJudge
    from accord.judges._validate import validate, xstest_baseline, xstest_human_agreement

    rows = {name: D.load_dataset(name, data_dir) for name in D.TRAINING_DATASETS}
    train = [r for name in D.TRAINING_DATASETS for r in rows[name] if r.split == "train"]
    progress(f"fitting on {len(train)} train rows")
    t0 = time.perf_counter()
    model = fit(train, cfg)
    fit_s = time.perf_counter() - t0
    model.save(model_path)

    judge = EmbeddedJudge(model_path)
    pattern = PatternJudge()
    agreement: dict[str, Any] = {}
    for name in D.DATASETS:
        progress(f"validating on {name} (test split)")
        entry = {
            "task": D.TASKS[name],
            "embedded": validate(judge, name, split="test", data_dir=data_dir).to_dict(),
            "pattern": validate(pattern, name, split="test", data_dir=data_dir).to_dict(),
        }
        if name == "xstest":
            entry["humans_1_vs_2"] = xstest_human_agreement(data_dir=data_dir).to_dict()
            entry["authors_gpt4_judge"] = xstest_baseline("gpt4_judge", data_dir=data_dir).to_dict()
            entry["authors_string_match"] = xstest_baseline("string_match", data_dir=data_dir).to_dict()
        agreement[name] = entry

    card = {
        "judge": "embedded",
        "recipe_version": RECIPE_VERSION,
        "version": judge.version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "artefact": {"file": model_path.name, "digest": file_digest(model_path), "bytes": model_path.stat().st_size},
        "code": {"digest": code_digest(), "files": list(SOURCE_FILES), **_versions()},
        "config": cfg.__dict__,
        "selection": "recipe chosen by 5-fold grouped cross-validation on the train split (see TrainConfig's docstring)",
        "cross_validation": {
            "what": "accuracy of the default recipe, outer 5-fold grouped CV on the train split (_train.cross_validate)",
            "accuracy": CV_ACCURACY if cfg == TrainConfig() else None,
            "n": CV_N,
        },
        "cross_validation_issue13": {
            "what": "grouped 5-fold cross-validation over every row of the training sets (train and test splits), folds by hashed "
            "request/goal, the judge refitted per fold (benchmarks/judge_agreement.py); the judge issue's target figures",
            "figures": CV_ISSUE13 if cfg == TrainConfig() else None,
        },
        "harmful_head_weights": {
            "pyrit-objective": 1.0,
            "pyrit-harm": cfg.pyrit_harm_weight,
            "xstest (derived label)": cfg.xstest_harmful_weight,
            "jbb-judge-comparison (human majority)": cfg.jbb_weight,
            "jbb-artifacts (Llama-3-70B judge's label, not human)": cfg.jbb_artifacts_weight,
            "jbb rows also with the prompt sent as request": cfg.jbb_sent_copies,
        },
        "split": {
            "rule": f"group -> test when sha256('{D.SPLIT_SALT}' + group) mod 100 < {D.TEST_PERCENT}",
            "groups": "xstest: prompt id (all five models' responses to a prompt together); pyrit: normalised objective text; "
            "jailbreakbench (judge comparison and artifacts alike): normalised goal",
            "trained_on": "train split of every dataset below; all figures here are on the test split, never used for fitting or tuning",
            "excluded": "pyrit sample/mini_refusal.csv, and every harm/*.csv that repeats a row of objective/* or "
            "refusal_scorer/* (both may overlap the maintainers' held-back rows)",
        },
        "n_train": {name: sum(1 for r in rows[name] if r.split == "train") for name in D.TRAINING_DATASETS},
        "n_test": {name: sum(1 for r in rows[name] if r.split == "test") for name in D.TRAINING_DATASETS},
        "training_data": D.dataset_digests(D.TRAINING_DATASETS, data_dir),
        "fit_seconds": round(fit_s, 1),
        "agreement": agreement,
        "notes": [
            "No Chinese responses carry human labels in the shared data: accuracy on Chinese is not measured; "
            "Chinese input is handled (character n-grams, Chinese refusal phrases) and tested not to crash.",
            "XSTest 'harmful' is derived (unsafe prompt + full compliance), not a human harm label.",
            "pyrit-harm 'harmful' is derived from human harm severity (raters' mean >= 0.5), not an 'objective achieved' label.",
            "jbb-judge-comparison is trained on since recipe 4: its test split (held-out goals) is what `judge validate` scores "
            "by default; the issue-13 figure is the grouped cross-validation over all 178 rows (cross_validation_issue13).",
            f"jbb-artifacts 'harmful' is JailbreakBench's Llama-3-70B judge's 'jailbroken', an LLM label: weight {cfg.jbb_artifacts_weight} "
            f"against {cfg.jbb_weight} for the human-labelled judge comparison.",
        ],
    }
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return card
