"""A night reports what its model versions changed (issue 19: "A model change (a new
effective_date) is picked up by the next night and reported: what changed, which accounts follow
it"): ``model_changes.parquet`` in the run folder and a count in the summary."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from pipelines.ingest import ingest
from pipelines.night import _files
from pipelines.night._model_changes import FILE, write_model_changes
from pipelines.night._run import Night
from pipelines.settings import Settings
from pipelines.store import open_store
from tests.validate.inbox_builder import AS_OF, clean_inbox, write_inbox

NEXT = AS_OF + timedelta(days=1)


def _settings(tmp_path) -> Settings:
    return Settings(store={"path": tmp_path / "store.duckdb"}, runs={"dir": tmp_path / "runs"})


def _two_nights(tmp_path) -> Settings:
    """Tonight (NEXT) brings a new version of CORE, dated tonight; last night had the one of
    2026-10-01 in force (the inbox's 2026-11-24 version is moved to tonight)."""
    settings = _settings(tmp_path)
    frames = clean_inbox()
    models = frames["models"]
    models["effective_date"] = models["effective_date"].replace("2026-11-24", NEXT.isoformat())
    write_inbox(frames, tmp_path / "inbox")
    ingest(tmp_path / "inbox", AS_OF, settings)
    (tmp_path / "inbox" / AS_OF.isoformat()).rename(tmp_path / "inbox" / NEXT.isoformat())
    ingest(tmp_path / "inbox", NEXT, settings)  # no close tonight: held accounts, rows loaded
    return settings


def _write(settings: Settings, as_of: date) -> tuple[dict, pd.DataFrame]:
    night = Night(as_of, settings.store.path.parent / "inbox", settings)
    night.run_dir.mkdir(parents=True, exist_ok=True)
    with open_store(settings.store.path, read_only=True) as con:
        counts = write_model_changes(con, night)
    return counts, _files.read_parquet(str(night.run_dir / FILE))


def test_the_night_after_a_new_version_writes_what_changed_and_who_follows_it(tmp_path):
    counts, changes = _write(_two_nights(tmp_path), NEXT)
    assert counts == {"models": 1, "symbols": 3, "accounts": 1}
    assert list(changes["symbol"]) == ["AAPL", "JNJ", "MSFT"]
    assert list(changes["change"]) == ["REWEIGHTED", "REMOVED", "REWEIGHTED"]
    assert set(changes["model_id"]) == {"CORE"} and set(changes["accounts"]) == {"A3"}


def test_the_first_night_in_the_store_reports_no_change(tmp_path):
    counts, changes = _write(_two_nights(tmp_path), AS_OF)
    assert counts == {"models": 0, "symbols": 0, "accounts": 0}
    assert changes.empty
