"""The demo event: real beginner challenges (each solvable from what it shows or ships), three
teams with a few solves so the scoreboard and graph have something to show, and an admin."""

from __future__ import annotations

import base64
import codecs
import gzip
import io
import secrets
from datetime import timedelta
from typing import Any

from kizuna.services import accounts, challenges, content, event, submissions, teams
from kizuna.services.accounts import Principal
from kizuna.services.context import Context

ADMIN_FILE = "demo-admin.txt"


def _xor_checker(flag: str, key: int) -> bytes:
    blob = ", ".join(str(b ^ key) for b in flag.encode())
    return (
        "# Run me: python3 check.py\n"
        f"SECRET = [{blob}]\n"
        f"KEY = {key}\n\n"
        "guess = input('Password: ')\n"
        "if [b ^ KEY for b in guess.encode()] == SECRET:\n"
        "    print('Access granted')\n"
        "else:\n"
        "    print('Access denied')\n"
    ).encode()


def _gzip_with(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(text.encode())
    return buf.getvalue()


CHALLENGES: list[dict[str, Any]] = [
    {
        "key": "welcome",
        "name": "Welcome",
        "category": "misc",
        "value": 50,
        "description": (
            "Welcome to Kizuna! Flags look like `kizuna{...}`.\n\n"
            "Your first flag: `kizuna{welcome_to_the_bond}`"
        ),
        "flags": [("static", "kizuna{welcome_to_the_bond}", "")],
        "tags": ["beginner"],
        "hints": [("How to submit", "Copy the flag, paste it in the box and press Submit.", 0)],
    },
    {
        "key": "caesar",
        "name": "Caesar's Greeting",
        "category": "crypto",
        "value": 100,
        "description": "A Roman general left this note. Every letter moved the same distance.\n\n`{cipher}`",
        "cipher": lambda: codecs.encode("kizuna{rot13_is_not_encryption}", "rot13"),
        "flags": [("static", "kizuna{rot13_is_not_encryption}", "case_insensitive")],
        "tags": ["classical"],
        "hints": [("Distance", "Half of the alphabet: 13 letters.", 25)],
    },
    {
        "key": "base",
        "name": "Base Jump",
        "category": "crypto",
        "value": 100,
        "description": "This text was encoded, not encrypted:\n\n`{cipher}`",
        "cipher": lambda: base64.b64encode(b"kizuna{base64_is_an_encoding}").decode(),
        "flags": [("static", "kizuna{base64_is_an_encoding}", "")],
        "tags": ["encoding"],
        "hints": [],
    },
    {
        "key": "source",
        "name": "Hidden in Plain Sight",
        "category": "web",
        "value": 150,
        "description": "The developer of this page forgot to clean up before going live. Download the page "
        "and read it the way a browser does not show it.",
        "files": [
            (
                "index.html",
                lambda: (
                    b"<!doctype html><html><head><title>Under construction</title></head><body>\n"
                    b"<h1>Coming back soon</h1>\n"
                    b"<!-- note to self, delete before launch: kizuna{view_source_reveals_all} -->\n"
                    b"</body></html>\n"
                ),
            )
        ],
        "flags": [("static", "kizuna{view_source_reveals_all}", "")],
        "tags": ["html"],
        "hints": [("Where to look", "Comments in HTML are invisible on the page.", 50)],
    },
    {
        "key": "magic",
        "name": "Magic Bytes",
        "category": "forensics",
        "value": 150,
        "description": "We found `mystery.bin` on a USB stick. Its name tells you nothing; its first bytes "
        "tell you everything.",
        "files": [("mystery.bin", lambda: _gzip_with("flag.txt", "kizuna{file_signatures_do_not_lie}\n"))],
        "flags": [("regex", r"kizuna\{file_signatures_do_not_lie\}", "")],
        "tags": ["file-format"],
        "hints": [("First bytes", "1f 8b is the signature of gzip.", 50)],
    },
    {
        "key": "xor",
        "name": "Strings Attached",
        "category": "reversing",
        "type": "dynamic",
        "function": "logarithmic",
        "initial": 300,
        "minimum": 100,
        "decay": 10,
        "description": "This little program knows the password. Make it tell you.",
        "files": [("check.py", lambda: _xor_checker("kizuna{xor_twice_is_nothing}", 42))],
        "flags": [("static", "kizuna{xor_twice_is_nothing}", "")],
        "tags": ["python"],
        "hints": [("XOR", "XOR with the same key twice gives back the original.", 100)],
    },
    {
        "key": "second",
        "name": "Second Step",
        "category": "misc",
        "value": 100,
        "description": "You unlocked this by solving *Welcome*. The flag is the answer to: what does 絆 mean "
        "in English? Submit it as `kizuna{answer}`.",
        "flags": [("regex", r"kizuna\{(a )?bonds?\}", "case_insensitive")],
        "requires": ["welcome"],
        "tags": ["beginner"],
        "hints": [],
    },
]

TEAMS = [
    ("Cyber Wales", ["dewi", "cerys"]),
    ("Cyber Hiroshima", ["haruto", "yui"]),
    ("Embassy Hackers", ["alex"]),
]
# Which team's first player solves which challenge, in order, so the board and graph are not empty.
SOLVES = [
    ("Cyber Hiroshima", "welcome"),
    ("Cyber Wales", "welcome"),
    ("Cyber Hiroshima", "base"),
    ("Cyber Wales", "caesar"),
    ("Embassy Hackers", "welcome"),
    ("Cyber Hiroshima", "xor"),
]


def load_demo(ctx: Context, admin_password: str) -> str:
    now = ctx.now()
    event.update_event(
        ctx,
        {
            "name": "Kizuna Demo CTF",
            "mode": "teams",
            "team_size_limit": 4,
            "description": "A demo event: beginner challenges in web, crypto, forensics, reversing and misc.",
            "start_at": now - timedelta(hours=1),
            "end_at": now + timedelta(days=7),
            "registration_open": True,
        },
    )
    admin = accounts.register_user(ctx, "admin", admin_password, role="admin", by_admin=True)
    ids: dict[str, int] = {}
    for spec in CHALLENGES:
        description = spec["description"]
        if "cipher" in spec:
            description = description.replace("{cipher}", spec["cipher"]())
        fields: dict[str, Any] = {
            k: spec[k]
            for k in ("name", "category", "value", "type", "function", "initial", "minimum", "decay")
            if k in spec
        }
        fields["description"] = description
        if spec.get("requires"):
            fields["requirements"] = {"prerequisites": [ids[k] for k in spec["requires"]], "anonymize": False}
        ch = challenges.create_challenge(ctx, fields)
        ids[spec["key"]] = ch.id
        for type_, text, data in spec["flags"]:
            content.create_flag(ctx, ch.id, type_, text, data)
        for tag in spec.get("tags", []):
            content.create_tag(ctx, ch.id, tag)
        for title, text, cost in spec.get("hints", []):
            content.create_hint(ctx, ch.id, text, cost, title)
        for filename, make in spec.get("files", []):
            content.save_file(ctx, ch.id, filename, make())
    first_player: dict[str, Principal] = {}
    for team_name, members in TEAMS:
        captain = accounts.register_user(ctx, members[0], secrets.token_urlsafe(12), by_admin=True)
        team = teams.create_team(ctx, team_name, captain.id)
        for member in members[1:]:
            user = accounts.register_user(ctx, member, secrets.token_urlsafe(12), by_admin=True)
            teams.join_team(ctx, user.id, team.invite_code)
        first_player[team_name] = Principal(captain.id, captain.name, "player", team.id)
    flags_by_key = {spec["key"]: spec["flags"][0][1].replace("\\", "") for spec in CHALLENGES}
    for team_name, key in SOLVES:
        submissions.submit_flag(ctx, first_player[team_name], ids[key], flags_by_key[key], ip="127.0.0.1")
    return f"{len(CHALLENGES)} challenges, {len(TEAMS)} teams, admin account '{admin.name}'"
