"""``sma blotter show|propose|approve|reject|cancel|release|verify`` and ``sma fills load FILE``.

Who acts is the OS login running the command (``pipelines.identity.os_login``), mapped to roles by
the users file the settings name (``[blotter] users_file``): there is no option to type a name or
to choose another roles file, so one login cannot approve as a PM and release as a trader.

Every refusal (four-eyes, wrong state, already released, altered content, a fill that matches
no released order) is one readable line on stderr and exit status 1.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

RunOpt = typer.Option(..., "--run", help="the run id (its as-of date)")
RunsDirOpt = typer.Option(
    None, "--runs-dir", help="folder of run folders (default: settings runs.dir)"
)


def _run_dir(run: str, runs_dir: Path | None) -> Path:
    from pipelines.blotter import run_dir_for

    if runs_dir is None:
        from pipelines.settings import load_settings

        runs_dir = Path(load_settings().runs.dir)
    try:
        return run_dir_for(runs_dir, run)
    except ValueError:
        _fail(f"--run {run!r} is not a run id")
    except FileNotFoundError as e:
        _fail(f"sma: {e}")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _refusals() -> tuple[type[Exception], ...]:
    from pipelines.blotter import TrailUnreadable
    from pipelines.fills import NotReleased
    from pipelines.validate import InputFileError
    from sma.ledger import LedgerError
    from sma.trading import BlotterRefused, FillsRejected, ProposalError

    return (
        BlotterRefused,
        FillsRejected,
        ProposalError,
        NotReleased,
        TrailUnreadable,
        LedgerError,
        InputFileError,
        FileNotFoundError,
    )


def _acting(signing: bool = True) -> tuple[str, object, object]:
    """(the OS login, the roles source named by the settings, the login's signer): who acts,
    what they may do, and how their audit record is signed."""
    from pipelines.blotter import load_users
    from pipelines.identity import NoSigningKey, os_login, signer_of
    from pipelines.settings import load_settings

    settings = load_settings().blotter
    path = Path(settings.users_file)
    if not path.is_file():
        _fail(f"the users file {path} (settings [blotter] users_file) does not exist")
    login, users = os_login(), load_users(path)
    if signing and login not in users.roles:
        _fail(f"login {login!r} is not in the roles source {path}: it may not act on blotters")
    try:
        signer = signer_of(settings.keys_dir, login) if signing else None
    except NoSigningKey as e:
        _fail(str(e))
    return login, users, signer


def _store() -> Path:
    """The store the settings name: it keeps each run's audit chain head."""
    from pipelines.settings import load_settings

    return Path(load_settings().store.path)


def _night_signer(login: str):
    """The night's login's signer, or None (and a warning) if it has no key: an unsigned proposal
    is refused by every PM who signs after it."""
    from pipelines.identity import key_path, signer_if_any
    from pipelines.settings import load_settings

    keys_dir = load_settings().blotter.keys_dir
    signer = signer_if_any(keys_dir, login)
    if signer is None:
        typer.echo(
            f"warning: the proposal is not signed: login {login!r} has no key at "
            f"{key_path(keys_dir, login)}",
            err=True,
        )
    return signer


def register(app: typer.Typer) -> None:
    blotter = typer.Typer(
        help="A run's trade blotter: four-eyes approval and release exactly once.",
        no_args_is_help=True,
        rich_markup_mode="markdown",
    )
    fills = typer.Typer(
        help="Load a broker's fills against a released blotter.",
        no_args_is_help=True,
        rich_markup_mode="markdown",
    )

    @blotter.command("show")
    def show(run: str = RunOpt, runs_dir: Path = RunsDirOpt) -> None:
        """State, approver and the block orders in force (looking needs no role)."""
        from pipelines import blotter as b
        from sma.ledger import money
        from sma.reporting import shares

        try:
            view = b.show(_run_dir(run, runs_dir))
        except _refusals() as e:
            _fail(f"sma blotter show: {e}")
        typer.echo(
            f"run {view.run_id}: {view.state or 'no blotter'}"
            + (f", approved by {view.approver}" if view.approver else "")
        )
        # As a trader reads them: shares as traded (whole, or to the custodian's decimals) and
        # dollars to the cent, never pandas' scientific notation (1.773729e+06).
        readable = {"quantity": shares, "notional": money, "market_value": money}
        if view.folder is not None:
            typer.echo(
                view.orders[
                    ["order_id", "side", "symbol", "quantity", "notional", "n_allocations"]
                ].to_string(index=False, formatters=readable)
            )
        if (gifts := view.deliveries) is not None:
            typer.echo(
                f"DELIVER to charities (gifts, no sale): {len(gifts)} lot(s), "
                f"{money(gifts['market_value'].sum())} (deliveries.csv beside the orders)"
            )
            typer.echo(
                gifts[
                    ["account_id", "symbol", "lot_id", "quantity", "market_value", "charity"]
                ].to_string(index=False, formatters=readable)
            )
        for r in view.trail:
            who = r["user"] + (
                f" (Airflow, relayed by {r['attested_by']})" if r.get("attested_by") else ""
            )
            typer.echo(
                f"  {r['seq']:>3} {r['at']} {r['action']:<8} {who:<16} {r['content_sha256'][:12]}"
                + (f" held {','.join(r['held'])}" if r["held"] else "")
                + (f"  {r['note']}" if r.get("note") else "")
            )

    @blotter.command("propose")
    def propose(run: str = RunOpt, runs_dir: Path = RunsDirOpt) -> None:
        """Build the blotter from the run's proposal (the night does this)."""
        from pipelines import blotter as b
        from pipelines.identity import os_login

        login = os_login()
        try:
            typer.echo(
                f"proposed {b.propose(_run_dir(run, runs_dir), login, signer=_night_signer(login), store=_store())}"
            )
        except _refusals() as e:
            _fail(f"sma blotter propose: {e}")

    @blotter.command("approve")
    def approve(
        run: str = RunOpt,
        hold: list[str] = typer.Option([], "--hold", help="account to hold out (repeatable)"),
        note: str = typer.Option("", "--note"),
        runs_dir: Path = RunsDirOpt,
    ) -> None:
        """A PM (the login running this) approves the proposed blotter, optionally holding accounts
        out."""
        from pipelines import blotter as b

        user, users, signer = _acting()
        try:
            record = b.approve(
                _run_dir(run, runs_dir),
                user,
                users,
                hold=hold,
                note=note,
                signer=signer,
                store=_store(),
            )
        except _refusals() as e:
            _fail(f"sma blotter approve: {e}")
        typer.echo(f"run {run}: APPROVED by {user}, content {record['content_sha256']}")

    def _close(action: str):
        def command(
            run: str = RunOpt, note: str = typer.Option("", "--note"), runs_dir: Path = RunsDirOpt
        ) -> None:
            from pipelines import blotter as b

            user, users, signer = _acting()
            try:
                record = getattr(b, action)(
                    _run_dir(run, runs_dir), user, users, note=note, signer=signer, store=_store()
                )
            except _refusals() as e:
                _fail(f"sma blotter {action}: {e}")
            typer.echo(f"run {run}: {record['state']} by {user}")

        command.__doc__ = {
            "reject": "A PM rejects the proposed blotter.",
            "cancel": "A PM or trader cancels an unreleased blotter.",
        }[action]
        return command

    blotter.command("reject")(_close("reject"))
    blotter.command("cancel")(_close("cancel"))

    @blotter.command("release")
    def release(run: str = RunOpt, runs_dir: Path = RunsDirOpt) -> None:
        """A trader (the login running this) who is not the approver releases the approved blotter,
        exactly once.

        A release killed after it was recorded is finished by running this again: the same
        release time, byte-identical exports.
        """
        from pipelines import blotter as b

        user, users, signer = _acting()
        try:
            run_dir = _run_dir(run, runs_dir)
            exports = b.release(run_dir, user, users, signer=signer, store=_store())
        except _refusals() as e:
            _fail(f"sma blotter release: {e}")
        # A release killed after its record and finished now is still its first releaser's.
        releaser = b.show(run_dir).trail[-1]["user"]
        typer.echo(f"run {run}: RELEASED by {releaser}; exports in {exports}")

    @blotter.command("verify")
    def verify(run: str = RunOpt, runs_dir: Path = RunsDirOpt) -> None:
        """Check the audit chain, the signatures, the transitions, the roles and four-eyes (users
        file),
        the chain's head in the store, every file against its hash, and the booked fills against
        their signed record."""
        from pipelines import blotter as b
        from pipelines.store import StoreError

        _, users, _ = _acting(signing=False)
        run_dir, store = _run_dir(run, runs_dir), _store()
        try:
            booked = _booked_in_store(store, run)
            problems = b.verify(
                run_dir, users, signed=True, store=store if store.exists() else None, booked=booked
            )
        except StoreError as e:
            _fail(f"sma blotter verify: {e}")
        if problems:
            _fail("\n".join(f"sma blotter verify: audit line {p.line}: {p.why}" for p in problems))
        typer.echo(f"run {run}: audit trail and files verified")

    @blotter.command("keygen")
    def keygen() -> None:
        """Make your login's signing key (kept in settings [blotter] keys_dir) and print the line
        for the users file."""
        from pipelines.identity import key_path, make_key, os_login
        from pipelines.settings import load_settings

        login, keys_dir = os_login(), load_settings().blotter.keys_dir
        try:
            public = make_key(keys_dir, login)
        except FileExistsError:
            _fail(f"sma blotter keygen: {key_path(keys_dir, login)} exists; a login keeps one key")
        typer.echo(
            f"private key: {key_path(keys_dir, login)}\nadd to the users file under "
            f"[users.{login}]:\n"
            f'public_key = "{public}"'
        )

    @fills.command("load")
    def load(
        file: Path = typer.Argument(
            ...,
            help="fills CSV or Parquet: exec_id (the broker's execution id), order_id, "
            "account_id, symbol, side, quantity, price, lot_id",
        ),
        run: str = typer.Option(None, "--run", help="the run (default: read from the order ids)"),
        trade_date: str = typer.Option(
            None, "--trade-date", help="YYYY-MM-DD (default: the release day)"
        ),
        lots: Path = typer.Option(
            None, "--lots", help="audit mode: open lots before the fills, instead of the store"
        ),
        cash: Path = typer.Option(
            None, "--cash", help="audit mode: cash before the fills: account_id, amount"
        ),
        accounts: Path = typer.Option(
            None, "--accounts", help="audit mode: account_id, household_id, account_type"
        ),
        out: Path = typer.Option(
            None, "--out", help="audit mode: folder for the booked results (CSV)"
        ),
        runs_dir: Path = RunsDirOpt,
    ) -> None:
        """Book fills into the store: buys open lots, sells relieve the instructed lots; report what
        is unfilled.

        With --lots/--cash/--accounts/--out, book against those files instead and write the results
        there.
        """
        from pipelines import fills as f
        from pipelines.settings import load_settings
        from pipelines.store import StoreError

        audit = (lots, cash, accounts, out)
        if any(audit) and not all(audit):
            _fail("sma fills load: --lots, --cash, --accounts and --out go together")
        user, users, signer = _acting()
        day = date.fromisoformat(trade_date) if trade_date else None
        try:
            run_id = run or f.run_of_fills(f.read_fills(file), str(file))
            run_dir = _run_dir(run_id, runs_dir)
            settings = load_settings()
            if all(audit):
                frames = {
                    name: _read_table(path, name)
                    for name, path in (("lots", lots), ("cash", cash), ("accounts", accounts))
                }
                with f.locked(run_dir):
                    result = f.load_fills(
                        file,
                        run_dir,
                        frames["lots"],
                        frames["cash"],
                        frames["accounts"],
                        trade_date=day,
                        limits=settings.fill_limits(),
                    )
                    _write_results(out, result)
                    f.record_fills(run_dir, result, user, users, signer, source=file.name)
                where = f"results in {out}"
            else:
                from pipelines.fills_booking import book_fills_file

                if runs_dir is not None:
                    settings = settings.model_copy(
                        update={"runs": settings.runs.model_copy(update={"dir": runs_dir})}
                    )
                result = book_fills_file(
                    file, run_id, settings, day, user=user, users=users, signer=signer
                )
                where = f"booked into {settings.store.path}"
        except (*_refusals(), StoreError) as e:
            _fail(f"sma fills load: {e}")
        typer.echo(
            f"run {run_id}: booked {len(result.booked)} fill(s), skipped {result.duplicates} "
            f"already booked; {where}"
        )
        for r in result.unfilled.itertuples(index=False):
            typer.echo(
                f"  unfilled {r.open:g} of {r.ordered:g} shares: {r.allocation_id} "
                f"({r.account_id} {r.side} {r.symbol})"
            )

    app.add_typer(blotter, name="blotter")
    app.add_typer(fills, name="fills")


def _booked_in_store(store: Path, run: str):
    """The run's fills in the store's record (None without a store)."""
    from pipelines.fills_booking import booked_in_store
    from pipelines.store import open_store

    if not store.exists():
        return None
    with open_store(store, read_only=True) as con:
        return booked_in_store(con, date.fromisoformat(run))


def _read_table(path: Path, name: str):
    """``--lots``/``--cash``/``--accounts``: the inbox's formats, read and checked by the inbox's
    reader and suites (accounts need only account_id, household_id and account_type)."""
    from pipelines.validate import read_input_file, with_optional
    from sma.inbox import INBOX_FILES

    spec = INBOX_FILES[name]
    if name == "accounts":
        needed = ("account_id", "household_id", "account_type")
        spec = with_optional(spec, [c for c in spec.column_names if c not in needed])
    return read_input_file(path, spec, suite=name)


def _write_results(out: Path, result) -> None:
    from pipelines._atomic import write_atomically
    from sma.trading import to_csv

    for name in ("booked", "new_lots", "open_lots", "realized", "cash", "unfilled"):
        frame = getattr(result, name)
        text = to_csv(frame.astype({c: str for c in frame.select_dtypes("datetime").columns}))
        write_atomically(out / f"{name}.csv", text.encode())
