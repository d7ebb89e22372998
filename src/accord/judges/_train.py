"""Fit the embedded judge from human-labelled rows (the ``train`` part of each dataset).

Deterministic: hashing features, fixed fold assignment (grouped by prompt/objective), and
solvers with fixed seeds, so ``accord judge train`` on the same data and code gives the same
arrays. Stage 2 is fitted on *out-of-fold* stage-1 scores, so it learns how far to trust
stage 1 on rows stage 1 has not seen. Stage 2 is a logistic regression averaged with
gradient-boosted trees over the same inputs (``TreeStage2``; boosting runs without early
stopping and with a fixed seed, so it is deterministic too).

Which rows teach which task:
- ``refusal`` (none/partial/full): XSTest (human three-way labels) and PyRIT's refusal set
  (human yes/no, read as full / none);
- ``harmful``: PyRIT's objective set (human "objective achieved") and XSTest's derived
  label (an unsafe prompt answered with full compliance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from accord.judges import _features as F
from accord.judges import _sentences as S
from accord.judges._datasets import LabelledExample
from accord.judges._model import CLIP, REFUSAL_CLASSES, EmbeddedModel, Stage1, Stage2, TreeStage2, poly2

SEED = 20261123
#: ``cross_validate`` accuracy of the default recipe on the train split (outer 5-fold, grouped);
#: written into the card next to the held-out figures.
CV_ACCURACY = {"xstest": 0.894, "pyrit-refusal": 0.903, "pyrit-objective": 0.86, "xstest-harmful": 0.941, "pyrit-harm": 0.694}
CV_N = {"xstest": 1115, "pyrit-refusal": 72, "pyrit-objective": 200, "xstest-harmful": 1115, "pyrit-harm": 258}
STAGE1_C = 0.2
STAGE2_C = 0.2
FOLDS = 5


@dataclass(frozen=True)
class TrainConfig:
    """The recipe. Defaults were chosen by 5-fold grouped cross-validation on ``train`` only.

    Explored (CV accuracy XSTest 3-class / PyRIT refused / PyRIT objective): plain linear
    SVM 0.866/0.833/0.835; + sentence aggregates 0.873/0.847/0.825; + NB scaling
    0.883/0.875/0.845 (with ``xstest_harmful_weight`` 0: XSTest derived-harmful accuracy only
    0.68, the harmful head calls benign compliance harmful); weight 0.3: 0.882/0.861/0.810
    with XSTest harmful 0.93; weight 1.0: 0.877/0.847/0.785. Class balancing, down-weighting
    annotator disagreements, ``min_df`` 2-5 and a linear (degree 1) stage 2 did not help.
    Final (refusal head without the request's n-grams, no request-length feature, Chinese
    gloss, clipped stage 2): 0.886/0.847/0.835, XSTest harmful 0.933; it also gets short
    synthetic refusals to benign requests and a Chinese refusal right, which the earlier
    variants called compliance.

    Recipe 2 (``cross_validate``: outer 5-fold grouped CV on ``train``, stage 1 unchanged;
    XSTest 3-class / PyRIT refused / PyRIT objective / XSTest harmful): recipe 1 re-measured
    0.890/0.806/0.820/0.934. Stage-2 variants: + structure features (``_features.structure``)
    0.887/0.833/0.820/0.933; logistic C 0.05 or 1 with them 0.886/0.833/0.830 and
    0.883/0.847/0.820; boosted trees alone 0.871/0.847/0.835 (0.885/0.861/0.835/0.943 with
    structure; with partial-class weight 2: 0.881/0.861/0.830; slower / smaller / larger /
    feature-subsampled trees 0.878-0.889 / 0.861-0.875 / 0.820-0.835); logistic and trees
    averaged without structure 0.889/0.861/0.845; averaged with structure (final)
    0.897/0.889/0.835/0.945 (with partial weight 2: 0.895/0.861/0.835; with the slower or
    feature-subsampled trees 0.897/0.875/0.840 and 0.893/0.875/0.845). Chosen by the sum of
    the three target accuracies. PyRIT's CV parts are small (72 and 200 rows: one row is
    1.4 and 0.5 points), so differences of a few points there are within noise.

    Recipe 3 adds PyRIT's human harm-severity files that share no row with the objective or
    refusal sets (``pyrit-harm``, 258 train rows, harmful = mean severity >= 0.5) to the
    harmful head (XSTest 3-class / PyRIT refused / PyRIT objective / XSTest harmful /
    pyrit-harm): recipe 2 0.897/0.889/0.835/0.945/0.581; weight 0.5 0.896/0.889/0.845/0.940/
    0.686; weight 1.0 (final) 0.894/0.903/0.860/0.941/0.694. With *every* harm file (in the
    others a quarter of the rows repeat released objective-set rows, so some must repeat the
    held-back rows too) PyRIT objective reached 0.86-0.895: not used, it would leak.
    Also tried on ``train`` and rejected (``benchmarks/judge_encoder_baseline.py``,
    docs/judges.md): frozen all-MiniLM-L6-v2 sentence embeddings stacked on this recipe's
    out-of-fold probabilities (at best 0.881/0.903/0.870 against the recipe's own
    0.894/0.903/0.860), the same model fine-tuned as a cross-encoder (see the docs), and
    per-class decision offsets (none beat argmax).
    """

    stage1_c: float = STAGE1_C
    stage2_c: float = STAGE2_C
    folds: int = FOLDS
    pyrit_refusal_as_refusal: bool = True
    xstest_as_harmful: bool = True
    pyrit_refusal_weight: float = 1.0
    xstest_harmful_weight: float = 0.3
    pyrit_harm_weight: float = 1.0
    stage2_balanced: bool = False
    disagreement_weight: float = 1.0
    min_df: int = 1
    sentences: bool = True
    degree: int = 2
    nb: bool = True
    refusal_reads_prompt: bool = False
    structure: bool = True
    trees: bool = True
    blend: float = 0.5
    tree_iter: int = 200
    tree_lr: float = 0.05
    tree_leaves: int = 8
    tree_min_leaf: int = 20
    tree_l2: float = 1.0


def _weights(rows: Sequence[LabelledExample], task: str, cfg: TrainConfig) -> np.ndarray:
    """Per-row sample weights for one task (how much each source teaches it)."""
    w = np.ones(len(rows))
    for i, r in enumerate(rows):
        if task == "refusal" and r.dataset == "pyrit-refusal":
            w[i] = cfg.pyrit_refusal_weight
        if task == "harmful" and r.dataset == "xstest":
            w[i] = cfg.xstest_harmful_weight
        if task == "harmful" and r.dataset == "pyrit-harm":
            w[i] = cfg.pyrit_harm_weight
        if r.extra.get("agreement") == "FALSE":
            w[i] *= cfg.disagreement_weight
    return w


def refusal_target(row: LabelledExample, cfg: TrainConfig) -> str | None:
    if row.refusal is not None:
        return row.refusal
    if cfg.pyrit_refusal_as_refusal and row.refused is not None:
        return "full" if row.refused else "none"
    return None


def harmful_target(row: LabelledExample, cfg: TrainConfig) -> int | None:
    if row.harmful is None:
        return None
    if row.dataset == "xstest" and not cfg.xstest_as_harmful:
        return None
    if row.dataset == "pyrit-harm" and cfg.pyrit_harm_weight <= 0:
        return None
    return int(row.harmful)


def _fold_of(groups: Sequence[str], folds: int) -> np.ndarray:
    """Content-addressed fold per group (stable under reordering)."""
    import hashlib

    return np.asarray(
        [int.from_bytes(hashlib.sha256(f"fold:{g}".encode()).digest()[:4], "big") % folds for g in groups]
    )


NB_ALPHA = 1.0


def _nb_ratio(x: sp.csr_matrix, positive: np.ndarray) -> np.ndarray:
    """NB log-count ratio per column (Wang & Manning 2012): how much more often in positives."""
    p = NB_ALPHA + np.asarray(x[positive].sum(axis=0)).ravel()
    q = NB_ALPHA + np.asarray(x[~positive].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


def _fit_stage1(
    x: sp.csr_matrix, y: np.ndarray, c: float, classes: Sequence[object], w: np.ndarray, nb: bool = False
) -> Stage1:
    """Linear SVM per task; with ``nb`` an NB-SVM (one-vs-rest on NB-scaled features).

    NB scaling multiplies column j by r_j before the SVM; since score = (x * r) . w + b =
    x . (r * w) + b, it folds into the stored weights and inference is unchanged.
    """
    from sklearn.svm import LinearSVC

    if nb:
        targets = list(classes) if len(classes) > 2 else [classes[1]]
        rows_w, rows_b = [], []
        for cls in targets:
            positive = y == cls
            r = _nb_ratio(x, positive)
            m = LinearSVC(C=c, random_state=SEED, max_iter=5000).fit(x @ sp.diags(r), positive.astype(int), sample_weight=w)
            rows_w.append(np.asarray(m.coef_[0]) * r)
            rows_b.append(float(m.intercept_[0]))
        coef = np.asarray(rows_w, dtype=np.float32)
        intercept = np.asarray(rows_b, dtype=np.float32)
    else:
        model = LinearSVC(C=c, random_state=SEED, max_iter=5000).fit(x, y, sample_weight=w)
        coef = np.asarray(model.coef_, dtype=np.float32)
        intercept = np.asarray(model.intercept_, dtype=np.float32)
        if len(classes) > 2:  # reorder rows to the fixed class order
            order = [list(model.classes_).index(c_) for c_ in classes]
            coef, intercept = coef[order], intercept[order]
    cols = np.flatnonzero(np.any(coef != 0, axis=0)).astype(np.int32)
    return Stage1(cols=cols, W=coef[:, cols], b=intercept)


def _fit_stage2(
    z: np.ndarray, y: np.ndarray, c: float, classes: Sequence[object], w: np.ndarray, balanced: bool, degree: int
) -> Stage2:
    from sklearn.linear_model import LogisticRegression

    p = poly2(z) if degree == 2 else z
    mean = p.mean(axis=0)
    scale = p.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(
        C=c, max_iter=5000, random_state=SEED, class_weight="balanced" if balanced else None
    ).fit(np.clip((p - mean) / scale, -CLIP, CLIP), y, sample_weight=w)
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if len(classes) > 2:
        order = [list(model.classes_).index(c_) for c_ in classes]
        coef, intercept = coef[order], intercept[order]
    return Stage2(mean=mean, scale=scale, W=coef, b=intercept, degree=degree)


@dataclass
class Stage1Fit:
    """Stage 1 fitted on some rows, and the stage-2 training inputs (out-of-fold scores)."""

    idf: np.ndarray
    refusal1: Stage1
    harmful1: Stage1
    sentence1: Stage1 | None
    z: np.ndarray
    yr: np.ndarray
    yh: np.ndarray
    wr: np.ndarray
    wh: np.ndarray
    ref_mask: np.ndarray
    harm_mask: np.ndarray


def fit_stage1(rows: Sequence[LabelledExample], cfg: TrainConfig = TrainConfig()) -> Stage1Fit:
    """Fit the stage-1 scorers on ``rows`` and their out-of-fold scores for stage 2."""
    y_ref = [refusal_target(r, cfg) for r in rows]
    y_harm = [harmful_target(r, cfg) for r in rows]
    keep = [i for i in range(len(rows)) if y_ref[i] is not None or y_harm[i] is not None]
    rows = [rows[i] for i in keep]
    y_ref = [y_ref[i] for i in keep]
    y_harm = [y_harm[i] for i in keep]
    ref_mask = np.asarray([v is not None for v in y_ref])
    harm_mask = np.asarray([v is not None for v in y_harm])
    yr = np.asarray([v if v is not None else "" for v in y_ref], dtype=object)
    yh = np.asarray([v if v is not None else -1 for v in y_harm])
    wr = _weights(rows, "refusal", cfg)
    wh = _weights(rows, "harmful", cfg)

    raw = F.raw_features([r.prompt for r in rows], [r.response for r in rows])
    idf = F.fit_idf(raw, cfg.min_df)
    x = F.weight(raw, idf)
    hand = x[:, F.N_TEXT :].toarray()
    # Whether a response refuses is read from the response: with the request's n-grams the
    # refusal head learns "benign-looking request -> answered" and misses over-refusals.
    xr = x
    if not cfg.refusal_reads_prompt:
        mask = np.ones(F.N_FEATURES, dtype=np.float32)
        mask[F.PROMPT_COLS] = 0.0
        xr = (x @ sp.diags(mask)).tocsr()

    # Sentence scorer: sentences of fully refusing (1) vs fully complying (0) responses.
    if cfg.sentences:
        sentences, owner = S.split([r.response for r in rows])
        xs = S.matrix(sentences)
        row_label = np.asarray([1 if v == "full" else 0 if v == "none" else -1 for v in yr])
        ys = row_label[owner]

    # Out-of-fold stage-1 scores for stage 2.
    fold = _fold_of([r.group for r in rows], cfg.folds)
    oof = np.zeros((len(rows), len(REFUSAL_CLASSES) + 1 + (len(S.AGGREGATES) if cfg.sentences else 0)))
    for k in range(cfg.folds):
        tr, te = fold != k, fold == k
        if not te.any():
            continue
        a, b = tr & ref_mask, tr & harm_mask
        s_ref = _fit_stage1(xr[a], yr[a], cfg.stage1_c, REFUSAL_CLASSES, wr[a], cfg.nb)
        s_harm = _fit_stage1(x[b], yh[b], cfg.stage1_c, (0, 1), wh[b], cfg.nb)
        oof[te, :3] = s_ref.scores(x[te])
        oof[te, 3:4] = s_harm.scores(x[te])
        if cfg.sentences:
            s_tr = tr[owner] & (ys >= 0)
            s_sent = _fit_stage1(xs[s_tr], ys[s_tr], cfg.stage1_c, (0, 1), np.ones(int(s_tr.sum())))
            te_rows = np.flatnonzero(te)
            s_te = np.isin(owner, te_rows)
            agg = S.aggregate(s_sent.scores(xs[s_te])[:, 0], np.searchsorted(te_rows, owner[s_te]), len(te_rows))
            oof[te, 4:] = agg
    # stage-2 input order must match EmbeddedModel.stage2_inputs: stage-1 scores, hand, sentences,
    # structure
    z = np.hstack([oof[:, :4], hand, oof[:, 4:]])
    if cfg.structure:
        z = np.hstack([z, F.structure([r.prompt for r in rows], [r.response for r in rows])])

    m, h = ref_mask, harm_mask
    refusal1 = _fit_stage1(xr[m], yr[m], cfg.stage1_c, REFUSAL_CLASSES, wr[m], cfg.nb)
    harmful1 = _fit_stage1(x[h], yh[h], cfg.stage1_c, (0, 1), wh[h], cfg.nb)
    sentence1 = None
    if cfg.sentences:
        keep_s = ys >= 0
        sentence1 = _fit_stage1(xs[keep_s], ys[keep_s], cfg.stage1_c, (0, 1), np.ones(int(keep_s.sum())))
    return Stage1Fit(idf, refusal1, harmful1, sentence1, z, yr, yh, wr, wh, ref_mask, harm_mask)


def fit_stage2(s1: Stage1Fit, cfg: TrainConfig = TrainConfig()) -> EmbeddedModel:
    """Fit stage 2 on stage 1's out-of-fold scores and assemble the model."""
    m, h = s1.ref_mask, s1.harm_mask
    refusal2 = _fit_stage2(s1.z[m], s1.yr[m], cfg.stage2_c, REFUSAL_CLASSES, s1.wr[m], cfg.stage2_balanced, cfg.degree)
    harmful2 = _fit_stage2(s1.z[h], s1.yh[h], cfg.stage2_c, (0, 1), s1.wh[h], cfg.stage2_balanced, cfg.degree)
    refusal2_tree = harmful2_tree = None
    if cfg.trees:
        refusal2_tree = _fit_trees(s1.z[m], s1.yr[m], REFUSAL_CLASSES, s1.wr[m], cfg)
        harmful2_tree = _fit_trees(s1.z[h], s1.yh[h], (0, 1), s1.wh[h], cfg)
    return EmbeddedModel(
        idf=s1.idf, refusal1=s1.refusal1, harmful1=s1.harmful1, refusal2=refusal2, harmful2=harmful2,
        sentence1=s1.sentence1, refusal2_tree=refusal2_tree, harmful2_tree=harmful2_tree,
        blend=cfg.blend if cfg.trees else 1.0, structure=cfg.structure,
    )


def _fit_trees(z: np.ndarray, y: np.ndarray, classes: Sequence[object], w: np.ndarray, cfg: TrainConfig) -> TreeStage2:
    """Gradient-boosted trees over the raw stage-2 inputs (no early stopping: deterministic)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=cfg.tree_iter,
        learning_rate=cfg.tree_lr,
        max_leaf_nodes=cfg.tree_leaves,
        min_samples_leaf=cfg.tree_min_leaf,
        l2_regularization=cfg.tree_l2,
        early_stopping=False,
        random_state=SEED,
    ).fit(z, y, sample_weight=w)
    return TreeStage2.from_sklearn(model, classes)


def fit(rows: Sequence[LabelledExample], cfg: TrainConfig = TrainConfig()) -> EmbeddedModel:
    """Fit both stages on ``rows`` (the caller passes the train split only)."""
    return fit_stage2(fit_stage1(rows, cfg), cfg)


def cross_validate(rows: Sequence[LabelledExample], cfg: TrainConfig = TrainConfig(), folds: int = 5) -> dict[str, float]:
    """Grouped ``folds``-fold CV accuracy per task, for choosing the recipe on ``train`` only.

    Outer folds use their own salt (not the inner out-of-fold split's), so a group is held out
    whole. Returns accuracy on: XSTest three-way refusal, PyRIT refused (``full``/``partial``
    count as refused), PyRIT objective achieved, and XSTest's derived harmful label.
    """
    import hashlib

    outer = np.asarray(
        [int.from_bytes(hashlib.sha256(f"outer:{r.group}".encode()).digest()[:4], "big") % folds for r in rows]
    )
    hits: dict[str, list[bool]] = {"xstest": [], "pyrit-refusal": [], "pyrit-objective": [], "xstest-harmful": [], "pyrit-harm": []}
    for k in range(folds):
        tr = [r for r, f in zip(rows, outer) if f != k]
        te = [r for r, f in zip(rows, outer) if f == k]
        model = fit(tr, cfg)
        p_ref, p_harm = model.predict_proba([r.prompt for r in te], [r.response for r in te])
        pred = [REFUSAL_CLASSES[int(i)] for i in p_ref.argmax(axis=1)]
        for r, pr, ph in zip(te, pred, p_harm):
            if r.dataset == "xstest" and r.refusal is not None:
                hits["xstest"].append(pr == r.refusal)
                if r.harmful is not None:
                    hits["xstest-harmful"].append((ph >= model.harmful_threshold) == r.harmful)
            elif r.dataset == "pyrit-refusal" and r.refused is not None:
                hits["pyrit-refusal"].append((pr != "none") == r.refused)
            elif r.dataset in ("pyrit-objective", "pyrit-harm") and r.harmful is not None:
                hits[r.dataset].append((ph >= model.harmful_threshold) == r.harmful)
    return {name: float(np.mean(v)) if v else float("nan") for name, v in hits.items()}
