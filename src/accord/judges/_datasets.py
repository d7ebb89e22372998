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
- ``jbb-judge-comparison``: the 178 shared rows of JailbreakBench's judge comparison
  (``jbb_judge_comparison/judge_comparison_shared.csv``). Gold ``harmful`` is the majority of
  three human votes on "jailbroken": the response is harmful **and** fulfils the goal. The
  judged request is the ``goal`` (the behaviour), not the jailbreak ``prompt`` that was sent:
  the votes are about fulfilling the goal, the four reference judges were given goal +
  response, and the ``prompt`` column is lossy in 31 rows (``?`` runs in adversarial
  suffixes). The sent prompt is kept in ``extra["sent_prompt"]``, with the three votes and
  the four open judges' verdicts under the CSV's column names (``REFERENCE_JUDGES``).
  Group = the goal, case- and space-folded (131 goals; a goal's responses stay together).
- ``jbb-judge-comparison-sent``: the same rows, labels and references, but the judged request is
  the jailbreak ``prompt`` actually sent (what a judge reads in a real run), lossy rows and all.
  The embedded judge scores very differently on the two (docs/judges.md), so both are reported.
  Since recipe 4 the embedded judge is trained on the ``train`` part (split by hashed goal, like
  every other set), so ``--split test`` (the default) is the held-out goals only (56 rows);
  ``--split all`` is the 178 rows, and there the embedded judge has seen 122 of them. The
  issue-13 figure for the embedded judge is grouped cross-validation over all 178 rows
  (``benchmarks/judge_agreement.py``), the judge retrained per fold.
- ``jbb-artifacts``: JailbreakBench's attack artifacts (``jailbreakbench_artifacts/``: PAIR,
  GCG, JBC, random search, DSN against four models), one row per recorded response (deduplicated
  by goal and response); gold ``harmful`` is the ``jailbroken`` verdict of JailbreakBench's
  Llama-3-70B judge -- a *language model's* label, not a human one, so training gives it a lower
  weight (``TrainConfig.jbb_artifacts_weight``). The request is the goal; the prompt sent is in
  ``extra["sent_prompt"]``. Group = the goal, with the same key as ``jbb-judge-comparison``, so a
  goal's rows from both sources stay on one side of every split.

The split is fixed and content-addressed: a group goes to ``test`` when
sha256(``SPLIT_SALT`` + group) mod 100 < ``TEST_PERCENT``. It does not depend on file order,
so adding rows never moves an existing row across the split. The embedded judge is fitted
and tuned on ``train`` only; every figure we publish for it is on ``test``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
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
    if name in ("jbb-judge-comparison", "jbb-judge-comparison-sent"):
        return [_root(data_dir, "jbb_judge_comparison") / JBB_FILE]
    if name == "jbb-artifacts":
        return sorted(_root(data_dir, "jailbreakbench_artifacts").glob("*/*/*.json"))
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
        rows = [
            _pair(row["objective"], row["assistant_response"]) for path in sorted((root / folder).glob(pattern)) for row in _read_csv(path)
        ]
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


JBB_FILE = "judge_comparison_shared.csv"
JBB_VOTES = ("human1", "human2", "human3")
#: dataset -> {CSV column: who that judge is}: automatic judges' verdicts shipped with the rows.
JBB_REFERENCES = {
    "gpt4_cf": "GPT-4 (LLM judge)",
    "llama3_cf": "Llama-3-70B-Instruct (JailbreakBench's judge)",
    "llamaguard2_cf": "Llama Guard 2 8B",
    "harmbench_cf": "HarmBench Llama-2-13B classifier",
}
REFERENCE_JUDGES: dict[str, dict[str, str]] = {"jbb-judge-comparison": JBB_REFERENCES, "jbb-judge-comparison-sent": JBB_REFERENCES}
#: dataset -> the columns of the individual human votes (same coding as the gold label).
HUMAN_VOTES: dict[str, tuple[str, ...]] = {"jbb-judge-comparison": JBB_VOTES, "jbb-judge-comparison-sent": JBB_VOTES}


def _binary(value: str, path: Path, row: int, column: str) -> bool:
    text = value.strip()
    if text not in ("0", "1"):
        raise InputError(f"{column} of data row {row} is not 0 or 1", file=path, field=column, expected="0 or 1", got=value)
    return text == "1"


def load_jbb_judge_comparison(data_dir: str | Path | None = None, *, sent: bool = False) -> list[LabelledExample]:
    """JailbreakBench's judge comparison, shared rows; gold = human majority of "jailbroken".

    The judged request is the ``goal``, or with ``sent`` the jailbreak prompt actually sent.
    """
    name = "jbb-judge-comparison-sent" if sent else "jbb-judge-comparison"
    (path,) = _source_files(data_dir, "jbb-judge-comparison")
    if not path.is_file():
        raise AccordError(f"{path} not found", fix="point ACCORD_DATA_DIR at the shared public datasets (see its README.md)")
    out: list[LabelledExample] = []
    references = tuple(JBB_REFERENCES)
    # Not ``_read_csv``: responses hold Markdown, and a quoted line starting with ``#`` is data here.
    with path.open(encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    for i, row in enumerate(records, start=1):
        votes = [_binary(row[c], path, i, c) for c in JBB_VOTES]
        for column in (*references, "human_majority"):
            _binary(row[column], path, i, column)
        goal = row["goal"]
        out.append(
            LabelledExample(
                dataset=name,
                row_id=f"jbb/{row['Index']}",
                group=jbb_group(goal),
                prompt=row["prompt"] if sent else goal,
                response=row["target_response"],
                harmful=sum(votes) >= 2,
                locale=_locale(row["target_response"]),
                extra={
                    "goal": goal,
                    "sent_prompt": row["prompt"],
                    "human_majority": row["human_majority"].strip(),
                    **{c: row[c].strip() for c in (*JBB_VOTES, *references)},
                },
            )
        )
    return out


def jbb_group(goal: str) -> str:
    """One group per JailbreakBench goal (case and spacing folded), shared by both JBB sources."""
    return "jbb/" + hashlib.sha256(" ".join(goal.split()).lower().encode("utf-8")).hexdigest()[:16]


def load_jbb_artifacts(data_dir: str | Path | None = None) -> list[LabelledExample]:
    """JailbreakBench's attack artifacts: goal, response, the Llama-3-70B judge's ``jailbroken``.

    Records without a response (the attack found no prompt) are skipped, and a (goal, response)
    pair recorded by several attacks is read once (the first file in path order).
    """
    out: list[LabelledExample] = []
    seen: set[tuple[str, str]] = set()
    for path in _source_files(data_dir, "jbb-artifacts"):
        data = json.loads(path.read_text(encoding="utf-8"))
        records = data.get("jailbreaks") if isinstance(data, dict) else None
        if not isinstance(records, list):
            continue  # attack-info.json and the like: no records
        rel = path.relative_to(path.parents[2]).with_suffix("").as_posix()
        for rec in records:
            response, goal, verdict = rec.get("response"), rec.get("goal"), rec.get("jailbroken")
            if not isinstance(response, str) or not response.strip() or not isinstance(goal, str):
                continue
            if not isinstance(verdict, bool):
                raise InputError(
                    "jailbroken is not true or false", file=path, field="jailbroken", expected="true or false", got=str(verdict)
                )
            key = _pair(goal, response)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                LabelledExample(
                    dataset="jbb-artifacts",
                    row_id=f"{rel}/{rec.get('index')}",
                    group=jbb_group(goal),
                    prompt=goal,
                    response=response,
                    harmful=verdict,
                    locale=_locale(response),
                    extra={"sent_prompt": rec.get("prompt") or "", "category": str(rec.get("category", "")), "source": rel},
                )
            )
    return out


LOADERS: dict[str, Callable[[str | Path | None], list[LabelledExample]]] = {
    "xstest": load_xstest,
    "xstest-harmful": load_xstest,
    "pyrit-refusal": load_pyrit_refusal,
    "pyrit-objective": load_pyrit_objective,
    "pyrit-harm": load_pyrit_harm,
    "jbb-judge-comparison": load_jbb_judge_comparison,
    "jbb-judge-comparison-sent": lambda data_dir: load_jbb_judge_comparison(data_dir, sent=True),
    "jbb-artifacts": load_jbb_artifacts,
}
DATASETS = tuple(LOADERS)
#: The distinct row sets (``xstest-harmful`` re-reads ``xstest``, ``-sent`` re-reads the judge
#: comparison with another request): what training reads.
TRAINING_DATASETS = ("xstest", "pyrit-refusal", "pyrit-objective", "pyrit-harm", "jbb-judge-comparison", "jbb-artifacts")

#: Which label each dataset is scored on: ``refusal3`` (three classes), ``refused`` or ``harmful``.
TASKS: dict[str, str] = {
    "xstest": "refusal3",
    "xstest-harmful": "harmful",  # derived label: unsafe prompt answered with full compliance
    "pyrit-refusal": "refused",
    "pyrit-objective": "harmful",
    "pyrit-harm": "harmful",  # derived label: mean human harm severity >= 0.5
    "jbb-judge-comparison": "harmful",  # human majority of "jailbroken" (harmful and fulfils the goal)
    "jbb-judge-comparison-sent": "harmful",  # the same, judged against the prompt actually sent
    "jbb-artifacts": "harmful",  # JailbreakBench's Llama-3-70B judge's "jailbroken" (an LLM label)
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
