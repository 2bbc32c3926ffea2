"""Gold that is the annotators' majority: the arms it makes identical (private).

When a data set has no independent gold (Le-Wi-Di's ``hard_label`` is the
majority of the same annotators whose votes make the soft labels), there is
no mode shift to measure and some arms coincide: ``human_mode`` trains on the
same targets as ``gold`` wherever the majority is unique, and
``human_soft_gold_mode`` (each row's mode swapped onto gold) is
``human_soft`` itself. Which arms coincide is **checked on the built
targets**, never assumed: with ties (HS-Brexit's 3-3 items, ConvAbuse's
even panels) the published majority may pick the second class while the
``human_mode`` arm breaks ties to the first, so ``human_mode`` differs from
``gold`` on those rows and is kept; swapping two equal probabilities changes
nothing, so ``human_soft_gold_mode`` still equals ``human_soft``.
"""

import numpy as np

from ..sources import ARM_REGISTRY


def identical_arms(arms, fold_targets):
    """``{arm: earlier arm}`` for each arm whose targets equal an earlier arm's.

    Equal means exactly equal on the training rows of every fold. Arms with a
    post-fit step (``gold_temperature``) are never merged, nor merged into.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.eye(2)[[0, 1, 1]]
    >>> soft = np.array([[0.8, 0.2], [0.5, 0.5], [0.3, 0.7]])
    >>> identical_arms(["gold", "human_mode", "human_soft"],
    ...                [{"gold": one, "human_mode": one, "human_soft": soft}])
    {'human_mode': 'gold'}
    """
    same = {}
    kept = []
    for arm in arms:
        if ARM_REGISTRY[arm].calibrate is not None:
            continue
        twin = next(
            (
                a
                for a in kept
                if all(np.array_equal(t[a], t[arm]) for t in fold_targets)
            ),
            None,
        )
        if twin is None:
            kept.append(arm)
        else:
            same[arm] = twin
    return same


def majority_note(skipped, n_tied_test, mode_differs_test):
    """The report's line on the majority gold: no mode shift, the skipped arms."""
    parts = [
        "gold is the annotators' majority (no independent gold), so there is no "
        "mode shift to measure: the mode-shift arms test only soft vs hard "
        "supervision"
    ]
    if skipped:
        parts.append(
            "skipped as identical (same targets on every training row): "
            + ", ".join(f"`{a}` = `{b}`" for a, b in skipped.items())
        )
    if mode_differs_test:
        parts.append(
            f"`human_mode` differs from `gold` only by tie-breaking ({n_tied_test} "
            f"tied test items; {mode_differs_test} of them with the published "
            "majority on the second class), so it is kept"
        )
    return "; ".join(parts)
