"""The securities universe: fictional large caps in the 11 GICS sectors, with share classes and ESG
tags.

One frozen dataclass of arrays (one row per security, sorted by symbol) carries what the book and
the market model need: the security master columns of the inbox plus market cap, beta, style
exposures and stock-specific volatility.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sma.inbox import GICS_SECTORS, INBOX_FILES
from sma.market._vocabulary import (
    INDUSTRIES,
    LEGAL_FORMS,
    NAME_STEMS,
    NAME_SUFFIXES,
    SECTOR_BETA,
    SECTOR_COUNTS,
)


@dataclass(frozen=True)
class UniverseParams:
    """How the universe is drawn.

    n_share_class_pairs companies get a second share class (a substantially identical pair);
    n_outside small caps are in the universe but in no index (legacy holdings, for instance).
    """

    sector_counts: tuple[tuple[str, int], ...] = tuple(SECTOR_COUNTS.items())
    n_share_class_pairs: int = 6
    n_outside: int = 12
    largest_cap: float = 3.5e12  # USD
    cap_decay: float = 0.8  # caps fall off as rank ** -cap_decay: top weight about 7%
    median_price: float = 90.0  # USD per share at the start of the price history
    controversy_rate: float = 0.03


@dataclass(frozen=True)
class Universe:
    """The securities, one row each, sorted by symbol.

    Attributes
    ----------
    symbol, name, industry : ndarray of shape (n,), str
    sector : ndarray of shape (n,), int -- index into ``GICS_SECTORS``
    identical_group : ndarray of shape (n,), str -- shared by substantially identical securities, ''
    = itself
    esg_tags : ndarray of shape (n,), str -- ';'-separated, '' = none
    in_index : ndarray of shape (n,), bool -- eligible for the large-cap index
    market_cap : ndarray of shape (n,), USD
    price : ndarray of shape (n,), USD per share at the start of a price history
    beta : ndarray of shape (n,) -- exposure to the market factor
    style : ndarray of shape (n, len(STYLES)) -- standardised style exposures
    idio_vol : ndarray of shape (n,), annualised stock-specific volatility
    twin_of : ndarray of shape (n,), int -- the primary share class's row, or -1
    """

    symbol: np.ndarray
    name: np.ndarray
    sector: np.ndarray
    industry: np.ndarray
    identical_group: np.ndarray
    esg_tags: np.ndarray
    in_index: np.ndarray
    market_cap: np.ndarray
    price: np.ndarray
    beta: np.ndarray
    style: np.ndarray
    idio_vol: np.ndarray
    twin_of: np.ndarray

    def __len__(self) -> int:
        return len(self.symbol)

    def has_tag(self, tag: str) -> np.ndarray:
        """Boolean mask of shape (n,): securities carrying the ESG tag."""
        return np.array([tag in tags.split(";") for tags in self.esg_tags], dtype=bool)

    def at_prices(self, price: np.ndarray) -> Universe:
        """The universe with every company's market cap moved with its price (shares outstanding
        fixed).

        Parameters
        ----------
        price : ndarray of shape (n,), USD per share -- e.g. the closes of an as-of date
        """
        return replace(
            self,
            market_cap=self.market_cap * price / self.price,
            price=np.asarray(price, dtype=float),
        )

    def securities_frame(self) -> pd.DataFrame:
        """The inbox's securities file, in contract column order."""
        frame = pd.DataFrame(
            {
                "symbol": self.symbol,
                "name": self.name,
                "sector": np.asarray(GICS_SECTORS)[self.sector],
                "industry": self.industry,
                "identical_group": np.where(self.identical_group == "", None, self.identical_group),  # pyright: ignore[reportArgumentType, reportCallIssue]
                "esg_tags": np.where(self.esg_tags == "", None, self.esg_tags),  # pyright: ignore[reportArgumentType, reportCallIssue]
            }
        )
        return frame[list(INBOX_FILES["securities"].column_names)]


def _tickers(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct fictional tickers of 3 or 4 letters."""
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        lengths = rng.choice([3, 4], size=2 * n, p=[0.45, 0.55])
        draws = rng.integers(0, 26, size=(2 * n, 4))
        for length, row in zip(lengths, draws):
            ticker = "".join(letters[row[:length]])
            if ticker not in seen:
                seen.add(ticker)
                out.append(ticker)
                if len(out) == n:
                    break
    return out


def _company_names(rng: np.random.Generator, sectors: list[str]) -> list[str]:
    """Distinct fictional company names: a stem, a word of the sector and a legal form."""
    seen: set[str] = set()
    names = []
    for sector in sectors:
        while True:
            stem = NAME_STEMS[rng.integers(len(NAME_STEMS))]
            suffix = NAME_SUFFIXES[sector][rng.integers(5)]
            name = f"{stem} {suffix} {LEGAL_FORMS[rng.integers(len(LEGAL_FORMS))]}"
            if name not in seen:
                seen.add(name)
                names.append(name)
                break
    return names


def _draw_tags(
    rng: np.random.Generator, tag_rates: tuple[tuple[str, float], ...], controversy_rate: float
) -> str:
    """The ';'-joined ESG tags of one security: its industry's tags at their rates, and rarely a
    controversy."""
    mine = {tag for tag, rate in tag_rates if rng.random() < rate}
    if rng.random() < controversy_rate:
        mine.add("controversy")
    return ";".join(sorted(mine))


def generate_universe(seed: int, params: UniverseParams = UniverseParams()) -> Universe:
    """Draw a fictional universe of large caps (deterministic for a seed).

    Market caps fall off as a power of rank like a real large-cap index; a few companies have two
    share classes that are substantially identical for wash sales (one ``identical_group``), whose
    caps split the company's; a few small caps stand outside the index.
    """
    rng = np.random.default_rng([seed, 1])
    sectors: list[str] = []
    industries: list[str] = []
    tags: list[str] = []
    for sector, count in params.sector_counts:
        options = INDUSTRIES[sector]
        picks = rng.integers(len(options), size=count)
        for pick in picks:
            industry, tag_rates = options[pick]
            sectors.append(sector)
            industries.append(industry)
            tags.append(_draw_tags(rng, tag_rates, params.controversy_rate))
    n_index = len(sectors)
    # Outside the index: small caps from random sectors.
    for sector in rng.choice(list(GICS_SECTORS), size=params.n_outside):
        industry, tag_rates = INDUSTRIES[sector][rng.integers(len(INDUSTRIES[sector]))]
        sectors.append(str(sector))
        industries.append(industry)
        tags.append(_draw_tags(rng, tag_rates, params.controversy_rate))
    n_companies = len(sectors)

    sector_code = np.array([GICS_SECTORS.index(s) for s in sectors])
    # Bigger companies cluster in some sectors: rank by a noisy sector-tilted score.
    tilt = np.array([0.3 if s == "Information Technology" else 0.0 for s in sectors])
    order = np.argsort(-(rng.normal(size=n_index) + tilt[:n_index]), kind="stable")
    rank = np.empty(n_index)
    rank[order] = np.arange(1, n_index + 1)
    cap = np.empty(n_companies)
    cap[:n_index] = (
        params.largest_cap / rank**params.cap_decay * np.exp(rng.normal(0.0, 0.1, n_index))
    )
    cap[n_index:] = np.exp(rng.uniform(np.log(4e8), np.log(4e9), params.n_outside))
    in_index = np.arange(n_companies) < n_index

    tickers = _tickers(rng, n_companies)
    names = _company_names(rng, sectors)
    beta = np.array([SECTOR_BETA[s] for s in sectors]) + rng.normal(0.0, 0.2, n_companies)
    log_cap = np.log(cap)
    style = np.column_stack(
        [
            -(log_cap - log_cap.mean()) / log_cap.std(),
            rng.normal(size=n_companies),
            rng.normal(size=n_companies),
        ]
    )
    # Stock-specific volatility 25-35%/yr for large caps, more for small ones.
    size_rank = (log_cap.max() - log_cap) / (log_cap.max() - log_cap.min())
    idio = 0.25 + 0.10 * size_rank + rng.uniform(-0.02, 0.02, n_companies)
    idio[~in_index] += 0.1
    price = np.clip(np.exp(rng.normal(np.log(params.median_price), 0.75, n_companies)), 5.0, 1500.0)

    rows = {
        "symbol": list(tickers),
        "name": names,
        "sector": list(sector_code),
        "industry": industries,
        "identical_group": [""] * n_companies,
        "esg_tags": tags,
        "in_index": list(in_index),
        "market_cap": list(cap),
        "price": list(price),
        "beta": list(beta),
        "style": list(style),
        "idio_vol": list(idio),
        "twin_of": [-1] * n_companies,
    }
    # Share classes: the second class of a large company, substantially identical to the first.
    twins = rng.choice(
        np.argsort(-cap[:n_index])[:150], size=params.n_share_class_pairs, replace=False
    )
    for first in sorted(twins):
        base = tickers[first]
        split = rng.uniform(0.4, 0.6)
        rows["symbol"][first] = f"{base}.A"
        rows["identical_group"][first] = f"SI_{base}"
        rows["market_cap"][first] = cap[first] * split
        for column in (
            "name",
            "sector",
            "industry",
            "esg_tags",
            "in_index",
            "beta",
            "style",
            "idio_vol",
        ):
            rows[column].append(rows[column][first])
        rows["name"][-1] = rows["name"][first] + " Class B"
        rows["name"][first] = rows["name"][first] + " Class A"
        rows["symbol"].append(f"{base}.B")
        rows["identical_group"].append(f"SI_{base}")
        rows["market_cap"].append(cap[first] * (1 - split))
        rows["price"].append(price[first] * rng.uniform(0.9, 1.1))
        rows["twin_of"].append(first)

    order = np.argsort(np.array(rows["symbol"]), kind="stable")
    new_position = np.empty_like(order)
    new_position[order] = np.arange(len(order))
    twin_of = np.array(rows["twin_of"])[order]
    twin_of = np.where(twin_of >= 0, new_position[np.maximum(twin_of, 0)], -1)
    return Universe(
        symbol=np.array(rows["symbol"], dtype=object)[order],
        name=np.array(rows["name"], dtype=object)[order],
        sector=np.array(rows["sector"], dtype=np.int64)[order],
        industry=np.array(rows["industry"], dtype=object)[order],
        identical_group=np.array(rows["identical_group"], dtype=object)[order],
        esg_tags=np.array(rows["esg_tags"], dtype=object)[order],
        in_index=np.array(rows["in_index"], dtype=bool)[order],
        market_cap=np.array(rows["market_cap"])[order],
        price=np.array(rows["price"])[order],
        beta=np.array(rows["beta"])[order],
        style=np.array(rows["style"])[order],
        idio_vol=np.array(rows["idio_vol"])[order],
        twin_of=twin_of,
    )
