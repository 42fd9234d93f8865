"""One typed settings object for a night, read from a TOML file and ``SMA_<SECTION>__<KEY>`` overrides.

Everything configurable lives here with its default; nothing else in the code hides a default.
The file is ``sma.toml`` in the working folder, or the path in ``SMA_CONFIG``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class StoreSettings(BaseModel):
    path: Path = Path("out/store.duckdb")  # the one DuckDB file; one writer at a time


class StorageSettings(BaseModel):
    # Where shard tasks exchange Parquet: a local folder or any fsspec URI (s3://, gs://, ...).
    uri: str = "out/storage"


class RunSettings(BaseModel):
    dir: Path = Path("out/runs")  # blotters, review pages, decision records, per run


class ValidationSettings(BaseModel):
    # Larger inbox files are refused unread (a Parquet file: also when it would decode to more). Files are
    # read in batches, so this guards against absurd files, not memory: 100,000 accounts are ~7.6 GB of
    # lots CSV, ~0.9 GB of lots Parquet that decodes to ~13 GB.
    max_file_bytes: int = 32 * 1024**3
    max_errors_reported: int = 1000  # issues listed in the report and kept in memory; the store quarantines all
    # Records typed and checked at a time; check_threads batches are checked at once while DuckDB
    # stages the one before, so Python holds about (check_threads + 1) batches. Small files are one batch.
    batch_rows: int = Field(default=250_000, ge=1)
    check_threads: int = Field(default=2, ge=1)
    # DuckDB's working memory while staging and loading the inbox; beyond it DuckDB spills to disk.
    # With 2GB a 100,000-account book (173M rows) ingested at a peak RSS of 3.6 GB.
    staging_memory_limit: str = Field(default="2GB", pattern=r"^[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
    # Where the staged inbox (a DuckDB file, about the size of the inbox compressed) and DuckDB's
    # spills go, in a folder removed afterwards; None = beside the store for a night's ingest
    # (<store>.staging), the system's temporary folder for `sma validate`.
    staging_dir: Path | None = None
    benchmark_weight_tolerance: float = 1e-6  # |sum(weights) - 1| allowed per benchmark
    reconciliation_tolerance_shares: float = 1e-6


class NightSettings(BaseModel):
    accounts_per_shard: int = 250  # households are never split across shards
    workers: int = 2  # processes deciding shards in `sma nightly`
    risk_history_days: int = 504  # trading days of closes behind the risk model
    price_collar: float = 0.10  # pre-trade check: order price vs last close
    max_order_notional: float = 25_000_000.0  # USD per account order
    max_share_of_daily_volume: float = 0.05
    # The review page lists at most this many accounts (exceptions first); accounts.csv has them all.
    review_list_limit: int = 2000
    # DuckDB's memory while prepare writes the book's lots per shard; beyond it DuckDB spills to disk.
    prepare_memory_limit: str = "2GB"


class BlotterSettings(BaseModel):
    users_file: Path = Path("config/users.toml")  # who is a PM, a trader, operations
    # The blotter is built from this many proposed trades and lot sells (whole block orders) at a
    # time: the blotter step peaked at 1.1 GB with a million (100,000 accounts, 22M orders).
    rows_per_part: int = Field(default=1_000_000, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMA_", env_nested_delimiter="__", extra="ignore")

    store: StoreSettings = Field(default_factory=StoreSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    runs: RunSettings = Field(default_factory=RunSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    night: NightSettings = Field(default_factory=NightSettings)
    blotter: BlotterSettings = Field(default_factory=BlotterSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("SMA_CONFIG", "sma.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )


def load_settings(**overrides) -> Settings:
    """Settings from init arguments, then environment, then the TOML file, then defaults."""
    return Settings(**overrides)
