"""The ``workbook`` command: parses arguments, calls one API function, prints the outcome.

Heavy imports (pandas, nbformat, papermill) happen inside the commands that need them, so
``workbook --help`` and quick commands start fast.
"""
from __future__ import annotations

import errno
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import WorkbookError

F = TypeVar("F", bound=Callable[..., Any])


def clean_errors(fn: F) -> F:
    """Turn a :class:`WorkbookError` into one clear message and a non-zero exit, never a traceback.

    An ``OSError`` (a file that cannot be read or written) is the user's to fix, not a bug: the
    message names the file and the system's reason.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except WorkbookError as exc:
            _fail(error_line(exc), exc.exit_code)
        except (click.ClickException, click.Abort):
            raise  # a usage mistake: the group prints it
        except OSError as exc:
            if os.environ.get("WORKBOOK_DEBUG") or exc.errno == errno.EPIPE:
                raise  # `workbook entries X | head`: click ends quietly when the reader goes away
            _fail(os_error_line(exc), 1)
        except Exception as exc:  # a bug of ours: still one clear message, the traceback on request
            if os.environ.get("WORKBOOK_DEBUG"):
                raise
            _fail(f"Internal error ({type(exc).__name__}: {exc}). This is a bug in workbook; "
                  "run again with WORKBOOK_DEBUG=1 for the traceback and report it.", 70)

    return wrapper  # type: ignore[return-value]


def _fail(message: str, code: int) -> None:
    from .text import printable

    # Messages may quote the input (a roster cell, a path): never hand a terminal raw control characters.
    click.echo(printable(message), err=True)
    sys.exit(code)


def error_line(exc: WorkbookError) -> str:
    """``Error: ...`` for ``exc``: one line when it has at most one problem, else one line per problem under it."""
    from .errors import ValidationError

    if isinstance(exc, ValidationError) and len(exc.problems) == 1:
        return f"Error: {exc.summary}: {exc.problems[0]}"
    return f"Error: {exc}"


def os_error_line(exc: OSError) -> str:
    """``Error: cannot use FILE (REASON) ...`` for a file the system refused us."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return f"Error: {reason}; check the paths you gave and their permissions."
    target = f"{exc.filename} -> {exc.filename2}" if exc.filename2 else str(exc.filename)
    return f"Error: cannot use {target} ({reason}); check the path and its permissions."


class _Days(click.FloatRange):
    """A positive, finite number of days (FloatRange alone lets ``nan`` through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number != number:
            self.fail(f"{value!r} is not a number of days", param, ctx)
        return number


class OutPath(click.Path):
    """Where a command writes: a file, or with ``folder=True`` a folder (made if missing). Either way the
    folder around it must already exist: no folders are made around it."""

    def __init__(self, *, folder: bool = False) -> None:
        super().__init__(file_okay=not folder, dir_okay=folder, path_type=Path)
        self.folder = folder

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(super().convert(value, param, ctx))
        if not (self.folder and path.is_dir()) and not path.parent.is_dir():
            self.fail(f"folder {path.parent} does not exist; create it first or write somewhere else", param, ctx)
        return path


class Workbook(click.Group):
    """The command group: a usage mistake is one ``Error:`` line too, with where to read more."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            _fail(f"Error: {exc.format_message().rstrip('.')}{where}.", exc.exit_code)
        except click.ClickException as exc:
            _fail(f"Error: {exc.format_message()}", exc.exit_code)
        except click.Abort:
            _fail("Aborted: nothing was changed.", 1)
        sys.exit(rv if isinstance(rv, int) else 0)


def open_store(ctx: click.Context, create: bool = False) -> Any:
    """The store of ``--db``; only ``init`` and ``db upgrade`` create one (``create=True``).

    The store is closed when the command ends, so SQLite leaves no ``-wal``/``-shm`` files behind.
    """
    from .store import Store

    store = Store(ctx.obj.get("db"), create=create)
    ctx.call_on_close(store.close)
    return store


@click.group(cls=Workbook, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="WORKBOOK_DB_URL", default=None, metavar="URL",
              help="Database: a file path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
                   "(default: $WORKBOOK_DB_URL or ./workbook.db).")
@click.version_option(package_name="workbook")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """workbook: reflection exercises, check-ins and retros for cohorts, with reports."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


@main.command()
@click.pass_context
@clean_errors
def init(ctx: click.Context) -> None:
    """Create the database (or bring it up to date)."""
    from .store import Store

    store = Store(ctx.obj.get("db"), check_version=False)
    ctx.call_on_close(store.close)
    store.upgrade()
    click.echo(f"Database ready at {store._safe_url()} (schema {store.current_revision()}).")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
@clean_errors
def db_upgrade(ctx: click.Context) -> None:
    """Upgrade the schema to this version of workbook, keeping all data."""
    from .store import Store

    store = Store(ctx.obj.get("db"), check_version=False)
    ctx.call_on_close(store.close)
    before = store.current_revision()
    store.upgrade()
    after = store.current_revision()
    click.echo(f"Schema {before or '(empty)'} -> {after}." if before != after else f"Schema already at {after}.")


@main.group()
def cohort() -> None:
    """Cohorts: import from a folder, list."""


@cohort.command("import")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--readmit", multiple=True, metavar="PERSON",
              help="Add back PERSON, erased earlier (`workbook erase`), from this roster (repeatable).")
@click.pass_context
@clean_errors
def cohort_import(ctx: click.Context, directory: Path, readmit: tuple[str, ...]) -> None:
    """Import or update a cohort from DIRECTORY (cohort.toml + roster.csv [+ exercises/])."""
    from .roster import import_cohort

    result = import_cohort(open_store(ctx), directory, readmit=readmit, readmitted_by=_operator())
    for pid in result.readmitted:
        click.echo(f"Re-admitted {pid} (erased earlier): added again from the roster.")
    for pid, when in result.skipped.items():
        click.echo(f"Skipped {pid}: erased from this cohort on {when:%Y-%m-%d}; to add them back on purpose run "
                   f"`workbook cohort import {directory} --readmit {pid}`.")
    c = result.cohort
    click.echo(f"Cohort {c.id!r} ({c.name}): {result.created} added, {result.updated} updated, "
               f"{result.deactivated} no longer in the roster"
               + (f"; custom exercises: {', '.join(result.custom_exercises)}" if result.custom_exercises else "")
               + ".")


@cohort.command("list")
@click.pass_context
@clean_errors
def cohort_list(ctx: click.Context) -> None:
    """List cohorts."""
    store = open_store(ctx)
    rows = store.find_cohorts()
    if not rows:
        click.echo("No cohorts yet: run `workbook cohort import cohorts/example`.")
    for c in rows:
        n = len(store.find_members(c.id))
        click.echo(f"{c.id:<20} {c.name} ({n} people, {c.timezone}, min group {c.min_group_size})")


@main.command()
@click.argument("cohort_id")
@click.option("--role", type=click.Choice(["participant", "coach", "facilitator"]), default=None)
@click.pass_context
@clean_errors
def people(ctx: click.Context, cohort_id: str, role: str | None) -> None:
    """List the people of a cohort, with whom each is paired (the pairings in force)."""
    from .mentoring import pairs_in_force

    store = open_store(ctx)
    store.get_cohort(cohort_id)
    names = store.member_names(cohort_id)
    paired: dict[str, list[str]] = {}
    for p in pairs_in_force(store, cohort_id):  # matching's pairings, else the roster's coach column
        paired.setdefault(p.mentee_id, []).append(f"coach {names.get(p.coach_id, p.coach_id)} ({p.coach_id})")
        paired.setdefault(p.coach_id, []).append(f"mentee {names.get(p.mentee_id, p.mentee_id)} ({p.mentee_id})")
    for m in store.find_members(cohort_id, role):
        with_whom = f"  paired with: {', '.join(paired[m.person_id])}" if m.person_id in paired else ""
        click.echo(f"{m.person_id:<12} {m.role:<12} {m.name} <{m.email}>{with_whom}")


@main.command()
@click.argument("cohort_id")
@click.option("--overdue", is_flag=True, help="Only pairs past their next check-in date.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@clean_errors
def checkins(ctx: click.Context, cohort_id: str, overdue: bool, fmt: str) -> None:
    """Check-ins per pair: health status, cadence and next due date; overdue first, "not a good fit" flagged."""
    from .mentoring import pair_health

    store = open_store(ctx)
    rows = pair_health(store, _facilitator(store, cohort_id))
    if overdue:
        rows = [h for h in rows if h.overdue_days > 0]
    if fmt == "json":
        click.echo(json.dumps([dict(coach_id=h.coach_id, coach=h.coach_name, mentee_id=h.mentee_id,
                                    mentee=h.mentee_name, status=h.status, reasons=list(h.reasons),
                                    overdue_days=h.overdue_days, next_due=h.next_due.isoformat(),
                                    last_checkin=h.last_checkin.isoformat() if h.last_checkin else None,
                                    cadence_days=h.cadence_days, fit=h.fit) for h in rows], indent=2))
        return
    if not rows:
        click.echo("No pairs overdue." if overdue else f"No pairs in {cohort_id}: run `workbook match "
                   f"{cohort_id} --apply`, or name coaches in the roster.")
        return
    flagged = [h for h in rows if h.fit == "not a good fit"]
    click.echo(f"{'status':<18} {'overdue':>7}  {'next due':<10}  {'last check-in':<16}  pair")
    for h in rows:
        mark = "  ** not a good fit **" if h.fit == "not a good fit" else ""
        why = f"  ({'; '.join(h.reasons)})" if h.reasons else ""
        click.echo(f"{h.status:<18} {h.overdue_days:>7}  {h.next_due.isoformat():<10}  "
                   f"{_local(store, cohort_id, h.last_checkin):<16}  {h.coach_name} -> {h.mentee_name}{mark}{why}")
    if flagged:
        click.echo(f"{len(flagged)} pair(s) flagged \"not a good fit\" by the mentee: "
                   + ", ".join(f"{h.coach_name} -> {h.mentee_name}" for h in flagged))


@main.command("goals")
@click.argument("cohort_id")
@click.option("--person", default=None, help="Only this person's goals.")
@click.pass_context
@clean_errors
def goals_cmd(ctx: click.Context, cohort_id: str, person: str | None) -> None:
    """Goals of a cohort (or one person): status, progress, target date and measure."""
    from . import goals

    store = open_store(ctx)
    viewer = _facilitator(store, cohort_id)
    names = store.member_names(cohort_id)
    people_ids = [person] if person else sorted({g.person_id for g in store.find_goals(cohort_id)})
    shown = 0
    for pid in people_ids:
        for g in goals.goals_of(store, viewer, pid):
            shown += 1
            target = g.target_date.isoformat() if g.target_date else "-"
            click.echo(f"{names.get(pid, pid):<24} {g.status:<9} {g.progress:>3}%  {target:<10}  {g.title}"
                       + (f"  [measure: {g.measure}]" if g.measure else ""))
    if not shown:
        click.echo("No goals yet.")


@main.group()
def exercises() -> None:
    """The exercise template catalogue."""


@exercises.command("list")
@click.option("--cohort", "cohort_id", default=None, help="Include this cohort's custom exercises.")
@click.pass_context
@clean_errors
def exercises_list(ctx: click.Context, cohort_id: str | None) -> None:
    """List exercise templates."""
    if cohort_id:
        cat = open_store(ctx).catalogue(cohort_id)
    else:
        from .exercises import load_catalogue

        cat = load_catalogue()
    for ex in cat.list():
        click.echo(f"{ex.id:<24} {ex.kind:<11} {ex.title}")


@exercises.command("show")
@click.argument("exercise_id")
@click.pass_context
@clean_errors
def exercises_show(ctx: click.Context, exercise_id: str) -> None:
    """Show one template's prompts."""
    from .exercises import load_catalogue

    ex = load_catalogue().get(exercise_id)
    click.echo(f"{ex.title} [{ex.kind}]\n{ex.framework}. Source: {ex.source}\n\n{ex.description}\n")
    for i, p in enumerate(ex.prompts, 1):
        extra = ""
        if p.type == "scale":
            extra = f" ({p.min or 1}-{p.max or 5})"
        elif p.type == "choice":
            extra = f" ({' / '.join(p.options)})"
        req = " *required" if p.required else ""
        click.echo(f"{i:>2}. [{p.id}] {p.text} <{p.type}{extra}>{req}")


@main.command()
@click.argument("cohort_id")
@click.option("--person", default=None, help="Only this person's entries.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_context
@clean_errors
def entries(ctx: click.Context, cohort_id: str, person: str | None, fmt: str) -> None:
    """List entries of a cohort; answers only where their author shared them with the cohort."""
    from .access import facilitator_frame

    store = open_store(ctx)
    frame = facilitator_frame(store, cohort_id, author_id=person)
    if fmt == "json":
        recs = frame.assign(created_at=frame["created_at"].astype(str), updated_at=frame["updated_at"].astype(str),
                            week=frame["week"].astype(str)).to_dict("records")
        click.echo(json.dumps(recs, ensure_ascii=False, indent=1, default=str))
    elif fmt == "csv":
        out = frame.assign(answers=frame["answers"].map(lambda a: None if a is None else json.dumps(a, ensure_ascii=False)))
        click.echo(out.to_csv(index=False), nl=False)
    else:
        if frame.empty:
            click.echo("No entries.")
            return
        view = frame[["entry_id", "created_at", "author_id", "exercise_id", "visibility", "mood"]].copy()
        view["created_at"] = view["created_at"].dt.strftime("%Y-%m-%d %H:%M")
        click.echo(view.to_string(index=False))


@main.command()
@click.argument("cohort_id")
@click.option("--seed", default=7, show_default=True, type=click.IntRange(min=0), help="Same seed, same data.")
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(1, 104),
              help="How many weeks of activity.")
@click.pass_context
@clean_errors
def sample(ctx: click.Context, cohort_id: str, seed: int, weeks: int) -> None:
    """Fill a cohort with realistic sample activity (for demos and trying things out)."""
    from .sample import generate_sample

    store = open_store(ctx)
    if store.count_entries(cohort_id):
        click.echo(f"Cohort {cohort_id!r} already has entries; sample data not added again.")
        return
    s = generate_sample(store, cohort_id, seed=seed, weeks=weeks)
    click.echo(f"Sample data for {cohort_id!r}: {s.entries} entries in {s.sessions} sessions, {s.goals} goals, "
               f"{s.comments} coach comments, {s.votes} retro votes, {s.action_items} action items, {s.kudos} kudos.")


@main.command("export")
@click.argument("cohort_id")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "xapi"]), default="csv", show_default=True)
@click.option("--person", default=None, help="Export everything of this one person instead (JSON).")
@click.option("--out", type=OutPath(), required=True, help="File to write (in a folder that exists).")
@click.pass_context
@clean_errors
def export(ctx: click.Context, cohort_id: str, fmt: str, person: str | None, out: Path) -> None:
    """Export a cohort (answers only where shared with the cohort; xAPI actors as pseudonyms) or one
    person's own data. Every export is logged, so that `workbook erase` can list it later."""
    from .interop import export_cohort, write_person_export

    store = open_store(ctx)
    if person:
        n = write_person_export(store, cohort_id, person, out)
        click.echo(f"Wrote {n} entries of {person} to {out}.")
        return
    n = export_cohort(store, cohort_id, fmt, out)
    click.echo(f"Wrote {n} entries of {cohort_id} as {fmt} to {out}.")


def _operator() -> str | None:
    """Who runs this command (the login name), for the records an erasure or a re-admission keeps."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (some containers)
        return None


@main.command()
@click.argument("cohort_id")
@click.argument("person_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--by", "erased_by", default=None, metavar="NAME",
              help="Who asks for the erasure, for its record (default: your login name).")
@click.option("--reports", "report_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Report folder to clean (repeatable; default: reports/COHORT).")
@click.pass_context
@clean_errors
def erase(ctx: click.Context, cohort_id: str, person_id: str, yes: bool, erased_by: str | None,
          report_dirs: tuple[Path, ...]) -> None:
    """Erase a person from a cohort, leaving no trace: their data in the database (and the bytes it
    freed), their report pages; lists the exports made before that still hold them."""
    from .interop import erase_person

    store = open_store(ctx)
    if not yes:
        m = store.get_membership(cohort_id, person_id)
        if not sys.stdin.isatty():
            raise click.UsageError("erasing cannot be undone: pass --yes to confirm")
        click.confirm(f"Erase everything of {m.name} ({person_id}) in {cohort_id}? This cannot be undone", abort=True)
    report = erase_person(store, cohort_id, person_id, erased_by=erased_by or _operator(),
                          report_dirs=report_dirs or None)
    for line in report.lines():
        click.echo(line)
    if not report.finished:
        sys.exit(3)


@main.command()
@click.argument("cohort_id")
@click.option("--role", type=click.Choice(["participant", "coach", "facilitator"]), default=None,
              help="Only members with this role (default: everyone).")
@click.option("--person", "people", multiple=True, metavar="ID", help="Only this member (repeatable).")
@click.option("--out", type=OutPath(), default=None,
              help="Write the links to this CSV file (readable by you only) instead of printing them.")
@click.option("--base-url", default="http://127.0.0.1:8866", show_default=True,
              help="Where participants reach `workbook serve`.")
@click.option("--expires", type=_Days(min=0, min_open=True, max=3650), default=None, metavar="DAYS",
              help="Links stop working after DAYS days.")
@click.option("--exercise", default=None, help="The exercise the links open, on its own form's link (default: gibbs).")
@click.option("--session", "session_id", type=int, default=None, help="Open this session instead, on the link of its exercise's form.")
@click.option("--revoke", "revoke_id", default=None, metavar="PERSON", help="Stop every link of PERSON instead.")
@click.pass_context
@clean_errors
def invite(ctx: click.Context, cohort_id: str, role: str | None, people: tuple[str, ...], out: Path | None,
           base_url: str, expires: float | None, exercise: str | None, session_id: int | None,
           revoke_id: str | None) -> None:
    """Create personal links for a cohort (home page first; inviting again adds links, earlier ones keep
    working), or --revoke one person's."""
    from .invite import create_links, revoke_links, write_links_csv

    store = open_store(ctx)
    if revoke_id:
        n = revoke_links(store, cohort_id, revoke_id)
        click.echo(f"Revoked {n} live link key(s) of {revoke_id!r} in {cohort_id!r}; their links no longer work.")
        return
    made = out is not None and not out.exists()
    if out is not None:  # a file we cannot write fails here, before any link is replaced
        os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    try:
        invitations = create_links(store, cohort_id, role=role, people=people or None, base_url=base_url,
                                   expires_days=expires, exercise=exercise, session_id=session_id)
    except BaseException:
        if made:
            out.unlink(missing_ok=True)  # type: ignore[union-attr]
        raise
    if not invitations:
        if made:
            out.unlink(missing_ok=True)  # type: ignore[union-attr]
        click.echo("Nobody matched; no links were made.")
        return
    if out is not None:
        rows = write_links_csv(invitations, out)
        click.echo(f"{len(invitations)} people, {rows} links written to {out} (keys are shown only there: "
                   "keep the file private and delete it once the links are sent).")
        return
    for inv in invitations:
        click.echo(f"{inv.person_id:<10} {inv.role:<12} {inv.name}")
        for page_kind, url in inv.links.items():
            click.echo(f"    {page_kind:<13} {url}")
    click.echo("These keys are not stored and will not be shown again. Earlier links keep working; "
               "stop them with --revoke PERSON.")


@main.command("send")
@click.argument("cohort_id", metavar="COHORT")
@click.argument("kind", type=click.Choice(["invites", "reminders", "nudges", "comments"]))
@click.option("--person", "people", multiple=True, metavar="ID", help="Only this member (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing, record nothing.")
@click.option("--base-url", envvar="WORKBOOK_BASE_URL", default=None,
              help="Where members reach `workbook serve` (default: $WORKBOOK_BASE_URL, [mail] base_url in "
                   "cohort.toml, or http://127.0.0.1:8866).")
@click.option("--expires", type=_Days(min=0, min_open=True, max=3650), default=None, metavar="DAYS",
              help="Invitations: their links stop working after DAYS days.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
@clean_errors
def send_cmd(ctx: click.Context, cohort_id: str, kind: str, people: tuple[str, ...], dry_run: bool,
             base_url: str | None, expires: float | None, quiet: bool) -> None:
    """Email COHORT's members: invites (personal home link), reminders (no reflection this week), nudges
    (overdue check-ins) or comments (your coach commented). Server: $WORKBOOK_SMTP_URL; sender:
    $WORKBOOK_SMTP_FROM. What was sent is recorded (never a key), so running again sends only the rest."""
    from .mail import MailError, send

    store = open_store(ctx)
    try:
        report = send(store, cohort_id, kind, people=people or None, dry_run=dry_run, base_url=base_url,
                      expires_days=expires, progress=not quiet)
    except MailError as exc:
        if exc.report is not None and exc.report.sent:
            for line in exc.report.lines()[1:1 + len(exc.report.sent)]:
                click.echo(f"sent: {line.strip()}")
        raise
    for line in report.lines():
        click.echo(line)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8866, show_default=True, type=click.IntRange(1, 65535),
              help="Port (never silently changed).")
@click.option("--expect", default=0, show_default=True, type=click.IntRange(min=0), metavar="PEOPLE",
              help="People expected at once (a room): keep this many kernels warm so their pages open at once. "
                   "About 80 MiB of memory each; 0 starts a kernel per page.")
@click.option("--release-after", default=30.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="MINUTES", help="With --expect: release the warm kernels after this long without arrivals.")
@click.option("--cull-idle", default=3600, show_default=True, type=click.IntRange(min=1), metavar="SECONDS",
              help="Shut down a form's kernel after this long without activity.")
@click.option("--cull-interval", default=60, show_default=True, type=click.IntRange(min=1), metavar="SECONDS",
              help="How often idle kernels are looked for.")
@click.option("--base-url", default="/", show_default=True, metavar="PREFIX",
              help="Serve everything under this path, e.g. /services/workbook/ as a JupyterHub service.")
@click.option("--trust-user-header", default="", metavar="HEADER",
              help="Behind an authenticating proxy: a request without a key whose HEADER (e.g. X-Forwarded-User) "
                   "names a roster person (id or email) opens their pages. Only from --trusted-proxy addresses.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="The authenticating proxy's own address or network (repeatable); the header of any other "
                   "peer is ignored. Never a forwarded-for header.")
@click.option("--cohort", default=None, metavar="COHORT",
              help="With --trust-user-header: the cohort whose roster signed-in users are looked up in.")
@click.pass_context
@clean_errors
def serve(ctx: click.Context, host: str, port: int, expect: int, release_after: float, cull_idle: int,
          cull_interval: int, base_url: str, trust_user_header: str, trusted_proxies: tuple[str, ...],
          cohort: str | None) -> None:
    """Serve the participant forms (workbook/notebooks/forms) with Voila until Ctrl-C."""
    from .serve import ServeOptions, serve as run_voila

    if trust_user_header and os.environ.get("JUPYTERHUB_SERVICE_PREFIX"):
        # Verified by hand: JupyterHub's proxy passes a client's own X-Forwarded-User through to a
        # service unchanged and adds none, so anyone could name any user (see the README).
        raise WorkbookError("--trust-user-header cannot be used as a JupyterHub service: JupyterHub's proxy "
                            "forwards whatever header a visitor sends. Use personal links there, or put an "
                            "authenticating proxy that sets the header itself in front (see the README)")
    options = ServeOptions(host=host, port=port, db_url=ctx.obj.get("db"), expect=expect,
                           release_after=release_after * 60, cull_idle_timeout=cull_idle, cull_interval=cull_interval,
                           base_url=base_url, trust_user_header=trust_user_header, trusted_proxies=trusted_proxies,
                           cohort=cohort)
    store = open_store(ctx)  # a missing or outdated database is reported before Voila starts
    try:
        if cohort:
            store.get_cohort(cohort)
    finally:
        store.close()
    if trust_user_header:
        click.echo(f"Trusting the {trust_user_header} header from {', '.join(trusted_proxies)} only "
                   f"(users looked up in {cohort or 'every cohort'}).")
    click.echo(f"Serving the forms at http://{host}:{port}{options.base_url} (Ctrl-C stops).")
    code = run_voila(options)
    click.echo("Stopped.")
    sys.exit(code if code > 0 else 0)


@main.command("match")
@click.argument("cohort_id", metavar="COHORT")
@click.option("--apply", "do_apply", is_flag=True, help="Store the pairs (replacing active ones, keeping fixed ones).")
@click.option("--weights", default="", metavar="SPEC",
              help="Score weights, e.g. skills=3,aspirations=2,timezone=1,languages=1 (these are the defaults).")
@click.option("--max-tz-gap", type=float, default=None, metavar="HOURS",
              help="Never pair people whose UTC offsets differ by more than HOURS.")
@click.option("--exclude", multiple=True, metavar="A:B", help="Never pair these two ids (repeatable).")
@click.option("--keep-existing", is_flag=True,
              help="Keep pairings in force and the roster's coach column; match only the others.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_context
@clean_errors
def match_cmd(ctx: click.Context, cohort_id: str, do_apply: bool, weights: str, max_tz_gap: float | None,
              exclude: tuple[str, ...], keep_existing: bool, fmt: str) -> None:
    """Propose mentor-mentee pairs for COHORT: optimal, with a score and reasons for every pair."""
    from .errors import ValidationError
    from .matching import cohort as matching

    store = open_store(ctx)
    try:
        options = matching.match_options(weights, max_tz_gap, exclude)
        result = matching.propose(store, cohort_id, options, keep_existing=keep_existing)
    except ValidationError as exc:
        raise WorkbookError(matching.one_line(exc)) from None
    applied = ""
    if do_apply:
        stored = matching.apply(store, cohort_id, result)
        fixed = sum(p.status == "fixed" for p in stored)
        applied = f"Applied: {len(stored)} pairings stored for {cohort_id!r} ({fixed} fixed)."
    frame = matching.result_frame(result, matching.names_of(store, cohort_id))
    if fmt == "json":
        pairs = [dict(mentor_id=p.mentor_id, mentee_id=p.mentee_id, score=p.score, reasons=list(p.reasons),
                      fixed=p.fixed) for p in result.pairs]
        names = frame.set_index("mentee_id")["mentee"].to_dict()
        mentors = dict(zip(frame["mentor_id"], frame["mentor"]))
        for d in pairs:
            d.update(mentor=mentors[d["mentor_id"]], mentee=names[d["mentee_id"]])
        click.echo(json.dumps(dict(
            cohort=cohort_id, matched=result.matched_count, mentees=len(frame), total_score=result.total_score,
            method=result.method, applied=do_apply, pairs=pairs,
            unmatched=[dict(mentee_id=u.mentee_id, mentee=names[u.mentee_id], reason=u.reason)
                       for u in result.unmatched]), ensure_ascii=False, indent=1))
    elif fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    else:
        click.echo(matching.format_table(frame))
        click.echo(matching.summary(result))
    if applied:
        click.echo(applied, err=fmt != "table")


@main.command()
@click.argument("cohort_id")
@click.option("--kind", "kinds", type=click.Choice(["participant", "mentee", "cohort", "all"]), multiple=True,
              default=("all",), show_default=True, help="Which reports (repeatable).")
@click.option("--person", "people", multiple=True, metavar="ID",
              help="Only this person's reports (as participant, mentee or coach); repeatable.")
@click.option("--since", default="", metavar="DATE", help="First day of the period (YYYY-MM-DD).")
@click.option("--until", default="", metavar="DATE", help="Last day of the period (YYYY-MM-DD).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Reports run at once (default: CPU count); with --executor dask and no --scheduler, "
                   "the local Dask workers.")
@click.option("--engine", type=click.Choice(["pool", "papermill"]), default="pool", show_default=True,
              help="pool: warm kernels reused across reports; papermill: one fresh kernel per report.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: this machine's threads; dask: one task per report on a Dask cluster "
                   "(needs workbook[dask]; see README, \"Reports on a Dask cluster\").")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="A running Dask scheduler, e.g. tcp://HOST:8786 (--executor dask; default: start a "
                   "LocalCluster on this machine).")
@click.option("--connect-timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              metavar="SECONDS", help="How long to try reaching --scheduler and to wait for its first worker.")
@click.option("--out", "out_dir", type=OutPath(folder=True), default=None,
              help="Output folder (default: reports/COHORT).")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Folder with your own participant/mentee/cohort.ipynb (default: the shipped ones).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
@clean_errors
def report(ctx: click.Context, cohort_id: str, kinds: tuple[str, ...], people: tuple[str, ...], since: str,
           until: str, jobs: int | None, engine: str, executor: str, scheduler: str | None, connect_timeout: float,
           out_dir: Path | None, templates_dir: Path | None, quiet: bool) -> None:
    """Generate report pages (executed notebook + HTML) for a cohort, and an index.html."""
    from .reports import generate_reports

    result = generate_reports(cohort_id, kinds=kinds, people=people, since=since, until=until, jobs=jobs,
                              engine=engine, out_dir=out_dir, db_url=ctx.obj.get("db"), templates_dir=templates_dir,
                              progress=not quiet, executor=executor, scheduler=scheduler,
                              connect_timeout=connect_timeout)
    done = len(result.outcomes) - len(result.failed)
    per = result.seconds / len(result.outcomes) if result.outcomes else 0.0
    where = f", executor dask on {len({o.worker for o in result.outcomes if o.worker})} worker(s)" \
        if executor == "dask" else ""
    click.echo(f"{done} of {len(result.outcomes)} reports in {result.seconds:.1f} s ({per:.2f} s each, "
               f"engine {engine}{where}). Index: {result.index_path}")
    for o in result.failed:
        click.echo(f"FAILED {o.job.kind} {o.job.label}: {o.error}", err=True)
    if result.failed:
        sys.exit(1)


# --- retro sessions (issue 10): the CLI acts as the cohort's facilitator ---------------------
@main.group()
def session() -> None:
    """Open, list, step, close and export retro sessions (see README, "Running a retro")."""


def _facilitator(store: Any, cohort_id: str) -> Any:
    from .access import batch_audience

    store.get_cohort(cohort_id)  # an unknown cohort is one clear error
    return batch_audience(cohort_id)


def _local(store: Any, cohort_id: str, t: Any) -> str:
    from zoneinfo import ZoneInfo

    return t.astimezone(ZoneInfo(store.get_cohort(cohort_id).timezone)).strftime("%Y-%m-%d %H:%M") if t else "-"


@session.command("open")
@click.argument("cohort_id")
@click.option("--exercise", "exercise_id", required=True, help="A retro template id (see `workbook exercises list`).")
@click.option("--title", default=None, help='e.g. "Sprint 14 retro" (default: the template\'s title).')
@click.option("--closes", default=None, metavar="DATETIME",
              help="When it closes by itself: YYYY-MM-DD HH:MM in the cohort's time zone (or with an offset).")
@click.option("--force", is_flag=True, help="Open it even if a retro of this template is running.")
@click.pass_context
@clean_errors
def session_open(ctx: click.Context, cohort_id: str, exercise_id: str, title: str | None, closes: str | None,
                 force: bool) -> None:
    """Open a retro for a cohort."""
    from . import retro

    store = open_store(ctx)
    viewer = _facilitator(store, cohort_id)
    closes_at = retro.closing_time(store, cohort_id, closes) if closes else None
    s = retro.open_session(store, viewer, exercise_id, title, closes_at=closes_at, force=force)
    state = retro.retro_state(store, s.id)
    click.echo(f"Opened retro session {s.id} ({s.title!r}, {s.exercise_id}) in phase {state.phase}"
               + (f", closing {_local(store, cohort_id, s.closes_at)}" if s.closes_at else "") + ".")


@session.command("list")
@click.argument("cohort_id")
@click.pass_context
@clean_errors
def session_list(ctx: click.Context, cohort_id: str) -> None:
    """The cohort's retro sessions, newest first, with their phase."""
    from . import retro

    store = open_store(ctx)
    _facilitator(store, cohort_id)
    sessions = list(reversed(retro.retro_sessions(store, cohort_id)))
    if not sessions:
        click.echo(f"No retro sessions in {cohort_id!r} yet; open one with `workbook session open`.")
        return
    for s in sessions:
        st = retro.retro_state(store, s.id)
        status = "closed" if st.closed else "running"
        click.echo(f"{s.id}\t{status}\t{st.phase}\t{s.exercise_id}\t{_local(store, cohort_id, s.opens_at)}\t{s.title}")


def _session_id(store: Any, cohort_id: str, raw: str) -> int:
    from .errors import FieldProblem, ValidationError

    try:
        return int(raw)
    except ValueError:
        raise ValidationError("not a session id", [FieldProblem(
            "session", f"{raw!r}: give the number `workbook session list {cohort_id}` shows")]) from None


@session.command("close")
@click.argument("cohort_id")
@click.argument("session_id")
@click.pass_context
@clean_errors
def session_close(ctx: click.Context, cohort_id: str, session_id: str) -> None:
    """Close a retro: no more cards or votes; the board stays readable."""
    from . import retro

    store = open_store(ctx)
    viewer = _facilitator(store, cohort_id)
    st = retro.close_session(store, viewer, _session_id(store, cohort_id, session_id))
    click.echo(f"Closed retro session {st.session_id} ({st.title!r}).")


@session.command("phase")
@click.argument("cohort_id")
@click.argument("session_id")
@click.argument("phase")
@click.pass_context
@clean_errors
def session_phase(ctx: click.Context, cohort_id: str, session_id: str, phase: str) -> None:
    """Move a retro to PHASE: review, write, reveal, group, vote, discuss, actions or closed."""
    from . import retro

    store = open_store(ctx)
    viewer = _facilitator(store, cohort_id)
    st = retro.set_phase(store, viewer, _session_id(store, cohort_id, session_id), phase)
    left = st.seconds_left()
    click.echo(f"Retro session {st.session_id} is in phase {st.phase}"
               + (f" (timer: {left // 60}:{left % 60:02d})" if left else "") + ".")


@session.command("export")
@click.argument("cohort_id")
@click.argument("session_id")
@click.option("--out", type=OutPath(folder=True), required=True, help="Folder to write the .md and .csv into.")
@click.pass_context
@clean_errors
def session_export(ctx: click.Context, cohort_id: str, session_id: str, out: Path) -> None:
    """Export a closed retro as Markdown and CSV (cards, groups, votes, action items)."""
    from . import retro

    store = open_store(ctx)
    viewer = _facilitator(store, cohort_id)
    md, csv_path = retro.export_retro(store, viewer, _session_id(store, cohort_id, session_id), out)
    click.echo(f"Wrote {md} and {csv_path}.")


if __name__ == "__main__":  # pragma: no cover
    main()
