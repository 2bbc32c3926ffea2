"""The random-number draws a fit makes, in their order.

A ``SoftLabelClassifier(random_state=seed)`` fit owns a
:class:`torch.Generator` seeded with ``seed``. It first draws the seed of the
generator that initialises the module, then the seed of torch's global
generator during training (drawn even when unused, so the later draws do not
depend on the module); after that it draws the validation split
(:func:`sksoft._engine._split.holdout_split`), every epoch's shuffling and the
dropout masks, in the order the training loop needs them. The batched
ensemble makes the same draws per member through the same functions.
"""

import numpy as np
import torch

__all__ = ["draw_fit_seeds", "draw_seed", "member_streams", "new_generator"]


def new_generator(random_state):
    """A :class:`torch.Generator` seeded from ``random_state`` (no global RNG read).

    ``None`` takes fresh entropy from :class:`numpy.random.SeedSequence`; a
    ``RandomState`` gives one draw of its own.
    """
    seed = random_state
    if seed is None:
        seed = int(
            np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(2)
        )
    elif isinstance(seed, np.random.RandomState):
        seed = int(seed.randint(np.iinfo(np.int32).max))
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return generator


def draw_seed(generator):
    """One seed in ``[0, 2**31 - 1)`` drawn from ``generator``."""
    return int(torch.randint(0, 2**31 - 1, (1,), generator=generator).item())


def draw_fit_seeds(generator):
    """The fit's first two draws: ``(init_seed, train_seed)``."""
    init_seed = draw_seed(generator)
    return init_seed, draw_seed(generator)


def member_streams(seed):
    """``(fit_generator, init_generator)`` of the fit with ``random_state=seed``."""
    fit_gen = new_generator(int(seed))
    init_seed, _ = draw_fit_seeds(fit_gen)
    return fit_gen, torch.Generator().manual_seed(init_seed)
