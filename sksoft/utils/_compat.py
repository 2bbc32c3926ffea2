"""Shims for the oldest versions of sksoft's dependencies.

sksoft claims ``skorch>=1.2``; some skorch internals it calls changed since.
Each shim names the version that made it necessary, so it can go once the
lower bound passes that version. Imports stay inside the functions: this
module must not pull torch into the numpy-only parts of sksoft.
"""

import functools
import inspect


@functools.cache
def _skorch_fit_loop_routes():
    from skorch import NeuralNet

    return "_routing_method" in inspect.signature(NeuralNet.fit_loop).parameters


def fit_loop_routing_kwargs(method):
    """Keyword telling ``NeuralNet.fit_loop`` which public method called it.

    skorch 1.4 added metadata routing and the private ``_routing_method``
    argument of ``fit_loop`` (``"fit"`` or ``"partial_fit"``); older skorch
    passes every fit parameter on unrouted and rejects the argument.
    """
    return {"_routing_method": method} if _skorch_fit_loop_routes() else {}
