"""SMA Nightly's domain library: pure functions and typed data, no I/O, no Airflow, no DuckDB."""

__version__ = "0.1.0"
