"""The real ``ctfcli`` (from PyPI, pinned in requirements-ctfcli.lock) installs and syncs challenge
folders into a running Kizuna, unmodified."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import unavailable
from tests.live_server import running_server

pytestmark = pytest.mark.compat
ROOT = Path(__file__).resolve().parents[2]

FIRST_YML = """\
name: Compat One
author: tester
category: web
description: The first challenge.
value: 150
type: standard
connection_info: nc 127.0.0.1 9999
attempts: 5
flags:
  - 'flag{one}'
  - {type: static, content: 'FLAG{Two}', data: case_insensitive}
  - {type: regex, content: 'flag\\{re_[0-9]+\\}'}
tags:
  - web
  - beginner
topics:
  - HTTP
hints:
  - Look closely.
  - {content: It costs something, cost: 10}
files:
  - dist/notes.txt
state: visible
version: "0.1"
"""

SECOND_YML = """\
name: Compat Two
author: tester
category: crypto
description: A decaying challenge.
type: dynamic
extra:
  initial: 500
  decay: 10
  minimum: 100
flags:
  - 'flag{two}'
requirements:
  - Compat One
state: visible
version: "0.1"
"""


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def server(tmp_path: Path) -> Any:
    ctf = os.environ.get("KIZUNA_CTFCLI") or str(ROOT / ".venv-ctfcli" / "bin" / "ctf")
    if not Path(ctf).is_file():
        unavailable("ctfcli", f"no ctf executable at {ctf}; `make test` installs it")
    data = tmp_path / "data"
    env = {
        **os.environ,
        "KIZUNA_DATA_DIR": str(data),
        "KIZUNA_DATABASE_URL": f"sqlite:///{data / 'k.db'}",
        "KIZUNA_SECRET_KEY": "compat-test-secret-key",
        "KIZUNA_ATTEMPT_RATE_LIMIT": "0",
    }
    kizuna = str(Path(sys.executable).parent / "kizuna")
    made = _run([kizuna, "admin", "create", "admin", "--password", "admin-password-1"], tmp_path, env)
    assert made.returncode == 0, made.stderr
    token = _run([kizuna, "token", "create", "admin"], tmp_path, env).stdout.strip()
    with running_server(env, tmp_path / "server.log") as url:
        yield {"url": url, "token": token, "ctf": ctf, "env": env, "tmp": tmp_path, "kizuna": kizuna}


def _api(server: dict[str, Any], path: str, token: str | None = None, lang: str = "") -> Any:
    headers = {"Authorization": f"Token {token or server['token']}", "Content-Type": "application/json"}
    if lang:
        headers["Accept-Language"] = lang
    r = httpx.get(server["url"] + path, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _player_token(server: dict[str, Any]) -> str:
    """A player in a team, made in-process on the server's database; returns an API token."""
    from kizuna.services import accounts, teams
    from kizuna.settings import load_settings
    from kizuna.web.app import build_context

    ctx = build_context(load_settings(environ=server["env"]))
    player = accounts.register_user(ctx, "solo", "player-password-1", by_admin=True)
    teams.create_team(ctx, "Solo Team", player.id)
    token = accounts.create_token(ctx, player.id).value
    ctx.db.dispose()
    return token


def _project(server: dict[str, Any], *folders: str) -> Path:
    """A ctfcli project (``.ctf/config``) pointing at the server, listing ``folders``."""
    project = server["tmp"] / "project"
    (project / ".ctf").mkdir(parents=True)
    listed = "".join(f"{name} = {name}\n" for name in folders)
    (project / ".ctf" / "config").write_text(
        f"[config]\nurl = {server['url']}\naccess_token = {server['token']}\n\n[challenges]\n{listed}"
    )
    return project


def test_ctfcli_installs_and_syncs(server: dict[str, Any]) -> None:
    project = _project(server, "one", "two")
    (project / "one" / "dist").mkdir(parents=True)
    (project / "one" / "challenge.yml").write_text(FIRST_YML)
    (project / "one" / "dist" / "notes.txt").write_text("version one\n")
    (project / "two").mkdir()
    (project / "two" / "challenge.yml").write_text(SECOND_YML)
    env = {k: v for k, v in server["env"].items() if not k.startswith("KIZUNA_")}

    for folder in ("one", "two"):
        done = _run([server["ctf"], "challenge", "install", folder], project, env)
        assert done.returncode == 0, done.stdout + done.stderr

    listed = {c["name"]: c for c in _api(server, "/api/v1/challenges?view=admin")}
    one, two = listed["Compat One"], listed["Compat Two"]
    assert one["state"] == "visible" and two["state"] == "visible"
    detail = _api(server, f"/api/v1/challenges/{one['id']}?view=admin")
    assert (detail["value"], detail["category"], detail["max_attempts"]) == (150, "web", 5)
    assert detail["connection_info"] == "nc 127.0.0.1 9999"
    flags = _api(server, f"/api/v1/challenges/{one['id']}/flags")
    assert sorted((f["type"], f["content"], f["data"] or "") for f in flags) == sorted(
        [
            ("static", "flag{one}", ""),
            ("static", "FLAG{Two}", "case_insensitive"),
            ("regex", "flag\\{re_[0-9]+\\}", ""),
        ]
    )
    assert sorted(x["value"] for x in _api(server, f"/api/v1/challenges/{one['id']}/tags")) == [
        "beginner",
        "web",
    ]
    assert [x["value"] for x in _api(server, f"/api/v1/challenges/{one['id']}/topics")] == ["HTTP"]
    assert sorted(h["cost"] for h in _api(server, f"/api/v1/challenges/{one['id']}/hints")) == [0, 10]
    files = _api(server, f"/api/v1/challenges/{one['id']}/files")
    assert [f["location"].split("/")[-1] for f in files] == ["notes.txt"]
    dyn = _api(server, f"/api/v1/challenges/{two['id']}?view=admin")
    assert (dyn["type"], dyn["function"], dyn["initial"], dyn["decay"], dyn["minimum"]) == (
        "dynamic",
        "logarithmic",
        500,
        10,
        100,
    )
    assert _api(server, f"/api/v1/challenges/{two['id']}/requirements")["prerequisites"] == [one["id"]]

    # Change the folder and sync.
    yml = (
        FIRST_YML.replace("The first challenge.", "The first challenge, revised.")
        .replace("value: 150", "value: 175")
        .replace("- 'flag{one}'", "- 'flag{uno}'")
        .replace("  - beginner\n", "")
    )
    (project / "one" / "challenge.yml").write_text(yml)
    (project / "one" / "dist" / "notes.txt").write_text("version two\n")
    done = _run([server["ctf"], "challenge", "sync", "one"], project, env)
    assert done.returncode == 0, done.stdout + done.stderr
    detail = _api(server, f"/api/v1/challenges/{one['id']}?view=admin")
    assert (detail["description"], detail["value"], detail["state"]) == (
        "The first challenge, revised.",
        175,
        "visible",
    )
    contents = {f["content"] for f in _api(server, f"/api/v1/challenges/{one['id']}/flags")}
    assert "flag{uno}" in contents and "flag{one}" not in contents
    assert [x["value"] for x in _api(server, f"/api/v1/challenges/{one['id']}/tags")] == ["web"]
    files = _api(server, f"/api/v1/challenges/{one['id']}/files")
    assert len(files) == 1
    assert files[0]["sha1sum"] == hashlib.sha1(b"version two\n", usedforsecurity=False).hexdigest()

    # A player can solve what ctfcli installed.
    headers = {"Authorization": f"Token {_player_token(server)}", "Content-Type": "application/json"}
    r = httpx.post(
        f"{server['url']}/api/v1/challenges/attempt",
        headers=headers,
        timeout=10,
        json={"challenge_id": one["id"], "submission": "flag{re_42}"},
    )
    assert r.json()["data"]["status"] == "correct", r.text


PRACTICE_YML = """\
name: Compat Drill
author: tester
category: misc
description: A practice challenge.
value: 10
type: standard
extra:
  practice: true
flags:
  - 'flag{drill}'
state: visible
version: "0.1"
"""


def test_ctfcli_installs_a_practice_challenge(server: dict[str, Any]) -> None:
    """``extra.practice`` goes through unmodified ctfcli as the API's ``practice`` field; answers to
    the installed challenge are practice (never scored)."""
    project = _project(server, "drill")
    (project / "drill").mkdir()
    (project / "drill" / "challenge.yml").write_text(PRACTICE_YML)
    env = {k: v for k, v in server["env"].items() if not k.startswith("KIZUNA_")}
    done = _run([server["ctf"], "challenge", "install", "drill"], project, env)
    assert done.returncode == 0, done.stdout + done.stderr
    (drill,) = [c for c in _api(server, "/api/v1/challenges?view=admin") if c["name"] == "Compat Drill"]
    assert _api(server, f"/api/v1/challenges/{drill['id']}?view=admin")["practice"] is True
    done = _run([server["ctf"], "challenge", "sync", "drill"], project, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _api(server, f"/api/v1/challenges/{drill['id']}?view=admin")["practice"] is True
    headers = {"Authorization": f"Token {_player_token(server)}", "Content-Type": "application/json"}
    r = httpx.post(
        f"{server['url']}/api/v1/challenges/attempt",
        headers=headers,
        timeout=10,
        json={"challenge_id": drill["id"], "submission": "flag{drill}"},
    )
    assert r.json()["data"] == {
        "status": "correct",
        "message": "Correct (practice — not scored)",
        "practice": True,
    }, r.text
    assert all(row["score"] == 0 for row in _api(server, "/api/v1/scoreboard"))


BILINGUAL_YML = """\
name: Cookie Jar
author: tester
category: web
description: Find the cookie the server gave you.
value: 100
type: standard
extra:
  locale: en
  translations:
    ja:
      name: クッキー瓶
      category: ウェブ
      description: サーバーがくれたクッキーを探してください。
      hints:
        - {title: どこを見る？, content: 開発者ツールを開いてください。}
        - {title: どのタブ？, content: ストレージ、そしてクッキーです。}
flags:
  - 'flag{cookie}'
hints:
  - {title: Where to look, content: Open the developer tools., cost: 0}
  - {title: Which tab, content: 'Storage, then Cookies.', cost: 10}
state: visible
version: "0.1"
"""


def _export(server: dict[str, Any], name: str) -> dict[str, Any]:
    """``kizuna challenges export`` against the server's database; the named challenge's yml."""
    import yaml

    out = server["tmp"] / "export"
    done = _run([server["kizuna"], "challenges", "export", str(out)], server["tmp"], server["env"])
    assert done.returncode == 0, done.stdout + done.stderr
    for path in out.rglob("challenge.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data["name"] == name:
            return dict(data)
    raise AssertionError(f"{name!r} was not exported")


def _canonical(text: str) -> dict[str, Any]:
    import yaml

    from kizuna.challenge_types import ChallengeTypeRegistry
    from kizuna.services.challenge_folders import canonical

    return canonical(yaml.safe_load(text), types=ChallengeTypeRegistry.from_entry_points())


def _check_served(server: dict[str, Any], challenge_id: int, token: str, description_ja: str) -> None:
    """What a player reads in Japanese and in English, and every language in ``translations``."""
    ja = _api(server, f"/api/v1/challenges/{challenge_id}", token, lang="ja")
    assert (ja["name"], ja["description"], ja["category"]) == ("クッキー瓶", description_ja, "ウェブ")
    assert [h["title"] for h in ja["hints"]] == ["どこを見る？", "どのタブ？"]
    assert ja["translations"]["en"]["name"] == "Cookie Jar"
    assert ja["translations"]["ja"] == {
        "name": "クッキー瓶",
        "description": description_ja,
        "category": "ウェブ",
    }
    en = _api(server, f"/api/v1/challenges/{challenge_id}", token, lang="en")
    assert (en["name"], en["description"], en["category"]) == (
        "Cookie Jar",
        "Find the cookie the server gave you.",
        "web",
    )
    assert [h["title"] for h in en["hints"]] == ["Where to look", "Which tab"]
    stored = _api(server, f"/api/v1/challenges/{challenge_id}?view=admin")
    assert [h["translations"]["ja"]["content"] for h in stored["hints"]] == [
        "開発者ツールを開いてください。",
        "ストレージ、そしてクッキーです。",
    ]


def test_ctfcli_carries_translations_in_extra(server: dict[str, Any]) -> None:
    """A challenge.yml with ``extra.locale`` and ``extra.translations`` (name, description, category,
    hints) installs and syncs through the real ctfcli, is served in both languages, and exports back
    to the same file."""
    project = _project(server, "cookie")
    (project / "cookie").mkdir()
    (project / "cookie" / "challenge.yml").write_text(BILINGUAL_YML, encoding="utf-8")
    env = {k: v for k, v in server["env"].items() if not k.startswith("KIZUNA_")}
    done = _run([server["ctf"], "challenge", "install", "cookie"], project, env)
    assert done.returncode == 0, done.stdout + done.stderr

    listed = {c["name"]: c for c in _api(server, "/api/v1/challenges?view=admin")}
    challenge_id = listed["Cookie Jar"]["id"]
    token = _player_token(server)
    _check_served(server, challenge_id, token, "サーバーがくれたクッキーを探してください。")
    exported = _export(server, "Cookie Jar")
    assert exported["extra"] == _canonical(BILINGUAL_YML)["extra"]
    assert exported == _canonical(BILINGUAL_YML)

    # Edit the Japanese description and sync: ctfcli deletes and recreates the hints, and their
    # translations, kept on the challenge by position, are attached to the new ones.
    edited = BILINGUAL_YML.replace("サーバーがくれたクッキーを探してください。", "クッキーはどこ？（改訂版）")
    (project / "cookie" / "challenge.yml").write_text(edited, encoding="utf-8")
    done = _run([server["ctf"], "challenge", "sync", "cookie"], project, env)
    assert done.returncode == 0, done.stdout + done.stderr
    _check_served(server, challenge_id, token, "クッキーはどこ？（改訂版）")
    assert _export(server, "Cookie Jar") == _canonical(edited)
