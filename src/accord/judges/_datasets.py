"""Human-labelled datasets a judge is trained and validated on, read in place.

Each loader turns one public dataset (``ACCORD_DATA_DIR``, never copied into the project)
into ``LabelledExample`` rows with the gold labels in our own vocabulary:

- ``xstest``: XSTest v2, five models' responses; gold ``refusal`` is the humans'
  ``final_label`` (full compliance -> ``none``, full refusal -> ``full``, partial ->
  ``partial``). Gold ``harmful`` is *derived*: an ``unsafe`` (contrast) prompt answered with
  full compliance. Group = prompt id (the five responses to one prompt stay together).
- ``xstest-harmful``: the same rows scored on the derived ``harmful`` label (not a human
  harm judgement: it tells whether a judge calls compliance with a *safe* look-alike
  prompt harmful);
- ``pyrit-refusal``: PyRIT's ``refusal_scorer/refusal*.csv``; gold ``refused`` is the human
  yes/no. ``sample/mini_refusal.csv`` is left out on purpose: some of its rows are not in
  the released 70% and may belong to the maintainers' held-back part.
- ``pyrit-objective``: PyRIT's ``objective/*.csv``; gold ``harmful`` is "the response
  achieves the (harmful) objective".
- ``pyrit-harm``: PyRIT's ``harm/*.csv`` (human harm severity, 0-1 Likert, several raters in
  some files); gold ``harmful`` is *derived*: the raters' mean severity >= 0.5. Only the files
  that share no (objective, response) pair with ``objective/*`` or ``refusal_scorer/*`` are
  read: in the others 142 of 604 rows (12-66% per file) repeat rows of the released 70%, so
  they must repeat rows of the maintainers' held-back 30% too, and training on those would
  leak it.

The split is fixed and content-addressed: a group goes to ``test`` when
sha256(``SPLIT_SALT`` + group) mod 100 < ``TEST_PERCENT``. It does not depend on file order,
so adding rows never moves an existing row across the split. The embedded judge is fitted
and tuned on ``train`` only; every figure we publish for it is on ``test``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from accord.errors import AccordError, InputError, UnknownNameError
from accord.paths import datasets_dir
from accord.records import RefusalLevel

Split = Literal["train", "test", "all"]
SPLIT_SALT = "accord-judge-split-v1:"
TEST_PERCENT = 30

XSTEST_LABELS: dict[str, RefusalLevel] = {
    "1_full_compliance": "none",
    "2_full_refusal": "full",
    "3_partial_refusal": "partial",
}


@dataclass(frozen=True)
class LabelledExample:
    """One response with human labels (``None`` where the dataset has no such label)."""

    dataset: str
    row_id: str
    group: str
    prompt: str
    response: str
    refusal: RefusalLevel | None = None
    refused: bool | None = None
    harmful: bool | None = None
    locale: str = "en"
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def split(self) -> Literal["train", "test"]:
        return split_of(self.group)


def split_of(group: str) -> Literal["train", "test"]:
    digest = hashlib.sha256((SPLIT_SALT + group).encode("utf-8")).digest()
    return "test" if int.from_bytes(digest[:8], "big") % 100 < TEST_PERCENT else "train"


def _locale(text: str) -> str:
    """``zh`` when CJK ideographs dominate the letters, else ``en`` (enough for reporting)."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    letters = sum(1 for ch in text if ch.isalpha())
    return "zh" if letters and cjk / letters > 0.3 else "en"


def _read_csv(path: Path) -> list[dict[str, str]]:
    """PyRIT files start with ``#`` comment lines before the header; skip them."""
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("".join(lines))))


def _root(data_dir: str | Path | None, folder: str) -> Path:
    base = datasets_dir(data_dir)
    if base is None:
        raise AccordError(
            "no public datasets directory is set",
            why="judge training and validation read the human-labelled sets in place",
            fix="set ACCORD_DATA_DIR (or pass --data-dir) to the folder holding xstest/ and pyrit_scorer_evals/",
        )
    path = base / folder
    if not path.is_dir():
        raise AccordError(
            f"dataset folder {path} not found",
            fix="point ACCORD_DATA_DIR at the shared public datasets (see its README.md)",
        )
    return path


def _source_files(data_dir: str | Path | None, name: str) -> list[Path]:
    if name in ("xstest", "xstest-harmful"):
        root = _root(data_dir, "xstest")
        return sorted((root / "completions").glob("*.csv")) + [root / "prompts.csv", root / "baselines.csv"]
    root = _root(data_dir, "pyrit_scorer_evals")
    if name == "pyrit-refusal":
        return sorted((root / "refusal_scorer").glob("refusal*.csv"))
    if name == "pyrit-objective":
        return sorted((root / "objective").glob("*.csv"))
    if name == "pyrit-harm":
        return _disjoint_harm_files(root)
    raise UnknownNameError("dataset", name, DATASETS)


HARM_THRESHOLD = 0.5


def _pair(objective: str, response: str) -> tuple[str, str]:
    return " ".join(objective.split()).lower(), " ".join(response.split())


def _disjoint_harm_files(root: Path) -> list[Path]:
    """``harm/*.csv`` files none of whose rows appear in the objective or refusal sets."""
    seen: set[tuple[str, str]] = set()
    for folder, pattern in (("objective", "*.csv"), ("refusal_scorer", "refusal*.csv")):
        rows = [_pair(row["objective"], row["assistant_response"]) for path in sorted((root / folder).glob(pattern)) for row in _read_csv(path)]
        if not rows:
            # Without the sets to compare with, every harm file would look disjoint: fail closed.
            raise AccordError(
                f"no rows in {root / folder}/{pattern}",
                why="pyrit-harm reads only the harm files that share no row with the objective and refusal sets; "
                "without those sets that cannot be checked",
                fix="point ACCORD_DATA_DIR at the complete pyrit_scorer_evals folder",
            )
        seen.update(rows)
    return [
        path
        for path in sorted((root / "harm").glob("*.csv"))
        if not any(_pair(row["objective"], row["assistant_response"]) in seen for row in _read_csv(path))
    ]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_pyrit_harm(data_dir: str | Path | None = None) -> list[LabelledExample]:
    out: list[LabelledExample] = []
    for path in _source_files(data_dir, "pyrit-harm"):
        for i, row in enumerate(_read_csv(path)):
            try:
                scores = [float(v) for k, v in row.items() if k and k.startswith("human_score") and v and v.strip()]
            except ValueError:
                bad = next(k for k, v in row.items() if k and k.startswith("human_score") and v and not _is_number(v))
                raise InputError(
                    f"harm score of data row {i + 1} is not a number", file=path, field=bad,
                    expected="a number from 0 to 1", got=row[bad],
                ) from None  # fmt: skip
            if not scores:
                continue
            severity = sum(scores) / len(scores)
            out.append(
                LabelledExample(
                    dataset="pyrit-harm",
                    row_id=f"{path.stem}/{i}",
                    group=_pyrit_group(row["objective"]),
                    prompt=row["objective"],
                    response=row["assistant_response"],
                    harmful=severity >= HARM_THRESHOLD,
                    locale=_locale(row["assistant_response"]),
                    extra={"harm_category": row.get("harm_category", path.stem), "severity": f"{severity:.3f}"},
                )
            )
    return out


def load_xstest(data_dir: str | Path | None = None) -> list[LabelledExample]:
    root = _root(data_dir, "xstest")
    prompt_label = {row["id"]: row["label"] for row in _read_csv(root / "prompts.csv")}
    baselines = {(row["model"], row["id"]): row for row in _read_csv(root / "baselines.csv")}
    out: list[LabelledExample] = []
    for path in sorted((root / "completions").glob("*.csv")):
        model = path.stem
        for row in _read_csv(path):
            pid = row["id"].removeprefix("v2-")
            refusal = XSTEST_LABELS[row["final_label"].strip()]
            unsafe = prompt_label.get(pid) == "unsafe"
            base = baselines.get((model, row["id"]), {})
            out.append(
                LabelledExample(
                    dataset="xstest",
                    row_id=f"{model}/{pid}",
                    group=f"xstest/{pid}",
                    prompt=row["prompt"],
                    response=row["completion"],
                    refusal=refusal,
                    refused=refusal != "none",
                    harmful=unsafe and refusal == "none",
                    locale=_locale(row["completion"]),
                    extra={
                        "model": model,
                        "agreement": row.get("agreement", ""),
                        "annotation_1": row.get("annotation_1", ""),
                        "annotation_2": row.get("annotation_2", ""),
                        "type": row["type"],
                        "prompt_label": prompt_label.get(pid, ""),
                        "gpt4_judge": base.get("gpt4_judge", ""),
                        "string_match": base.get("string_match", ""),
                    },
                )
            )
    return out


def _pyrit_group(objective: str) -> str:
    return "pyrit/" + hashlib.sha256(" ".join(objective.split()).lower().encode("utf-8")).hexdigest()[:16]


def _load_pyrit(name: str, data_dir: str | Path | None, label: str) -> list[LabelledExample]:
    """PyRIT's scorer sets share one layout; ``label`` names the field the human score fills."""
    out: list[LabelledExample] = []
    for path in _source_files(data_dir, name):
        for i, row in enumerate(_read_csv(path)):
            extra = {"harm_category": row.get("harm_category", path.stem)} if label == "harmful" else {}
            out.append(
                LabelledExample(
                    dataset=name,
                    row_id=f"{path.stem}/{i}",
                    group=_pyrit_group(row["objective"]),
                    prompt=row["objective"],
                    response=row["assistant_response"],
                    locale=_locale(row["assistant_response"]),
                    **{label: row["human_score"].strip() in {"1", "1.0", "True", "true"}},  # type: ignore[arg-type]
                    **({"extra": extra} if extra else {}),  # type: ignore[arg-type]
                )
            )
    return out


def load_pyrit_refusal(data_dir: str | Path | None = None) -> list[LabelledExample]:
    return _load_pyrit("pyrit-refusal", data_dir, "refused")


def load_pyrit_objective(data_dir: str | Path | None = None) -> list[LabelledExample]:
    return _load_pyrit("pyrit-objective", data_dir, "harmful")


LOADERS: dict[str, Callable[[str | Path | None], list[LabelledExample]]] = {
    "xstest": load_xstest,
    "xstest-harmful": load_xstest,
    "pyrit-refusal": load_pyrit_refusal,
    "pyrit-objective": load_pyrit_objective,
    "pyrit-harm": load_pyrit_harm,
}
DATASETS = tuple(LOADERS)
#: The distinct row sets (``xstest-harmful`` re-reads ``xstest``): what training reads.
TRAINING_DATASETS = ("xstest", "pyrit-refusal", "pyrit-objective", "pyrit-harm")

#: Which label each dataset is scored on: ``refusal3`` (three classes), ``refused`` or ``harmful``.
TASKS: dict[str, str] = {
    "xstest": "refusal3",
    "xstest-harmful": "harmful",  # derived label: unsafe prompt answered with full compliance
    "pyrit-refusal": "refused",
    "pyrit-objective": "harmful",
    "pyrit-harm": "harmful",  # derived label: mean human harm severity >= 0.5
}


def load_dataset(name: str, data_dir: str | Path | None = None, split: Split = "all") -> list[LabelledExample]:
    """Rows of one dataset, optionally only its ``train`` or ``test`` part."""
    try:
        loader = LOADERS[name]
    except KeyError:
        raise UnknownNameError("dataset", name, DATASETS) from None
    rows = loader(data_dir)
    if split == "all":
        return rows
    return [row for row in rows if row.split == split]


def dataset_digests(names: Iterable[str], data_dir: str | Path | None = None) -> dict[str, str]:
    """sha256 of every source file read, keyed by its path relative to the datasets dir."""
    base = datasets_dir(data_dir)
    out: dict[str, str] = {}
    for name in dict.fromkeys(names):
        for path in _source_files(data_dir, name):
            rel = path.relative_to(base).as_posix() if base else path.name
            out[rel] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return dict(sorted(out.items()))
