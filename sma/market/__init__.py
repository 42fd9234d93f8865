"""The market: a fictional securities universe, its cap-weighted benchmarks and a factor model of
prices.

Pure and deterministic for a seed; reused by the book generator, the simulator and the benchmarks.
"""

from sma.market._benchmarks import (
    STANDARD_BENCHMARKS,
    BenchmarkDefinition,
    benchmark_matrix,
    benchmark_weights,
    benchmarks_frame,
)
from sma.market._prices import (
    TRADING_DAYS,
    MarketParams,
    PriceHistory,
    business_days,
    business_days_ending,
    simulate_prices,
)
from sma.market._universe import Universe, UniverseParams, generate_universe
from sma.market._vocabulary import ESG_TAGS, SECTOR_COUNTS, STYLES

__all__ = [
    "ESG_TAGS",
    "SECTOR_COUNTS",
    "STANDARD_BENCHMARKS",
    "STYLES",
    "TRADING_DAYS",
    "BenchmarkDefinition",
    "MarketParams",
    "PriceHistory",
    "Universe",
    "UniverseParams",
    "benchmark_matrix",
    "benchmark_weights",
    "benchmarks_frame",
    "business_days",
    "business_days_ending",
    "generate_universe",
    "simulate_prices",
]
