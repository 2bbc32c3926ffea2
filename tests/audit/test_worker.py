"""Tests of the audit's fits (sksoft.audit._worker, run_audit's fit step).

Batched groups of runs, the plain per-run path, every joblib backend (processes,
threads, Dask) and every grouping must give the same per-sample test
probabilities (within 1e-6), loss curves and training dynamics.
"""

import itertools
import warnings

import numpy as np
import pytest
import torch
from joblib import parallel_config
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksoft import SoftLabelClassifier
from sksoft.audit import SmallCNN, run_audit
from sksoft.audit._run import BATCH_GROUP_SIZE
from sksoft.classifier import _global_rng_user
from sksoft.datasets import make_ambiguous_digits
from sksoft.utils._sklearn_compat import InvalidParameterError

ARMS = ["gold", "human_soft", "smoothed"]


@pytest.fixture(scope="module")
def digits():
    return make_ambiguous_digits(n_samples=300, random_state=0)


def _audit(digits, **kwargs):
    kw = dict(arms=ARMS, seeds=[0, 1, 2], max_epochs=3)
    kw.update(kwargs)
    return run_audit(digits.data, digits.target, digits.counts, **kw)


def _assert_same_runs(a, b, atol=1e-6):
    assert [(r["arm"], r["seed"]) for r in a.runs] == [
        (r["arm"], r["seed"]) for r in b.runs
    ]
    for ra, rb in zip(a.runs, b.runs):
        where = f"{ra['arm']}, seed {ra['seed']}"
        np.testing.assert_allclose(ra["proba"], rb["proba"], atol=atol, err_msg=where)
        for ha, hb in zip(ra["history"], rb["history"]):
            assert sorted(ha) == sorted(hb)
            for key in ha:
                np.testing.assert_allclose(ha[key], hb[key], rtol=1e-5, err_msg=key)
        for da, db in zip(ra["dynamics"], rb["dynamics"]):
            assert (
                sorted(da) == sorted(db) == ["confidence", "correctness", "variability"]
            )
            for key in da:
                np.testing.assert_allclose(da[key], db[key], atol=atol, err_msg=key)
        for name in ra["metrics"]:
            assert ra["metrics"][name] == pytest.approx(
                rb["metrics"][name], abs=10 * atol, nan_ok=True
            ), name


@pytest.fixture(scope="module")
def plain(digits):
    return _audit(digits, batch_runs=False)


@pytest.fixture(scope="module")
def batched(digits):
    return _audit(digits)


# ---------------------------------------------------------------- batched runs


def test_batched_runs_equal_plain_runs(plain, batched):
    assert plain.params["batch_group_size"] is None
    assert batched.params["batch_group_size"] == BATCH_GROUP_SIZE == 16
    # the seeds matter, so equality below is not trivial
    p0, p1 = (r["proba"] for r in batched.runs[:2])
    assert np.abs(p0 - p1).max() > 1e-3
    _assert_same_runs(plain, batched)
    for run in batched.runs:
        assert run["fit_time"] > 0
        assert len(run["history"][0]["train_loss"]) == 3


def test_batched_float64_runs_equal_plain_runs(digits):
    est = make_pipeline(
        StandardScaler(),
        SoftLabelClassifier(
            hidden_layer_sizes=(32,),
            module__dropout=0.2,
            train_split=0.2,
            max_epochs=3,
            batch_size=64,
            dtype="float64",
        ),
    )
    kw = dict(estimator=est, arms=["gold", "human_soft"], seeds=[4, 5])
    plain = _audit(digits, batch_runs=False, **kw)
    batched = _audit(digits, batch_runs=True, **kw)
    assert batched.params["batch_group_size"] == BATCH_GROUP_SIZE == 16
    _assert_same_runs(plain, batched, atol=1e-10)
    assert "valid_loss" in batched.runs[0]["history"][0]


def test_group_size_does_not_change_results(batched, digits):
    # groups of 1, of at most 4 (4 groups: 3, 2, 2, 2) and the default (one of 9)
    _assert_same_runs(batched, _audit(digits, batch_runs=1))
    _assert_same_runs(batched, _audit(digits, batch_runs=4))


def test_batched_temperature_control_equals_plain(digits, monkeypatch):
    # gold_temperature's main fit and its 5 inner cross-fits are batched over
    # the seeds; each run's temperature and test probabilities equal the plain
    # path's (every inner fit one after another), and no inner fit is left to
    # the plain fallback
    from sksoft.audit import _worker

    kw = dict(arms=["gold", "gold_temperature"], seeds=[0, 1, 2], cv=2)
    plain = _audit(digits, batch_runs=False, **kw)
    fallback = []
    real_clone = _worker.clone

    def counting_clone(est):
        fallback.append(est)
        return real_clone(est)

    monkeypatch.setattr(_worker, "clone", counting_clone)
    seen = []
    batched = _audit(digits, batch_runs=True, progress=seen.append, **kw)
    grouped = _audit(digits, batch_runs=2, **kw)
    assert fallback == []
    _assert_same_runs(plain, batched)
    _assert_same_runs(batched, grouped)
    runs = {(r["arm"], r["seed"]): r for r in batched.runs}
    for seed in (0, 1, 2):
        temp = runs[("gold_temperature", seed)]
        for cal, ref in zip(
            temp["calibration"],
            next(r for r in plain.runs if r["seed"] == seed and r["calibration"][0])[
                "calibration"
            ],
        ):
            assert cal["n_folds"] == 5
            assert cal["temperature"] == pytest.approx(ref["temperature"], rel=1e-5)
        # the gold model under the temperature: not the gold arm's probabilities
        assert np.abs(temp["proba"] - runs[("gold", seed)]["proba"]).max() > 1e-3
        assert temp["fit_time"] > runs[("gold", seed)]["fit_time"]
    # progress counts the runs only, not the inner fits
    assert [e["done"] for e in seen] == list(range(0, 2 * 3 * 2 + 1))
    # the arm's model is gold's (trained once): same loss curves and dynamics;
    # listing the arms the other way round changes nothing
    plain_runs = {(r["arm"], r["seed"]): r for r in plain.runs}
    for seed, by_run in itertools.product((0, 1, 2), (runs, plain_runs)):
        temp, gold = by_run[("gold_temperature", seed)], by_run[("gold", seed)]
        assert temp["history"] == gold["history"]
        for dt, dg in zip(temp["dynamics"], gold["dynamics"]):
            for key in dt:
                np.testing.assert_array_equal(dt[key], dg[key])
    kw["arms"] = ["gold_temperature", "gold"]
    _assert_same_runs(batched, _audit(digits, batch_runs=True, **kw), atol=0)


def test_inner_fits_are_batched_across_their_splits(monkeypatch):
    # 302 samples, cv=2: outer training folds of 151 rows, whose 5 inner
    # splits train on 120 or 121 rows. The inner fits of one size are
    # batched together across splits (groups of one training size, never
    # one group per split), and the results are the plain path's.
    from sksoft.audit import _run

    digits = make_ambiguous_digits(n_samples=302, random_state=1)
    kw = dict(arms=["gold", "gold_temperature"], seeds=[0, 1, 2], cv=2)
    plain = _audit(digits, batch_runs=False, **kw)
    groups = []
    real = _run.fit_inner_group

    def recording(keys, spec, X, train_rows, predict_rows, targets, seeds):
        groups.append(
            ([key[1][3] for key in keys], {len(r) for r in train_rows}, len(keys))
        )
        return real(keys, spec, X, train_rows, predict_rows, targets, seeds)

    monkeypatch.setattr(_run, "fit_inner_group", recording)
    for batch_runs, size in ((True, 16), (8, 8)):
        groups.clear()
        batched = _audit(digits, batch_runs=batch_runs, **kw)
        _assert_same_runs(plain, batched)
        assert all(len(sizes) == 1 for _, sizes, _ in groups)
        assert {s for _, sizes, _ in groups for s in sizes} == {120, 121}
        assert sum(n for *_, n in groups) == 2 * 5 * 3  # folds x splits x seeds
        assert max(n for *_, n in groups) <= size
        # some group holds the fits of more than one split
        assert any(len(set(splits)) > 1 for splits, _, _ in groups)


def test_step_without_announced_splits_runs_in_its_job(digits, monkeypatch):
    # an arm whose calibrate has no calibration_splits runs fit + step in one
    # fit_one job (inner fits one after another): the same results
    from sksoft.sources import _arms

    kw = dict(arms=["gold", "gold_temperature"], seeds=[0, 1])
    announced = _audit(digits, **kw)
    spec = _arms._REGISTRY["gold_temperature"]
    monkeypatch.setitem(
        _arms._REGISTRY, "gold_temperature", spec._replace(calibration_splits=None)
    )
    for batch_runs in (False, True):
        _assert_same_runs(announced, _audit(digits, batch_runs=batch_runs, **kw))


def test_unannounced_inner_fit_is_fitted_on_its_own(digits):
    # post_fit serves announced inner fits from the batch and fits any other
    # request itself (a clone with the run's seed)
    from sksoft.audit import default_estimator
    from sksoft.audit._worker import post_fit
    from sksoft.sources import ARM_REGISTRY

    X = digits.data.astype(np.float32)
    gold = digits.target
    Y = np.eye(10)[gold]
    human = digits.counts / digits.counts.sum(1, keepdims=True)
    est = default_estimator(X, 10, max_epochs=2)
    train_idx = np.arange(200)
    options = {"calibration_cv": 5, "random_state": 0}
    step = (ARM_REGISTRY["gold_temperature"].calibrate, human[train_idx], options)
    proba = np.full((5, 10), 0.1)
    proba[:, 0] = 0.55
    proba[:, 1:] = 0.05

    def run(inner):
        out = {"proba": proba.copy(), "fit_time": 1.0}
        post_fit(out, step, est, X, Y[train_idx], train_idx, gold[train_idx], 7, inner)
        return out

    alone = run(None)
    splits = ARM_REGISTRY["gold_temperature"].calibration_splits(
        human[train_idx], gold[train_idx], options
    )
    # served predictions: 0.91 on the gold class; the temperature is the one
    # fitted on them, the served times are added; serve all but one split:
    # that one is refitted, so the temperature moves
    from sksoft.calibration import fit_temperature

    sharp = np.full((200, 10), 0.01)
    sharp[np.arange(200), gold[train_idx]] = 0.91
    served = {
        (np.asarray(tr).tobytes(), np.asarray(te).tobytes()): (sharp[te], 2.0)
        for tr, te in splits
    }
    out = run(served)
    assert out["calibration"]["temperature"] == pytest.approx(
        fit_temperature(human[train_idx], sharp), rel=1e-9
    )
    assert out["fit_time"] >= 1.0 + 5 * 2.0
    first = next(iter(served))
    partial = run({key: v for key, v in served.items() if key != first})
    assert 1.0 + 4 * 2.0 <= partial["fit_time"]
    assert alone["calibration"]["n_folds"] == 5
    for other in (alone, partial):
        assert other["calibration"]["temperature"] != pytest.approx(
            out["calibration"]["temperature"], rel=1e-3
        )


def test_batched_progress_reports_every_run(digits):
    seen = []
    res = _audit(digits, cv=2, seeds=[0, 1], progress=seen.append)
    total = len(ARMS) * 2 * 2
    assert seen[0]["done"] == 0 and seen[0]["arm"] is None
    assert [e["done"] for e in seen[1:]] == list(range(1, total + 1))
    assert all(e["total"] == total for e in seen)
    keys = {(e["arm"], e["seed"], e["fold"]) for e in seen[1:]}
    assert keys == {(a, s, f) for a in ARMS for s in (0, 1) for f in (0, 1)}
    for run in res.runs:  # two folds: two loss curves and dynamics per run
        assert len(run["history"]) == 2 and len(run["dynamics"]) == 2


def test_batch_runs_is_validated(digits):
    from sklearn.linear_model import LogisticRegression

    from sksoft.expansion import ExpansionClassifier

    est = ExpansionClassifier(LogisticRegression(max_iter=500))
    with pytest.raises(ValueError, match="cannot be batched"):
        _audit(digits, estimator=est, batch_runs=True, seeds=1)
    with pytest.raises(ValueError, match="cannot be batched"):
        _audit(digits, estimator=est, batch_runs=3, seeds=1)
    # "auto" falls back to plain fits
    res = _audit(digits, estimator=est, seeds=1, arms=["gold", "human_soft"])
    assert res.params["batch_group_size"] is None
    for bad in ("yes", 0, -2, 1.5):
        with pytest.raises(InvalidParameterError, match="'batch_runs' parameter"):
            _audit(digits, batch_runs=bad, seeds=1)


@pytest.mark.parametrize("batch_runs", [False, True])
@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_arrival_order_does_not_change_results(digits, monkeypatch, batch_runs, order):
    # run_audit scores each run, applies post-fit steps and copies twins as
    # the results arrive; any order of arrival (inner fits after or before
    # their run, the twin's trained run last) gives the same results, and
    # every arm and seed is scored once, only when all its folds are final
    from sksoft.audit import _run

    kw = dict(
        arms=["gold", "gold_temperature", "human_soft"],
        seeds=[0, 1],
        cv=2,
        max_epochs=2,
        batch_runs=batch_runs,
    )
    expected = _audit(digits, **kw)
    real_parallel = _run.Parallel

    class Reordered:
        def __init__(self, **kwargs):
            self.parallel = real_parallel(**kwargs)

        def __call__(self, jobs):
            done = list(self.parallel(jobs))
            if order == "reversed":
                done.reverse()
            else:
                np.random.default_rng(3).shuffle(done)
            # one result per yield, also splitting the batched groups
            yield from ([item] for finished in done for item in finished[::-1])

    scored = []
    real_score = _run._score_run

    def score_run(outputs, arm, seed, split, *args):
        for f in range(len(split.folds)):
            out = outputs[(arm, seed, f)]
            assert out["proba"].shape[0] == split.folds[f][1].size
            if arm == "gold_temperature":  # the step is applied already
                assert out["calibration"]["n_folds"] == 5
        scored.append((arm, seed))
        return real_score(outputs, arm, seed, split, *args)

    monkeypatch.setattr(_run, "Parallel", Reordered)
    monkeypatch.setattr(_run, "_score_run", score_run)
    _assert_same_runs(expected, _audit(digits, **kw), atol=0)
    assert sorted(scored) == sorted((a, s) for a in kw["arms"] for s in kw["seeds"])


class _TwoColumns:
    """An estimator whose probabilities have the wrong number of columns."""

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_wrong_probability_shape_is_refused(digits, n_jobs):
    # each run is checked as it arrives: the error names the shapes, whatever
    # n_jobs (the other runs are abandoned, not scored)
    with parallel_config(backend="threading"):
        with pytest.raises(ValueError, match=r"shape \(90, 2\) for 90 rows and 10"):
            _audit(digits, estimator=_TwoColumns(), n_jobs=n_jobs, seeds=[0, 1])


# ---------------------------------------------------------------- backends


def test_two_processes_equal_one(batched, digits):
    _assert_same_runs(batched, _audit(digits, n_jobs=2))


@pytest.mark.parametrize("batch_runs", [False, "auto"])
def test_threading_backend_equals_serial(plain, batched, digits, batch_runs):
    # issue 12: the same run_audit(..., seeds=[0, 1], n_jobs=2) under the
    # threading backend gave probabilities differing by up to 0.2 run to run
    threads_before = torch.get_num_threads()
    kw = dict(seeds=[0, 1], n_jobs=2, batch_runs=batch_runs)
    with parallel_config(backend="threading"):
        first = _audit(digits, **kw)
        second = _audit(digits, **kw)
    assert torch.get_num_threads() == threads_before
    _assert_same_runs(first, second)
    serial = plain if batch_runs is False else batched
    _assert_same_runs(first, _subset_seeds(serial, [0, 1]))


def _subset_seeds(result, seeds):
    """A stand-in with the runs of ``seeds`` only (for _assert_same_runs)."""

    class _Runs:
        runs = [r for r in result.runs if r["seed"] in seeds]

    return _Runs


def _load_dask_example():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "examples" / "run_audit_on_dask.py"
    if not path.exists():
        pytest.skip(f"{path} is not there (tests run outside the repository)")
    spec = importlib.util.spec_from_file_location("run_audit_on_dask", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_dask_example_script(tmp_path, restored_environ):
    # the scale-out recipe as a script: on its own LocalCluster (workers
    # started without Dask's MALLOC_TRIM_THRESHOLD_, so no warning) it writes
    # the report and equals the serial audit; against a cluster whose workers
    # have Dask's default setting it warns
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    example = _load_dask_example()
    out = tmp_path / "report"
    with (
        dask.config.set({example.TRIM_KEY: dask.config.get(example.TRIM_KEY)}),
        warnings.catch_warnings(),
    ):
        warnings.filterwarnings("error", message=".*MALLOC_TRIM_THRESHOLD_")
        example.main(["--seeds", "1", "--check", "--out", str(out)])
    assert (out / "report.md").exists()
    with (
        dask.config.set({example.TRIM_KEY: 65536}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        with pytest.warns(UserWarning, match="MALLOC_TRIM_THRESHOLD_=65536"):
            example.main([cluster.scheduler_address, "--seeds", "1", "--out", str(out)])


@pytest.mark.parametrize("backend", ["loky", "threading", "sequential"])
def test_trim_check_is_silent_without_dask(backend):
    from sksoft.audit._run import _warn_if_dask_workers_trim

    with parallel_config(backend=backend), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _warn_if_dask_workers_trim() == 0


def test_small_cnn_trains_without_the_global_generator():
    # its dropout draws from the fit's generator: no lock, no global draws
    assert _global_rng_user(SmallCNN(in_channels=1, n_classes=3)) is None
    assert _global_rng_user(SmallCNN(dropout=0.0)) is None


def test_image_audit_under_threads_equals_serial():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(80, 10, 10), dtype=np.uint8)
    gold = rng.integers(0, 3, size=80)
    counts = rng.multinomial(5, [0.4, 0.3, 0.3], size=80)
    kw = dict(arms=["gold", "human_soft"], seeds=[0, 1], max_epochs=2)
    serial = run_audit(images, gold, counts, **kw)
    assert "SmallCNN" in serial.params["estimator"]
    assert serial.params["batch_group_size"] is None  # a CNN is fitted plainly
    with warnings.catch_warnings():
        # a fit that trains holding torch's global generator (one at a time)
        # warns so when it has to wait; building the module may still wait
        # briefly for the lock (the initial weights come from it)
        warnings.filterwarnings(
            "error", message=".*the module may draw from it", category=UserWarning
        )
        with parallel_config(backend="threading"):
            threaded = run_audit(images, gold, counts, n_jobs=2, **kw)
    _assert_same_runs(serial, threaded)


@pytest.mark.slow
@pytest.mark.parametrize("workers, threads", [(2, 1), (1, 2)])
def test_dask_cluster_equals_serial(
    batched, plain, digits, workers, threads, restored_environ
):
    distributed = pytest.importorskip("distributed")
    import dask

    from sksoft.audit._run import DASK_TRIM_KEY

    # workers started as the docs recommend: no MALLOC_TRIM_THRESHOLD_ warning
    with (
        dask.config.set({DASK_TRIM_KEY: None}),
        warnings.catch_warnings(),
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        parallel_config(backend="dask"),
    ):
        warnings.filterwarnings("error", message=".*MALLOC_TRIM_THRESHOLD_")
        dasked = _audit(digits, n_jobs=-1)
        dasked_plain = _audit(digits, n_jobs=-1, batch_runs=False)
    _assert_same_runs(batched, dasked)
    _assert_same_runs(plain, dasked_plain)
