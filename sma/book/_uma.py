"""The generated book's model-delivered UMA (issue 19): three fictional outside managers' models,
a new version each quarter, and the sleeves of the accounts implemented as UMAs.

Issue 19, "Book generator": "three fictional model providers (e.g. core index, dividend/value,
growth, ESG-screened), 20-30% of generated accounts as UMAs with 2-4 sleeves plus a cash sleeve,
and model changes over time". The models take nothing from a random stream (they follow the
market); the sleeves come from a stream of their own, so the manager-traded book of a seed is the
same with or without them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sma.book._frames import contract_table, dates, strings
from sma.inbox import CASH_MODEL_ID, Implementation
from sma.market import STYLES, PriceHistory, Universe


@dataclass(frozen=True)
class ModelDefinition:
    """One outside manager's model: which securities, how many, when it is rebalanced.

    Attributes
    ----------
    provider_id, model_id : the model's ids in the models file.
    n_names : the largest eligible names by market cap it holds, cap-weighted.
    value_tilt : +1 holds only value names (style score > 0), -1 only growth names, 0 either.
    screened_tags : ESG tags it never holds.
    offset_days : business days before the as-of date of its latest version; one version every
        ``BookParams.model_version_days`` before that.
    """

    provider_id: str
    model_id: str
    n_names: int
    value_tilt: int = 0
    screened_tags: tuple[str, ...] = ()
    offset_days: int = 0


STANDARD_MODELS = (
    ModelDefinition("NORTHWIND", "NW_CORE", 200, offset_days=0),
    ModelDefinition(
        "NORTHWIND",
        "NW_ESG",
        150,
        screened_tags=("fossil_fuels", "weapons", "tobacco", "controversy"),
        offset_days=0,
    ),
    ModelDefinition("ALDER", "AL_DIVIDEND_VALUE", 60, value_tilt=1, offset_days=21),
    ModelDefinition("BRIGHTWATER", "BW_GROWTH", 50, value_tilt=-1, offset_days=42),
)


def _eligible(universe: Universe, model: ModelDefinition) -> np.ndarray:
    ok = universe.in_index.copy()
    value = universe.style[:, STYLES.index("value")]
    if model.value_tilt:
        ok &= np.sign(value) == model.value_tilt
    for tag in model.screened_tags:
        ok &= ~universe.has_tag(tag)
    return ok


def models_table(
    universe: Universe,
    history: PriceHistory,
    models: tuple[ModelDefinition, ...],
    n_versions: int,
    version_days: int,
) -> pa.Table:
    """Every version of every model in the price history: cap-weighted at the version date's
    closes over its largest eligible names (so names enter and leave between versions).

    Parameters
    ----------
    universe : the securities, market caps as of the last close.
    history : the closes, shape (n_days, n_securities).
    models : the models to deliver.
    n_versions : versions per model, the latest ``offset_days`` before the last close.
    version_days : business days between versions.

    Returns
    -------
    The models file: provider_id, model_id, effective_date, symbol, weight.
    """
    rows: dict[str, list] = {c: [] for c in ("provider", "model", "day", "security", "weight")}
    last = len(history.dates) - 1
    for m, model in enumerate(models):
        eligible = np.flatnonzero(_eligible(universe, model))
        for k in range(n_versions):
            day = last - model.offset_days - k * version_days
            if day < 0:
                break
            cap = universe.market_cap[eligible] * history.closes[day, eligible]
            cap = cap / history.closes[last, eligible]
            top = eligible[np.argsort(-cap, kind="stable")[: model.n_names]]
            top.sort()
            weight = universe.market_cap[top] * history.closes[day, top]
            rows["provider"] += [m] * len(top)
            rows["model"] += [m] * len(top)
            rows["day"] += [day] * len(top)
            rows["security"] += top.tolist()
            rows["weight"].append(weight / weight.sum())
    weights = np.concatenate(rows["weight"]) if rows["weight"] else np.zeros(0)
    return contract_table(
        "models",
        {
            "provider_id": strings([d.provider_id for d in models], np.array(rows["provider"])),
            "model_id": strings([d.model_id for d in models], np.array(rows["model"])),
            "effective_date": dates(history.dates[np.array(rows["day"], dtype=np.int64)]),
            "symbol": strings(universe.symbol, np.array(rows["security"], dtype=np.int64)),
            "weight": weights,
        },
    )


@dataclass(frozen=True)
class SleeveDraw:
    """The UMA accounts and their sleeves, drawn for the whole book at once.

    Attributes
    ----------
    is_uma : ndarray of shape (n_accounts,), bool -- implemented as a UMA
    account : ndarray of shape (n_sleeves,), int -- the account of each sleeve (sorted)
    model : ndarray of shape (n_sleeves,), int -- index into the models, -1 = the cash sleeve
    target_weight : ndarray of shape (n_sleeves,), fraction of the account; an account's sum to 1
    drift_band : ndarray of shape (n_sleeves,), fraction
    """

    is_uma: np.ndarray
    account: np.ndarray
    model: np.ndarray
    target_weight: np.ndarray
    drift_band: np.ndarray


def draw_sleeves(
    rng: np.random.Generator,
    cash_target: np.ndarray,
    n_models: int,
    uma_share: float,
    max_sleeves: int = 4,
) -> SleeveDraw:
    """Which accounts are UMAs, and their 2 to ``max_sleeves`` model sleeves plus a cash sleeve.

    Parameters
    ----------
    rng : the sleeves' own stream.
    cash_target : ndarray of shape (n_accounts,), the accounts' cash targets: the cash sleeve's
        weight (at least 1%).
    n_models : models to choose from (distinct within an account).
    uma_share : expected fraction of accounts that are UMAs.
    max_sleeves : most model sleeves per account (at most ``n_models``).
    """
    n = len(cash_target)
    is_uma = rng.random(n) < uma_share
    uma = np.flatnonzero(is_uma)
    most = max(min(max_sleeves, n_models), 2)  # the book's parameters are checked to allow 2
    n_sleeves = rng.integers(2, most + 1, size=len(uma))
    account, model, weight, band = [], [], [], []
    for a, k in zip(uma.tolist(), n_sleeves.tolist(), strict=True):
        cash = round(max(float(cash_target[a]), 0.01), 4)
        shares = np.round(rng.dirichlet(np.full(k, 3.0)) * (1.0 - cash), 4)
        shares[0] = round(1.0 - cash - shares[1:].sum(), 4)
        account += [a] * (k + 1)
        model += [*np.sort(rng.choice(n_models, size=k, replace=False)).tolist(), -1]
        weight += [*shares.tolist(), cash]
        band += [*rng.choice([0.03, 0.05, 0.10], size=k).tolist(), 0.02]
    return SleeveDraw(
        is_uma=is_uma,
        account=np.array(account, dtype=np.int64),
        model=np.array(model, dtype=np.int64),
        target_weight=np.array(weight, dtype=float),
        drift_band=np.array(band, dtype=float),
    )


def implementation_column(draw: SleeveDraw, lo: int, hi: int) -> list[str]:
    """The accounts' implementation, accounts ``lo`` to ``hi - 1``."""
    return np.where(
        draw.is_uma[lo:hi], Implementation.UMA.value, Implementation.MANAGER_TRADED.value
    ).tolist()


def sleeves_table(
    draw: SleeveDraw, lo: int, hi: int, account_ids: pa.Array, models: tuple[ModelDefinition, ...]
) -> pa.Table:
    """The sleeves file of accounts ``lo`` to ``hi - 1`` (``account_ids`` covers the whole book)."""
    mine = (draw.account >= lo) & (draw.account < hi)
    account = draw.account[mine]
    starts = np.r_[True, account[1:] != account[:-1]] if len(account) else np.zeros(0, bool)
    number = np.arange(len(account)) - np.maximum.accumulate(
        np.where(starts, np.arange(len(account)), 0)
    )
    model = draw.model[mine]
    names = [d.model_id for d in models] + [CASH_MODEL_ID]
    return contract_table(
        "sleeves",
        {
            "account_id": account_ids.take(account),
            "sleeve_id": [f"S{i + 1}" for i in number.tolist()],
            "model_id": strings(names, np.where(model < 0, len(models), model)),
            "target_weight": draw.target_weight[mine],
            "drift_band": draw.drift_band[mine],
        },
    )
