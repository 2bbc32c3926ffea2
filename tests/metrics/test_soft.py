"""Tests of the soft-target losses, divergences and alignment measures against
sklearn, scipy and formulas by hand."""

import numpy as np
import pytest
import sklearn
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import entropy, pearsonr, spearmanr
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss
from sklearn.utils.fixes import parse_version

from sksoft.metrics import (
    distribution_calibration_error,
    entropy_calibration_error,
    js_divergence,
    kl_divergence,
    ranking_calibration_score,
    soft_brier_score_loss,
    soft_log_loss,
    top1_agreement_score,
    uncertainty_alignment,
)
from sksoft.targets import one_hot


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    y_soft = rng.dirichlet(np.ones(4) * 0.7, size=300)
    p = rng.dirichlet(np.ones(4), size=300)
    y = rng.integers(0, 4, size=300)
    w = rng.uniform(0.2, 2.0, size=300)
    return y_soft, p, y, w


# ---------------------------------------------------------- sklearn on one-hot


def test_soft_log_loss_equals_sklearn_on_one_hot(data):
    _, p, y, w = data
    assert soft_log_loss(y, p) == pytest.approx(log_loss(y, p), rel=1e-12)
    assert soft_log_loss(one_hot(y), p) == pytest.approx(log_loss(y, p), rel=1e-12)
    assert soft_log_loss(y, p, sample_weight=w) == pytest.approx(
        log_loss(y, p, sample_weight=w), rel=1e-12
    )
    assert soft_log_loss(y, p, normalize=False, sample_weight=w) == pytest.approx(
        log_loss(y, p, normalize=False, sample_weight=w), rel=1e-12
    )
    # zeros are clipped like sklearn's
    p0 = np.array([[1.0, 0.0], [0.3, 0.7]])
    assert soft_log_loss([1, 1], p0, labels=[0, 1]) == pytest.approx(
        log_loss([1, 1], p0, labels=[0, 1])
    )
    assert np.isfinite(soft_log_loss([1, 1], p0, labels=[0, 1]))


def test_soft_log_loss_binary_column_and_strings():
    p1 = np.array([0.2, 0.9, 0.6, 0.4])
    y = np.array(["ham", "spam", "spam", "ham"])
    assert soft_log_loss(y, p1) == pytest.approx(log_loss(y, p1))


def test_soft_log_loss_soft_is_cross_entropy(data):
    y_soft, p, _, w = data
    ref = -np.sum(y_soft * np.log(p), axis=1)
    assert soft_log_loss(y_soft, p) == pytest.approx(ref.mean())
    assert soft_log_loss(y_soft, p, sample_weight=w) == pytest.approx(
        np.average(ref, weights=w)
    )
    # minimised at the target (Gibbs): value = target entropy
    assert soft_log_loss(y_soft, y_soft) == pytest.approx(
        entropy(y_soft, axis=1).mean()
    )


@pytest.mark.skipif(
    parse_version(sklearn.__version__) < parse_version("1.7"),
    reason="multiclass brier_score_loss (labels, scale_by_half) needs sklearn 1.7",
)
@pytest.mark.parametrize("scale_by_half", ["auto", True, False])
def test_soft_brier_equals_sklearn_on_one_hot(data, scale_by_half):
    _, p, y, w = data
    ref = brier_score_loss(
        y, p, labels=[0, 1, 2, 3], scale_by_half=scale_by_half, sample_weight=w
    )
    assert soft_brier_score_loss(
        y, p, scale_by_half=scale_by_half, sample_weight=w
    ) == pytest.approx(ref, rel=1e-12)
    assert soft_brier_score_loss(
        one_hot(y), p, scale_by_half=scale_by_half, sample_weight=w
    ) == pytest.approx(ref, rel=1e-12)


def test_soft_brier_binary_scale_matches_sklearn():
    rng = np.random.default_rng(1)
    p1 = rng.uniform(size=50)
    y = rng.integers(0, 2, size=50)
    # sklearn 1.9: binary scores are halved (the usual [0, 1] binary Brier)
    assert soft_brier_score_loss(y, p1) == pytest.approx(brier_score_loss(y, p1))
    both = np.column_stack([1 - p1, p1])
    assert soft_brier_score_loss(y, both) == pytest.approx(brier_score_loss(y, p1))


def test_soft_brier_soft_formula(data):
    y_soft, p, _, _ = data
    ref = np.sum((y_soft - p) ** 2, axis=1).mean()
    assert soft_brier_score_loss(y_soft, p) == pytest.approx(ref)


# --------------------------------------------------------------- divergences


def test_kl_and_js_against_scipy(data):
    y_soft, p, _, w = data
    kl = rel_entr(y_soft, p).sum(axis=1)
    np.testing.assert_allclose(
        kl_divergence(y_soft, p, per_sample=True), kl, rtol=1e-12
    )
    assert kl_divergence(y_soft, p, sample_weight=w) == pytest.approx(
        np.average(kl, weights=w)
    )
    js = jensenshannon(y_soft, p, axis=1) ** 2
    np.testing.assert_allclose(
        js_divergence(y_soft, p, per_sample=True), js, rtol=1e-9, atol=1e-14
    )
    assert js_divergence(y_soft, p) == pytest.approx(js.mean())
    # KL = cross-entropy - target entropy
    assert kl_divergence(y_soft, p) == pytest.approx(
        soft_log_loss(y_soft, p) - entropy(y_soft, axis=1).mean()
    )


def test_js_with_zero_and_subnormal_entries():
    # zeros on either side and a subnormal probability: the one-log-of-m
    # kernel gives the numbers of 0.5 KL(p||m) + 0.5 KL(q||m), and scipy's
    tiny = np.finfo(np.float64).smallest_subnormal
    p = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [1 - 3 * tiny, 3 * tiny, 0.0]])
    q = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    m = 0.5 * (p + q)
    want = 0.5 * kl_divergence(p, m, per_sample=True)
    want += 0.5 * kl_divergence(q, m, per_sample=True)
    got = js_divergence(p, q, per_sample=True)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got, jensenshannon(p, q, axis=1) ** 2, atol=1e-15)
    assert got[1] == 0.0 and got[0] > 0.0


def test_kl_infinite_and_js_bounded():
    assert kl_divergence([[0.5, 0.5]], [[1.0, 0.0]]) == np.inf
    assert js_divergence([[1.0, 0.0]], [[0.0, 1.0]]) == pytest.approx(np.log(2))


# ------------------------------------------------------- Baan et al. measures


def test_entropy_calibration_error(data):
    y_soft, p, _, w = data
    diff = entropy(y_soft, axis=1) - entropy(p, axis=1)
    np.testing.assert_allclose(
        entropy_calibration_error(y_soft, p, per_sample=True), diff, atol=1e-12
    )
    assert entropy_calibration_error(y_soft, p, sample_weight=w) == pytest.approx(
        np.average(np.abs(diff), weights=w)
    )


def test_distribution_calibration_error(data):
    y_soft, p, _, _ = data
    tv = 0.5 * np.abs(y_soft - p).sum(axis=1)
    np.testing.assert_allclose(
        distribution_calibration_error(y_soft, p, per_sample=True), tv
    )
    assert distribution_calibration_error(y_soft, y_soft) == pytest.approx(
        0.0, abs=1e-15
    )
    assert distribution_calibration_error([[1, 0, 0]], [[0, 0.5, 0.5]]) == 1.0


def _ranking_by_loop(y, p):
    out = []
    for yi, pi in zip(y, p):
        ok = True
        for a in range(len(yi)):
            for b in range(len(yi)):
                if yi[a] > yi[b] and not pi[a] > pi[b]:
                    ok = False
        out.append(ok)
    return np.array(out)


def test_ranking_calibration_score_tie_rule():
    rng = np.random.default_rng(5)
    counts = rng.multinomial(6, [0.4, 0.3, 0.2, 0.1], size=400)  # many ties
    y = counts / 6
    p = rng.dirichlet(np.ones(4), size=400)
    # half the predictions keep the human order exactly
    p[:200] = np.sort(p[:200], axis=1)[:, ::-1][
        np.arange(200)[:, None],
        np.argsort(np.argsort(-y[:200], axis=1, kind="stable"), axis=1),
    ]
    ref = _ranking_by_loop(y, p)
    assert ref[:200].all() and not ref[200:].all()
    assert ranking_calibration_score(y, p) == pytest.approx(ref.mean())
    # a model tie where humans disagree is a mismatch; a human tie is free
    assert ranking_calibration_score([[0.6, 0.4]], [[0.5, 0.5]]) == 0.0
    assert ranking_calibration_score([[0.5, 0.5, 0.0]], [[0.3, 0.6, 0.1]]) == 1.0
    # one-hot: true class strictly largest
    assert ranking_calibration_score([0, 1], [[0.6, 0.4], [0.5, 0.5]]) == 0.5


def test_top1_agreement_equals_accuracy_on_hard(data):
    y_soft, p, y, w = data
    assert top1_agreement_score(y, p) == pytest.approx(accuracy_score(y, p.argmax(1)))
    assert top1_agreement_score(y, p, sample_weight=w) == pytest.approx(
        accuracy_score(y, p.argmax(1), sample_weight=w)
    )
    assert top1_agreement_score(y_soft, p) == pytest.approx(
        np.mean(y_soft.argmax(1) == p.argmax(1))
    )
    # ties in the human distribution go to the first class
    assert top1_agreement_score([[0.5, 0.5]], [[0.6, 0.4]]) == 1.0


# ------------------------------------------- published tie rules (Baan et al.)


def _baan_rank_by_loop(y, p):
    """Both rankings equal after breaking ties by column index (python sorts)."""
    out = []
    for yi, pi in zip(y, p):
        k = range(len(yi))
        out.append(
            sorted(k, key=lambda c: (yi[c], c)) == sorted(k, key=lambda c: (pi[c], c))
        )
    return np.array(out)


def _last_argmax_by_loop(a):
    return np.array([max(range(len(r)), key=lambda c: (r[c], c)) for r in a])


def test_ranking_baan2022_equals_index_tie_break():
    rng = np.random.default_rng(11)
    counts = rng.multinomial(6, [0.4, 0.3, 0.2, 0.1], size=500)
    y = counts / 6
    p = rng.dirichlet(np.ones(4), size=500)
    p[:250] = np.sort(p[:250], axis=1)[
        np.arange(250)[:, None],
        np.argsort(np.argsort(y[:250], axis=1, kind="stable"), axis=1),
    ]  # the human order with index tie-breaks
    ref = _baan_rank_by_loop(y, p)
    assert ref[:250].all() and not ref[250:].all()
    assert ranking_calibration_score(y, p, ties="baan2022") == pytest.approx(ref.mean())
    # the default rule never asks more than the published one
    assert ranking_calibration_score(y, p) >= ranking_calibration_score(
        y, p, ties="baan2022"
    )
    # a human tie is free by default and ordered by column under baan2022
    assert ranking_calibration_score([[0.5, 0.5, 0.0]], [[0.6, 0.3, 0.1]]) == 1.0
    assert (
        ranking_calibration_score([[0.5, 0.5, 0.0]], [[0.6, 0.3, 0.1]], ties="baan2022")
        == 0.0
    )
    assert (
        ranking_calibration_score([[0.5, 0.5, 0.0]], [[0.3, 0.6, 0.1]], ties="baan2022")
        == 1.0
    )


def test_ranking_baan2022_is_zero_on_few_votes_many_classes():
    """6 votes over 10 classes: unvoted classes tie, the published rule fails."""
    rng = np.random.default_rng(3)
    n, k = 400, 10
    counts = np.stack(
        [rng.multinomial(6, rng.dirichlet(np.full(k, 0.2))) for _ in range(n)]
    )
    y = counts / 6
    # a good model: the human distribution plus small positive noise
    p = 0.9 * y + 0.1 * rng.dirichlet(np.ones(k), size=n)
    assert (np.sum(counts == 0, axis=1) >= 4).all()
    assert ranking_calibration_score(y, p, ties="baan2022") < 0.02
    assert ranking_calibration_score(y, p) > 0.9
    assert ranking_calibration_score(y, p) == pytest.approx(
        _ranking_by_loop(y, p).mean()
    )


def test_top1_baan2022_breaks_ties_to_the_last_class(data):
    y_soft, p, y, _ = data
    counts = np.random.default_rng(2).multinomial(4, [0.3, 0.3, 0.2, 0.2], size=300)
    h = counts / 4
    ref = np.mean(_last_argmax_by_loop(h) == _last_argmax_by_loop(p))
    assert top1_agreement_score(h, p, ties="baan2022") == pytest.approx(ref)
    assert top1_agreement_score(h, p, ties="baan2022") != top1_agreement_score(h, p)
    # without ties the conventions agree
    assert top1_agreement_score(y_soft, p, ties="baan2022") == top1_agreement_score(
        y_soft, p
    )
    assert top1_agreement_score([[0.5, 0.5]], [[0.6, 0.4]], ties="baan2022") == 0.0


@pytest.mark.parametrize("func", [ranking_calibration_score, top1_agreement_score])
def test_ties_option_is_validated(func):
    with pytest.raises(ValueError, match="ties"):
        func([[0.5, 0.5]], [[0.5, 0.5]], ties="first")


# ------------------------------------------ Baan et al. (2022), Table 1 values

# Printed by the "Generate Table 1" cell of analysis.ipynb in the repository
# jsbaan/calibration-on-disagreement-data (commit f2581e6), the code behind the
# paper's Table 1: RoBERTa-base seeds 0, 1, 2 on ChaosNLI-SNLI (1,514 items),
# without and with temperature 2. ECE is against the human majority label
# with 10 bins; the others against the 100-vote human distribution.
BAAN2022_TABLE1 = {
    # (temperature, seed): (Acc, ECE, RankCS, EntCE, DistCE)
    (1, 0): (0.740, 0.147, 0.625, 0.310, 0.259),
    (1, 1): (0.736, 0.119, 0.596, 0.273, 0.249),
    (1, 2): (0.752, 0.141, 0.627, 0.314, 0.261),
    (2, 0): (0.740, 0.036, 0.625, 0.208, 0.217),
    (2, 1): (0.736, 0.030, 0.596, 0.236, 0.222),
    (2, 2): (0.752, 0.020, 0.627, 0.198, 0.214),
}


def _read_chaosnli_snli_roberta(root, seed):
    """Human counts [e, n, c] and RoBERTa logits, joined on uid (private reader).

    The predictions list classes as [entailment, contradiction, neutral];
    ChaosNLI as [entailment, neutral, contradiction]. The ChaosNLI-SNLI items
    are found among the SNLI dev and test predictions together.
    """
    import gzip
    import json

    path = root / "chaosnli"
    files = [path / "chaosNLI_snli.jsonl"] + [
        path / "predictions-baan2022" / f"SNLI_{split}_roberta-base_{seed}.json.gz"
        for split in ("dev", "test")
    ]
    if not all(f.exists() for f in files):
        pytest.skip(f"ChaosNLI files or Baan et al. predictions not found under {path}")
    with open(files[0], encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    logits = {}
    for f in files[1:]:
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    logits[rec["uid"]] = rec["logits"]
    counts = np.array([it["label_count"] for it in items], dtype=float)
    z = np.array([logits[it["uid"]] for it in items])[:, [0, 2, 1]]
    return counts, z


@pytest.mark.parametrize("temperature", [1, 2])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reproduces_baan2022_table1(data_dir, seed, temperature):
    from scipy.special import softmax

    from sksoft.metrics import expected_calibration_error
    from sksoft.targets import hard_labels

    counts, z = _read_chaosnli_snli_roberta(data_dir, seed)
    assert counts.shape == (1514, 3)
    human = counts / counts.sum(axis=1, keepdims=True)
    p = softmax(z / temperature, axis=1)
    acc, ece, rank, ent, dist = BAAN2022_TABLE1[(temperature, seed)]
    got = {
        "Acc": top1_agreement_score(human, p, ties="baan2022"),
        "ECE": expected_calibration_error(hard_labels(human), p, n_bins=10),
        "RankCS": ranking_calibration_score(human, p, ties="baan2022"),
        "EntCE": entropy_calibration_error(human, p),
        "DistCE": distribution_calibration_error(human, p),
    }
    want = {"Acc": acc, "ECE": ece, "RankCS": rank, "EntCE": ent, "DistCE": dist}
    assert {k: round(v, 3) for k, v in got.items()} == want
    # the default ranking rule gives other numbers on these data
    assert abs(ranking_calibration_score(human, p) - rank) > 0.01


@pytest.mark.parametrize("predicted", ["entropy", "confidence"])
def test_uncertainty_alignment_equals_scipy(data, predicted):
    y_soft, p, _, w = data
    h = entropy(y_soft, axis=1)
    model = entropy(p, axis=1) if predicted == "entropy" else p.max(1)
    assert uncertainty_alignment(y_soft, p, predicted=predicted) == pytest.approx(
        spearmanr(h, model).statistic
    )
    assert uncertainty_alignment(
        y_soft, p, method="pearson", predicted=predicted
    ) == pytest.approx(pearsonr(h, model).statistic)
    # weighted with integer weights equals repetition for Pearson
    wi = np.random.default_rng(0).integers(1, 4, size=len(h))
    rep = np.repeat(np.arange(len(h)), wi)
    assert uncertainty_alignment(
        y_soft, p, method="pearson", predicted=predicted, sample_weight=wi
    ) == pytest.approx(pearsonr(h[rep], model[rep]).statistic)


def test_uncertainty_alignment_signs_and_errors(data):
    y_soft, _, y, _ = data
    sharpened = y_soft**3 / (y_soft**3).sum(1, keepdims=True)
    assert uncertainty_alignment(y_soft, y_soft) == pytest.approx(1.0)
    assert uncertainty_alignment(y_soft, sharpened) > 0.7
    assert uncertainty_alignment(y_soft, sharpened, predicted="confidence") < -0.6
    reversed_ = uncertainty_alignment(y_soft, sharpened[::-1])
    assert abs(reversed_) < 0.2  # unrelated uncertainty
    with pytest.raises(ValueError, match="target entropy is the same"):
        uncertainty_alignment(y, y_soft)
    with pytest.raises(ValueError, match="predicted entropy is the same"):
        uncertainty_alignment(y_soft, np.full_like(y_soft, 0.25))


# ----------------------------------------------------------------- bad input

ALL = [
    soft_log_loss,
    soft_brier_score_loss,
    kl_divergence,
    js_divergence,
    entropy_calibration_error,
    ranking_calibration_score,
    distribution_calibration_error,
    top1_agreement_score,
    uncertainty_alignment,
]


@pytest.mark.parametrize("func", ALL)
@pytest.mark.parametrize(
    "y_true, y_prob, match",
    [
        ([[0.5, 0.5]] * 2, [[0.5, 0.5]] * 3, "same length"),
        ([[0.5, 0.5]] * 3, [[0.2, 0.3, 0.5]] * 3, "y_true has 2 classes"),
        ([[0.5, 0.5]] * 2, [[0.5, 0.6], [0.5, 0.5]], "sum to 1"),
        ([[0.5, 0.5]] * 2, [[np.nan, 0.5], [0.5, 0.5]], "NaN"),
        ([[0.5, 0.5]] * 2, [[-0.5, 1.5], [0.5, 0.5]], "negative"),
        (np.zeros((0, 2)), np.zeros((0, 2)), "empty"),
        ([[0.5, 0.7]] * 2, [[0.5, 0.5]] * 2, "y_true rows must sum"),
    ],
)
def test_bad_input_raises(func, y_true, y_prob, match):
    with pytest.raises(ValueError, match=match):
        func(np.asarray(y_true, dtype=float), np.asarray(y_prob, dtype=float))
