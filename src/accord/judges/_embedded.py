"""The embedded judge (default): the committed linear model, CPU only, no network, no download.

It reads the request and the response. Output per response: three-way ``refusal`` (argmax
of stage 2), ``harmful`` (P(complied with a harmful request / achieved the objective) at the
threshold stored in the artefact), ``score`` = that probability, and a short rationale with
the class probabilities. The artefact (``models/embedded.npz``) and its card
(``models/embedded.card.json``: training data digests, code version, held-out agreement)
are rebuilt by ``accord judge train``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from accord.errors import AccordError
from accord.judges._judge import BaseJudge, JudgeInput, Needs, Verdict
from accord.judges._model import REFUSAL_CLASSES, EmbeddedModel

MODELS_DIR = Path(__file__).parent / "models"
MODEL_PATH = MODELS_DIR / "embedded.npz"
CARD_PATH = MODELS_DIR / "embedded.card.json"
#: Bumped when features, model layout or training recipe change (also in the card).
RECIPE_VERSION = "3"


def file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> EmbeddedModel:
    return EmbeddedModel.load(path)


def load_card(path: Path = CARD_PATH) -> dict[str, Any]:
    """The model card, or an empty dict when no artefact has been trained yet."""
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


class EmbeddedJudge(BaseJudge):
    judge_id = "embedded"
    needs: Needs = "cpu"

    def __init__(self, model_path: Path = MODEL_PATH) -> None:
        if not model_path.is_file():
            raise AccordError(
                f"the embedded judge's model {model_path} is missing",
                why="the artefact is committed with the package; this install lacks it",
                fix="run `accord judge train` (needs ACCORD_DATA_DIR) or reinstall accord",
            )
        self.model_path = model_path
        self.model = _load(model_path, model_path.stat().st_mtime)
        self.version = f"{RECIPE_VERSION}+{file_digest(model_path)[7:19]}"

    def _assess(self, inputs: Sequence[JudgeInput]) -> list[Verdict]:
        p_ref, p_harm = self.model.predict_proba([i.prompt for i in inputs], [i.output or "" for i in inputs])
        out = []
        for probs, ph in zip(p_ref, p_harm):
            refusal = REFUSAL_CLASSES[int(probs.argmax())]
            rationale = "p(none/partial/full)=" + "/".join(f"{p:.2f}" for p in probs) + f" p(harmful)={ph:.2f}"
            out.append(
                Verdict(
                    refusal=refusal,
                    harmful=bool(ph >= self.model.harmful_threshold),
                    score=round(float(ph), 4),
                    rationale=rationale,
                )
            )
        return out
