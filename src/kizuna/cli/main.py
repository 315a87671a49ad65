"""The ``kizuna`` command: serve, migrate, load the demo, create admins and API tokens, export and
import challenge folders, export the results."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from kizuna.domain.errors import DomainError
from kizuna.settings import SettingsError, load_settings

# The web application, the database layer and the migrations are imported inside the commands, not
# here: ``kizuna serve --workers N`` starts its workers with multiprocessing's "spawn", which imports
# this module again in every worker before the worker can answer the supervisor's health check, so
# this module stays light (``python -X importtime -c "import kizuna.cli.main"``).


def prepare_database(db: Any) -> bool:
    from kizuna.bootstrap import prepare_database as prepare

    return prepare(db)


def is_empty(ctx: Any) -> bool:
    from kizuna.bootstrap import is_empty as empty

    return empty(ctx)


def message_for(exc: Any) -> str:
    from kizuna.web.messages import message_for as message

    return message(exc)


app = typer.Typer(help="Kizuna (絆): a bilingual Capture-the-Flag platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
# The demo keeps the default setting: admins must use two-factor authentication for the staff pages.
TWO_FACTOR_NOTE = (
    "The admin is asked to turn on two-factor authentication (an authenticator app such as Google "
    "Authenticator) at the first staff page; `kizuna admin reset-two-factor admin` turns it off again."
)
admin_app = typer.Typer(help="Admin accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
addresses_app = typer.Typer(help="Addresses kept per account for staff.", no_args_is_help=True)
challenges_app = typer.Typer(
    help="Challenge folders in ctfcli's challenge.yml format (see docs/challenge-yml.md).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(token_app, name="token")
app.add_typer(addresses_app, name="addresses")
app.add_typer(challenges_app, name="challenges")
badges_app = typer.Typer(help="Badges (バッジ) awarded from the event log.", no_args_is_help=True)
app.add_typer(badges_app, name="badges")
stats_app = typer.Typer(help="Learning progress statistics.", no_args_is_help=True)
app.add_typer(stats_app, name="stats")
tracks_app = typer.Typer(
    help="Learning tracks authored as folders (track.yml + lessons; see docs/tracks.md).",
    no_args_is_help=True,
)
app.add_typer(tracks_app, name="tracks")


def _ctx():  # type: ignore[no-untyped-def]
    from kizuna.web.app import build_context

    try:
        settings = load_settings()
        return settings, build_context(settings)  # checks the badge definitions too
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _fail(exc: DomainError) -> None:
    typer.echo(f"error: {message_for(exc)}", err=True)
    raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (state is shared through the database)."),
) -> None:
    """Serve Kizuna; an empty or outdated database is migrated first."""
    from kizuna.web.serving import serve as run_workers

    settings, ctx = _ctx()
    if prepare_database(ctx.db):
        typer.echo("Database migrated to the newest schema.")
    ctx.db.dispose()
    ctx.bus.close()
    typer.echo(f"Kizuna is at http://{host}:{port}/")
    options: dict[str, Any] = {
        "log_level": settings.log_level,
        # X-Forwarded-For/-Proto are believed only from KIZUNA_TRUSTED_PROXIES (never uvicorn's
        # default of 127.0.0.1): kizuna.web.client applies the same list to the client's address.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
        "access_log": False,
        "log_config": _log_config(settings.log_level),
        # Where uvicorn's own supervisor runs the workers (no SO_REUSEPORT), it pings each one and
        # kills one that does not answer within this many seconds, starting ones included: a busy
        # machine needs longer than uvicorn's 5 s default (KIZUNA_START_TIMEOUT).
        "timeout_worker_healthcheck": max(settings.start_timeout, 5),
    }
    # Each worker listens on its own SO_REUSEPORT socket, so connections spread over the workers
    # (kizuna.web.serving).
    code = run_workers(host, port, workers, options)
    if code:
        raise typer.Exit(code)


def _log_config(level: str) -> dict[str, object]:
    """uvicorn's own access log prints query strings (signed file links), so it is off; Kizuna's
    ``kizuna.access`` logger prints method, path, status and time instead."""
    fmt = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": fmt},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "loggers": {
            "uvicorn": {"handlers": ["console"], "level": level.upper()},
            "kizuna": {"handlers": ["console"], "level": level.upper()},
        },
    }


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations up to the newest schema."""
    _settings, ctx = _ctx()
    if prepare_database(ctx.db):
        typer.echo("Database migrated to the newest schema.")
    typer.echo("Database is at the newest schema.")


def _cli_locale(lang: str | None) -> str:
    """``--lang``, else the terminal's language (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English."""
    import os

    if lang:
        return lang
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


@app.command()
def doctor(
    lang: str = typer.Option(
        None, "--lang", help="Language of the report: en or ja (default: the terminal's)."
    ),
) -> None:
    """Check the database (schema, orphan rows, missing files, solves, scores, hint charges, dynamic
    values, revision counters) and report; changes nothing. Exit code 0: healthy, 1: problems."""
    from kizuna.cli import doctor_messages as say
    from kizuna.i18n import LOCALES, current_locale, gettext

    locale = _cli_locale(lang)
    if locale not in LOCALES:
        typer.echo(f"error: --lang must be one of {', '.join(LOCALES)}", err=True)
        raise typer.Exit(2)
    token = current_locale.set(locale)
    try:
        _doctor_report(say, gettext)
    finally:
        current_locale.reset(token)


def _doctor_report(say: Any, gettext: Any) -> None:
    from kizuna.services import doctor as doctor_service

    _settings, ctx = _ctx()
    try:
        report = doctor_service.examine(ctx)
    finally:
        ctx.db.dispose()
        ctx.bus.close()
    for problem in report.problems:
        typer.echo(f"- {say.sentence(problem)}")
    if report.healthy:
        typer.echo(gettext(say.HEALTHY))
        return
    typer.echo(gettext(say.PROBLEMS, count=len(report.problems)))
    raise typer.Exit(1)


@app.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the database has data."),
) -> None:
    """Load the demo event (challenges, teams, an admin) into an empty database."""
    from kizuna.demo import ADMIN_FILE, load_demo

    settings, ctx = _ctx()
    prepare_database(ctx.db)
    if not is_empty(ctx):
        if if_empty:
            admin_file = settings.data_dir / ADMIN_FILE
            typer.echo("The database already has data; the demo was not loaded again.")
            if admin_file.is_file():
                typer.echo(admin_file.read_text().strip())
                typer.echo(TWO_FACTOR_NOTE)
            return
        typer.echo("error: the database is not empty; the demo loads only into an empty database.", err=True)
        raise typer.Exit(1)
    password = secrets.token_urlsafe(12)
    staff_password = secrets.token_urlsafe(12)
    summary = load_demo(ctx, admin_password=password, staff_password=staff_password)
    login = (
        f"Admin login: name 'admin', password '{password}' (http://127.0.0.1:8000/login)\n"
        f"Staff logins: names 'judge', 'marshal', 'author', password '{staff_password}'"
    )
    admin_file = settings.data_dir / ADMIN_FILE
    admin_file.write_text(login + "\n")
    admin_file.chmod(0o600)
    typer.echo(f"Demo event loaded: {summary}.")
    typer.echo(login)
    typer.echo(TWO_FACTOR_NOTE)


@admin_app.command("create")
def admin_create(
    name: str,
    email: str = typer.Option(None, "--email", help="Email address (optional)."),
    password: str = typer.Option(..., "--password", help="Password (at least 8 characters)."),
) -> None:
    """Create an admin account."""
    from kizuna.services import accounts

    _settings, ctx = _ctx()
    prepare_database(ctx.db)
    try:
        user = accounts.register_user(ctx, name, password, email=email, role="admin", by_admin=True)
    except DomainError as exc:
        _fail(exc)
        return
    typer.echo(f"Admin {user.name} created (id {user.id}).")


@admin_app.command("reset-two-factor")
def admin_reset_two_factor(name: str) -> None:
    """Turn two-factor authentication off for the account NAME (a lost phone and no recovery code
    left). Its sessions end; if its role requires it, it sets it up again at its next staff page."""
    from kizuna.domain.names import name_key
    from kizuna.services import two_factor
    from kizuna.storage import repo

    _settings, ctx = _ctx()
    prepare_database(ctx.db)
    with ctx.db.read() as s:
        user = repo.user_by_name_key(s, name_key(name))
    if user is None:
        typer.echo(f"error: no account named {name!r}", err=True)
        raise typer.Exit(1)
    if two_factor.reset(ctx, user.id):
        typer.echo(f"Two-factor authentication is now off for {user.name}.")
    else:
        typer.echo(f"{user.name} did not use two-factor authentication; nothing changed.")


@addresses_app.command("forget")
def addresses_forget(
    days: int = typer.Option(..., "--older-than", help="Forget addresses not seen for this many days."),
) -> None:
    """Forget the registration and log-in addresses not seen for DAYS days (docs/security.md:
    run it after the event's review period)."""
    from datetime import timedelta

    from kizuna.services import integrity

    if days < 0:
        typer.echo("error: --older-than must be 0 or more days", err=True)
        raise typer.Exit(2)
    _settings, ctx = _ctx()
    prepare_database(ctx.db)
    count = integrity.forget_addresses(ctx, timedelta(days=days))
    typer.echo(f"{count} addresses forgotten.")


@stats_app.command("rebuild")
def stats_rebuild() -> None:
    """Recompute every learning statistic (XP, levels, streaks, activity, leaderboards) from the
    whole event log, in one transaction; serving processes may keep running."""
    from kizuna.services import learning_stats

    _settings, ctx = _ctx()
    prepare_database(ctx.db)
    turn = learning_stats.rebuild(ctx)
    typer.echo(f"{turn.applied} events counted; the statistics now read up to event {turn.cursor}.")


@token_app.command("create")
def token_create(
    name: str,
    expires: int = typer.Option(None, "--expires", help="Days until the token expires (default: never)."),
) -> None:
    """Print a new API token for the account NAME (shown once; only its hash is stored)."""
    from kizuna.domain.names import name_key
    from kizuna.services import accounts
    from kizuna.storage import repo

    _settings, ctx = _ctx()
    prepare_database(ctx.db)
    with ctx.db.read() as s:
        user = repo.user_by_name_key(s, name_key(name))
    if user is None:
        typer.echo(f"error: no account named {name!r}", err=True)
        raise typer.Exit(1)
    if expires is not None and expires <= 0:
        typer.echo("error: --expires must be a positive number of days", err=True)
        raise typer.Exit(2)
    issued = accounts.create_token(ctx, user.id, description="cli", expires_in_days=expires)
    sys.stdout.write(issued.value + "\n")


def _problem(problem: Any) -> str:
    text = problem.message or (message_for(problem.error) if problem.error else "")
    return ": ".join(part for part in (problem.path, problem.field, text) if part)


def _speak_terminal_language(settings: Any) -> None:
    """Messages in the terminal's language (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``ja…`` or
    ``en…``), else the configured default language (``KIZUNA_DEFAULT_LOCALE``)."""
    import os

    from kizuna.i18n import LOCALES, current_locale

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        code = os.environ.get(name, "")[:2].lower()
        if code in LOCALES:
            current_locale.set(code)
            return
    if settings.default_locale in LOCALES:
        current_locale.set(settings.default_locale)


@challenges_app.command("export")
def challenges_export(
    directory: Path = typer.Argument(..., help="Folder to write into (created when missing)."),
) -> None:
    """Write every challenge to DIRECTORY/<category>/<name>/challenge.yml, attachments in files/."""
    from kizuna.i18n import gettext
    from kizuna.services import challenge_folders

    settings, ctx = _ctx()
    _speak_terminal_language(settings)
    prepare_database(ctx.db)
    try:
        report = challenge_folders.export_challenges(ctx, directory)
    except challenge_folders.FolderError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {_problem(problem)}", err=True)
        raise typer.Exit(1) from exc
    for warning in report.warnings:
        typer.echo(f"warning: {_problem(warning)}", err=True)
    typer.echo(
        gettext("Exported %(count)s challenge(s) to %(folder)s.", count=len(report.folders), folder=directory)
    )


def _imported(run: Callable[[], Any]) -> dict[str, int]:
    """Run an import of folders (challenges or tracks); print its problems and refuse (exit 1), or
    print its warnings and return the counts of what it created and updated."""
    from kizuna.domain.folders import FolderError
    from kizuna.i18n import gettext

    try:
        report = run()
    except FolderError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {_problem(problem)}", err=True)
        typer.echo(gettext("Nothing was imported: %(count)s problem(s).", count=len(exc.problems)), err=True)
        raise typer.Exit(1) from exc
    for warning in report.warnings:
        typer.echo(f"warning: {_problem(warning)}", err=True)
    created, updated = len(report.created), len(report.updated)
    return {"count": created + updated, "new": created, "updated": updated}


@challenges_app.command("import")
def challenges_import(
    directory: Path = typer.Argument(
        ..., help="A challenge folder, a folder of them (searched below), or a .zip archive of them."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the folders and report; change nothing."),
) -> None:
    """Create or update (by exact name) the challenges of every challenge.yml in DIRECTORY.

    Every file is checked first; on any problem all are listed and nothing is changed."""
    from kizuna.i18n import gettext
    from kizuna.services import challenge_folders
    from kizuna.services.safe_tree import Limits

    settings, ctx = _ctx()
    _speak_terminal_language(settings)
    prepare_database(ctx.db)
    limits = Limits(max_bytes=settings.max_upload_bytes)
    counts = _imported(
        lambda: challenge_folders.import_challenges(ctx, directory, dry_run=dry_run, limits=limits)
    )
    if dry_run:
        typer.echo(
            gettext("Would import %(count)s challenge(s): %(new)s new, %(updated)s updated.", **counts)
        )
    else:
        typer.echo(gettext("Imported %(count)s challenge(s): %(new)s new, %(updated)s updated.", **counts))


@tracks_app.command("import")
def tracks_import(
    directory: Path = typer.Argument(..., help="One track folder, or a folder of track folders."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the folders and report; change nothing."),
) -> None:
    """Create or update (by id) the track of every track folder in DIRECTORY.

    Every file is checked first; on any problem all are listed (file and field) and nothing is
    changed. Re-importing updates in place and keeps progress on the tasks still there."""
    from kizuna.i18n import gettext
    from kizuna.services import tracks

    settings, ctx = _ctx()
    _speak_terminal_language(settings)
    prepare_database(ctx.db)
    counts = _imported(lambda: tracks.import_tracks(ctx, directory, dry_run=dry_run))
    if dry_run:
        typer.echo(gettext("Would import %(count)s track(s): %(new)s new, %(updated)s updated.", **counts))
    else:
        typer.echo(gettext("Imported %(count)s track(s): %(new)s new, %(updated)s updated.", **counts))


@tracks_app.command("export")
def tracks_export(
    directory: Path = typer.Argument(..., help="Folder to write into (created when missing)."),
    track: str = typer.Option("", "--track", help="Export only the track with this id."),
) -> None:
    """Write every track (or one) to DIRECTORY/<id>/ in the folder format it is imported from."""
    from kizuna.i18n import gettext
    from kizuna.services import tracks
    from kizuna.services.safe_tree import Refused

    settings, ctx = _ctx()
    _speak_terminal_language(settings)
    prepare_database(ctx.db)
    try:
        written = tracks.export_tracks(ctx, directory, track or None)
    except DomainError as exc:
        _fail(exc)
        return
    except Refused as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(gettext("Exported %(count)s track(s) to %(folder)s.", count=len(written), folder=directory))


@tracks_app.command("list")
def tracks_list() -> None:
    """Every track: id, visibility, counts and per-language completeness."""
    from kizuna.i18n import gettext
    from kizuna.services import tracks

    settings, ctx = _ctx()
    _speak_terminal_language(settings)
    prepare_database(ctx.db)
    rows = tracks.admin_overview(ctx)
    if not rows:
        typer.echo(gettext("No tracks yet."))
    for row in rows:
        title = (row.texts.get("en") or row.texts.get("ja") or {}).get("title", "")
        done = " ".join(f"{c.locale} {c.percent}%" for c in row.completeness)
        shown = gettext("listed") if row.open else gettext("hidden")
        typer.echo(
            f"{row.key}\t{title}\t{shown}\t"
            + gettext(
                "%(modules)s modules, %(lessons)s lessons, %(tasks)s tasks",
                modules=row.modules,
                lessons=row.lessons,
                tasks=row.tasks,
            )
            + f"\t{done}"
        )


@app.command("export")
def export(
    kind: str = typer.Argument(..., help="standings (final), solves, submissions, awards or writeups."),
    format: str = typer.Option("csv", "--format", help="csv or json (md too for writeups)."),
    tz: str = typer.Option("UTC", "--tz", help="IANA time zone of the times, e.g. Asia/Tokyo (default UTC)."),
    bom: bool = typer.Option(
        True, "--bom/--no-bom", help="Start a CSV with a byte order mark (Excel needs it for UTF-8)."
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Write to this file, not standard output."),
    bracket: str = typer.Option("", "--bracket", help="standings only: one bracket's id, ranked within it."),
    country: str = typer.Option("", "--country", help="standings only: one country (ISO 3166-1 alpha-2)."),
    affiliation: str = typer.Option("", "--affiliation", help="standings only: one affiliation."),
) -> None:
    """Export the results as CSV or JSON — the same files as /admin/exports and the API's
    /api/v1/exports/<kind> — recorded in the audit trail as done by the system."""
    from kizuna.i18n import gettext
    from kizuna.services import exports, scoreboard

    settings, ctx = _ctx()
    _speak_terminal_language(settings)
    prepare_database(ctx.db)
    try:
        try:
            which = scoreboard.parse_filter(bracket, country, affiliation)
            started = exports.start_export(ctx, kind, format, tz, bom=bom, which=which)
        except DomainError as exc:
            _fail(exc)
            return
        if output is None:
            out = sys.stdout.buffer
            for chunk in started.chunks():
                out.write(chunk)
            out.flush()
            return
        with output.open("wb") as handle:
            for chunk in started.chunks():
                handle.write(chunk)
        typer.echo(gettext("Wrote the %(kind)s export to %(file)s.", kind=started.kind.value, file=output))
    finally:
        ctx.db.dispose()
        ctx.bus.close()


if __name__ == "__main__":
    app()


@badges_app.command("evaluate")
def badges_evaluate() -> None:
    """Award the badges the events since the last evaluation complete (what the server does in the
    background), and badges added to the definitions since."""
    from kizuna.services import badges

    _settings, ctx = _ctx()
    awarded = badges.catch_up(ctx) + badges.recheck(ctx)
    typer.echo(f"{len(awarded)} badge(s) awarded.")


@badges_app.command("rebuild")
def badges_rebuild() -> None:
    """Read the whole event log again from the start; awards already made are kept."""
    from kizuna.services import badges

    _settings, ctx = _ctx()
    awarded = badges.rebuild(ctx)
    typer.echo(f"Event log read again; {len(awarded)} badge(s) awarded.")


@badges_app.command("check")
def badges_check(
    path: Path = typer.Argument(..., help="A YAML file of badge definitions (the KIZUNA_BADGES_FILE form)."),
) -> None:
    """Check a badge definitions file without starting anything."""
    from kizuna.domain.badges import BadgeDefinitionError
    from kizuna.services import badges

    try:
        found = badges.load_catalogue(path)
    except BadgeDefinitionError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{len(found.badges)} badge(s) defined, Kizuna's included.")
