"""``sma.uma._band``'s search for the best BAND move as it was written in numpy
(``_Band._best_move`` at 80824c3): the specification the compiled ``best_band_move`` keeps, pair
for pair; and the Python loop of moves around it (``_Band.move`` at 12ab615), the specification
the compiled ``band_moves`` keeps, move for move."""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def _beyond(drift: np.ndarray, band: np.ndarray) -> np.ndarray:
    return np.clip(np.abs(drift) - band, 0.0, None)


def numpy_best_move(lot_value, sleeve, symbol, drift, band, cash, total, held, goal):
    """(lot, receiving sleeve) of the best move that helps, or None; ``drift`` as ``_Band.drift``
    gives it, the rest as ``_Band`` holds them."""
    beyond = _beyond(drift, band)
    if total <= 0 or beyond.sum() <= _EPS:
        return None
    lots = np.flatnonzero((lot_value > 0) & (drift[sleeve] > 0))
    receivers = np.flatnonzero(~cash & (drift < 0))
    if not lots.size or not receivers.size:
        return None
    src = sleeve[lots]
    w = lot_value[lots, None] / total  # (n_candidates, 1)
    d_src, d_to = drift[src][:, None], drift[receivers][None, :]
    closer = (w <= 2 * d_src + _EPS) & (w <= -2 * d_to + _EPS)
    gain = (
        _beyond(d_src - w, band[src][:, None])
        + _beyond(d_to + w, band[receivers][None, :])
        - beyond[src][:, None]
        - beyond[receivers][None, :]
    )
    j = symbol[lots]
    tier = (held[j, src] > goal[j, src] + _EPS)[:, None].astype(int) + (
        goal[j][:, receivers] > 0
    ).astype(int)
    helps = closer & (gain < -_EPS) & (src[:, None] != receivers[None, :])
    if not helps.any():
        return None
    score = np.where(helps, tier * 10.0 - gain, -np.inf)  # tier first: gain is below 1
    i, r = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(lots[i]), int(receivers[r])


def numpy_moves(lot_value, sleeve, symbol, value, target, band, cash, total, held, goal, most):
    """The moves ``_Band.move`` made in Python around the search (at 12ab615): (lot, giving
    sleeve, receiving sleeve) of each, in order; ``sleeve``, ``value`` and ``held`` changed by
    them in place. The specification the compiled ``band_moves`` keeps, move for move."""
    made = []
    for _ in range(most):
        drift = -target if total <= 0 else value / total - target
        best = numpy_best_move(lot_value, sleeve, symbol, drift, band, cash, total, held, goal)
        if best is None:
            break
        k, to = best
        src, j, v = sleeve[k], symbol[k], lot_value[k]
        made.append((k, int(src), to))
        sleeve[k] = to
        value[src] -= v
        value[to] += v
        held[j, src] -= v
        held[j, to] += v
    return made
