"""Cap-weighted benchmarks over the universe: the large-cap index and its screened variants."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.inbox import GICS_SECTORS, INBOX_FILES
from sma.market._universe import Universe


@dataclass(frozen=True)
class BenchmarkDefinition:
    """A cap-weighted index of the universe's index members, minus screened sectors and ESG tags."""

    benchmark_id: str
    excluded_sectors: tuple[str, ...] = ()
    excluded_tags: tuple[str, ...] = ()


#: The large-cap index, a sector-screened variant (no Energy) and an ESG-screened variant.
STANDARD_BENCHMARKS = (
    BenchmarkDefinition("LC500"),
    BenchmarkDefinition("LC500_EX_ENERGY", excluded_sectors=("Energy",)),
    BenchmarkDefinition(
        "LC500_ESG", excluded_tags=("fossil_fuels", "tobacco", "weapons", "controversy")
    ),
)


def benchmark_weights(universe: Universe, definition: BenchmarkDefinition) -> np.ndarray:
    """Cap weights of the benchmark's members.

    Returns
    -------
    ndarray of shape (n_securities,)
        Fractions summing to 1; 0 for securities outside the benchmark.
    """
    member = universe.in_index.copy()
    for sector in definition.excluded_sectors:
        member &= universe.sector != GICS_SECTORS.index(sector)
    for tag in definition.excluded_tags:
        member &= ~universe.has_tag(tag)
    cap = np.where(member, universe.market_cap, 0.0)
    return cap / cap.sum()


def benchmark_matrix(
    universe: Universe, definitions: tuple[BenchmarkDefinition, ...] = STANDARD_BENCHMARKS
) -> np.ndarray:
    """Weights of every benchmark: ndarray of shape (n_benchmarks, n_securities)."""
    return np.vstack([benchmark_weights(universe, d) for d in definitions])


def benchmarks_frame(
    universe: Universe, definitions: tuple[BenchmarkDefinition, ...] = STANDARD_BENCHMARKS
) -> pd.DataFrame:
    """The inbox's benchmarks file: one row per member, in contract column order."""
    weights = benchmark_matrix(universe, definitions)
    bench, security = np.nonzero(weights)
    frame = pd.DataFrame(
        {
            "benchmark_id": np.array([d.benchmark_id for d in definitions], dtype=object)[bench],
            "symbol": universe.symbol[security],
            "weight": weights[bench, security],
        }
    )
    return frame[list(INBOX_FILES["benchmarks"].column_names)]
