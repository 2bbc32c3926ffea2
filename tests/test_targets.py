"""Tests for sksoft.targets: the soft-target validator and its helpers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import entropy as scipy_entropy
from sklearn.exceptions import DataConversionWarning

from sksoft.targets import (
    check_probabilities,
    check_soft_targets,
    counts_to_proba,
    encode_labels,
    hard_labels,
    hard_sample_mask,
    one_hot,
    target_entropy,
)

# --------------------------------------------------------------------------- #
# strategies


@st.composite
def prob_matrices(draw, min_rows=1, max_rows=20, max_classes=8):
    n = draw(st.integers(min_rows, max_rows))
    k = draw(st.integers(2, max_classes))
    raw = draw(
        arrays(
            np.float64,
            (n, k),
            elements=st.floats(0, 1e3, allow_nan=False, allow_infinity=False),
        )
    )
    raw[:, 0] += 1e-3  # no all-zero row
    return raw / raw.sum(axis=1, keepdims=True)


@st.composite
def count_matrices(draw):
    n = draw(st.integers(1, 20))
    k = draw(st.integers(2, 8))
    c = draw(arrays(np.int64, (n, k), elements=st.integers(0, 50)))
    c[:, draw(st.integers(0, k - 1))] += 1
    return c


# --------------------------------------------------------------------------- #
# valid inputs


@settings(max_examples=60, deadline=None)
@given(prob_matrices())
def test_probability_rows_pass_through(p):
    out = check_soft_targets(p)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(count_matrices(), st.floats(0, 5))
def test_counts_normalised_with_prior(c, prior):
    out = check_soft_targets(c, counts=True, prior=prior)
    expected = (c + prior) / (c + prior).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_labels_become_one_hot_over_sorted_classes():
    proba, classes = check_soft_targets(["b", "a", "c", "a"], return_classes=True)
    np.testing.assert_array_equal(classes, ["a", "b", "c"])
    np.testing.assert_array_equal(proba.argmax(axis=1), [1, 0, 2, 0])
    np.testing.assert_array_equal(proba.sum(axis=1), 1.0)


def test_labels_with_explicit_class_order():
    proba = check_soft_targets([2, 0], classes=[2, 1, 0])
    np.testing.assert_array_equal(proba, [[1, 0, 0], [0, 0, 1]])


def test_column_vector_is_labels_with_warning():
    with pytest.warns(DataConversionWarning, match="column-vector"):
        proba, classes = check_soft_targets(
            np.array([[0], [1], [1]]), return_classes=True
        )
    np.testing.assert_array_equal(classes, [0, 1])
    np.testing.assert_array_equal(proba, [[1, 0], [0, 1], [0, 1]])


def test_2d_default_classes_are_arange():
    _, classes = check_soft_targets(np.eye(4)[[0, 3]], return_classes=True)
    np.testing.assert_array_equal(classes, np.arange(4))


def test_pandas_input():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [0.2, 1.0], "b": [0.8, 0.0]})
    np.testing.assert_allclose(check_soft_targets(df), df.to_numpy())
    s = pd.Series(["x", "y"])
    np.testing.assert_array_equal(check_soft_targets(s), np.eye(2))


def test_float32_tolerance_and_exact_renormalisation():
    p = np.array([[0.1, 0.2, 0.7]], dtype=np.float32)
    out = check_soft_targets(p)
    assert out.dtype == np.float64
    assert abs(out.sum() - 1.0) < 1e-15


# --------------------------------------------------------------------------- #
# broken inputs: each names the problem and the first offending row


@pytest.mark.parametrize(
    "y, match",
    [
        (np.array([[0.5, 0.5], [np.nan, 1.0]]), "NaN or infinity .*row 1"),
        (np.array([[0.5, 0.5], [np.inf, 0.0]]), "NaN or infinity .*row 1"),
        (np.array([[0.5, 0.5], [1.5, -0.5]]), "negative values .*row 1"),
        (np.array([[0.5, 0.5], [0.5, 0.4]]), "sum to 1 .*row 1 sums to 0.9"),
        (np.zeros((0, 3)), "empty"),
        (np.zeros(0), "empty"),
        (np.zeros((2, 2, 2)), "3 dimensions"),
        (np.array([["a", "b"], ["c", "d"]]), "numeric"),
    ],
)
def test_bad_targets_raise(y, match):
    with pytest.raises(ValueError, match=match):
        check_soft_targets(y)


def test_integer_counts_need_opt_in():
    with pytest.raises(ValueError, match="pass counts=True"):
        check_soft_targets(np.array([[3, 1], [2, 2]]))


def test_all_zero_count_row():
    with pytest.raises(ValueError, match="row 1 has no votes"):
        check_soft_targets(np.array([[3, 1], [0, 0]]), counts=True)


def test_negative_counts():
    with pytest.raises(ValueError, match="negative values .*row 0"):
        counts_to_proba([[-1, 2]])


def test_column_count_mismatch_with_classes():
    with pytest.raises(ValueError, match="3 columns but 2 classes"):
        check_soft_targets(np.eye(3), classes=["a", "b"])


def test_unknown_label():
    with pytest.raises(ValueError, match="label 5 .*row 2.*not among"):
        check_soft_targets([0, 1, 5], classes=[0, 1])


def test_duplicate_classes():
    with pytest.raises(ValueError, match="duplicates"):
        check_soft_targets([0, 1], classes=[0, 1, 1])


def test_sparse_targets_rejected():
    sp = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse"):
        check_soft_targets(sp.csr_matrix(np.eye(2)))


def test_counts_with_1d_labels():
    with pytest.raises(ValueError, match="counts=True needs a 2-D"):
        check_soft_targets([0, 1], counts=True)


def test_nan_in_float_labels():
    with pytest.raises(ValueError, match="NaN"):
        check_soft_targets(np.array([0.0, np.nan]))


@settings(max_examples=60, deadline=None)
@given(prob_matrices(min_rows=1), st.data())
def test_perturbed_rows_are_caught(p, data):
    row = data.draw(st.integers(0, p.shape[0] - 1))
    kind = data.draw(st.sampled_from(["nan", "neg", "scale"]))
    bad = p.copy()
    if kind == "nan":
        bad[row, 0] = np.nan
        match = f"NaN or infinity .*row {row}"
    elif kind == "neg":
        bad[row, 0] = -0.25
        match = f"row {row}"
    else:
        bad[row] *= 1.5
        match = f"row {row} sums to"
    with pytest.raises(ValueError, match=match):
        check_soft_targets(bad)


# --------------------------------------------------------------------------- #
# check_probabilities


def test_check_probabilities_no_copy():
    p = np.full((5, 4), 0.25)
    assert check_probabilities(p) is p


@pytest.mark.parametrize(
    "p, match",
    [
        (np.array([[0.5, np.nan]]), "NaN"),
        (np.array([[1.5, -0.5]]), "negative"),
        (np.array([[0.5, 0.6]]), "row 0 sums to 1.1"),
        (np.array([0.5, 0.5]), "2-D"),
        (np.empty((0, 2)), "empty"),
    ],
)
def test_check_probabilities_errors(p, match):
    with pytest.raises(ValueError, match=match):
        check_probabilities(p)


def test_check_probabilities_n_classes():
    with pytest.raises(ValueError, match="2 columns but 3 classes"):
        check_probabilities(np.eye(2), n_classes=3)


# --------------------------------------------------------------------------- #
# entropy, hard labels, hard samples


@settings(max_examples=60, deadline=None)
@given(prob_matrices())
def test_entropy_matches_scipy(p):
    expected = scipy_entropy(p, axis=1)
    np.testing.assert_allclose(target_entropy(p), expected, atol=1e-12)
    if p.shape[1] > 1:
        np.testing.assert_allclose(
            target_entropy(p, normalize=True), expected / np.log(p.shape[1]), atol=1e-12
        )


def test_entropy_zero_for_labels_and_one_class():
    np.testing.assert_array_equal(target_entropy([0, 1, 1]), 0.0)
    np.testing.assert_array_equal(target_entropy([3, 3, 3], normalize=True), 0.0)


def test_hard_labels_tie_rule_first_class():
    y = np.array([[3, 3, 0], [0, 2, 2], [1, 1, 1]])
    np.testing.assert_array_equal(hard_labels(y, counts=True), [0, 1, 0])
    np.testing.assert_array_equal(
        hard_labels(y, counts=True, classes=["x", "y", "z"]), ["x", "y", "x"]
    )


def test_one_hot():
    np.testing.assert_array_equal(one_hot([1, 0], classes=[0, 1]), [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="1-D"):
        one_hot([[1, 0]])


def test_hard_sample_mask_exact_share_without_ties(rng):
    p = rng.dirichlet(np.ones(4), size=200)
    mask = hard_sample_mask(p, hard_fraction=0.1)
    assert mask.sum() == 20
    ent = target_entropy(p)
    assert ent[mask].min() > ent[~mask].max()


def test_hard_sample_mask_includes_ties_at_cut():
    # 5 rows at entropy log 2 (in permuted orders), 5 rows at 0
    y = np.array([[0.5, 0.5, 0], [0, 0.5, 0.5], [0.5, 0, 0.5]] * 2)[:5]
    y = np.vstack([y, np.eye(3)[[0, 1, 2, 0, 1]]])
    mask = hard_sample_mask(y, hard_fraction=0.2)  # m = 2, cut = log 2
    np.testing.assert_array_equal(mask, [True] * 5 + [False] * 5)
    # cut at zero entropy: every sample is hard
    assert hard_sample_mask(y, hard_fraction=0.6).all()
    assert hard_sample_mask(y, hard_fraction=0.2, ties="exclude").sum() == 0


def test_hard_sample_mask_on_cifar10h(cifar10h_dir):
    counts = np.load(cifar10h_dir / "cifar10h-counts.npy")
    ent = target_entropy(counts, counts=True)
    zero_share = np.mean(ent == 0)
    assert 0.40 < zero_share < 0.48  # the 44% the docs mention
    mask = hard_sample_mask(counts, counts=True, hard_fraction=0.2)
    assert mask.mean() >= 0.2
    assert ent[mask].min() >= ent[~mask].max()
    assert hard_sample_mask(counts, counts=True, hard_fraction=0.6).all()


@pytest.mark.parametrize("hf", [0, 1, -0.1, 1.5])
def test_hard_sample_mask_fraction_validated(hf):
    with pytest.raises(ValueError, match="hard_fraction"):
        hard_sample_mask(np.eye(3), hard_fraction=hf)


def test_counts_to_proba_prior_validated():
    with pytest.raises(ValueError, match="prior"):
        counts_to_proba([[1, 2]], prior=-1)


def test_encode_labels_matches_a_dict_lookup_and_names_unknown_labels():
    rng = np.random.default_rng(0)
    classes = np.array(["dog", "cat", "bird"])  # column order, not sorted
    labels = classes[rng.integers(0, 3, size=50)]
    index = {c: i for i, c in enumerate(classes)}
    np.testing.assert_array_equal(
        encode_labels(labels, classes), [index[v] for v in labels]
    )
    # equal values match across dtypes, as in a dict
    np.testing.assert_array_equal(encode_labels([2.0, 0.0], [0, 1, 2]), [2, 0])
    # unorderable object labels: the dictionary fallback
    mixed = np.array([1, "a", None], dtype=object)
    np.testing.assert_array_equal(
        encode_labels(mixed[[2, 0, 1, 0]], mixed), [2, 0, 1, 0]
    )
    with pytest.raises(ValueError, match=r"label 'fish' \(row 1\) is not among the"):
        encode_labels(["cat", "fish"], classes)
    with pytest.raises(ValueError, match=r"item 'b' \(row 1\) is not among the items"):
        encode_labels(
            np.array([1, "b"], dtype=object),
            mixed,
            name="item",
            classes_name="the items",
        )
    with pytest.raises(ValueError, match=r"label 'x' \(row 0\)"):
        encode_labels(["x"], [0, 1])  # str against int: no match, no TypeError
    with pytest.raises(ValueError, match="1-D"):
        encode_labels([[0]], [0, 1])


# --------------------------------------------------------------------------- #
# hard="disagreement": any disagreement (entropy > 0)


def test_hard_sample_mask_disagreement_by_hand():
    y = [
        [1.0, 0.0, 0.0],  # unanimous
        [0.8, 0.2, 0.0],  # one dissenter
        [0.0, 0.0, 1.0],  # unanimous
        [1 / 3, 1 / 3, 1 / 3],
        [0.99, 0.01, 0.0],
    ]
    mask = hard_sample_mask(y, hard="disagreement")
    np.testing.assert_array_equal(mask, [False, True, False, True, True])
    # equals "entropy > 0" exactly, and ignores hard_fraction / ties
    np.testing.assert_array_equal(mask, target_entropy(y) > 0)
    np.testing.assert_array_equal(
        hard_sample_mask(y, hard="disagreement", hard_fraction=0.01, ties="exclude"),
        mask,
    )
    # vote counts: [5, 0] agrees, [4, 1] disagrees
    np.testing.assert_array_equal(
        hard_sample_mask([[5, 0], [4, 1]], counts=True, hard="disagreement"),
        [False, True],
    )
    # the top fraction is a subset of the disagreement set when the cut is > 0
    top = hard_sample_mask(y, hard_fraction=0.2)
    assert not (top & ~mask).any()
    with pytest.raises(ValueError, match="hard"):
        hard_sample_mask(y, hard="entropy")


def test_disagreement_on_collapsed_vs_raw_scale():
    # 3 annotators rate 7, 8, 9 on a 9-point scale; collapsed to
    # negative (1-3) / neutral (4-6) / positive (7-9) they agree
    raw = np.zeros((1, 9))
    raw[0, [6, 7, 8]] = 1 / 3
    collapsed = np.array([[raw[0, :3].sum(), raw[0, 3:6].sum(), raw[0, 6:].sum()]])
    assert hard_sample_mask(raw, hard="disagreement").tolist() == [True]
    assert hard_sample_mask(collapsed, hard="disagreement").tolist() == [False]


# --------------------------------------------------------------------------- #
# row-sum tolerance: rounded probabilities are renormalised, logits get a hint


def _rounded_rows(k=10, decimals=6, seed=0):
    rng = np.random.default_rng(seed)
    return np.round(rng.dirichlet(np.ones(k), size=50), decimals)


def test_rounded_probabilities_renormalised_with_warning():
    p = _rounded_rows()
    assert np.abs(p.sum(axis=1) - 1).max() > 1e-6  # refused before
    with pytest.warns(UserWarning, match="renormalised"):
        out = check_probabilities(p)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(out, p / p.sum(axis=1, keepdims=True))
    assert out is not p
    with pytest.warns(UserWarning, match="renormalised"):
        soft = check_soft_targets(p)
    np.testing.assert_allclose(soft, out)


def test_exact_rows_no_warning_and_no_copy():
    import warnings

    p = np.array([[0.25, 0.75], [0.5, 0.5 + 5e-7]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_probabilities(p) is p


def test_rows_beyond_tolerance_refused():
    p = np.array([[0.5, 0.5], [0.5, 0.5 + 2e-4]])
    with pytest.raises(ValueError, match="row 1 sums to 1.0002"):
        check_probabilities(p)
    # an explicit atol is the only tolerance
    with pytest.raises(ValueError, match="within atol=1e-06"):
        check_probabilities(np.array([[0.5, 0.5 + 5e-6]]), atol=1e-6)


@pytest.mark.parametrize(
    "logits, match",
    [
        (np.array([[2.3, -0.7, 0.1]]), "negative values.*softmax"),
        (np.array([[2.3, 0.7, 0.1]]), "sums to 3.1.*softmax"),
    ],
)
def test_logits_get_softmax_hint(logits, match):
    with pytest.raises(ValueError, match=match):
        check_probabilities(logits)
    with pytest.raises(ValueError, match=match):
        check_soft_targets(logits)


def test_integer_rows_keep_counts_hint():
    with pytest.raises(ValueError, match="counts=True"):
        check_soft_targets(np.array([[3.0, 1.0]]))
