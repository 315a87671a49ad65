"""Challenge folders in ctfcli's ``challenge.yml`` format, in and out of Kizuna.

``export_challenges`` writes one folder per challenge, ``<category>/<slug>/challenge.yml`` with the
attachments under ``files/``. ``import_challenges`` reads such folders — or any folder written for
ctfcli, with or without translations — and creates or updates challenges matched by exact name, as
ctfcli does. Every file is read and checked before anything is written, and the writing is one
transaction: a bad file changes nothing.

Both directions meet in the *canonical* form of a ``challenge.yml`` (``canonical``): checked,
defaults left out, flags as plain strings when static and case-sensitive, hints as
``{title, content, cost}``, attachments as ``files/<name>``, ``extra.locale`` always given.
Exporting what an import stored gives back the canonical form of what was imported.

Translations travel under ``extra`` (ctfcli merges ``extra`` into its requests, so the same file
installs through ctfcli too): ``extra.locale`` is the language of the plain fields, and
``extra.translations.<code>`` holds ``name``, ``description``, ``category`` (the category's display
name) and ``hints`` (by hint position, ``{title, content}`` or null).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from kizuna.challenge_types import ChallengeTypeRegistry
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.event_state import iso_utc
from kizuna.domain.events import Audience
from kizuna.domain.flags import validate_flag
from kizuna.domain.folders import FolderError, Problem
from kizuna.domain.text import MAX_LOCALES, LocalizedText, validate_locale
from kizuna.i18n import gettext as _
from kizuna.services import challenges
from kizuna.services.content import file_path, safe_filename, store_file
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.services.safe_tree import (
    YML_NAMES,
    FolderTree,
    Limits,
    Refused,
    Source,
    Tree,
    archive_tree,
    open_tree,
    relative_parts,
    safe_dir,
    safe_write,
)
from kizuna.services.translations import CHALLENGE_TEXT, HINT_TEXT, apply_text, set_category_names
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD

SPEC_VERSION = "0.1"
FILES_DIR = "files"
KEY_ORDER = (
    "name",
    "category",
    "description",
    "attribution",
    "value",
    "type",
    "extra",
    "connection_info",
    "attempts",
    "logic",
    "flags",
    "files",
    "topics",
    "tags",
    "hints",
    "requirements",
    "next",
    "scheduled_at",
    "state",
    "version",
)
SCORING_KEYS = ("function", "initial", "decay", "minimum")
EXTRA_KEYS = (*SCORING_KEYS, "position", "locale", "translations", "close_at", "practice")
TRANSLATION_KEYS = ("name", "category", "description", "hints")
# ctfcli's own keys for building and deploying; Kizuna has nothing to store for them.
DEPLOY_KEYS = ("author", "image", "protocol", "host", "healthcheck")
# ctfcli keys Kizuna does not take from a challenge.yml (yet): the import says so.
NOT_IMPORTED = ("solution", "module")
# Keys left out of the canonical form when they hold these values.
DEFAULTS: dict[str, Any] = {
    "attribution": "",
    "connection_info": None,
    "attempts": 0,
    "logic": "any",
    "flags": [],
    "files": [],
    "topics": [],
    "tags": [],
    "hints": [],
    "requirements": [],
    "next": None,
    "scheduled_at": None,
}
_EXTRA_DEFAULTS: tuple[tuple[str, Any], ...] = (("position", 0), ("translations", {}), ("practice", False))
MAX_NAME = 200
MAX_CATEGORY = 100
MAX_TAG = 100
MAX_TOPIC = 200
MAX_HINT_TITLE = 200


# --- problems ------------------------------------------------------------------------------------


@dataclass
class _Check:
    """Collects the problems of one file while its fields are read."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def fail(self, where: str, message: str = "", error: DomainError | None = None) -> None:
        self.problems.append(Problem(self.path, where, message, error))

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(Problem(self.path, where, message))

    def text(self, raw: Any, where: str, limit: int = 0, required: bool = False, strip: bool = False) -> str:
        if raw is None:
            raw = ""
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            self.fail(where, _("must be text"))
            return ""
        out = str(raw).strip() if strip else str(raw)
        if required and not out.strip():
            self.fail(where, _("is required"))
        if limit and len(out) > limit:
            self.fail(where, _("is longer than %(limit)s characters", limit=limit))
        return out

    def integer(self, raw: Any, where: str, default: int = 0) -> int:
        if raw is None:
            return default
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            self.fail(where, _("must be a whole number, 0 or more"))
            return default
        return raw

    def boolean(self, raw: Any, where: str) -> bool:
        if raw is None:
            return False
        if not isinstance(raw, bool):
            self.fail(where, _("must be true or false"))
            return False
        return raw

    def items(self, raw: Any, where: str) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(where, _("must be a list"))
            return []
        return raw

    def mapping(self, raw: Any, where: str) -> Mapping[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.fail(where, _("must be a mapping (key: value lines)"))
            return {}
        return raw

    def known(self, raw: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
        for key in raw:
            if key not in allowed:
                self.fail(
                    f"{where}.{key}",
                    _("unknown field (expected one of: %(fields)s)", fields=", ".join(allowed)),
                )


# --- the canonical form --------------------------------------------------------------------------


@dataclass
class Folder:
    """One checked ``challenge.yml``: its canonical data and where its attachments are."""

    path: Path
    data: dict[str, Any]
    files: dict[str, Source]  # canonical path ("files/x.txt") → the checked file to read
    has_locale: bool  # extra.locale given (otherwise an update keeps the stored language)
    has_translations: bool  # extra.translations given (otherwise an update keeps the stored ones)


def canonical(
    raw: Any,
    *,
    types: ChallengeTypeRegistry,
    default_locale: str = "en",
    base: Path | None = None,
    path: str = "challenge.yml",
) -> dict[str, Any]:
    """The canonical form of a ``challenge.yml``'s data; ``FolderError`` lists what is wrong.

    With ``base`` (the folder of the file) listed files must exist there, inside it."""
    check = _Check(path)
    if base is None:
        folder = _read(check, raw, types, default_locale, None)
    else:
        try:
            tree = FolderTree(base, Limits())
        except Refused as exc:
            raise FolderError([Problem(str(base), "", exc.message)]) from None
        folder = _read(check, raw, types, default_locale, (tree, ""))
    if check.problems:
        raise FolderError(check.problems)
    return folder.data


# Where a challenge.yml's listed files are looked for: its tree and its folder's path in it.
Place = tuple[Tree, str]


def _read(
    check: _Check, raw: Any, types: ChallengeTypeRegistry, default_locale: str, base: Place | None
) -> Folder:
    where = Path(check.path)
    if not isinstance(raw, Mapping):
        check.fail("", _("must hold a mapping of fields (name: …, category: …)"))
        return Folder(where, {}, {}, False, False)
    for key in raw:
        if key in NOT_IMPORTED:
            check.warn(str(key), _("not imported: Kizuna does not take it from challenge.yml"))
        elif key not in KEY_ORDER and key not in DEPLOY_KEYS:
            check.warn(str(key), _("unknown field, ignored"))
    extra = check.mapping(raw.get("extra"), "extra")
    for key in extra:
        if key not in EXTRA_KEYS:
            check.warn(f"extra.{key}", _("not stored by Kizuna, ignored"))
    name = check.text(raw.get("name"), "name", MAX_NAME, required=True, strip=True)
    category = check.text(raw.get("category"), "category", MAX_CATEGORY, strip=True)
    locale = default_locale
    if extra.get("locale") is not None:
        try:
            locale = validate_locale(extra["locale"], "extra.locale")
        except DomainError as exc:
            check.fail("extra.locale", error=exc)
    value, type_name, scoring = _scoring(check, raw, extra, types)
    position = check.integer(extra.get("position"), "extra.position")
    logic = check.text(raw.get("logic"), "logic") or "any"
    if logic not in challenges.LOGICS:
        check.fail("logic", _("must be one of: %(choices)s", choices=", ".join(challenges.LOGICS)))
    state = check.text(raw.get("state"), "state") or "visible"
    if state not in challenges.STATES:
        check.fail("state", _("must be one of: %(choices)s", choices=", ".join(challenges.STATES)))
    hints = _hints(check, raw.get("hints"))
    files, sources = _files(check, raw.get("files"), base)
    translations = _translations(check, extra.get("translations"), locale, bool(category), len(hints))
    full = {
        "name": name,
        "category": category,
        "description": check.text(raw.get("description"), "description"),
        "attribution": check.text(raw.get("attribution"), "attribution"),
        "value": value,
        "type": type_name,
        "extra": {
            **scoring,
            "position": position,
            "locale": locale,
            "translations": translations,
            "close_at": _time(check, extra.get("close_at"), "extra.close_at"),
            # A practice challenge (kizuna.services.practice): ctfcli sends it on as an API field.
            "practice": check.boolean(extra.get("practice"), "extra.practice"),
        },
        "connection_info": check.text(raw.get("connection_info"), "connection_info") or None,
        "attempts": check.integer(raw.get("attempts"), "attempts"),
        "logic": logic,
        "flags": _flags(check, raw.get("flags")),
        "files": files,
        "topics": _words(check, raw.get("topics"), "topics", MAX_TOPIC),
        "tags": _words(check, raw.get("tags"), "tags", MAX_TAG),
        "hints": hints,
        "requirements": _requirements(check, raw.get("requirements"), name),
        "next": _reference(check, raw.get("next"), "next"),
        "scheduled_at": _time(check, raw.get("scheduled_at"), "scheduled_at"),
        "state": state,
    }
    return Folder(
        where,
        _tidy(full),
        sources,
        extra.get("locale") is not None,
        extra.get("translations") is not None,
    )


def _time(check: _Check, raw: Any, where: str) -> str | None:
    """A release or close time as the canonical form writes it ("2030-01-02T00:00:00Z"), or None.
    As ctfcli's ``scheduled_at``: ISO 8601 with an explicit offset; a naive time is refused. YAML
    reads an unquoted time as a timestamp, which must carry its offset too."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime) and raw.tzinfo is None:
        check.fail(where, error=DomainError(ErrorCode.TIME_OFFSET_REQUIRED, field=where))
        return None
    if isinstance(raw, datetime):
        raw = raw.isoformat()
    try:
        return iso_utc(challenges.schedule_time(raw, where))
    except DomainError as exc:
        check.fail(where, error=exc)
        return None


def _tidy(full: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical layout: ctfcli's key order, defaults and empty values left out."""
    out: dict[str, Any] = {}
    for key in KEY_ORDER:
        if key == "version":
            out[key] = SPEC_VERSION
            continue
        value = full.get(key)
        if key == "extra":  # decay fields may be 0; position 0 and no translations are the defaults
            value = {
                k: v for k, v in (value or {}).items() if v is not None and (k, v) not in _EXTRA_DEFAULTS
            }
        if key in DEFAULTS and value == DEFAULTS[key]:
            continue
        if value is not None and value != {}:
            out[key] = value
    return out


def _scoring(
    check: _Check, raw: Mapping[str, Any], extra: Mapping[str, Any], types: ChallengeTypeRegistry
) -> tuple[int, str, dict[str, Any]]:
    """(value, type, the decay fields for ``extra``): decaying challenges show ``value: initial``."""
    type_name = check.text(raw.get("type"), "type", strip=True) or "standard"
    given: dict[str, Any] = {}
    if raw.get("value") is not None:
        given["value"] = check.integer(raw["value"], "value")
    for key in SCORING_KEYS:
        if extra.get(key) is not None:
            given[key] = (
                check.text(extra[key], f"extra.{key}")
                if key == "function"
                else check.integer(extra[key], f"extra.{key}")
            )
    try:
        ctype = types.get(type_name)
        prepared = ctype.prepare(given)
    except DomainError as exc:
        check.fail(exc.field if exc.field in ("type", "value") else f"extra.{exc.field}", error=exc)
        return 0, type_name, {}
    if prepared["function"] == "static":
        if "value" not in given:
            check.fail("value", _("is required (unless the challenge's value decays)"))
        return int(prepared.get("value") or 0), type_name, {}
    decay = {key: prepared[key] for key in SCORING_KEYS}
    return int(prepared["initial"]), type_name, decay


def _flags(check: _Check, raw: Any) -> list[Any]:
    out: list[Any] = []
    for index, item in enumerate(check.items(raw, "flags")):
        where = f"flags[{index}]"
        if isinstance(item, Mapping):
            check.known(item, ("type", "content", "data"), where)
            type_ = check.text(item.get("type"), f"{where}.type") or "static"
            content = check.text(item.get("content"), f"{where}.content")
            data = check.text(item.get("data"), f"{where}.data")
        else:
            type_, content, data = "static", check.text(item, where), ""
        try:
            spec = validate_flag(type_, content, data)
        except DomainError as exc:
            check.fail(f"{where}.{exc.field}" if isinstance(item, Mapping) else where, error=exc)
            continue
        if spec.type == "static" and not spec.data:
            out.append(spec.content)
        else:
            out.append(
                {"type": spec.type, "content": spec.content, **({"data": spec.data} if spec.data else {})}
            )
    return out


def _words(check: _Check, raw: Any, where: str, limit: int) -> list[str]:
    out = []
    for index, item in enumerate(check.items(raw, where)):
        word = check.text(item, f"{where}[{index}]", limit, required=True, strip=True)
        if word:
            out.append(word)
    return out


def _hints(check: _Check, raw: Any) -> list[dict[str, Any]]:
    """Hints as ``{title, content, cost}``; a hint that others require gets ``key: hint-<n>`` (its
    position from 1) and a gated one ``requirements: [keys]``, whatever keys the file used."""
    items = check.items(raw, "hints")
    keys: dict[str, int] = {}
    for index, item in enumerate(items):
        if isinstance(item, Mapping) and item.get("key") is not None:
            key = str(item["key"])
            if key in keys:
                check.fail(
                    f"hints[{index}].key",
                    _("“%(key)s” is also the key of hints[%(index)s]", key=key, index=keys[key]),
                )
            keys[key] = index
    out: list[dict[str, Any]] = []
    needs: list[list[int]] = []
    for index, item in enumerate(items):
        where = f"hints[{index}]"
        if not isinstance(item, Mapping):
            out.append({"title": "", "content": check.text(item, where), "cost": 0})
            needs.append([])
            continue
        check.known(item, ("title", "content", "cost", "key", "requirements"), where)
        if "content" not in item:
            check.fail(f"{where}.content", _("is required"))
        out.append(
            {
                "title": check.text(item.get("title"), f"{where}.title", MAX_HINT_TITLE),
                "content": check.text(item.get("content"), f"{where}.content"),
                "cost": check.integer(item.get("cost"), f"{where}.cost"),
            }
        )
        wanted = []
        for req in check.items(item.get("requirements"), f"{where}.requirements"):
            if str(req) not in keys:
                check.fail(f"{where}.requirements", _("no hint has the key “%(key)s”", key=req))
            elif keys[str(req)] == index:
                check.fail(f"{where}.requirements", _("a hint cannot require itself"))
            elif keys[str(req)] not in wanted:
                wanted.append(keys[str(req)])
        needs.append(wanted)
    required = {i for wanted in needs for i in wanted}
    for index, hint in enumerate(out):
        if index in required:
            hint["key"] = f"hint-{index + 1}"
        if needs[index]:
            hint["requirements"] = [f"hint-{i + 1}" for i in needs[index]]
    return out


def _files(check: _Check, raw: Any, base: Place | None) -> tuple[list[str], dict[str, Source]]:
    """Attachments as ``files/<name>`` (``files/<n>/<name>`` for the n-th file of the same name),
    sorted by name, with the file each one is read from. A path must stay inside the folder's tree:
    absolute paths, ``..``, links, devices and the like are refused (``safe_tree``)."""
    found: list[tuple[str, Source | None]] = []
    for index, item in enumerate(check.items(raw, "files")):
        where = f"files[{index}]"
        given = check.text(item, where, required=True)
        if not given.strip():
            continue
        try:
            parts = relative_parts(given)
            source = None
            if base is not None:
                tree, folder = base
                source = tree.source("/".join([*([folder] if folder else []), *parts]), tree.limits.max_bytes)
        except Refused as exc:
            check.fail(where, exc.message)
            continue
        found.append((safe_filename(parts[-1]), source))
    paths = _file_paths([name for name, _ in found])
    ordered = sorted(range(len(found)), key=lambda i: (found[i][0], i))
    sources = {paths[i]: source for i, (_name, source) in enumerate(found) if source is not None}
    return [paths[i] for i in ordered], sources


def _file_paths(names: list[str]) -> list[str]:
    """Each name's path under ``files/``; the n-th file of a name goes in ``files/<n>/``."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        count = seen[name]
        out.append(f"{FILES_DIR}/{name}" if count == 1 else f"{FILES_DIR}/{count}/{name}")
    return out


def _reference(check: _Check, raw: Any, where: str) -> str | int | None:
    """A challenge named (or, as ctfcli allows, given by id)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        check.fail(where, _("must be a challenge's name"))
        return None
    return raw.strip() if isinstance(raw, str) else raw


def _requirements(check: _Check, raw: Any, name: str) -> list[Any] | dict[str, Any]:
    anonymize = False
    if isinstance(raw, Mapping):
        check.known(raw, ("prerequisites", "anonymize"), "requirements")
        anonymize = raw.get("anonymize") is True
        if raw.get("anonymize") not in (None, True, False):
            check.fail("requirements.anonymize", _("must be true or false"))
        raw = raw.get("prerequisites")
    names: list[Any] = []
    for index, item in enumerate(check.items(raw, "requirements")):
        ref = _reference(check, item, f"requirements[{index}]")
        if ref is not None and ref != name and ref not in names:  # ctfcli drops a self-reference
            names.append(ref)
    if anonymize and names:
        return {"prerequisites": names, "anonymize": True}
    return names


def _translations(
    check: _Check, raw: Any, locale: str, has_category: bool, hint_count: int
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    given = check.mapping(raw, "extra.translations")
    if len(given) > MAX_LOCALES:
        check.fail("extra.translations", _("more than %(count)s languages", count=MAX_LOCALES))
    for code in sorted(given, key=str):
        where = f"extra.translations.{code}"
        try:
            validate_locale(code, where)
        except DomainError as exc:
            check.fail(where, error=exc)
            continue
        if code == locale:
            check.fail(
                where,
                _(
                    "%(code)s is the challenge's own language (extra.locale): write its text in "
                    "name, description, category and hints",
                    code=code,
                ),
            )
            continue
        values = check.mapping(given[code], where)
        check.known(values, TRANSLATION_KEYS, where)
        entry: dict[str, Any] = {
            "name": check.text(values.get("name"), f"{where}.name", MAX_NAME, strip=True),
            "category": check.text(values.get("category"), f"{where}.category", MAX_CATEGORY, strip=True),
            "description": check.text(values.get("description"), f"{where}.description"),
            "hints": _hint_texts(check, values.get("hints"), f"{where}.hints", hint_count),
        }
        if entry["category"] and not has_category:
            check.fail(f"{where}.category", _("the challenge has no category to name"))
        entry = {k: v for k, v in entry.items() if v}
        if entry:
            out[code] = entry
    return out


def _hint_texts(check: _Check, raw: Any, where: str, hint_count: int) -> list[dict[str, str] | None]:
    items = check.items(raw, where)
    if len(items) > hint_count:
        check.fail(where, _("%(count)s entries for %(hints)s hint(s)", count=len(items), hints=hint_count))
    out: list[dict[str, str] | None] = []
    for index, item in enumerate(items):
        if isinstance(item, Mapping):
            check.known(item, HINT_TEXT, f"{where}[{index}]")
            entry = {
                "title": check.text(item.get("title"), f"{where}[{index}].title", MAX_HINT_TITLE),
                "content": check.text(item.get("content"), f"{where}[{index}].content"),
            }
        else:
            entry = {"content": check.text(item, f"{where}[{index}]")}
        out.append({k: v for k, v in entry.items() if v} or None)
    while out and out[-1] is None:
        out.pop()
    return out


# --- YAML ----------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text, no anchors, Unicode as is."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # lists indented under their key, as ctfcli writes them


# Line breaks other than \n would not survive a block scalar (YAML reads them as \n): quote and escape.
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _OTHER_BREAKS.search(value) else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_yml(data: Mapping[str, Any]) -> str:
    return yaml.dump(dict(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def load_yml(text: str) -> Any:
    return yaml.safe_load(text)


# --- reading folders -----------------------------------------------------------------------------


def find_ymls(root: Path) -> list[Path]:
    """Every challenge.yml under ``root`` (or ``root`` itself), skipping hidden folders and links."""
    tree = FolderTree(root, Limits())
    return [tree.dir / rel for rel in tree.ymls()[0]]


def read_folders(
    tree: Tree, types: ChallengeTypeRegistry, default_locale: str
) -> tuple[list[Folder], list[Problem]]:
    """Every folder in ``tree``, checked; ``FolderError`` lists the problems of all of them."""
    problems: list[Problem] = [Problem(tree.label(""), "", p.message) for p in getattr(tree, "problems", [])]
    if problems:  # an archive with a hostile entry is not read at all
        raise FolderError(problems)
    warnings: list[Problem] = []
    folders: list[Folder] = []
    try:
        ymls, skipped = tree.ymls()
    except Refused as exc:
        raise FolderError([Problem(tree.label(""), "", exc.message)]) from None
    warnings += [Problem(tree.label(""), "", p.message) for p in skipped]
    if not ymls:
        raise FolderError([Problem(tree.label(""), "", _("no challenge.yml here or in any folder below"))])
    for rel in ymls:
        check = _Check(tree.label(rel))
        try:
            raw = load_yml(tree.read(rel, tree.limits.max_yml_bytes).decode("utf-8"))
        except Refused as exc:
            check.fail("", exc.message)
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            check.fail("", _("cannot be read as YAML: %(detail)s", detail=_yaml_error(exc)))
        else:
            folder = _read(check, raw, types, default_locale, (tree, _parent(rel)))
            if not check.problems:
                folders.append(folder)
        problems += check.problems
        warnings += check.warnings
    seen: dict[str, Path] = {}
    for folder in folders:
        name = folder.data["name"]
        if name in seen:
            problems.append(
                Problem(
                    str(folder.path),
                    "name",
                    _("“%(name)s” is also the name in %(path)s", name=name, path=seen[name]),
                )
            )
        seen.setdefault(name, folder.path)
    if problems:
        raise FolderError(problems)
    return folders, warnings


def _parent(rel: str) -> str:
    parent = str(PurePosixPath(rel).parent)
    return "" if parent == "." else parent


def _yaml_error(exc: BaseException) -> str:
    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, yaml.MarkedYAMLError) and mark is not None:
        return _(
            "%(problem)s (line %(line)s, column %(column)s)",
            problem=exc.problem,
            line=mark.line + 1,
            column=mark.column + 1,
        )
    return " ".join(str(exc).split())[:300]


# --- import --------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[str]
    updated: list[str]
    warnings: list[Problem]


def import_challenges(
    ctx: Context, root: Path, dry_run: bool = False, limits: Limits | None = None
) -> ImportReport:
    """Create or update (by exact name) the challenges of every ``challenge.yml`` under ``root`` (a
    folder, one challenge.yml, or a ``.zip`` archive of them).

    All files are checked first and written in one transaction: on any problem ``FolderError`` lists
    them all and nothing changes. An update makes the challenge what the file says (flags, tags,
    topics, files, hints, prerequisites and next replaced; hints kept in place by position, so
    unlocks survive), except that without ``extra.locale`` / ``extra.translations`` the stored
    language and translations are kept.

    Nothing outside ``root`` is ever read: see ``safe_tree`` for the paths, links, sizes and counts
    refused (``limits``: ``Settings.max_upload_bytes`` as ``max_bytes``)."""
    try:
        with open_tree(root, limits or Limits()) as tree:
            return _import(ctx, tree, dry_run)
    except Refused as exc:
        raise FolderError([Problem(exc.entry, "", exc.message)]) from None


def import_archive(
    ctx: Context, data: bytes, name: str, dry_run: bool = False, limits: Limits | None = None
) -> ImportReport:
    """``import_challenges`` for a zip archive held in memory (an upload)."""
    try:
        with archive_tree(data, name, limits or Limits()) as tree:
            return _import(ctx, tree, dry_run)
    except Refused as exc:
        raise FolderError([Problem(exc.entry, "", exc.message)]) from None


def _import(ctx: Context, tree: Tree, dry_run: bool) -> ImportReport:
    folders, warnings = read_folders(tree, ctx.types, get_event(ctx).default_locale or "en")
    with ctx.db.read() as s:
        stored: dict[str, list[int]] = {}
        for row in s.query(t.Challenge).order_by(t.Challenge.id):
            stored.setdefault(row.name, []).append(row.id)
    _check_references(folders, stored)
    created = [f.data["name"] for f in folders if f.data["name"] not in stored]
    updated = [f.data["name"] for f in folders if f.data["name"] in stored]
    if not dry_run:
        _write(ctx, folders, {name: ids[0] for name, ids in stored.items()})
    return ImportReport(created, updated, warnings)


def _check_references(folders: list[Folder], stored: Mapping[str, list[int]]) -> None:
    problems = []
    names = set(stored) | {f.data["name"] for f in folders}
    ids = {i for found in stored.values() for i in found}
    for folder in folders:
        data = folder.data
        if len(stored.get(data["name"], [])) > 1:
            problems.append(
                Problem(
                    str(folder.path),
                    "name",
                    _("several stored challenges are named “%(name)s”", name=data["name"]),
                )
            )
        refs = [("requirements", r) for r in _prerequisites(data)]
        if data.get("next") is not None:
            refs.append(("next", data["next"]))
        for where, ref in refs:
            if (ref not in ids) if isinstance(ref, int) else (ref not in names):
                problems.append(
                    Problem(str(folder.path), where, _("no challenge “%(name)s” here or stored", name=ref))
                )
    if problems:
        raise FolderError(problems)


def _prerequisites(data: Mapping[str, Any]) -> list[Any]:
    req = data.get("requirements") or []
    return list(req["prerequisites"] if isinstance(req, Mapping) else req)


def _write(ctx: Context, folders: list[Folder], stored: Mapping[str, int]) -> None:
    written: list[str] = []  # new files: removed again if the transaction fails
    dropped: list[str] = []  # replaced files: removed once it commits
    touched: list[int] = []
    try:
        with ctx.write() as uow:
            s = uow.session
            rows: dict[str, t.Challenge] = {}
            for folder in folders:
                found = (
                    s.get(t.Challenge, stored[folder.data["name"]]) if folder.data["name"] in stored else None
                )
                rows[folder.data["name"]] = _write_challenge(ctx, s, folder, found)
            ids = {row.name: row.id for row in s.query(t.Challenge).order_by(t.Challenge.id.desc())}
            for folder in folders:
                ch = rows[folder.data["name"]]
                _write_parts(ctx, s, ch, folder, written, dropped)
                data = folder.data
                req = data.get("requirements") or []
                prereqs = [ids[r] if isinstance(r, str) else r for r in _prerequisites(data)]
                nxt = data.get("next")
                challenges.apply_fields(
                    ctx,
                    s,
                    ch,
                    {
                        "requirements": {
                            "prerequisites": prereqs,
                            "anonymize": isinstance(req, Mapping) and bool(req.get("anonymize")),
                        }
                        if prereqs
                        else None,
                        "next_id": ids[nxt] if isinstance(nxt, str) else nxt,
                    },
                )
                challenges.recompute_value(ctx, s, ch.id)
                touched.append(ch.id)
            uow.bump(CHALLENGES, SCOREBOARD)
            for challenge_id in touched:
                uow.emit("challenge_changed", {"challenge_id": challenge_id}, audience=Audience.STAFF)
            uow.audit(None, "challenges.imported", "challenge", "", after={"challenge_ids": touched})
    except BaseException:
        for location in written:
            challenges.remove_stored_file(ctx, location)
        raise
    for location in dropped:
        challenges.remove_stored_file(ctx, location)


def _write_challenge(ctx: Context, s: Any, folder: Folder, ch: t.Challenge | None) -> t.Challenge:
    data = folder.data
    extra = data.get("extra", {})
    if ch is None:
        ch = challenges.new_challenge(s, extra["locale"])
    fields: dict[str, Any] = {
        "category": data["category"],
        "attribution": data.get("attribution", ""),
        "connection_info": data.get("connection_info"),
        "type": data["type"],
        "state": data["state"],
        "max_attempts": data.get("attempts", 0),
        "logic": data.get("logic", "any"),
        "value": data["value"],
        "function": extra.get("function", "static"),
        **{key: extra[key] for key in SCORING_KEYS[1:] if key in extra},
    }
    if "position" in extra or ch.id is None:
        fields["position"] = extra.get("position", 0)
    # The schedule, as the file has it: absent means none.
    fields["release_at"] = data.get("scheduled_at")
    fields["close_at"] = extra.get("close_at")
    fields["practice"] = bool(extra.get("practice", False))
    challenges.apply_fields(ctx, s, ch, fields)
    locale = extra["locale"] if folder.has_locale or ch.id is None else ch.locale
    texts = _texts(extra, ("name", "description")) if folder.has_translations else None
    _set_text(ch, CHALLENGE_TEXT, {"name": data["name"], "description": data["description"]}, locale, texts)
    if ch.translations:  # hints are all written below: no hint translation is left waiting
        ch.translations = {
            code: {k: v for k, v in values.items() if k != "hints"}
            for code, values in ch.translations.items()
            if any(k != "hints" for k in values)
        } or None
    s.add(ch)
    s.flush()
    if data["category"]:
        names = {code: v["category"] for code, v in extra.get("translations", {}).items() if "category" in v}
        if names:
            set_category_names(s, data["category"], ch.locale, names)
    return ch


def _texts(extra: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, dict[str, str]]:
    out = {}
    for code, values in extra.get("translations", {}).items():
        picked = {k: values[k] for k in keys if k in values}
        if picked:
            out[code] = picked
    return out


def _set_text(
    row: Any, names: tuple[str, ...], plain: Mapping[str, str], locale: str, translations: Any
) -> None:
    """Write ``plain`` (in ``locale``) and, when given, exactly ``translations``; when not given,
    keep the stored translations (a change of language keeps the old text as its translation)."""
    old_locale = row.locale or locale
    old = {n: getattr(row, n) for n in names if getattr(row, n)}
    for n in names:
        setattr(row, n, plain[n])
    row.locale = locale
    if translations is None:
        kept = {code: dict(v) for code, v in (row.translations or {}).items() if isinstance(v, Mapping)}
        if old and old_locale != locale:
            kept[old_locale] = {**kept.get(old_locale, {}), **old}
        kept.pop(locale, None)
        row.translations = kept or None
    else:
        row.translations = None
        apply_text(row, {"translations": translations}, names)


def _write_parts(
    ctx: Context, s: Any, ch: t.Challenge, folder: Folder, written: list[str], dropped: list[str]
) -> None:
    data = folder.data
    for flag in s.query(t.Flag).filter(t.Flag.challenge_id == ch.id):
        s.delete(flag)
    for flag in data.get("flags", []):
        spec = flag if isinstance(flag, Mapping) else {"type": "static", "content": flag}
        s.add(
            t.Flag(challenge_id=ch.id, type=spec["type"], content=spec["content"], data=spec.get("data", ""))
        )
    for tag in s.query(t.Tag).filter(t.Tag.challenge_id == ch.id):
        s.delete(tag)
    for value in data.get("tags", []):
        s.add(t.Tag(challenge_id=ch.id, value=value))
    for link in s.query(t.ChallengeTopic).filter(t.ChallengeTopic.challenge_id == ch.id):
        s.delete(link)
    for value in data.get("topics", []):
        topic = s.query(t.Topic).filter(t.Topic.value == value).one_or_none()
        if topic is None:
            topic = t.Topic(value=value)
            s.add(topic)
            s.flush()
        s.add(t.ChallengeTopic(challenge_id=ch.id, topic_id=topic.id))
    _write_hints(s, ch, folder)
    _write_files(ctx, s, ch, folder, written, dropped)


def _write_hints(s: Any, ch: t.Challenge, folder: Folder) -> None:
    """Hints in place by position (unlocks of a kept position stay valid); extra ones deleted."""
    hints = folder.data.get("hints", [])
    rows = s.query(t.Hint).filter(t.Hint.challenge_id == ch.id).order_by(t.Hint.id).all()
    for row in rows[len(hints) :]:
        s.delete(row)
    rows = rows[: len(hints)]
    per_hint = _hint_translations(folder.data.get("extra", {}), len(hints))
    for index, hint in enumerate(hints):
        if index == len(rows):
            rows.append(t.Hint(challenge_id=ch.id, type="standard", locale=ch.locale, translations=None))
        row = rows[index]
        row.cost = hint["cost"]
        texts = per_hint[index] if folder.has_translations else None
        _set_text(row, HINT_TEXT, hint, ch.locale, texts)
        s.add(row)
    s.flush()
    keys = {hint["key"]: rows[i].id for i, hint in enumerate(hints) if "key" in hint}
    for index, hint in enumerate(hints):
        needed = [keys[k] for k in hint.get("requirements", [])]
        rows[index].requirements = {"prerequisites": needed} if needed else None


def _hint_translations(extra: Mapping[str, Any], count: int) -> list[dict[str, dict[str, str]]]:
    out: list[dict[str, dict[str, str]]] = [{} for _ in range(count)]
    for code, values in extra.get("translations", {}).items():
        for index, entry in enumerate(values.get("hints", [])):
            if entry:
                out[index][code] = dict(entry)
    return out


def _write_files(
    ctx: Context, s: Any, ch: t.Challenge, folder: Folder, written: list[str], dropped: list[str]
) -> None:
    """Keep stored files with the same name and bytes; store the others; drop the rest."""
    stored: dict[tuple[str, str], list[t.File]] = {}
    for row in s.query(t.File).filter(t.File.challenge_id == ch.id).order_by(t.File.id):
        stored.setdefault((PurePosixPath(row.location).name, row.sha1sum), []).append(row)
    for path in folder.data.get("files", []):
        content = folder.files[path].read()
        name = PurePosixPath(path).name
        same = stored.get((name, hashlib.sha1(content, usedforsecurity=False).hexdigest()))
        if same:
            same.pop(0)
            continue
        row = store_file(ctx, name, content)
        written.append(row.location)
        row.challenge_id = ch.id
        s.add(row)
    for rows in stored.values():
        for row in rows:
            dropped.append(row.location)
            s.delete(row)


# --- export --------------------------------------------------------------------------------------


@dataclass
class ExportReport:
    folders: list[tuple[str, Path]]  # (challenge name, its folder)
    warnings: list[Problem]


def export_challenges(ctx: Context, root: Path) -> ExportReport:
    """Write every challenge to ``root/<category>/<slug>/challenge.yml`` with its files under
    ``files/``; a folder written before is replaced.

    Nothing is written outside ``root``: an existing link or non-folder below it is refused
    (``FolderError``), never followed."""
    try:
        return _export(ctx, root)
    except Refused as exc:
        raise FolderError([Problem(str(root), exc.entry, exc.message)]) from None


def _export(ctx: Context, root: Path) -> ExportReport:
    report = ExportReport([], [])
    used: set[PurePosixPath] = set()
    with ctx.db.read() as s:
        rows = s.query(t.Challenge).order_by(t.Challenge.id).all()
        names = {row.id: row.name for row in rows}
        categories = {row.name: row for row in s.query(t.Category)}
        found = [(ch, *_export_one(s, ch, names, categories.get(ch.category))) for ch in rows]
    for ch, data, files in found:
        rel = _unique(
            PurePosixPath(_slug(ch.category) or "uncategorised") / (_slug(ch.name) or f"challenge-{ch.id}"),
            used,
        )
        folder = safe_dir(root, list(rel.parts))
        old_files = safe_dir(root, [*rel.parts, FILES_DIR])
        shutil.rmtree(old_files)  # a real folder (checked above); rmtree never follows links inside it
        kept = []
        for path, location in zip(data.get("files", []), files, strict=True):
            source = file_path(ctx, location)
            if source is None:
                report.warnings.append(
                    Problem(str(folder / "challenge.yml"), path, _("the stored file is missing"))
                )
                continue
            safe_write(root, f"{rel}/{path}", source.read_bytes())
            kept.append(path)
        if kept:
            data["files"] = kept
        else:
            data.pop("files", None)
        safe_write(root, f"{rel}/{YML_NAMES[0]}", dump_yml(data).encode("utf-8"))
        report.folders.append((ch.name, folder))
    return report


def _export_one(
    s: Any, ch: t.Challenge, names: Mapping[int, str], category: t.Category | None
) -> tuple[dict[str, Any], list[str]]:
    """A stored challenge in the canonical form, and the stored location of each listed file."""
    flags = s.query(t.Flag).filter(t.Flag.challenge_id == ch.id).order_by(t.Flag.id).all()
    hints = s.query(t.Hint).filter(t.Hint.challenge_id == ch.id).order_by(t.Hint.id).all()
    files = s.query(t.File).filter(t.File.challenge_id == ch.id).order_by(t.File.id).all()
    topics = (
        s.query(t.ChallengeTopic).filter(t.ChallengeTopic.challenge_id == ch.id).order_by(t.ChallengeTopic.id)
    )
    tags = s.query(t.Tag).filter(t.Tag.challenge_id == ch.id).order_by(t.Tag.id)
    decaying = ch.function != "static"
    translations: dict[str, dict[str, Any]] = {}
    texts = LocalizedText.of(ch.locale, {"name": ch.name, "description": ch.description}, ch.translations)
    for code, values in texts.as_dict().items():
        if code != ch.locale:
            translations.setdefault(code, {}).update(values)
    if category is not None:
        own = LocalizedText.of(category.locale, {"name": category.name}, category.translations)
        for code, values in own.as_dict().items():
            if code not in (ch.locale, category.locale):
                translations.setdefault(code, {})["category"] = values["name"]
    hint_data, hint_texts = _export_hints(ch, hints)
    for code, entries in hint_texts.items():
        translations.setdefault(code, {})["hints"] = entries
    req = ch.requirements or {}
    prereqs = [names[i] for i in req.get("prerequisites") or [] if i in names]
    ordered = sorted(files, key=lambda f: (PurePosixPath(f.location).name, f.id))
    paths = _file_paths([safe_filename(PurePosixPath(f.location).name) for f in ordered])
    full = {
        "name": ch.name,
        "category": ch.category,
        "description": ch.description,
        "attribution": ch.attribution or "",
        "value": (ch.initial or 0) if decaying else ch.value,
        "type": ch.type,
        "extra": {
            **({k: getattr(ch, k) for k in SCORING_KEYS} if decaying else {}),
            "position": ch.position,
            "locale": ch.locale,
            "translations": {
                code: {k: v[k] for k in TRANSLATION_KEYS if k in v}
                for code, v in sorted(translations.items())
            },
            "close_at": iso_utc(ch.close_at),
            "practice": bool(ch.practice),
        },
        "connection_info": ch.connection_info or None,
        "attempts": ch.max_attempts,
        "logic": ch.logic,
        "flags": [
            f.content
            if f.type == "static" and not f.data
            else {"type": f.type, "content": f.content, **({"data": f.data} if f.data else {})}
            for f in flags
        ],
        "files": paths,
        "topics": [link.topic.value for link in topics],
        "tags": [tag.value for tag in tags],
        "hints": hint_data,
        "requirements": {"prerequisites": prereqs, "anonymize": True}
        if prereqs and req.get("anonymize")
        else prereqs,
        "next": names.get(ch.next_id) if ch.next_id else None,
        "scheduled_at": iso_utc(ch.release_at),
        "state": ch.state,
    }
    return _tidy(full), [f.location for f in ordered]


def _export_hints(
    ch: t.Challenge, hints: list[t.Hint]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, str] | None]]]:
    """Hints in the challenge's language, and the other languages' texts by position."""
    ids = {h.id: i for i, h in enumerate(hints)}
    needs = [[ids[i] for i in (h.requirements or {}).get("prerequisites") or [] if i in ids] for h in hints]
    required = {i for wanted in needs for i in wanted}
    out: list[dict[str, Any]] = []
    texts: dict[str, list[dict[str, str] | None]] = {}
    for index, hint in enumerate(hints):
        text = LocalizedText.of(
            hint.locale, {"title": hint.title, "content": hint.content}, hint.translations
        )
        own = text.as_dict().get(ch.locale, {}) if hint.locale != ch.locale else {}
        entry: dict[str, Any] = {
            "title": own.get("title", hint.title) if own else hint.title,
            "content": own.get("content", hint.content) if own else hint.content,
            "cost": hint.cost,
        }
        if index in required:
            entry["key"] = f"hint-{index + 1}"
        if needs[index]:
            entry["requirements"] = [f"hint-{i + 1}" for i in needs[index]]
        out.append(entry)
        for code, values in text.as_dict().items():
            if code != ch.locale:
                texts.setdefault(code, [None] * len(hints))[index] = {
                    k: values[k] for k in HINT_TEXT if k in values
                }
    for entries in texts.values():
        while entries and entries[-1] is None:
            entries.pop()
    return out, texts


_SLUG = re.compile(r"[^\w]+", re.UNICODE)


def _slug(text: str) -> str:
    return _SLUG.sub("-", unicodedata.normalize("NFKC", text).casefold()).strip("-_")[:60]


def _unique(folder: PurePosixPath, used: set[PurePosixPath]) -> PurePosixPath:
    candidate, n = folder, 1
    while candidate in used:
        n += 1
        candidate = folder.with_name(f"{folder.name}-{n}")
    used.add(candidate)
    return candidate
