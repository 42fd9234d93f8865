"""Corporate actions going ex on the night's date, at the rates a ~500-name US large-cap index sees.

Each action's fields follow the generated closes (shared/CORPORATE_ACTIONS.md): a spin-off's
``basis_fraction`` is the child's share of the parent's value, the parent's close drops by it; a
cash merger pays about the last close (the spread to the deal price is small by the closing day);
a stock merger's ratio is the target's close over the acquirer's. Names the actions hand out that
the universe does not hold (a spun-off child, a new ticker) are new securities with closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sma.inbox import INBOX_FILES, CorporateActionKind
from sma.market import TRADING_DAYS

Kind = CorporateActionKind


@dataclass(frozen=True)
class CorporateActionRates:
    """Actions a year across the whole ~500-name universe, per kind (0 turns a kind off).

    Sources and reasoning: S&P Dow Jones Indices' S&P 500 index announcements show about 20-30
    constituents a year leaving on an acquisition, most of them for cash, the rest for stock or
    cash and stock; a few spin-offs a year (2023-24: Kenvue, Veralto, GE Vernova, Solventum);
    a ticker change every year or two (FB to META in 2022); about 30 REITs, many of which
    return part of their quarterly distribution as capital (their Form 8937s); and a large cap
    becoming worthless while still a large cap is all but unheard of (a once-a-generation event).
    """

    merger_cash: float = 14.0
    merger_stock: float = 5.0
    merger_mixed: float = 5.0
    spinoff: float = 4.0
    symbol_change: float = 1.0
    return_of_capital: float = 40.0  # ~30 REITs x 4 quarters x ~1/3 with a capital part
    worthless: float = 0.05

    def per_kind(self) -> dict[CorporateActionKind, float]:
        """The yearly rate of each kind, keyed by the inbox's kind."""
        return {
            Kind.MERGER_CASH: self.merger_cash,
            Kind.MERGER_STOCK: self.merger_stock,
            Kind.MERGER_MIXED: self.merger_mixed,
            Kind.SPINOFF: self.spinoff,
            Kind.SYMBOL_CHANGE: self.symbol_change,
            Kind.RETURN_OF_CAPITAL: self.return_of_capital,
            Kind.WORTHLESS: self.worthless,
        }

    def scaled(self, factor: float) -> CorporateActionRates:
        """Every rate times ``factor`` (a test or a demo that wants to see every kind tonight)."""
        return CorporateActionRates(*(rate * factor for rate in self.per_kind().values()))


#: Kinds after which the old symbol no longer trades: it leaves the index.
LEAVING = (Kind.MERGER_CASH, Kind.MERGER_STOCK, Kind.MERGER_MIXED, Kind.WORTHLESS)
#: Kinds that hand out whole shares of another security (cash in lieu of fractions).
RECEIVING = (Kind.SPINOFF, Kind.MERGER_STOCK, Kind.MERGER_MIXED)


@dataclass(frozen=True)
class CorporateActionDraw:
    """Tonight's actions and what they change in the market files.

    Attributes
    ----------
    actions : DataFrame -- the inbox ``corporate_actions`` rows (every contract column)
    securities : DataFrame -- new securities (spun-off children, new tickers), securities columns
    closes : DataFrame -- closes of the new securities over the history, one column per symbol
    tonight : dict of str -> float -- tonight's close of a symbol the action moved (USD)
    renamed : dict of str -> str -- old symbol -> new symbol (the index follows the new ticker)
    """

    actions: pd.DataFrame = field(default_factory=lambda: _actions_frame([]))
    securities: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(INBOX_FILES["securities"].column_names))
    )
    closes: pd.DataFrame = field(default_factory=pd.DataFrame)
    tonight: dict[str, float] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def leaving(self) -> list[str]:
        """Symbols that stop trading tonight (merged away or worthless)."""
        kinds = self.actions["kind"].isin([str(k) for k in LEAVING])
        return self.actions.loc[kinds, "symbol"].tolist()


def _actions_frame(rows: list[dict]) -> pd.DataFrame:
    columns = list(INBOX_FILES["corporate_actions"].column_names)
    return pd.DataFrame(rows, columns=columns).astype({"ratio": float})


def _new_ticker(base: str, suffix: str, taken: set[str]) -> str:
    ticker = base + suffix
    while ticker in taken:
        ticker += suffix
    taken.add(ticker)
    return ticker


def draw_corporate_actions(
    rng: np.random.Generator,
    securities: pd.DataFrame,
    eligible: np.ndarray,
    closes: np.ndarray,
    as_of: np.datetime64,
    rates: CorporateActionRates,
    reserved: frozenset[str] = frozenset(),
) -> CorporateActionDraw:
    """Corporate actions going ex on ``as_of``, each kind a Poisson count at its daily rate.

    Parameters
    ----------
    rng : Generator
    securities : DataFrame -- the inbox ``securities`` frame, one row per column of ``closes``
    eligible : ndarray of shape (n_securities,), bool -- names an action may touch: index
        members without a second share class (an action on one class of a pair is not what the
        index sees)
    closes : ndarray of shape (n_days, n_securities), USD -- the history, tonight last
    as_of : datetime64[D] -- the night (every action's ``ex_date``)
    rates : CorporateActionRates -- actions a year per kind across the universe
    reserved : frozenset of str -- tickers a new security may not take (earlier actions' ones)

    Returns
    -------
    CorporateActionDraw
        At most one action per security, only on ``eligible`` ones.
    """
    symbols = securities["symbol"].astype(str).to_numpy()
    pool = list(rng.permutation(np.flatnonzero(eligible)))
    real_estate = set(np.flatnonzero(securities["sector"].astype(str).to_numpy() == "Real Estate"))
    taken = set(symbols.tolist()) | reserved
    rows: list[dict] = []
    new_rows: list[dict] = []
    new_closes: dict[str, np.ndarray] = {}
    tonight: dict[str, float] = {}
    renamed: dict[str, str] = {}
    for kind, rate in rates.per_kind().items():
        for _ in range(int(rng.poisson(rate / TRADING_DAYS))):
            choices = (
                [i for i in pool if i in real_estate] if kind == Kind.RETURN_OF_CAPITAL else pool
            )
            if not choices or (kind in (Kind.MERGER_STOCK, Kind.MERGER_MIXED) and len(pool) < 2):
                break
            i = int(choices[0])
            pool.remove(i)
            symbol, close = str(symbols[i]), float(closes[-1, i])
            row: dict = {"symbol": symbol, "ex_date": as_of.astype(object), "kind": str(kind)}
            if kind == Kind.MERGER_CASH:
                # By the closing date the target trades within a percent or two of the deal price.
                row["price"] = round(close * (1.0 + rng.uniform(0.0, 0.02)), 2)
            elif kind in (Kind.MERGER_STOCK, Kind.MERGER_MIXED):
                acquirer = int(pool.pop(0))  # an acquirer survives the night: no action of its own
                bought = float(closes[-1, acquirer])
                cash = rng.uniform(0.2, 0.6) if kind == Kind.MERGER_MIXED else 0.0
                row |= {
                    "new_symbol": str(symbols[acquirer]),
                    "ratio": round(close * (1.0 - cash) / bought, 4),
                    "cash_in_lieu_price": round(bought, 2),
                }
                if kind == Kind.MERGER_MIXED:
                    row |= {"cash_per_share": round(close * cash, 2), "new_share_price": bought}
            elif kind == Kind.SPINOFF:
                # The child is worth basis_fraction of the parent (Form 8937 allocates by value);
                # the parent's close drops by the same share.
                share = round(float(rng.uniform(0.1, 0.3)), 4)
                ratio = float(rng.choice([1.0, 0.5, 0.25, 0.2]))
                child = _new_ticker(symbol, "S", taken)
                new_closes[child] = np.round(closes[:, i] * share / ratio, 2)
                tonight[symbol] = round(close * (1.0 - share), 2)
                row |= {"new_symbol": child, "ratio": ratio, "basis_fraction": share}
                row["cash_in_lieu_price"] = float(new_closes[child][-1])
                new_rows.append(_security(securities, i, child, " Spinco"))
            elif kind == Kind.SYMBOL_CHANGE:
                new = _new_ticker(symbol, "N", taken)
                new_closes[new] = closes[:, i].copy()
                renamed[symbol] = new
                row["new_symbol"] = new
                new_rows.append(_security(securities, i, new, ""))
            elif kind == Kind.RETURN_OF_CAPITAL:
                # The capital part of a quarterly REIT distribution: a fraction of a percent.
                row["amount_per_share"] = round(close * rng.uniform(0.002, 0.006), 4)
            elif kind == Kind.WORTHLESS:
                tonight[symbol] = 0.01  # the last trade before the shares are cancelled
            rows.append(row)
    return CorporateActionDraw(
        actions=_actions_frame(rows),
        securities=pd.DataFrame(new_rows, columns=list(INBOX_FILES["securities"].column_names)),
        closes=pd.DataFrame(new_closes),
        tonight=tonight,
        renamed=renamed,
    )


def _security(securities: pd.DataFrame, i: int, symbol: str, suffix: str) -> dict:
    """A new security like row ``i`` (same sector and industry), its own identical group."""
    row = securities.iloc[i].to_dict()
    return row | {"symbol": symbol, "name": f"{row['name']}{suffix}", "identical_group": None}


def action_cash(lots: pd.DataFrame, actions: pd.DataFrame) -> pd.Series:
    """Cash each account receives tonight from the actions, USD by ``account_id``.

    Cash-merger proceeds, a mixed merger's boot, returns of capital and cash in lieu of the
    fraction of each lot's new shares (fractions are per lot, shared/CORPORATE_ACTIONS.md).

    Parameters
    ----------
    lots : DataFrame -- ``account_id, symbol, quantity`` before the actions, one row per lot
    actions : DataFrame -- tonight's inbox ``corporate_actions`` rows

    Returns
    -------
    Series of float, USD rounded to cents, indexed by account_id (accounts with none are absent)
    """
    per_share = actions.set_index("symbol")
    held = lots[lots["symbol"].isin(per_share.index)]
    a = per_share.loc[held["symbol"]].reset_index(drop=True)
    quantity = held["quantity"].to_numpy(float)
    paid = np.zeros(len(held))
    for column in ("price", "cash_per_share", "amount_per_share"):
        if column in a:
            paid += quantity * a[column].fillna(0.0).to_numpy(float)
    received = quantity * a["ratio"].fillna(0.0).to_numpy(float)
    fraction = received - np.floor(received + 1e-9)
    paid += np.where(fraction > 1e-9, fraction, 0.0) * a["cash_in_lieu_price"].fillna(0.0).to_numpy(
        float
    )
    total = pd.Series(paid, index=held["account_id"].to_numpy()).groupby(level=0).sum()
    return total.round(2)
