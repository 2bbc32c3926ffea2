"""Run the soft-label audit on a Dask cluster.

``run_audit`` sends its runs through joblib, so joblib's Dask backend spreads
them over the workers of a ``dask.distributed`` cluster; the results equal the
serial ones (the tests check it). This script is not part of the example
gallery (the documentation build does not run it: it needs a cluster or starts
worker processes). Run it with::

    python examples/run_audit_on_dask.py                       # a LocalCluster
    python examples/run_audit_on_dask.py tcp://scheduler:8786  # your cluster

Every worker needs the same Python environment as this client (sksoft, torch,
skorch, scikit-learn); start them with one thread each, e.g.
``OMP_NUM_THREADS=1 dask worker tcp://scheduler:8786 --nworkers 8 --nthreads 1``,
and without Dask's ``MALLOC_TRIM_THRESHOLD_`` (it makes the batched training
about twice as slow; ``run_audit`` warns when the workers have it). See the
documentation page "Running the audit on a cluster" (docs/scale_out.rst).
"""

import argparse
import time

import dask
import joblib
from dask.distributed import Client, LocalCluster

from sksoft.audit import run_audit
from sksoft.cli import load_audit_data

TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address", nargs="?", help="scheduler, e.g. tcp://host:8786")
    parser.add_argument("--dataset", default="ambiguous-digits")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--out", default="sksoft-audit-dask")
    parser.add_argument(
        "--check", action="store_true", help="also run serially and compare"
    )
    args = parser.parse_args(argv)

    data = load_audit_data(args.dataset)
    kwargs = dict(
        counts=data["counts"],
        classes=data["classes"],
        seeds=args.seeds,
        provenance=data["provenance"],
    )

    if args.address is None:  # try it on this machine: 2 worker processes
        # Dask's nannies would start the workers with MALLOC_TRIM_THRESHOLD_
        # set, which makes every large tensor a fresh mmap (docs/scale_out.rst)
        dask.config.set({TRIM_KEY: None})
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        cluster, client = None, Client(args.address)
    # the workers must run the client's versions of the packages; run_audit
    # warns if they were started with Dask's MALLOC_TRIM_THRESHOLD_
    client.get_versions(check=True)
    try:
        start = time.perf_counter()
        with joblib.parallel_config("dask"):
            result = run_audit(
                data["X"], data["gold"], data["human"], n_jobs=-1, **kwargs
            )
        print(f"audit on {client}: {time.perf_counter() - start:.1f} s")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    if args.check:  # the same audit in this process
        serial = run_audit(data["X"], data["gold"], data["human"], n_jobs=1, **kwargs)
        diff = max(
            abs(a["proba"] - b["proba"]).max() for a, b in zip(result.runs, serial.runs)
        )
        print(f"largest difference to the serial audit: {diff:.2e}")
    result.write_report(args.out)
    print(f"report written to {args.out}/report.md")


if __name__ == "__main__":
    main()
