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


def _api(server: dict[str, Any], path: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Token {token or server['token']}", "Content-Type": "application/json"}
    r = httpx.get(server["url"] + path, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_ctfcli_installs_and_syncs(server: dict[str, Any]) -> None:
    project = server["tmp"] / "project"
    (project / ".ctf").mkdir(parents=True)
    (project / ".ctf" / "config").write_text(
        f"[config]\nurl = {server['url']}\naccess_token = {server['token']}\n\n"
        "[challenges]\none = one\ntwo = two\n"
    )
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

    # A player can solve what ctfcli installed (the player is made in-process on the same database).
    from kizuna.services import accounts, teams
    from kizuna.settings import load_settings
    from kizuna.web.app import build_context

    ctx = build_context(load_settings(environ=server["env"]))
    player = accounts.register_user(ctx, "solo", "player-password-1", by_admin=True)
    teams.create_team(ctx, "Solo Team", player.id)
    token = accounts.create_token(ctx, player.id).value
    ctx.db.dispose()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    r = httpx.post(
        f"{server['url']}/api/v1/challenges/attempt",
        headers=headers,
        timeout=10,
        json={"challenge_id": one["id"], "submission": "flag{re_42}"},
    )
    assert r.json()["data"]["status"] == "correct", r.text
