"""The demo event, in English and Japanese: ten real beginner challenges (two each in web, crypto,
forensics, reversing and misc), each solvable from what it shows or ships — its module keeps the
documented solution as ``solve`` — and a haiku read by a judge (a ``manual`` challenge), with hints,
category names, announcements and the event's own text in both languages; three teams with a few
solves so the scoreboard, graph and solve matrix have something to show (one haiku accepted for part
of its points, one waiting in the review queue), with a first-blood bonus for the first three solves
of each challenge, in two brackets (Students / 学生 and Open / 一般) from two countries (GB and JP),
so the scoreboard's filters show something; write-ups in both languages; the joint event's
organisers and host on the home page; and an admin."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kizuna.demo import crypto, forensics, misc, reversing, web
from kizuna.demo.model import DemoChallenge, Text
from kizuna.services import (
    accounts,
    badges,
    brackets,
    challenges,
    content,
    event,
    integrity,
    learning_stats,
    notifications,
    reviews,
    sponsors,
    submissions,
    teams,
    tracks,
    writeups,
)
from kizuna.services.accounts import Principal
from kizuna.services.context import Context

ADMIN_FILE = "demo-admin.txt"

EVENT = {
    "name": Text("Kizuna Demo CTF", "Kizuna デモ CTF"),
    "description": Text(
        "A demo event with ten beginner challenges in web, crypto, forensics, reversing and misc, and a "
        "haiku that a judge reads. Every flag can be found with a browser, a text editor and a few "
        "standard tools; hints help when you are stuck.",
        "初心者向けの問題10問を、ウェブ・暗号・フォレンジック・リバースエンジニアリング・その他の5つの"
        "カテゴリに用意したデモ大会です。審査員が読む俳句の問題もあります。どのフラグもブラウザと"
        "テキストエディタ、いくつかの定番ツールだけで見つけられます。行き詰まったらヒントを使ってください。",
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

BY_KEY = {spec.key: spec for spec in CHALLENGES}

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

# The divisions (部門) of the joint event, each with its own ranks on the scoreboard.
BRACKETS = (
    ("students", Text("Students", "学生"), Text("Teams of full-time students.", "全員が学生のチーム。")),
    ("open", Text("Open", "一般"), Text("Everyone else.", "学生以外のチーム。")),
)

# Each team: its members, country (ISO 3166-1 alpha-2), affiliation and bracket, so the scoreboard's
# filters (Japan and United Kingdom boards, one per bracket) have something to show.
TEAMS = [
    ("Cyber Wales", ["dewi", "cerys"], "GB", "Cyber Wales", "open"),
    ("Cyber Hiroshima", ["haruto", "yui"], "JP", "Hiroshima University", "students"),
    ("Embassy Hackers", ["alex"], "GB", "British Embassy Tokyo", "open"),
]
# Write-ups sent after those solves: (team, challenge, Markdown, language).
WRITEUPS = [
    (
        "Cyber Hiroshima",
        "welcome",
        "## 解き方\n\n問題文をよく読むと、フラグがそのまま書かれていました。",
        "ja",
    ),
    ("Cyber Wales", "welcome", "## How we solved it\n\nThe flag was in the description itself.", "en"),
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
    ("Cyber Hiroshima", "haiku"),  # accepted by the admin for part of its points (JUDGED)
    ("Embassy Hackers", "haiku"),  # left waiting in the review queue
]
# Judged answers the demo's admin accepts, by team: the points given.
JUDGED = {"Cyber Hiroshima": 80}


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
    bracket_ids = {
        key: brackets.create_bracket(
            ctx,
            {
                "name": name.en,
                "description": about.en,
                "type": "teams",
                "locale": "en",
                "translations": {"ja": {"name": name.ja, "description": about.ja}},
            },
        ).id
        for key, name, about in BRACKETS
    }
    first_player: dict[str, Principal] = {}
    for team_name, members, country, affiliation, bracket in TEAMS:
        captain = accounts.register_user(
            ctx,
            members[0],
            secrets.token_urlsafe(12),
            by_admin=True,
            country=country,
            affiliation=affiliation,
        )
        team = teams.create_team(ctx, team_name, captain.id, affiliation, country, bracket_ids[bracket])
        for member in members[1:]:
            user = accounts.register_user(
                ctx,
                member,
                secrets.token_urlsafe(12),
                by_admin=True,
                country=country,
                affiliation=affiliation,
            )
            teams.join_team(ctx, user.id, team.invite_code)
        first_player[team_name] = Principal(captain.id, captain.name, "player", team.id)
    flags = {spec.key: spec.flag for spec in CHALLENGES}
    judge = Principal(admin.id, admin.name, "admin", None)
    for team_name, key in SOLVES:
        submissions.submit_flag(ctx, first_player[team_name], ids[key], flags[key], ip="127.0.0.1")
        if team_name in JUDGED and BY_KEY[key].judged:
            waiting = [
                i for i in reviews.queue(ctx, judge) if i.account_id == first_player[team_name].team_id
            ]
            reviews.decide(
                ctx,
                judge,
                waiting[0].review_id,
                "accept",
                JUDGED[team_name],
                {"en": "A lovely haiku.", "ja": "すてきな俳句です。"},
            )
    # Two write-ups (解説) of the first challenge, one in each language, for /admin/writeups.
    for team_name, key, markdown, language in WRITEUPS:
        writeups.submit_writeup(ctx, first_player[team_name], ids[key], markdown, language)
    _integrity_example(ctx, first_player, ids)
    learning = load_tracks(ctx)
    if learning:
        _learning_example(ctx, first_player)
    return (
        f"{len(CHALLENGES)} challenges, {len(TEAMS)} teams, {learning} learning tracks, "
        f"admin account '{admin.name}'"
    )


# The shipped learning tracks: every folder here with a track.yml (package data, see docs/tracks.md).
TRACKS_DIR = Path(__file__).parent / "tracks"


def track_folders() -> list[Path]:
    """The shipped track folders (none when the folder is missing or empty)."""
    if not TRACKS_DIR.is_dir():
        return []
    return sorted(p for p in TRACKS_DIR.iterdir() if p.is_dir() and (p / "track.yml").is_file())


def load_tracks(ctx: Context) -> int:
    """Import every shipped track (all or nothing, as ``kizuna tracks import``); how many."""
    if not track_folders():
        return 0
    report = tracks.import_tracks(ctx, TRACKS_DIR)
    return len(report.created) + len(report.updated)


# Learning history for the demo (player, track, lessons done): one lesson a day, ending today, so the
# player pages show XP, streaks, the calendar, badges and a completed track (whose certificate the
# player may ask for), and the learning leaderboard has people on it.
LEARNERS = [
    ("haruto", "crypto-basics", None),  # every lesson: the track completed, a seven-day streak
    ("dewi", "web-basics", 3),
    ("alex", "forensics-basics", 2),
]


def _fixed(moment: datetime) -> datetime:
    return moment


def _right_answer(task: Any) -> Any:
    if task.type == "choice":
        return task.answer
    return task.answers[0] if task.type == "text" else task.flag


def _learning_example(ctx: Context, first_player: dict[str, Principal]) -> None:
    """Answer the shipped tracks' tasks as some demo players would have, over the last days (each
    answer dated on its day), then bring the badges and the learning statistics up to date."""
    by_name = {p.name: p for p in first_player.values()}
    real_now = ctx.now
    try:
        for name, key, count in LEARNERS:
            who = by_name[name]
            lessons = tracks.stored_spec(ctx, key).lessons()[:count]
            for day, lesson in enumerate(lessons):
                moment = real_now() - timedelta(days=len(lessons) - 1 - day, hours=1)
                ctx.now = functools.partial(_fixed, moment)
                for task in lesson.tasks:
                    tracks.answer_task(ctx, who, key, task.key, _right_answer(task))
    finally:
        ctx.now = real_now
    badges.catch_up(ctx)
    learning_stats.catch_up(ctx)


SHARED_GUESS = "flag{the-answer-we-heard-about}"  # a wrong answer; no demo flag is like it


def _integrity_example(ctx: Context, first_player: dict[str, Principal], ids: dict[str, int]) -> None:
    """Something for the judges' integrity list (/admin/integrity): two teams send the same wrong
    answer to a challenge neither has solved; then the list is brought up to date."""
    pair = [team[0] for team in TEAMS][:2]
    solved = {(team, key) for team, key in SOLVES}
    key = next(
        (k for k in ids if not BY_KEY[k].judged and all((team, k) not in solved for team in pair)), None
    )
    if key is None or len(pair) < 2:
        return
    for team_name in pair:
        submissions.submit_flag(ctx, first_player[team_name], ids[key], SHARED_GUESS, ip="127.0.0.1")
    integrity.scan(ctx)


def _add_challenge(ctx: Context, spec: DemoChallenge, ids: dict[str, int]) -> None:
    """Create one demo challenge with its flags, tags, hints and files, and add it to ``ids`` (the
    challenges created so far by key; prerequisites come first)."""
    fields = {
        "name": spec.name.en,
        "type": "manual" if spec.judged else "standard",
        "category": spec.category,
        "description": spec.description.en,
        "value": spec.value,
        **spec.scoring,
        "practice": spec.practice,
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
