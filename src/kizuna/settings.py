"""Kizuna's settings: one typed object, built once at start-up, never at import.

Values come, in increasing priority, from the field defaults, an optional TOML config file
(``KIZUNA_CONFIG``, or ``kizuna.toml`` in the working directory when present) and environment
variables with the ``KIZUNA_`` prefix (``KIZUNA_DATABASE_URL`` sets ``database_url``).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kizuna.domain.progress import XpRules, parse_levels
from kizuna.storage.private import private_dir, write_private

PREFIX = "KIZUNA_"
_PLACEHOLDER_SECRETS = {"", "changeme", "secret", "change-me"}


class SettingsError(ValueError):
    """A setting has a value Kizuna cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(
        default=Path("kizuna-data"),
        metadata={"doc": "Directory for uploads, the generated secret key and the default SQLite database."},
    )
    database_url: str = field(
        default="",
        metadata={"doc": "SQLAlchemy URL. Default: a SQLite file `kizuna.db` inside the data directory."},
    )
    redis_url: str = field(
        default="",
        metadata={
            "doc": "Optional Redis URL (redis://, rediss://, or redis+cluster://host:port,host:port/ for a "
            "Redis Cluster); when set, the event bus uses Redis pub/sub so replicas stay in step, and "
            "the log-in throttle counts there."
        },
    )
    secret_key: str = field(
        default="",
        metadata={
            "doc": "Signs sessions and file links. Generated and kept in `<data_dir>/secret_key` when unset."
        },
    )
    environment: str = field(
        default="development",
        metadata={"doc": "`development`, `test` or `production`; production refuses placeholder secrets."},
    )
    default_locale: str = field(default="en", metadata={"doc": "Language used when nothing else decides it."})
    attempt_rate_limit: int = field(
        default=10,
        metadata={
            "doc": "Wrong flag answers a user may make in any minute, across challenges, before "
            "further attempts are refused (429 with Retry-After); a team's limits are multiples of "
            "it (`team_challenge_attempt_factor`, `team_attempt_factor`). `0` turns every limit off."
        },
    )
    team_challenge_attempt_factor: int = field(
        default=2,
        metadata={
            "doc": "A team's wrong answers a minute on one challenge, as a multiple of "
            "`attempt_rate_limit` (so one member flooding a challenge does not use up the team's "
            "budget on it, nor lock the team out of other challenges)."
        },
    )
    team_attempt_factor: int = field(
        default=3,
        metadata={
            "doc": "A team's wrong answers a minute across challenges, as a multiple of "
            "`attempt_rate_limit`: a team of five cannot guess five times as fast as one player."
        },
    )
    integrity_guess_window: int = field(
        default=600,
        metadata={
            "doc": "Seconds within which the same wrong answer from different teams is shown to "
            "judges as an integrity signal."
        },
    )
    integrity_common_guess: int = field(
        default=5,
        metadata={
            "doc": "A wrong answer sent by more teams than this is a common guess, not an integrity signal."
        },
    )
    integrity_burst_window: int = field(
        default=60,
        metadata={
            "doc": "Seconds after another team's solve within which a solve counts toward the "
            '"solves right after another team\'s" integrity signal.'
        },
    )
    integrity_burst_count: int = field(
        default=3,
        metadata={
            "doc": "Challenges a team must solve right after the same other team before judges see "
            "an integrity signal."
        },
    )
    badges_file: str = field(
        default="",
        metadata={
            "doc": "A YAML file of the organiser's own badges, added to Kizuna's (same form as "
            "`src/kizuna/data/badges.yml`; docs/badges.md). Checked at start-up: a wrong field stops "
            "the server with a message naming the file, the badge and the field."
        },
    )
    session_https_only: bool = field(
        default=False, metadata={"doc": "Mark the session cookie Secure (set this behind HTTPS)."}
    )
    log_level: str = field(default="info", metadata={"doc": "Log level for the server."})
    public_url: str = field(
        default="",
        metadata={
            "doc": "The address players use, e.g. `https://ctf.example.org`. Links in e-mails are built "
            "only from it (never from the request's Host header); when it starts with `https://`, "
            "cookies are Secure with a `__Host-` name and HSTS is sent."
        },
    )
    trusted_proxies: str = field(
        default="",
        metadata={
            "doc": "Comma-separated addresses or networks of reverse proxies whose `X-Forwarded-For` "
            "is believed (empty: the header is ignored and the peer address is the client's)."
        },
    )
    max_body_bytes: int = field(
        default=1_048_576,
        metadata={"doc": "Largest request body accepted on JSON and form routes, in bytes (413 beyond)."},
    )
    max_upload_bytes: int = field(
        default=100 * 1_048_576,
        metadata={"doc": "Largest file upload or challenge archive accepted, in bytes (413 beyond)."},
    )
    answer_file_bytes: int = field(
        default=1_048_576,
        metadata={
            "doc": "Largest file a player may send with an answer to a judged (`manual`) challenge, in "
            "bytes (413 beyond); the file's first bytes must show a PDF, image, ZIP/gzip archive or text."
        },
    )
    smtp_host: str = field(
        default="",
        metadata={"doc": "SMTP server for password-reset and verification mail (empty: mail is off)."},
    )
    smtp_port: int = field(default=25, metadata={"doc": "SMTP server port (25, 465 or 587 usually)."})
    smtp_username: str = field(default="", metadata={"doc": "SMTP log-in name (empty: no log-in)."})
    smtp_password: str = field(default="", metadata={"doc": "SMTP log-in password; never logged."})
    smtp_security: str = field(
        default="none",
        metadata={"doc": "`none`, `starttls` or `tls` (implicit TLS, usually port 465)."},
    )
    mail_from: str = field(
        default="",
        metadata={"doc": "Sender address of Kizuna's mail, e.g. `Kizuna <ctf@example.org>`."},
    )
    failed_logins_per_address: int = field(
        default=100,
        metadata={
            "doc": "Failed log-ins one client address may make per 15 minutes (429 beyond). Generous "
            "because a venue's players share one address; each account name has its own limit of 10."
        },
    )
    registrations_per_address: int = field(
        default=60,
        metadata={"doc": "New accounts one client address may register per hour (429 beyond)."},
    )
    start_timeout: int = field(
        default=120,
        metadata={
            "doc": "Seconds a worker may take to start where uvicorn's supervisor runs the workers "
            "(systems without SO_REUSEPORT; raise it on a slow or busy machine)."
        },
    )
    db_pool_size: int = field(
        default=10,
        metadata={
            "doc": "PostgreSQL connections each worker process keeps open (as many again under a "
            "burst); the server's max_connections must exceed 2 x processes x this."
        },
    )

    xp_solve: int = field(
        default=10,
        metadata={"doc": "Learning XP for every solve during the event (plus xp_solve_per_100_points)."},
    )
    xp_solve_per_100_points: int = field(
        default=10,
        metadata={
            "doc": "Learning XP added to a solve for every 100 points it scored (0: fixed XP per solve)."
        },
    )
    xp_practice_solve: int = field(default=10, metadata={"doc": "Learning XP for a practice solve."})
    xp_task_required: int = field(
        default=10, metadata={"doc": "Learning XP for completing a required task of a lesson."}
    )
    xp_task_optional: int = field(
        default=5, metadata={"doc": "Learning XP for completing an optional task of a lesson."}
    )
    xp_lesson: int = field(default=20, metadata={"doc": "Learning XP for completing a lesson."})
    xp_module: int = field(default=30, metadata={"doc": "Learning XP for completing a module."})
    xp_track: int = field(default=100, metadata={"doc": "Learning XP for completing a learning track."})
    xp_levels: str = field(
        default="0,100,250,500,1000,2000,3500,5000,7500,10000",
        metadata={
            "doc": "XP at which each level starts, comma-separated: level 1 at 0, then strictly "
            "increasing (at most 100 levels)."
        },
    )

    @property
    def https(self) -> bool:
        """Served over HTTPS (the public URL says so, or the Secure-cookie setting is on)."""
        return self.public_url.lower().startswith("https://") or self.session_https_only

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'kizuna.db'}"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"


def _coerce(name: str, raw: Any, kind: Any) -> Any:
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if "bool" in kind_name:
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if "int" in kind_name:
            return int(raw)
        if "Path" in kind_name:
            return Path(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{PREFIX}{name.upper()} has an invalid value") from exc


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build the settings from defaults, the config file, the environment and ``overrides``."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    config_path = env.get(f"{PREFIX}CONFIG") or ("kizuna.toml" if Path("kizuna.toml").is_file() else "")
    if config_path:
        path = Path(config_path)
        if not path.is_file():
            raise SettingsError(f"config file {config_path} does not exist")
        with path.open("rb") as fh:
            values.update(tomllib.load(fh))
    known = {f.name: f for f in fields(Settings)}
    unknown = set(values) - set(known)
    if unknown:
        raise SettingsError(f"unknown settings in config file: {', '.join(sorted(unknown))}")
    for name in known:
        key = f"{PREFIX}{name.upper()}"
        if key in env:
            values[name] = env[key]
    values.update(overrides)
    typed = {name: _coerce(name, value, known[name].type) for name, value in values.items()}
    settings = Settings(**typed)
    if settings.environment not in {"development", "test", "production"}:
        raise SettingsError("KIZUNA_ENVIRONMENT must be development, test or production")
    if not 1 <= settings.db_pool_size <= 1000:
        raise SettingsError("KIZUNA_DB_POOL_SIZE must be between 1 and 1000")
    for name in ("team_challenge_attempt_factor", "team_attempt_factor", "integrity_burst_count"):
        if not 1 <= getattr(settings, name) <= 1000:
            raise SettingsError(f"{PREFIX}{name.upper()} must be between 1 and 1000")
    for name in ("integrity_guess_window", "integrity_burst_window", "integrity_common_guess"):
        if not 1 <= getattr(settings, name) <= 86_400:
            raise SettingsError(f"{PREFIX}{name.upper()} must be between 1 and 86400")
    try:
        xp_rules(settings)
    except ValueError as exc:
        raise SettingsError(
            f"{PREFIX}XP_* must be between 0 and 1000000 and {PREFIX}XP_LEVELS increasing from 0 ({exc})"
        ) from None
    return _with_secret(settings)


def xp_rules(settings: Settings) -> XpRules:
    """The learning XP rules (``domain.progress``) from the settings; ValueError when out of range."""
    return XpRules(
        solve_base=settings.xp_solve,
        solve_per_100=settings.xp_solve_per_100_points,
        practice_solve=settings.xp_practice_solve,
        task_required=settings.xp_task_required,
        task_optional=settings.xp_task_optional,
        lesson=settings.xp_lesson,
        module=settings.xp_module,
        track=settings.xp_track,
        levels=parse_levels(settings.xp_levels),
    )


def _with_secret(settings: Settings) -> Settings:
    """Fill in the secret key: generated once and kept in the data directory when unset."""
    if settings.secret_key:
        if settings.environment == "production" and settings.secret_key.lower() in _PLACEHOLDER_SECRETS:
            raise SettingsError("KIZUNA_SECRET_KEY is a placeholder; set a real secret in production")
        return settings
    private_dir(settings.data_dir)
    key_file = settings.data_dir / "secret_key"
    if key_file.is_file():
        key = key_file.read_text().strip()
    else:
        key = secrets.token_urlsafe(48)
        # Written with owner-only permissions (whatever the umask): the key signs every session.
        write_private(key_file, key.encode())
    return dataclasses.replace(settings, secret_key=key)


def documented_settings() -> dict[str, str]:
    """Every setting's environment variable and its documentation (used by docs tests)."""
    return {f"{PREFIX}{f.name.upper()}": f.metadata.get("doc", "") for f in fields(Settings)}
