"""
============================================
Six supervision arms built from one data set
============================================

Do human soft labels help because they carry *uncertainty*, or only because
the human majority sometimes corrects (or contradicts) the gold label? A
controlled comparison trains the same model on seven kinds of targets for the
same items, the **supervision arms** of :func:`sksoft.make_supervision_arms`:

``gold``
    one-hot gold labels;
``human_mode``
    one-hot of the (human-like) majority vote, which differs from gold on
    *mode-shifted* items;
``human_soft``
    the vote proportions themselves;
``human_soft_gold_mode``
    the same proportions with each row's mode swapped onto gold: the
    uncertainty without the mode shift;
``smoothed``
    label smoothing of gold with the same mean entropy as ``human_soft``;
``teacher``
    cross-fitted soft labels of a classifier trained on gold.

This example builds the arms from :func:`sksoft.datasets.make_ambiguous_digits`
and compares their entropy and their mode-shift rate. The "human-like" labels
of that data set are **simulated** by a noisy-observer panel, not collected
from people.
"""

# %%
# An ambiguous testbed
# --------------------
# ``make_ambiguous_digits`` mixes clean 8 x 8 digits with blends of two digits
# of different classes. Six simulated observers each see a noisy copy of every
# image and vote the class a reference classifier (fitted on other digits)
# predicts. Blends split the panel; sometimes its majority even picks the
# weaker source digit, so it differs from gold.
import matplotlib.pyplot as plt
import numpy as np

from sksoft import make_supervision_arms, mode_shift_mask, target_entropy
from sksoft.datasets import make_ambiguous_digits

digits = make_ambiguous_digits(n_samples=1500, ambiguous_fraction=0.3, random_state=0)
print(digits.DESCR.splitlines()[0])
print(
    "items:", digits.data.shape[0], "of which blends:", int(digits.is_ambiguous.sum())
)
print("soft labels are", digits.soft_labels)

shift = mode_shift_mask(digits.counts, digits.target, counts=True)
print(
    f"simulated majority != gold: clean {shift[~digits.is_ambiguous].mean():.1%}, "
    f"blends {shift[digits.is_ambiguous].mean():.1%}"
)

# %%
# The arms
# --------
# One call builds every arm over the same rows and columns
# (``gold_temperature`` has the gold targets: the audit fits its temperature
# after training, against the human labels of held-out training rows). The
# smoothing of the ``smoothed`` arm is solved for so that its mean entropy
# equals that of ``human_soft``; the teacher is a cross-fitted logistic
# regression (no item is labelled by a model that saw it).
arms, info = make_supervision_arms(
    digits.counts,
    digits.target,
    X=digits.data,
    counts=True,
    random_state=0,
    return_info=True,
)
print(f"smoothing epsilon matching the human entropy: {info['epsilon']:.3f}")
print(f"rows whose mode was moved onto gold: {info['mode_changed'].sum()}")

rows = np.arange(digits.target.shape[0])
print(f"\n{'arm':<22}{'mean entropy':>14}{'mode != gold':>14}{'p(gold)':>10}")
for name, y in arms.items():
    ent = target_entropy(y).mean()
    moved = np.mean(y.argmax(axis=1) != digits.target)
    print(f"{name:<22}{ent:>14.3f}{moved:>14.1%}{y[rows, digits.target].mean():>10.3f}")

# %%
# ``human_soft`` and ``human_soft_gold_mode`` have exactly the same entropy
# (the swap keeps each row's values), ``human_mode`` and ``human_soft`` share
# the mode shift. ``human_soft_gold_mode`` keeps a small residue of it: with
# six votes, a 3-3 tie between gold and an earlier class cannot be broken
# without changing the values, and the argmax (ties to the first class) then
# still points away from gold. ``smoothed`` has no mode shift at all and
# spreads the same mean entropy evenly over all items, clean or blended. The
# teacher's uncertainty follows what a model finds hard, which need not be
# what the observers found hard.
#
# Picture: one blended item, the entropy of every arm on clean and blended
# items, and each arm's mode-shift rate.
fig, axes = plt.subplots(
    1, 3, figsize=(13, 4), gridspec_kw={"width_ratios": [0.9, 2, 1.3]}
)

i = int(np.flatnonzero(digits.is_ambiguous & shift)[0])
axes[0].imshow(digits.images[i], cmap="gray_r")
a, b = np.argsort(digits.mixture[i])[::-1][:2]
votes = ", ".join(f"{k}:{c}" for k, c in enumerate(digits.counts[i]) if c)
axes[0].set_title(
    f"{digits.mixture[i, a]:.2f} x '{a}' + {digits.mixture[i, b]:.2f} x '{b}'\n"
    f"gold {digits.target[i]}; simulated votes {votes}",
    fontsize=8,
)
axes[0].axis("off")

names = list(arms)
amb = digits.is_ambiguous
pos = np.arange(len(names))
for offset, subset, color, label in [
    (-0.18, ~amb, "tab:blue", "clean"),
    (0.18, amb, "tab:orange", "blends"),
]:
    box = axes[1].boxplot(
        [target_entropy(arms[n][subset]) for n in names],
        positions=pos + offset,
        widths=0.3,
        patch_artist=True,
        showfliers=False,
    )
    for patch in box["boxes"]:
        patch.set_facecolor(color)
        patch.set_alpha(0.6)
    axes[1].plot([], [], color=color, lw=6, alpha=0.6, label=label)
axes[1].set_xticks(pos, names, rotation=30, ha="right")
axes[1].set_ylabel("target entropy (nats)")
axes[1].set_title("Entropy of each arm")
axes[1].legend()

rates = [np.mean(arms[n].argmax(axis=1) != digits.target) for n in names]
axes[2].barh(names, rates, color="tab:gray")
axes[2].invert_yaxis()
axes[2].set_xlabel("share of items whose mode != gold")
axes[2].set_title("Mode-shift rate")
fig.tight_layout()
plt.show()
