"""Speed and memory of sksoft's ECE kernels against netcal and torchmetrics.

Run: ``python benchmarks/bench_metrics.py [--n 1000000] [--k 10] [--repeats 7]``

Top-label ECE against netcal and torchmetrics (targets: >= 5x netcal, at least
as fast as torchmetrics with 2 threads), in wall time and, for the one-thread
comparisons, CPU time (steadier on a shared machine); the floor (one pass
reading the array, and the input validation every call starts with); classwise
ECE against netcal (the mean of its binary ECE of each class); the classwise and
hard-sample variants (which share the chunked kernel) against the previous
full-array kernel; peak extra memory of each (target: at most 2 x n float64).

Input: ``n x k`` float64 probabilities (softmax of Gaussian logits) and integer
labels. Every implementation is timed warm (one untimed call first), best of
``--repeats`` runs. torchmetrics is timed with torch limited to one thread (the
comparison the ratios are judged on) and with two threads. Peak extra memory of
the sksoft call is measured with :mod:`tracemalloc` (numpy reports its buffers to
it) and printed in units of ``n`` float64 values.
"""

import argparse
import time
import tracemalloc

import numpy as np

from sksoft.metrics import expected_calibration_error, hard_sample_calibration_error


def best_of(funcs, repeats, clock=time.perf_counter):
    """Best time of each callable, timed in interleaved rounds.

    Interleaving (a, b, c, a, b, c, ...) exposes every implementation to the
    same background load, which keeps the ratios stable on a busy machine.
    ``clock=time.process_time`` gives CPU time, which a shared machine
    disturbs less than wall time (only meaningful for one-thread code).
    """
    for func in funcs.values():
        func()  # warm-up
    best = dict.fromkeys(funcs, np.inf)
    for _ in range(repeats):
        for name, func in funcs.items():
            start = clock()
            func()
            best[name] = min(best[name], clock() - start)
    return best


def peak_memory(func):
    """Peak extra memory of one call, in bytes (numpy reports to tracemalloc)."""
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def previous_kernel(y, p, n_bins, classwise, mask=None):
    """The full-array kernel the chunked one replaced (reference timing)."""
    from sksoft.metrics._calibration import (
        _bin_statistics,
        _reduce_bins,
        confidence_accuracy,
    )
    from sksoft.metrics._validation import check_pair

    pair = check_pair(y, p, keep_binary_column=True)
    if mask is not None:  # validate everything, then copy the subset (as before)
        pair = pair._replace(proba=pair.proba[mask], y_idx=pair.y_idx[mask])
    return float(
        np.mean(
            [
                _reduce_bins(
                    _bin_statistics(conf, acc, None, n_bins, "uniform"), "l1", "size"
                )
                for conf, acc in confidence_accuracy(pair, classwise)
            ]
        )
    )


def netcal_classwise(y, p, n_bins):
    """Classwise ECE with netcal: the mean of its binary ECE of each class."""
    from netcal.metrics import ECE

    return float(
        np.mean(
            [
                ECE(bins=n_bins).measure(p[:, c], (y == c).astype(int))
                for c in range(p.shape[1])
            ]
        )
    )


def variants(y, p, n_bins):
    """Classwise and hard-sample ECE: chunked kernel vs the previous one."""
    mask = np.random.default_rng(1).uniform(size=len(y)) < 0.2
    cases = {
        "classwise": (
            lambda: expected_calibration_error(y, p, n_bins=n_bins, classwise=True),
            lambda: previous_kernel(y, p, n_bins, True),
        ),
        "hard-sample": (
            lambda: hard_sample_calibration_error(y, p, mask=mask, n_bins=n_bins),
            lambda: previous_kernel(y, p, n_bins, False, mask),
        ),
    }
    return cases


def make_data(n, k, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k)) * 2.0
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    y = rng.integers(0, k, size=n)
    return p, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--bins", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    p, y = make_data(args.n, args.k)
    print(
        f"input: {args.n} x {args.k} float64, {args.bins} bins, "
        f"best of {args.repeats} warm runs"
    )

    ours_value = expected_calibration_error(y, p, n_bins=args.bins)
    peak = peak_memory(lambda: expected_calibration_error(y, p, n_bins=args.bins))

    funcs = {"sksoft": lambda: expected_calibration_error(y, p, n_bins=args.bins)}
    values = {"sksoft": ours_value}
    try:
        from netcal.metrics import ECE
    except ImportError:  # pragma: no cover
        print("netcal not installed")
    else:
        funcs["netcal"] = lambda: ECE(bins=args.bins).measure(p, y)
        values["netcal"] = funcs["netcal"]()
    try:
        import torch
        from torchmetrics.functional.classification import (
            multiclass_calibration_error,
        )
    except ImportError:  # pragma: no cover
        print("torchmetrics not installed")
        torch = None
    else:
        tp, ty = torch.from_numpy(p), torch.from_numpy(y)

        def tm():
            return multiclass_calibration_error(
                tp, ty, num_classes=args.k, n_bins=args.bins
            ).item()

        values["torchmetrics"] = tm()
        torch.set_num_threads(1)
        funcs["torchmetrics"] = tm
    # the floor: one pass reading the array (its minimum), and the input
    # validation every sksoft call starts with (a share of the sksoft time)
    from sksoft.metrics._validation import check_pair

    funcs["read once"] = lambda: p.min()
    funcs["validation"] = lambda: check_pair(y, p, keep_binary_column=True)
    best = best_of(funcs, args.repeats)
    cpu = best_of(funcs, args.repeats, clock=time.process_time)
    if torch is not None:  # two threads, against a fresh sksoft timing
        torch.set_num_threads(2)
        best2 = best_of({"sksoft": funcs["sksoft"], "torchmetrics": tm}, args.repeats)
        torch.set_num_threads(1)

    t_ours = best["sksoft"]
    print(
        f"sksoft        ECE = {ours_value:.12f} {t_ours * 1e3:8.1f} ms   peak extra "
        f"memory {peak / 2**20:.1f} MiB = {peak / (8 * args.n):.2f} x n float64"
    )
    print(
        f"floor: one read pass {best['read once'] * 1e3:.1f} ms; input validation "
        f"{best['validation'] * 1e3:.1f} ms (wall)"
    )
    print(
        "CPU time (one thread each): "
        + ", ".join(f"{name} {t * 1e3:.1f} ms" for name, t in cpu.items())
    )
    for other in ("netcal", "torchmetrics"):
        if other in cpu:
            print(
                f"  CPU-time ratio {other}(1 thread)/sksoft = "
                f"{cpu[other] / cpu['sksoft']:.2f}x"
            )
    if "netcal" in best:
        print(
            f"netcal        ECE = {values['netcal']:.12f} {best['netcal'] * 1e3:8.1f} "
            f"ms   |diff| = {abs(values['netcal'] - ours_value):.1e}   netcal/sksoft "
            f"= {best['netcal'] / t_ours:.2f}x (target >= 5)"
        )
    if torch is not None:
        print(
            f"torchmetrics  ECE = {values['torchmetrics']:.12f} "
            f"{best['torchmetrics'] * 1e3:8.1f} ms   (float32 confidences) "
            f"torchmetrics(1 thread)/sksoft = {best['torchmetrics'] / t_ours:.2f}x "
            "(target >= 1)"
        )
        print(
            f"torchmetrics, 2 threads       {best2['torchmetrics'] * 1e3:8.1f} ms   "
            f"torchmetrics(2 threads)/sksoft = "
            f"{best2['torchmetrics'] / best2['sksoft']:.2f}x (target >= 1)"
        )
    if "netcal" in best:
        ours = lambda: expected_calibration_error(  # noqa: E731
            y, p, n_bins=args.bins, classwise=True
        )
        theirs = lambda: netcal_classwise(y, p, args.bins)  # noqa: E731
        diff = abs(ours() - theirs())
        t = best_of({"sksoft": ours, "netcal": theirs}, max(2, args.repeats // 2))
        print(
            f"classwise     sksoft {t['sksoft'] * 1e3:8.1f} ms, netcal (K binary "
            f"ECEs) {t['netcal'] * 1e3:8.1f} ms: netcal/sksoft = "
            f"{t['netcal'] / t['sksoft']:.2f}x (target >= 5)   |diff| = {diff:.1e}"
        )
    for name, (new, old) in variants(y, p, args.bins).items():
        diff = abs(new() - old())
        t = best_of({"new": new, "old": old}, args.repeats)
        c = best_of({"new": new, "old": old}, args.repeats, clock=time.process_time)
        peak_new, peak_old = peak_memory(new), peak_memory(old)
        print(
            f"{name:<13} chunked {t['new'] * 1e3:8.1f} ms, previous kernel "
            f"{t['old'] * 1e3:8.1f} ms: {t['old'] / t['new']:.2f}x (CPU time "
            f"{c['new'] * 1e3:.1f} vs {c['old'] * 1e3:.1f} ms: "
            f"{c['old'] / c['new']:.2f}x)   |diff| = {diff:.1e}   peak "
            f"{peak_new / (8 * args.n):.2f} vs {peak_old / (8 * args.n):.2f} x n "
            "float64"
        )


if __name__ == "__main__":
    main()
