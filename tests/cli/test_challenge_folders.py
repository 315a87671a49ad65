"""Challenge folders (ctfcli's challenge.yml): import then export gives back the same data, an update
makes a challenge what its file says, and a bad file changes nothing."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.services import challenge_folders as folders
from kizuna.services import challenges, event
from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.compat.test_ctfcli import FIRST_YML

# --- round trip over a table of varied challenges -------------------------------------------------

STANDARD: dict[str, Any] = {
    "name": "Plain Standard",
    "category": "misc",
    "description": "Just a flag.",
    "value": 50,
    "type": "standard",
    "extra": {"locale": "en"},
    "flags": ["flag{plain}"],
    "state": "visible",
    "version": "0.1",
}

EVERYTHING: dict[str, Any] = {
    "name": "Cookie Jar",
    "category": "web",
    "description": "Find the cookie.\n\n```\ncurl -b 'a=b' http://x/\n```\n",
    "attribution": "Written by *Dewi*",
    "value": 150,
    "type": "standard",
    "extra": {
        "position": 3,
        "locale": "en",
        "translations": {
            "ja": {
                "name": "クッキー瓶",
                "category": "ウェブ",
                "description": "クッキーを探してください。\n\n２行目。\n",
                "hints": [
                    {"title": "どこを見る？", "content": "開発者ツールを開いてください。"},
                    None,
                    {"content": "最後のヒント（タイトルなし）"},
                ],
            }
        },
    },
    "connection_info": "https://cookie.example.org",
    "attempts": 5,
    "logic": "all",
    "flags": [
        "flag{exact}",
        {"type": "static", "content": "FLAG{Any_Case}", "data": "case_insensitive"},
        {"type": "regex", "content": "flag\\{re_[0-9]+\\}"},
        {"type": "regex", "content": "kizuna\\{(a )?bonds?\\}", "data": "case_insensitive"},
        {"type": "static", "content": "ｆｕｌｌ", "data": "exact"},
    ],
    "files": ["files/a b.txt", "files/notes.txt", "files/2/notes.txt"],  # by name; the 2nd notes.txt in 2/
    "topics": ["HTTP", "Cookies"],
    "tags": ["web", "beginner"],
    "hints": [
        {"title": "Where to look", "content": "Open the developer tools.", "cost": 0, "key": "hint-1"},
        {"title": "", "content": "Cookies live in the *Storage* tab.", "cost": 25},
        {"title": "Last one", "content": "No title in Japanese.", "cost": 50, "requirements": ["hint-1"]},
    ],
    "requirements": {"prerequisites": ["Plain Standard"], "anonymize": True},
    "next": "Decaying",
    "state": "hidden",
    "version": "0.1",
}

DYNAMIC: dict[str, Any] = {
    "name": "Decaying",
    "category": "crypto",
    "description": "Worth less with every solve.",
    "value": 500,
    "type": "dynamic",
    "extra": {"function": "logarithmic", "initial": 500, "decay": 15, "minimum": 0, "locale": "en"},
    "flags": ["flag{decay}"],
    "requirements": ["Plain Standard", "Cookie Jar"],
    "state": "visible",
    "version": "0.1",
}

LINEAR_STANDARD: dict[str, Any] = {
    "name": "Linear Standard",
    "category": "crypto",
    "description": "A standard challenge may decay too (CTFd 3.8).",
    "value": 300,
    "type": "standard",
    "extra": {"function": "linear", "initial": 300, "decay": 20, "minimum": 100, "locale": "en"},
    "flags": [{"type": "regex", "content": "[a-z]{4}"}],
    "state": "visible",
    "version": "0.1",
}

JAPANESE_FIRST: dict[str, Any] = {
    "name": "日本語の問題",
    "category": "暗号",
    "description": "フラグは `kizuna{nihongo}` です。",
    "value": 100,
    "type": "standard",
    "extra": {
        "locale": "ja",
        "translations": {
            "en": {
                "name": "A Japanese challenge",
                "category": "Crypto",
                "description": "The flag is `kizuna{nihongo}`.",
                "hints": [{"title": "Hint", "content": "Read it."}],
            }
        },
    },
    "flags": ["kizuna{nihongo}"],
    "hints": [{"title": "ヒント", "content": "読んでください。", "cost": 10}],
    "state": "visible",
    "version": "0.1",
}

AWKWARD_TEXT: dict[str, Any] = {
    "name": "yes",  # YAML 1.1 reads a bare yes as true: it must come back as text
    "category": "null",
    "description": "  indented first line\ntrailing spaces   \n\ttab\n---\n# not a comment\nkey: value\n\n\n",
    "attribution": "123",
    "value": 0,
    "type": "standard",
    "extra": {"locale": "en", "translations": {"fr": {"name": "oui"}, "ja": {"description": "改行\r\nあり"}}},
    "connection_info": "nc 127.0.0.1 9999 # port",
    "flags": ["0x10", "true", " spaced "],
    "tags": ["~", "@at"],
    "state": "visible",
    "version": "0.1",
}

CASES = [STANDARD, EVERYTHING, DYNAMIC, LINEAR_STANDARD, JAPANESE_FIRST, AWKWARD_TEXT]
FILES = {
    "Cookie Jar": {
        "files/notes.txt": b"first notes\n",
        "files/2/notes.txt": b"\x00\xffbinary",
        "files/a b.txt": b"",
    }
}


def write_folder(root: Path, slug: str, data: dict[str, Any], files: dict[str, bytes] | None = None) -> Path:
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    # Written by PyYAML's own dumper, not Kizuna's, so the import does not rely on one way of writing.
    (folder / "challenge.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    for path, content in (files or {}).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(content)
    return folder


def exported(ctx: Context, root: Path) -> dict[str, tuple[dict[str, Any], Path]]:
    report = folders.export_challenges(ctx, root)
    assert report.warnings == []
    out = {}
    for name, folder in report.folders:
        text = (folder / "challenge.yml").read_text(encoding="utf-8")
        out[name] = (yaml.safe_load(text), folder)
    return out


def stored(ctx: Context, name: str) -> t.Challenge:
    with ctx.db.read() as s:
        row = s.query(t.Challenge).filter(t.Challenge.name == name).one()
    return row


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_table_is_in_canonical_form(ctx: Context, case: dict[str, Any]) -> None:
    assert folders.canonical(copy.deepcopy(case), types=ctx.types) == case


def test_import_then_export_gives_back_every_challenge(ctx: Context, tmp_path: Path) -> None:
    for index, case in enumerate(CASES):
        write_folder(tmp_path / "in", f"c{index}", case, FILES.get(case["name"]))
    report = folders.import_challenges(ctx, tmp_path / "in")
    assert sorted(report.created) == sorted(c["name"] for c in CASES) and report.updated == []
    out = exported(ctx, tmp_path / "out")
    for case in CASES:
        data, folder = out[case["name"]]
        assert data == case
        for path, content in FILES.get(case["name"], {}).items():
            assert (folder / path).read_bytes() == content
    # The folder names follow the category and the name.
    assert out["Cookie Jar"][1] == tmp_path / "out" / "web" / "cookie-jar"
    assert out["日本語の問題"][1] == tmp_path / "out" / "暗号" / "日本語の問題"
    # Exporting again over the same folder and importing that changes nothing.
    again = folders.import_challenges(ctx, tmp_path / "out")
    assert sorted(again.updated) == sorted(c["name"] for c in CASES) and again.created == []
    assert {n: d for n, (d, _) in exported(ctx, tmp_path / "out").items()} == {c["name"]: c for c in CASES}


def test_what_players_see_of_an_imported_challenge(ctx: Context, tmp_path: Path) -> None:
    for index, case in enumerate(CASES):
        write_folder(tmp_path, f"c{index}", case, FILES.get(case["name"]))
    folders.import_challenges(ctx, tmp_path)
    cookie, plain, dyn = stored(ctx, "Cookie Jar"), stored(ctx, "Plain Standard"), stored(ctx, "Decaying")
    assert cookie.requirements == {"prerequisites": [plain.id], "anonymize": True}
    assert cookie.next_id == dyn.id and cookie.state == "hidden" and cookie.position == 3
    assert (dyn.function, dyn.initial, dyn.decay, dyn.minimum, dyn.value) == ("logarithmic", 500, 15, 0, 500)
    with ctx.db.read() as s:
        rows = s.query(t.Hint).filter(t.Hint.challenge_id == cookie.id).order_by(t.Hint.id).all()
        category = s.get(t.Category, "web")
    assert [h.requirements for h in rows] == [None, None, {"prerequisites": [rows[0].id]}]
    assert rows[0].translations == {
        "ja": {"title": "どこを見る？", "content": "開発者ツールを開いてください。"}
    }
    assert rows[1].translations is None
    assert category is not None and category.translations == {"ja": {"name": "ウェブ"}}


# --- the same, over generated challenges ----------------------------------------------------------

_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
TEXT = st.text(st.one_of(_CHARS, st.sampled_from("\n\t\r\x85\u2028 ")), max_size=40)
LINE = st.text(_CHARS, min_size=1, max_size=30).map(str.strip).filter(bool)
TITLE = st.text(st.one_of(_CHARS, st.just(" ")), max_size=20)
FLAG = st.one_of(
    LINE,
    st.builds(lambda c: {"type": "static", "content": c, "data": "case_insensitive"}, LINE),
    st.sampled_from(
        [
            {"type": "regex", "content": r"flag\{[a-z]+\}"},
            {"type": "regex", "content": "x|y", "data": "case_insensitive"},
        ]
    ),
)
HINT = st.fixed_dictionaries({"title": TITLE, "content": TEXT, "cost": st.integers(0, 500)})


def _without_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", [], None, {})}


@st.composite
def challenge_yml(draw: st.DrawFn) -> dict[str, Any]:
    """A challenge.yml in canonical form: what an export must give back exactly."""
    hint_list = draw(st.lists(HINT, max_size=3))
    decaying = draw(st.booleans())
    category = draw(st.sampled_from(["", "web", "crypto", "暗号"]))
    translations = {}
    for code in draw(st.lists(st.sampled_from(["ja", "fr", "pt-BR"]), unique=True, max_size=2)):
        entry = {
            "name": draw(st.one_of(st.just(""), LINE)),
            "category": draw(LINE) if category and draw(st.booleans()) else "",
            "description": draw(TEXT),
            "hints": [
                draw(st.one_of(st.none(), st.fixed_dictionaries({"content": LINE}))) for _ in hint_list
            ],
        }
        while entry["hints"] and entry["hints"][-1] is None:
            entry["hints"].pop()
        if _without_empty(entry):
            translations[code] = _without_empty(entry)
    initial = draw(st.integers(1, 1000))
    extra: dict[str, Any] = (
        {"function": "linear", "initial": initial, "decay": draw(st.integers(0, 50)), "minimum": 0}
        if decaying
        else {}
    )
    position = draw(st.integers(0, 3))
    extra.update({"position": position} if position else {})
    extra["locale"] = "en"
    if translations:
        extra["translations"] = translations
    # The schedule: ctfcli's scheduled_at (the release time) and Kizuna's close time, in UTC.
    close_at = draw(st.one_of(st.none(), st.sampled_from(["2031-03-30T00:59:59Z", "2031-10-26T01:00:00Z"])))
    if close_at:
        extra["close_at"] = close_at
    full = {
        "name": "Generated " + draw(LINE),
        "category": category,
        "description": draw(TEXT),
        "attribution": draw(TEXT),
        "value": initial if decaying else draw(st.integers(0, 1000)),
        "type": "dynamic" if decaying else "standard",
        "extra": extra,
        "connection_info": draw(st.one_of(st.none(), LINE)),
        "attempts": draw(st.integers(0, 3)),
        "logic": draw(st.sampled_from(["any", "all"])),
        "flags": draw(st.lists(FLAG, max_size=3)),
        "topics": draw(st.lists(LINE, max_size=2)),
        "tags": draw(st.lists(LINE, max_size=2)),
        "hints": hint_list,
        "scheduled_at": draw(
            st.one_of(st.none(), st.sampled_from(["2030-01-02T00:00:00Z", "2026-12-05T15:30:00Z"]))
        ),
        "state": draw(st.sampled_from(["visible", "hidden"])),
    }
    always = ("name", "category", "description", "value", "type", "extra", "state")
    out = {k: v for k, v in full.items() if k in always or v not in ("", [], None, 0, "any")}
    return {**out, "version": "0.1"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=challenge_yml())
def test_import_then_export_is_lossless(ctx: Context, data: dict[str, Any]) -> None:
    assert folders.canonical(copy.deepcopy(data), types=ctx.types) == data
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        (root / "in" / "challenge.yml").write_text(folders.dump_yml(data), encoding="utf-8")
        folders.import_challenges(ctx, root / "in")
        try:
            out = exported(ctx, root / "out")
            assert out[data["name"]][0] == data
        finally:
            challenges.delete_challenge(ctx, stored(ctx, data["name"]).id)
            with ctx.db.write() as s:  # category names are shared: none may leak into the next example
                s.query(t.Category).delete()


# --- folders written by hand for ctfcli ------------------------------------------------------------

# The compat test's folder, as ctfcli's users write them, with a gated hint and a self-reference added.
HAND_WRITTEN = (
    FIRST_YML.replace(
        "  - 'flag{one}'\n", "  - 'flag{one}'\n  - {type: static, content: 'flag{three}', data: ''}\n"
    )
    .replace(
        "cost: 10}",
        "cost: 10, key: paid}\n  - {content: After the paid one, title: Then, requirements: [paid]}",
    )
    .replace(
        "state: visible",
        "requirements:\n  prerequisites: [Compat One]\nimage: null\nhealthcheck: check.py\nstate: visible",
    )
)


def test_a_folder_written_for_ctfcli_imports_in_canonical_form(ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "one" / "dist").mkdir(parents=True)
    (tmp_path / "one" / "challenge.yml").write_text(HAND_WRITTEN)
    (tmp_path / "one" / "dist" / "notes.txt").write_text("notes\n")
    report = folders.import_challenges(ctx, tmp_path)
    assert report.created == ["Compat One"] and report.warnings == []
    data, folder = exported(ctx, tmp_path / "out")["Compat One"]
    assert data == folders.canonical(yaml.safe_load(HAND_WRITTEN), types=ctx.types, base=tmp_path / "one")
    assert data["flags"] == [
        "flag{one}",
        "flag{three}",
        {"type": "static", "content": "FLAG{Two}", "data": "case_insensitive"},
        {"type": "regex", "content": "flag\\{re_[0-9]+\\}"},
    ]
    assert data["hints"] == [
        {"title": "", "content": "Look closely.", "cost": 0},
        {"title": "", "content": "It costs something", "cost": 10, "key": "hint-2"},
        {"title": "Then", "content": "After the paid one", "cost": 0, "requirements": ["hint-2"]},
    ]
    assert (data["tags"], data["topics"], data["attempts"]) == (["web", "beginner"], ["HTTP"], 5)
    assert data["files"] == ["files/notes.txt"] and (folder / "files" / "notes.txt").read_text() == "notes\n"
    assert "requirements" not in data  # only itself: dropped, as ctfcli does
    assert data["extra"] == {"locale": "en"}  # the event's language when the file does not say


def test_dynamic_with_only_a_value_and_the_events_language(ctx: Context) -> None:
    event.update_event(ctx, {"default_locale": "ja"})
    raw = {"name": "D", "category": "c", "description": "", "type": "dynamic", "value": 400}
    raw["extra"] = {"decay": 5, "minimum": 50}
    data = folders.canonical(raw, types=ctx.types, default_locale=event.get_event(ctx).default_locale)
    assert data["value"] == 400
    assert data["extra"] == {
        "function": "logarithmic",
        "initial": 400,
        "decay": 5,
        "minimum": 50,
        "locale": "ja",
    }


# --- updates ---------------------------------------------------------------------------------------


def test_an_update_makes_the_challenge_what_the_file_says(ctx: Context, tmp_path: Path) -> None:
    for index, case in enumerate(CASES):
        write_folder(tmp_path / "v1", f"c{index}", case, FILES.get(case["name"]))
    folders.import_challenges(ctx, tmp_path / "v1")
    cookie = stored(ctx, "Cookie Jar")
    with ctx.db.read() as s:
        hint_ids = [
            h.id for h in s.query(t.Hint).filter(t.Hint.challenge_id == cookie.id).order_by(t.Hint.id)
        ]
        before = {f.location: f for f in s.query(t.File).filter(t.File.challenge_id == cookie.id)}

    changed = copy.deepcopy(EVERYTHING)
    changed["description"] = "Revised."
    changed["flags"] = ["flag{new}"]
    changed["tags"] = ["web"]
    changed["hints"] = [
        {"title": "Where to look", "content": "Open the developer tools, revised.", "cost": 5},
        {"title": "", "content": "Cookies live in the *Storage* tab.", "cost": 25},
    ]
    changed["extra"]["translations"]["ja"]["hints"] = [{"title": "どこ？"}]
    changed["extra"]["translations"]["ja"]["description"] = "改訂版。"
    changed["files"] = ["files/a b.txt", "files/notes.txt"]
    changed["requirements"] = ["Plain Standard"]
    del changed["next"]
    files = {"files/notes.txt": b"first notes\n", "files/a b.txt": b"now with bytes"}
    write_folder(tmp_path / "v2", "cookie", changed, files)
    report = folders.import_challenges(ctx, tmp_path / "v2")
    assert report.updated == ["Cookie Jar"] and report.created == []

    data, folder = exported(ctx, tmp_path / "out")["Cookie Jar"]
    assert data == changed
    assert (folder / "files" / "a b.txt").read_bytes() == b"now with bytes"
    with ctx.db.read() as s:
        rows = s.query(t.Hint).filter(t.Hint.challenge_id == cookie.id).order_by(t.Hint.id).all()
        after = {f.location for f in s.query(t.File).filter(t.File.challenge_id == cookie.id)}
    # Hints stay in place by position (unlocks keep pointing at them); the extra one is gone.
    assert [h.id for h in rows] == hint_ids[:2]
    # The unchanged file is kept; the changed and the removed ones are gone from the upload directory.
    kept = {
        loc for loc, f in before.items() if loc.endswith("/notes.txt") and f.size == len(b"first notes\n")
    }
    assert kept <= after and len(after) == 2
    for location in set(before) - after:
        assert not (Path(ctx.upload_dir) / location).exists()


def test_an_update_without_translations_keeps_the_stored_ones(ctx: Context, tmp_path: Path) -> None:
    write_folder(tmp_path / "v1", "j", JAPANESE_FIRST)
    folders.import_challenges(ctx, tmp_path / "v1")
    plain = copy.deepcopy(JAPANESE_FIRST)
    del plain["extra"]
    plain["description"] = "新しい説明。"
    write_folder(tmp_path / "v2", "j", plain)
    folders.import_challenges(ctx, tmp_path / "v2")
    data, _ = exported(ctx, tmp_path / "out")["日本語の問題"]
    assert data == {**JAPANESE_FIRST, "description": "新しい説明。"}


def test_a_language_change_without_translations_keeps_the_old_text(ctx: Context, tmp_path: Path) -> None:
    write_folder(tmp_path / "v1", "s", STANDARD)
    folders.import_challenges(ctx, tmp_path / "v1")
    japanese = {
        **STANDARD,
        "name": "Plain Standard",
        "description": "フラグだけ。",
        "extra": {"locale": "ja"},
    }
    write_folder(tmp_path / "v2", "s", japanese)
    folders.import_challenges(ctx, tmp_path / "v2")
    data, _ = exported(ctx, tmp_path / "out")["Plain Standard"]
    assert data["description"] == "フラグだけ。"
    english = {"name": "Plain Standard", "description": "Just a flag."}
    assert data["extra"] == {"locale": "ja", "translations": {"en": english}}


# --- bad files change nothing ----------------------------------------------------------------------


BAD = [
    ({"scheduled_at": "2030-01-02T09:00:00"}, "scheduled_at"),  # naive: refused, as ctfcli does
    ({"scheduled_at": "next Tuesday"}, "scheduled_at"),
    ({"scheduled_at": ["2030-01-02T09:00:00Z"]}, "scheduled_at"),
    ({"extra": {"close_at": "2030-01-02 09:00"}}, "extra.close_at"),
    ({"flags": [{"type": "regex", "content": "(a+)+"}]}, "flags[0].content"),
    ({"flags": [{"type": "static", "content": "x", "data": "sometimes"}]}, "flags[0].data"),
    ({"flags": [{"type": "glob", "content": "x"}]}, "flags[0].type"),
    ({"value": "lots"}, "value"),
    ({"value": None}, "value"),
    ({"name": "  "}, "name"),
    ({"type": "quantum"}, "type"),
    ({"type": "dynamic", "extra": {"initial": 100}}, "extra.decay"),
    ({"state": "shown"}, "state"),
    ({"logic": "most"}, "logic"),
    ({"attempts": -1}, "attempts"),
    ({"hints": [{"title": "no content"}]}, "hints[0].content"),
    ({"hints": [{"content": "x", "cost": "free"}]}, "hints[0].cost"),
    ({"hints": [{"content": "x", "requirements": ["nope"]}]}, "hints[0].requirements"),
    ({"hints": [{"content": "x", "colour": "red"}]}, "hints[0].colour"),
    ({"files": ["missing.txt"]}, "files[0]"),
    ({"tags": ["ok", ""]}, "tags[1]"),
    ({"extra": {"locale": "EN_gb"}}, "extra.locale"),
    ({"extra": {"translations": {"ja": {"title": "x"}}}}, "extra.translations.ja.title"),
    ({"extra": {"translations": {"en": {"name": "x"}}}}, "extra.translations.en"),
    ({"extra": {"translations": {"ja": {"hints": ["a", "b"]}}}}, "extra.translations.ja.hints"),
    ({"extra": {"translations": "ja"}}, "extra.translations"),
    (
        {"category": "", "extra": {"translations": {"ja": {"category": "暗号"}}}},
        "extra.translations.ja.category",
    ),
    ({"requirements": ["No Such Challenge"]}, "requirements"),
    ({"next": "No Such Challenge"}, "next"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f for _, f in BAD])
def test_a_bad_file_is_refused_naming_the_file_and_field(
    ctx: Context, tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    write_folder(tmp_path / "v1", "good", STANDARD)
    folders.import_challenges(ctx, tmp_path / "v1")
    before = exported(ctx, tmp_path / "before")

    good = {**STANDARD, "description": "Changed, but must not be saved."}
    write_folder(tmp_path / "v2", "a-good", good, {"notes.txt": b"x"})
    bad = {**STANDARD, "name": "Broken", "hints": [{"content": "x"}], **change}
    write_folder(tmp_path / "v2", "b-bad", bad)
    with pytest.raises(folders.FolderError) as caught:
        folders.import_challenges(ctx, tmp_path / "v2")
    assert [(Path(p.path).parent.name, p.field) for p in caught.value.problems] == [("b-bad", field)]
    assert exported(ctx, tmp_path / "after") == {
        name: (data, tmp_path / "after" / folder.relative_to(tmp_path / "before"))
        for name, (data, folder) in before.items()
    }


def test_duplicate_names_and_unreadable_files_are_all_reported(ctx: Context, tmp_path: Path) -> None:
    write_folder(tmp_path, "one", STANDARD)
    write_folder(tmp_path, "two", STANDARD)
    (tmp_path / "three").mkdir()
    (tmp_path / "three" / "challenge.yml").write_text("name: [unclosed\n")
    (tmp_path / "four").mkdir()
    (tmp_path / "four" / "challenge.yml").write_text("- just\n- a list\n")
    with pytest.raises(folders.FolderError) as caught:
        folders.import_challenges(ctx, tmp_path)
    found = {(Path(p.path).parent.name, p.field): p.message for p in caught.value.problems}
    assert set(found) == {("two", "name"), ("three", ""), ("four", "")}
    assert "line 2" in found[("three", "")]
    assert "one" in found[("two", "name")]


def test_a_failure_while_writing_leaves_nothing_behind(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_folder(tmp_path, "cookie", EVERYTHING, FILES["Cookie Jar"])
    write_folder(tmp_path, "plain", STANDARD)
    write_folder(tmp_path, "dyn", DYNAMIC)
    real = folders.store_file
    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(folders, "store_file", failing)
    with pytest.raises(OSError, match="disk full"):
        folders.import_challenges(ctx, tmp_path)
    with ctx.db.read() as s:
        assert s.query(t.Challenge).count() == 0
    assert not any(p.is_file() for p in Path(ctx.upload_dir).rglob("*"))


# --- the commands ------------------------------------------------------------------------------------


def test_the_commands(run: Any, tmp_path: Path) -> None:
    write_folder(tmp_path / "in", "cookie", EVERYTHING, FILES["Cookie Jar"])
    write_folder(tmp_path / "in", "plain", STANDARD)
    write_folder(tmp_path / "in", "dyn", DYNAMIC)
    checked = run("challenges", "import", str(tmp_path / "in"), "--dry-run")
    assert checked.exit_code == 0, checked.output
    assert "Would import 3 challenge(s): 3 new, 0 updated." in checked.stdout
    assert run("challenges", "export", str(tmp_path / "none")).stdout.startswith("Exported 0 challenge(s)")
    done = run("challenges", "import", str(tmp_path / "in"))
    assert done.exit_code == 0, done.output
    assert "Imported 3 challenge(s): 3 new, 0 updated." in done.stdout
    out = run("challenges", "export", str(tmp_path / "out"))
    assert out.exit_code == 0, out.output
    assert "Exported 3 challenge(s)" in out.stdout
    assert (
        yaml.safe_load((tmp_path / "out" / "web" / "cookie-jar" / "challenge.yml").read_text()) == EVERYTHING
    )

    write_folder(tmp_path / "bad", "x", {**STANDARD, "flags": [{"type": "regex", "content": "("}]})
    refused = run("challenges", "import", str(tmp_path / "bad"))
    assert refused.exit_code == 1
    assert f"{tmp_path / 'bad' / 'x' / 'challenge.yml'}: flags[0].content: The regular expression" in (
        refused.output
    )
    assert "Nothing was imported: 1 problem(s)." in refused.output

    write_folder(tmp_path / "warn", "x", {**STANDARD, "solution": "WRITEUP.md", "extra": {"colour": "red"}})
    warned = run("challenges", "import", str(tmp_path / "warn"))
    assert warned.exit_code == 0, warned.output
    assert "solution: not imported" in warned.output and "extra.colour: not stored" in warned.output


# --- the schedule -----------------------------------------------------------------------------------


def test_scheduled_at_as_ctfcli_writes_it(ctx: Context, tmp_path: Path) -> None:
    """An unquoted time (a YAML timestamp) with its offset, as ctfcli's users write it: stored in UTC
    and exported in the canonical form; the close time rides in ``extra``, as ctfcli sends extra keys."""
    text = (
        "name: Night Shift\ncategory: misc\nvalue: 100\nflags: ['flag{night}']\n"
        "extra: {close_at: '2030-01-03T18:00:00+09:00'}\n"
        "scheduled_at: 2030-01-02T09:00:00+09:00\nstate: visible\n"
    )
    (tmp_path / "in" / "night").mkdir(parents=True)
    (tmp_path / "in" / "night" / "challenge.yml").write_text(text)
    folders.import_challenges(ctx, tmp_path / "in")
    row = stored(ctx, "Night Shift")
    assert (row.release_at.isoformat(), row.close_at.isoformat()) == (
        "2030-01-02T00:00:00",
        "2030-01-03T09:00:00",
    )
    data, _folder = exported(ctx, tmp_path / "out")["Night Shift"]
    assert data["scheduled_at"] == "2030-01-02T00:00:00Z"
    assert data["extra"]["close_at"] == "2030-01-03T09:00:00Z"
    # The exported folder imports back to the same schedule, and an emptied one clears it.
    folders.import_challenges(ctx, tmp_path / "out")
    assert stored(ctx, "Night Shift").release_at == row.release_at
    plain = text.replace("scheduled_at: 2030-01-02T09:00:00+09:00\n", "").replace(
        "extra: {close_at: '2030-01-03T18:00:00+09:00'}\n", ""
    )
    (tmp_path / "in" / "night" / "challenge.yml").write_text(plain)
    folders.import_challenges(ctx, tmp_path / "in")
    assert (stored(ctx, "Night Shift").release_at, stored(ctx, "Night Shift").close_at) == (None, None)


def test_an_unquoted_naive_scheduled_at_is_refused(ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "naive").mkdir()
    (tmp_path / "naive" / "challenge.yml").write_text(
        "name: Naive\nvalue: 1\nscheduled_at: 2030-01-02 09:00:00\nstate: visible\n"
    )
    with pytest.raises(folders.FolderError) as caught:
        folders.import_challenges(ctx, tmp_path)
    assert [p.field for p in caught.value.problems] == ["scheduled_at"]
    with ctx.db.read() as s:
        assert s.query(t.Challenge).count() == 0
