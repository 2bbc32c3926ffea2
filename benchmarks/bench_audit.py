"""Training throughput of the audit: batched ensembles against one fit after another.

Run: ``python benchmarks/bench_audit.py [--seeds 5 20] [--jobs 1 2]
[--max-epochs 40] [--repeats 1]``

Setting (issue 13, item 2; first version): the audit's embedded default data
(:func:`sksoft.datasets.make_ambiguous_digits`, 1,500 items, 64 features, 10
classes), its split (30 % held out, stratified on the gold label, seed 0) and
the targets of all six supervision arms
(:func:`sksoft.sources.make_supervision_arms`, the teacher arm included), and
the audit's default estimator (:func:`sksoft.audit.default_estimator`:
StandardScaler then a ``SoftLabelClassifier`` MLP with 100 hidden units, Adam,
lr 1e-3, batches of 64, 40 epochs, no validation split). Every run (arm x
seed) records its training dynamics (``TrainingDynamics(mode="train",
storage="streaming")``) and predicts the held-out rows, as the audit's worker
does. Two paths train the same runs:

- ``sequential``: the plain path of today's audit, one clone of the estimator
  fitted after another (``random_state`` = the seed), through joblib when
  ``n_jobs`` > 1 (one run per task);
- ``batched``: the runs of the fold cut into groups
  (:func:`sksoft._ensemble.ensemble_groups`, at most 8 members, a function of
  the run list only) and each group trained as one stacked ensemble
  (:func:`sksoft._ensemble.fit_predict_ensemble`), one group per joblib task.

Every worker uses one torch thread. Printed per path, seed count and
``n_jobs``: wall time of the training (data and arms built once beforehand, not
counted), fits per second, seeds per minute (a seed = all six arms), CPU time
of the process tree (main process and joblib workers; on a loaded machine the
CPU-time ratio is steadier than the wall-time one), and the peak resident
memory (sampled every 20 ms with psutil) of the main process with
``n_jobs=1``, of the process tree (main process and joblib workers) otherwise.
Then the ratios measured in the same run: batched / sequential fits per second
and the ``n_jobs=2`` speed-up over ``n_jobs=1`` (parallel efficiency =
speed-up / 2), and how far the batched members' test probabilities are from
the plain fits of the same seeds (max absolute difference; float32 rounding of
differently ordered arithmetic, same random draws).

Targets of the issue: batched >= 4x the sequential fits per second; ``n_jobs=2``
>= 1.7x ``n_jobs=1``. On a shared machine the numbers are noisy: compare the
ratios of one run, not absolute times across runs.
"""

import argparse
import statistics
import threading
import time

import numpy as np
import psutil
import torch
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from sksoft._ensemble import ensemble_groups, ensemble_spec, fit_predict_ensemble
from sksoft.audit import default_estimator
from sksoft.callbacks import TrainingDynamics
from sksoft.datasets import make_ambiguous_digits
from sksoft.sources import ARM_NAMES, make_supervision_arms
from sksoft.targets import check_soft_targets


def load_default(max_epochs):
    """The audit's default data, split, arms' targets and estimator."""
    bunch = make_ambiguous_digits(random_state=0)
    X = bunch.data.astype(np.float32)
    gold = bunch.target
    human = check_soft_targets(bunch.counts, counts=True)
    train, test = train_test_split(
        np.arange(len(gold)), test_size=0.3, random_state=0, stratify=gold
    )
    train, test = np.sort(train), np.sort(test)
    arms = make_supervision_arms(
        human[train], gold[train], X=X[train], arms=list(ARM_NAMES), random_state=0
    )
    targets = {arm: np.asarray(arms[arm], dtype=np.float64) for arm in ARM_NAMES}
    estimator = default_estimator(X, human.shape[1], max_epochs=max_epochs)
    return X[train], X[test], gold[train], targets, estimator


def plain_run(estimator, X_train, X_test, Y, gold, seed):
    """One run of today's audit worker: clone, seed, record dynamics, predict."""
    torch.set_num_threads(1)
    est = clone(estimator).set_params(
        softlabelclassifier__random_state=seed,
        softlabelclassifier__callbacks=[
            (
                "audit_dynamics",
                TrainingDynamics(mode="train", storage="streaming", gold_labels=gold),
            )
        ],
    )
    est.fit(X_train, Y)
    return est.predict_proba(X_test)


def batched_group(spec, X_train, X_test, targets, seeds, gold):
    torch.set_num_threads(1)
    out = fit_predict_ensemble(spec, X_train, X_test, targets, seeds, gold=gold)
    return [o["proba"] for o in out]


def tree_cpu_seconds():
    """CPU seconds (user + system) used so far by this process and its children."""
    total = 0.0
    me = psutil.Process()
    for p in [me, *me.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


class PeakMemory:
    """Peak resident memory of this process and its children (psutil sampling)."""

    def __init__(self, children, interval=0.02):
        self.children = children
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            try:
                procs = [me]
                if self.children:
                    procs += me.children(recursive=True)
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_path(path, n_jobs, seeds, data):
    X_train, X_test, gold, targets, estimator = data
    runs = [(arm, s) for arm in ARM_NAMES for s in range(seeds)]
    parallel = Parallel(n_jobs=n_jobs)
    if path == "sequential":
        jobs = [
            delayed(plain_run)(estimator, X_train, X_test, targets[a], gold, s)
            for a, s in runs
        ]
        probas = parallel(jobs)
    else:
        spec = ensemble_spec(estimator)
        groups = ensemble_groups(runs)
        jobs = [
            delayed(batched_group)(
                spec,
                X_train,
                X_test,
                [targets[a] for a, _ in g],
                [s for _, s in g],
                gold,
            )
            for g in groups
        ]
        probas = [p for group in parallel(jobs) for p in group]
    return dict(zip(runs, probas))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_default(args.max_epochs)
    print(
        f"embedded default: {len(data[0])} training rows, {len(data[1])} test rows, "
        f"{len(ARM_NAMES)} arms, {args.max_epochs} epochs, one torch thread per "
        f"worker; CPUs: {psutil.cpu_count()}, load average "
        f"{' '.join(f'{x:.1f}' for x in psutil.getloadavg())}"
    )
    # warm-up: imports, allocator, joblib workers
    for path in ("sequential", "batched"):
        for n_jobs in args.jobs:
            run_path(path, n_jobs, 1, (*data[:4], clone(data[4]).set_params(
                softlabelclassifier__max_epochs=1)))  # fmt: skip

    results, probas, cpu_per_fit = {}, {}, {}
    header = (
        f"{'path':<11} {'seeds':>5} {'n_jobs':>6} {'fits':>5} {'wall s':>8} "
        f"{'cpu s':>7} {'fits/s':>7} {'seeds/min':>9} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for seeds in args.seeds:
        for n_jobs in args.jobs:
            for path in ("sequential", "batched"):
                walls, cpus, peaks = [], [], []
                for _ in range(args.repeats):
                    with PeakMemory(children=n_jobs != 1) as mem:
                        cpu0, t0 = tree_cpu_seconds(), time.perf_counter()
                        probas[path, seeds, n_jobs] = run_path(
                            path, n_jobs, seeds, data
                        )
                        walls.append(time.perf_counter() - t0)
                        cpus.append(tree_cpu_seconds() - cpu0)
                    peaks.append(mem.peak)
                wall = statistics.median(walls)
                fits = seeds * len(ARM_NAMES)
                results[path, seeds, n_jobs] = fits / wall
                cpu_per_fit[path, seeds, n_jobs] = statistics.median(cpus) / fits
                print(
                    f"{path:<11} {seeds:>5} {n_jobs:>6} {fits:>5} {wall:>8.1f} "
                    f"{statistics.median(cpus):>7.1f} {fits / wall:>7.2f} "
                    f"{60 * seeds / wall:>9.2f} {max(peaks) / 2**20:>8.0f}",
                    flush=True,
                )
    print()
    for seeds in args.seeds:
        for n_jobs in args.jobs:
            ratio = (
                results["batched", seeds, n_jobs] / results["sequential", seeds, n_jobs]
            )
            cpu_ratio = (
                cpu_per_fit["sequential", seeds, n_jobs]
                / cpu_per_fit["batched", seeds, n_jobs]
            )
            print(
                f"{seeds:>2} seeds, n_jobs={n_jobs}: batched / sequential fits per "
                f"second = {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target >= 4x)"
            )
        if 1 in args.jobs and 2 in args.jobs:
            for path in ("sequential", "batched"):
                speedup = results[path, seeds, 2] / results[path, seeds, 1]
                print(
                    f"{seeds:>2} seeds, {path}: n_jobs=2 / n_jobs=1 = {speedup:.2f}x "
                    f"(efficiency {speedup / 2:.0%}; target >= 1.7x)"
                )
    # the same runs on both paths and every n_jobs: how close are they?
    seeds, jobs = args.seeds[0], args.jobs
    first = probas["batched", seeds, jobs[0]]
    plain = probas["sequential", seeds, jobs[0]]
    diff_paths = max(np.abs(first[k] - plain[k]).max() for k in first)
    diff_jobs = max(
        np.abs(probas["batched", seeds, j][k] - first[k]).max()
        for j in jobs
        for k in first
    )
    print(
        f"max |batched - sequential| test probability, same seeds: {diff_paths:.2e}; "
        f"batched across n_jobs {jobs}: {diff_jobs:.1e}"
    )


if __name__ == "__main__":
    main()
