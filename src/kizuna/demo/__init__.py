"""The demo event, in English and Japanese: ten real beginner challenges (two each in web, crypto,
forensics, reversing and misc), each solvable from what it shows or ships — its module keeps the
documented solution as ``solve`` — with hints, category names, announcements and the event's own
text in both languages; three teams with a few solves so the scoreboard, graph and solve matrix have
something to show, with a first-blood bonus for the first three solves of each challenge; the joint
event's organisers and host on the home page; and an admin."""

from __future__ import annotations

import secrets
from datetime import timedelta

from kizuna.demo import crypto, forensics, misc, reversing, web
from kizuna.demo.model import DemoChallenge, Text
from kizuna.services import accounts, challenges, content, event, notifications, sponsors, submissions, teams
from kizuna.services.accounts import Principal
from kizuna.services.context import Context

ADMIN_FILE = "demo-admin.txt"

EVENT = {
    "name": Text("Kizuna Demo CTF", "Kizuna デモ CTF"),
    "description": Text(
        "A demo event with ten beginner challenges in web, crypto, forensics, reversing and misc. Every "
        "challenge can be solved with a browser, a text editor and a few standard tools; hints help "
        "when you are stuck.",
        "初心者向けの問題10問を、ウェブ・暗号・フォレンジック・リバースエンジニアリング・その他の5つの"
        "カテゴリに用意したデモ大会です。どの問題もブラウザとテキストエディタ、いくつかの定番ツールだけで"
        "解けます。行き詰まったらヒントを使ってください。",
    ),
}

# Category display names; the English one is the category itself.
CATEGORIES = {
    "Web": "ウェブ",
    "Crypto": "暗号",
    "Forensics": "フォレンジック",
    "Reversing": "リバースエンジニアリング",
    "Misc": "その他",
}

CHALLENGES: tuple[DemoChallenge, ...] = (
    *misc.CHALLENGES,
    *crypto.CHALLENGES,
    *web.CHALLENGES,
    *forensics.CHALLENGES,
    *reversing.CHALLENGES,
)

ANNOUNCEMENTS = (
    (
        Text("The demo event has started", "デモ大会が始まりました"),
        Text(
            "Good luck, and have fun! New to CTFs? Start with **Welcome** in the Misc category: it "
            "shows how flags look and how to submit them.",
            "がんばってください！ CTF が初めての方は、「その他」カテゴリの問題「ようこそ」から始めましょう。"
            "フラグの形と提出のしかたがわかります。",
        ),
    ),
    (
        Text("Hints may cost points", "ヒントには得点を消費するものがあります"),
        Text(
            "Opening a hint with a cost subtracts that many points from your team's score, once per "
            "team. Free hints cost nothing. Try on your own first!",
            "消費ポイントのあるヒントを開くと、その分がチームの得点から差し引かれます（チームごとに1回）。"
            "無料のヒントは何も消費しません。まずは自分の力で挑戦してみましょう。",
        ),
    ),
    (
        Text("English, Japanese, or both", "英語・日本語・日英併記"),
        Text(
            "Every page has a language switch: English, 日本語, or both languages side by side "
            "(日英併記). Flags are the same in every language.",
            "どのページにも言語の切り替えがあります。English・日本語のほか、両方を並べて表示する「日英併記」"
            "も選べます。フラグはどの言語でも同じです。",
        ),
    ),
)

# The joint event's organisers and host, named on the home page (names and links only, no logos). A
# link is given only where the organisation's official address is known; admins add the others.
SPONSORS = (
    (Text("Cyber Wales", "サイバーウェールズ"), "organisers", ""),
    (Text("Cyber Hiroshima", "サイバー広島"), "organisers", ""),
    (
        Text("British Embassy Tokyo", "駐日英国大使館"),
        "hosts",
        "https://www.gov.uk/world/organisations/british-embassy-tokyo",
    ),
)

TEAMS = [
    ("Cyber Wales", ["dewi", "cerys"]),
    ("Cyber Hiroshima", ["haruto", "yui"]),
    ("Embassy Hackers", ["alex"]),
]
# Which team's first player solves which challenge, in order, so the board and graph are not empty.
SOLVES = [
    ("Cyber Hiroshima", "welcome"),
    ("Cyber Wales", "welcome"),
    ("Cyber Hiroshima", "base64"),
    ("Cyber Wales", "caesar"),
    ("Embassy Hackers", "welcome"),
    ("Cyber Hiroshima", "checker"),
    ("Cyber Wales", "source"),
]


# Staff accounts of the demo, one per staff role, so each role's view can be tried.
STAFF = (("judge", "judge"), ("marshal", "marshal"), ("author", "author"))


def load_demo(ctx: Context, admin_password: str, staff_password: str | None = None) -> str:
    event.update_event(
        ctx,
        {
            "name": EVENT["name"].en,
            "description": EVENT["description"].en,
            "locale": "en",
            "translations": {"ja": {"name": EVENT["name"].ja, "description": EVENT["description"].ja}},
            "mode": "teams",
            "team_size_limit": 4,
            "registration_open": True,
            # The first three solves of each challenge earn extra points, shown on the board.
            "first_blood_bonus": [30, 20, 10],
        },
    )
    admin = accounts.register_user(ctx, "admin", admin_password, role="admin", by_admin=True)
    if staff_password is not None:
        for name, role in STAFF:
            accounts.register_user(ctx, name, staff_password, role=role, by_admin=True)
    ids: dict[str, int] = {}
    for spec in CHALLENGES:
        _add_challenge(ctx, spec, ids)
    for title, text in ANNOUNCEMENTS:
        notifications.announce(
            ctx,
            title.en,
            text.en,
            {"locale": "en", "translations": {"ja": {"title": title.ja, "content": text.ja}}},
        )
    for position, (named, group, url) in enumerate(SPONSORS, start=1):
        sponsors.create_sponsor(
            ctx,
            {
                "name": named.en,
                "locale": "en",
                "translations": {"ja": {"name": named.ja}},
                "group": group,
                "position": position,
                "url": url,
            },
        )
    # The event starts once its challenges are in place, as at a real event: none of them is "new"
    # on the board (services/board.py marks challenges released after the start).
    now = ctx.now()
    event.update_event(ctx, {"start_at": now, "end_at": now + timedelta(days=7)})
    first_player: dict[str, Principal] = {}
    for team_name, members in TEAMS:
        captain = accounts.register_user(ctx, members[0], secrets.token_urlsafe(12), by_admin=True)
        team = teams.create_team(ctx, team_name, captain.id)
        for member in members[1:]:
            user = accounts.register_user(ctx, member, secrets.token_urlsafe(12), by_admin=True)
            teams.join_team(ctx, user.id, team.invite_code)
        first_player[team_name] = Principal(captain.id, captain.name, "player", team.id)
    flags = {spec.key: spec.flag for spec in CHALLENGES}
    for team_name, key in SOLVES:
        submissions.submit_flag(ctx, first_player[team_name], ids[key], flags[key], ip="127.0.0.1")
    return f"{len(CHALLENGES)} challenges, {len(TEAMS)} teams, admin account '{admin.name}'"


def _add_challenge(ctx: Context, spec: DemoChallenge, ids: dict[str, int]) -> None:
    """Create one demo challenge with its flags, tags, hints and files, and add it to ``ids`` (the
    challenges created so far by key; prerequisites come first)."""
    fields = {
        "name": spec.name.en,
        "category": spec.category,
        "description": spec.description.en,
        "value": spec.value,
        **spec.scoring,
        "locale": "en",
        "translations": {
            "ja": {
                "name": spec.name.ja,
                "description": spec.description.ja,
                "category": CATEGORIES[spec.category],
            }
        },
    }
    if spec.requires:
        fields["requirements"] = {"prerequisites": [ids[key] for key in spec.requires], "anonymize": False}
    ch = challenges.create_challenge(ctx, fields)
    ids[spec.key] = ch.id
    for type_, text, data in spec.stored_flags():
        content.create_flag(ctx, ch.id, type_, text, data)
    for tag in spec.tags:
        content.create_tag(ctx, ch.id, tag)
    for hint in spec.hints:
        content.create_hint(
            ctx,
            ch.id,
            hint.content.en,
            hint.cost,
            hint.title.en,
            text={"translations": {"ja": {"title": hint.title.ja, "content": hint.content.ja}}},
        )
    for filename, blob in spec.files().items():
        content.save_file(ctx, ch.id, filename, blob)
