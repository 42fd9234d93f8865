"""``sma status``: where a night stands, what stopped it, whether a rerun is safe, and the command.

Read only: the step markers of the current attempt (:mod:`._run`), the run folder's
``failure.json`` and ``last_run.json``, the night's lock and the blotter's state. The advice
for each kind of failure is the README's "When a night fails", in a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines._leftovers import dead_leftovers, process_alive
from pipelines.night._run import (
    FAILURE_FILE,
    LAST_RUN_FILE,
    STEPS,
    FailureKind,
    Night,
    current_attempt,
    lock_is_held,
    read_run_file,
)
from pipelines.night._workers import resume_command


@dataclass(frozen=True)
class StepState:
    step: str
    state: str  # "done", "not started", "failed", "interrupted", or "n of m shards done"
    detail: str = ""


@dataclass(frozen=True)
class NightStatus:
    night: Night
    steps: list[StepState]
    running_pid: int | str | None
    failure: dict | None
    stale_workers: list[int]
    blotter_state: str | None
    leftovers: list[Path]
    complete: bool
    verdict: str
    commands: list[str] = field(default_factory=list)


def _blotter_state(night: Night) -> str | None:
    from pipelines.blotter import show
    from pipelines.blotter._folder import has_blotter

    if not has_blotter(night.run_dir / "blotter" / "proposed"):
        return None
    return str(show(night.run_dir).state)


def _decide_state(night: Night) -> tuple[str, list[int], str]:
    """The decide step's state, the pids of its unfinished shards' workers still alive, and
    detail."""
    if not night.is_done("prepare"):
        return "not started", [], ""
    shards = night.done_info("prepare")["shards"]
    done = [k for k in shards if night.is_done("decide", k)]
    unfinished = [k for k in shards if k not in done and night.is_started("decide", k)]
    pids = {k: night.started_info("decide", k)["pid"] for k in unfinished}
    alive = sorted({p for p in pids.values() if process_alive(p)})
    detail = ", ".join(f"shard {k:04d} started by pid {p}, not finished" for k, p in pids.items())
    if len(done) == len(shards):
        return "done", alive, ""
    return f"{len(done)} of {len(shards)} shards done", alive, detail


def night_status(night: Night) -> NightStatus:
    last = read_run_file(night, LAST_RUN_FILE)
    failure = read_run_file(night, FAILURE_FILE)
    inbox = Path(last["inbox"]) if last else Path("<INBOX>")
    attempt = current_attempt(night)
    night = Night(night.as_of, inbox, night.settings, attempt["token"] if attempt else "")
    running = (last or {}).get("pid", "unknown") if lock_is_held(night) else None

    steps, stale, stopped = [], [], False
    for step in STEPS:
        if attempt is None:
            steps.append(StepState(step, "not started"))
            continue
        if step == "decide":
            state, stale, detail = _decide_state(night)
        else:
            state, detail = ("done", "") if night.is_done(step) else ("not started", "")
        if state != "done" and not stopped:
            stopped = True
            if failure and failure["step"] == step:
                shard = (
                    f", shard {failure['shard']:04d}" if failure.get("shard") is not None else ""
                )
                state, detail = "failed", f"({failure['kind']}{shard}; see FAILED below)"
            elif running is None and (step != "ingest" or last):
                state = "interrupted" if state == "not started" else f"interrupted, {state}"
        steps.append(StepState(step, state, detail))
    if running is not None:
        stale = []  # the running night's own workers
    complete = attempt is not None and night.is_done(STEPS[-1])
    blotter = _blotter_state(night)
    leftovers = dead_leftovers(
        [night.run_dir] + ([Path(night.date_folder)] if "://" not in night.date_folder else [])
    )
    verdict, commands = _advice(
        night, running, failure, stale, blotter, complete, attempt is not None
    )
    return NightStatus(
        night, steps, running, failure, stale, blotter, leftovers, complete, verdict, commands
    )


def _advice(night, running, failure, stale, blotter, complete, started) -> tuple[str, list[str]]:
    """Whether a rerun is safe, and the commands to run (README, "When a night fails")."""
    resume, force = resume_command(night), resume_command(night, force=True)
    kill = [f"kill {' '.join(map(str, stale))}"] if stale else []
    if running is not None:
        return (
            f"NOT SAFE: a run of this night is in progress (pid {running}); wait for it to finish.",
            [],
        )
    if complete and blotter in ("APPROVED", "RELEASED"):
        return (
            f"Complete; the blotter is {blotter}, so a --force redo is refused (cancel an approved "
            "blotter first if it must be redone).",
            [],
        )
    if complete:
        return (
            "Complete: nothing to do. Safe to redo from a corrected inbox with --force "
            f"(the blotter is {blotter or 'not proposed'}).",
            [force],
        )
    if not started:
        return "Not run yet.", [resume]
    stale_note = (
        f" Workers of a dead run are still alive (pids {', '.join(map(str, stale))}): their files "
        "are never read by a later attempt, but stop them to free memory."
        if stale
        else ""
    )
    if failure is None:
        return (
            "SAFE to resume: the run was stopped (killed?) without recording an error."
            + stale_note,
            [*kill, resume],
        )
    kind = failure["kind"]
    if kind == FailureKind.BAD_DATA:
        return (
            "Fix the inbox (the report names file, row and rule; `sma validate` shows it again), "
            "then resume: SAFE, nothing was loaded." + stale_note,
            [*kill, resume],
        )
    if kind == FailureKind.WORKER_DIED:
        return (
            "SAFE to resume: shards already decided are kept. If the worker ran out of memory, "
            "lower "
            "night.accounts_per_shard or --workers first." + stale_note,
            [*kill, resume],
        )
    if kind == FailureKind.BLOTTER_LOCKED:
        return f"The blotter is {blotter}: the night is not redone. {failure['message']}", []
    return (
        "SAFE to resume (every finished step is kept), but the error recurs until its cause is "
        "fixed; "
        f"the traceback is in {night.run_dir / FAILURE_FILE}." + stale_note,
        [*kill, resume],
    )


def render_status(status: NightStatus) -> str:
    night = status.night
    lines = [f"Night of {night.as_of}   (run folder {night.run_dir})"]
    if night.token:
        lines.append(f"  attempt        {night.token}")
    if status.running_pid is not None:
        lines.append(f"  RUNNING        pid {status.running_pid}")
    for s in status.steps:
        lines.append(f"  {s.step:<14} {s.state}" + (f"   {s.detail}" if s.detail else ""))
    if status.blotter_state:
        lines.append(f"  blotter state  {status.blotter_state}")
    if status.failure:
        f = status.failure
        where = f"step {f['step']}" + (
            f", shard {f['shard']:04d}" if f.get("shard") is not None else ""
        )
        lines.append(f"  FAILED         {where} at {f['at']}: {f['kind']} ({f['error']})")
        lines.append(f"                 {f['message']}")
    if status.stale_workers:
        lines.append(f"  stale workers  pids {', '.join(map(str, status.stale_workers))}")
    if status.leftovers:
        lines.append(
            f"  leftovers      {len(status.leftovers)} file(s) of dead runs; the next run "
            "removes them"
        )
    lines += ["", f"  {status.verdict}"]
    lines += [f"    {c}" for c in status.commands]
    return "\n".join(lines)
