"""``sma nightly``: the whole night in one process, shards decided by a pool of worker processes.

The same step functions the Airflow DAG calls, in the same order. A step already done for the
date is skipped, so a night killed anywhere is finished by running it again; a night already
complete is not redone unless ``force``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import fsspec
import numpy as np

from pipelines._faults import crash_point
from pipelines._leftovers import scratch, sweep
from pipelines.errors import PipelineError
from pipelines.night import _files
from pipelines.night._check import check_step
from pipelines.night._decide import decide_step
from pipelines.night._prepare import prepare_step
from pipelines.night._record import blotter_step, night_frames, record_step
from pipelines.night._review import review_step
from pipelines.night._run import (
    STEPS,
    FailureKind,
    Night,
    continue_or_start,
    current_attempt,
    drop_other_attempts,
    exclusive_run,
    record_failure,
    record_start,
    start_attempt,
)
from pipelines.night._workers import WorkerDied, decide_in_pool
from pipelines.settings import Settings
from sma.ledger import money

#: The night is complete when its last step is done.
FINAL_STEP = STEPS[-1]


def ingest_night(night: Night) -> dict:
    """Validate and load the inbox (the store's writer); skipped when already loaded tonight."""
    if night.is_done("ingest"):
        return night.done_info("ingest")
    from pipelines.ingest import ingest

    result = ingest(night.inbox, night.as_of, night.settings)
    crash_point("ingest:after-load")
    info = {
        "rows_loaded": sum(result.rows_loaded.values()),
        "issues": result.issue_count,
        "held": len(result.held_accounts),
    }
    night.mark_done("ingest", info=info)
    return info


def _forget_night(night: Night) -> Night:
    """Let a night be redone: a new attempt (its own folder), its blotter withdrawn first.

    A blotter that a PM approved or a trader released is never redone: the new proposal would
    not be what they approved (``NightLocked``, saying what to do). A PROPOSED one is cancelled in
    its audit log by the night's login, under the run's lock, before anything else: a PM answering
    while the rerun runs is refused instead of approving trades about to be replaced
    (``pipelines.blotter.withdraw_for_rerun``). Returns the night in its new attempt.
    """
    from pipelines.blotter import RerunRefused, withdraw_for_rerun
    from pipelines.identity import os_login, signer_if_any

    login = os_login()
    try:
        withdraw_for_rerun(
            night.run_dir,
            login,
            signer=signer_if_any(night.settings.blotter.keys_dir, login),
            store=night.settings.store.path,
        )
    except RerunRefused as refused:
        raise NightLocked(f"the night of {night.as_of} cannot be redone: {refused.why}") from None
    night = start_attempt(night)
    shutil.rmtree(night.run_dir / "proposal", ignore_errors=True)
    return night


class NightLocked(PipelineError):
    """The night's blotter was approved or released; it cannot be redone."""


def decide_all(
    night: Night,
    shards: list[int],
    workers: int,
    advance: Callable[[], None],
    scratch: Path | None = None,
) -> None:
    todo = [k for k in shards if not night.is_done("decide", k)]
    for _ in range(len(shards) - len(todo)):
        advance()
    if workers <= 1 or len(todo) <= 1:
        for k in todo:
            decide_step(night, k)
            advance()
        return
    # One BLAS thread per worker: the pool already uses the cores, more threads only contend.
    with _blas_threads(1):
        decide_in_pool(night, todo, workers, Path(scratch or tempfile.gettempdir()), advance)


@contextmanager
def _blas_threads(n: int):
    """Spawned workers read these when numpy loads; the parent's own BLAS is already loaded."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update({k: str(n) for k in names})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_night(
    as_of: date,
    inbox: Path,
    settings: Settings,
    *,
    force: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
) -> dict:
    """Run (or finish) the night of ``as_of``; returns the run summary.

    Under the night's lock: the leftovers of dead runs are swept, the attempt is continued (or a
    new one started with ``force``), and a step that raises leaves ``failure.json`` in the run
    folder saying which step failed and why, for ``sma status``.
    """
    night = Night(as_of, Path(inbox), settings)
    with exclusive_run(night):
        sweep_leftovers(night)
        if not force:
            night = continue_or_start(night)
            if night.is_done(FINAL_STEP):
                return {**night.done_info("record"), "already_complete": True}
        if force:
            with failure_recorded(night, "start"):
                night = _forget_night(night)
        record_start(night, force)
        show = sys.stdout.isatty() if progress is None else progress
        with scratch() as folder, _Progress(show) as bar:
            summary = _steps(night, workers or settings.night.workers, bar, folder)
    return summary


def _steps(night: Night, workers: int, bar: _Progress, folder: Path) -> dict:
    """The steps in order (``STEPS``), each one's failure recorded; returns the record step's
    summary."""
    done: dict[str, object] = {}
    run = {
        "ingest": lambda: ingest_night(night),
        "prepare": lambda: prepare_step(night),
        "decide": lambda: decide_all(night, done["prepare"], workers, bar.advance, folder),
        "check": lambda: check_step(night),
        "blotter": lambda: blotter_step(night),
        "record": lambda: record_step(night),
        "review": lambda: review_step(night),
    }
    for step in STEPS:
        with failure_recorded(night, step):
            bar.step(step, total=len(done["prepare"]) if step == "decide" else 1)
            done[step] = run[step]()
            crash_point(f"after-{step}")
    return done["record"]


def sweep_leftovers(night: Night) -> list[Path]:
    """Remove what dead runs left: ``.tmp-<pid>-*`` files in the run and exchange folders, their
    scratch and staging folders (the temp dir, ``[validation] staging_dir``), and the folders of
    earlier attempts (nobody reads them)."""
    folders = [night.run_dir]
    fs, root = _files._fs(night.date_folder)
    if isinstance(fs, fsspec.implementations.local.LocalFileSystem):
        folders.append(Path(root))
    current = current_attempt(night)
    if current is not None and current["token"]:
        drop_other_attempts(Night(night.as_of, night.inbox, night.settings, current["token"]))
    return sweep(folders, staging_dir=night.settings.validation.staging_dir)


@contextmanager
def failure_recorded(night: Night, step: str):
    """Record an exception raised by ``step`` in the run folder (then let it go on)."""
    try:
        yield
    except Exception as err:
        record_failure(night, step, err, failure_kind(err), getattr(err, "shard", None))
        raise


def failure_kind(err: Exception) -> str:
    """The operator's name for what went wrong (README, "When a night fails")."""
    from pipelines.ingest import InboxRejected

    if isinstance(err, InboxRejected):
        return FailureKind.BAD_DATA
    if isinstance(err, WorkerDied):
        return FailureKind.WORKER_DIED
    if isinstance(err, NightLocked):
        return FailureKind.BLOTTER_LOCKED
    return FailureKind.ERROR


class _Progress:
    """A rich progress display on a terminal; silent otherwise."""

    def __init__(self, show: bool):
        self.show = show
        self._progress = None
        self._task = None

    def __enter__(self):
        if self.show:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description:<10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def step(self, name: str, total: int = 1) -> None:
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(name, total=total)
        if name != "decide":
            self._progress.update(self._task, completed=0)

    def advance(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)


def render_summary(night: Night, summary: dict) -> str:
    """The run summary a PM reads at the end of ``sma nightly``."""
    frames = night_frames(night, ("records", "exceptions"))
    rec, exc = frames["records"], frames["exceptions"]

    def usd(x: float) -> str:
        return money(float(x), cents=False)

    lines = [
        f"Night of {summary['as_of']}"
        + ("  (already complete: nothing redone)" if summary.get("already_complete") else ""),
        f"  accounts            {summary['accounts']:>10,}",
        f"  screened            {summary['accounts_screened']:>10,}",
        f"  triggered           {summary['accounts_triggered']:>10,}",
        f"  traded              {summary['accounts_traded']:>10,}",
        f"  held out            {summary['accounts_held']:>10,}",
        f"  orders              {summary['orders']:>10,}   notional ${summary['notional']:,.0f}",
        f"  losses harvested    {usd(summary['losses_harvested']):>13}   est. tax saved "
        f"{usd(summary['est_tax_saved'])}",
        "  gains realized      "
        f"{usd(summary['gains_realized_st'] + summary['gains_realized_lt']):>13}"
        f"   taxable accounts (short {usd(summary['gains_realized_st'])}, long "
        f"{usd(summary['gains_realized_lt'])});"
        f" IRA/ROTH {usd(summary.get('gains_realized_untaxed', 0.0))}, not taxed",
    ]
    changed = summary.get("model_changes")
    if changed is not None:  # issue 19; a summary from before it has none
        lines.append(
            f"  models changed      {changed['models']:>10,}   symbols {changed['symbols']:,}, "
            f"UMA accounts following {changed['accounts']:,} (model_changes.parquet)"
        )
    gifts = summary.get("gifts")
    if gifts and gifts["lots"]:  # issue 21; a summary from before it has none
        lines.append(
            f"  gifts delivered     {gifts['requests']:>10,}   {gifts['lots']:,} lots, "
            f"${gifts['market_value']:,.0f} to charities, gain not realized "
            f"${gifts['unrealized_gain']:,.0f} (DELIVER, blotter deliveries)"
        )
    decided = rec[rec["te_before"].notna()]
    if len(decided):
        q = (
            np.percentile(decided["te_before"].astype(float), [50, 90]),
            np.percentile(decided["te_after"].astype(float), [50, 90]),
        )
        lines.append(
            f"  tracking error      before p50 {q[0][0]:.2%} p90 {q[0][1]:.2%}   after p50 "
            f"{q[1][0]:.2%} p90 {q[1][1]:.2%}"
        )
    lines.append(
        "  statuses            "
        + ", ".join(f"{k} {n}" for k, n in rec["status"].value_counts().sort_index().items())
    )
    lines.append(f"  exceptions          {len(exc):>10,}")
    if len(exc):
        lines.append(
            "  exceptions by kind  "
            + ", ".join(f"{k} {n}" for k, n in exc["kind"].value_counts().sort_index().items())
        )
        for r in exc.head(10).itertuples():
            reason = r.reason if len(r.reason) <= 90 else r.reason[:89] + "…"  # cut: says so
            lines.append(f"    {r.account_id:<14} {r.kind:<15} {reason}")
        if len(exc) > 10:
            lines.append(
                f"    ... {len(exc) - 10} more in "
                f"{night.run_dir / 'proposal' / 'exceptions.parquet'}"
            )
    if summary.get("risk_model"):
        lines.append(f"  risk model          {summary['risk_model']}")
    for flag in summary.get("run_total_flags", []):
        lines.append(f"  RUN TOTALS: {flag} — a PM must override at approval")
    lines += [
        "",
        f"  review     {night.run_dir / 'review.html'}   (sma review --run {night.run_id})",
        f"  proposal   {night.run_dir / 'proposal'}",
        f"  blotter    {night.run_dir / 'blotter'}   (sma blotter show --run {night.run_id})",
    ]
    return "\n".join(lines)


__all__ = ["decide_all", "ingest_night", "render_summary", "run_night"]
