"""`kizuna challenges import/export` speak the terminal's language: every problem and warning found in
a challenge.yml, and the command's summary, come from the catalogs (English and Japanese), and no
message in ``services/challenge_folders.py`` is written outside them."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kizuna.i18n import current_locale, gettext_in
from kizuna.services import challenge_folders as folders
from tests.cli.test_challenge_folders import STANDARD
from tests.i18n.test_catalogs import catalog

SOURCE = Path(folders.__file__)


def write(root: Path, name: str, data: Any) -> Path:
    (root / name).mkdir(parents=True)
    path = root / name / "challenge.yml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.fixture
def broken(tmp_path: Path) -> dict[str, Path]:
    """Folders with several problems at once: a duplicate name, a name that is not text, a bad state,
    an unknown field in a flag, a file that is not YAML."""
    root = tmp_path / "broken"
    return {
        "root": root,
        "one": write(root, "one", {**STANDARD, "name": "Same"}),
        "two": write(root, "two", {**STANDARD, "name": "Same"}),
        "three": write(
            root,
            "three",
            {
                **STANDARD,
                "name": ["not", "text"],
                "state": "sideways",
                "flags": [{"content": "flag{x}", "colour": "red"}],
            },
        ),
        "four": write(root, "four", "name: [unclosed\n"),
    }


@pytest.fixture
def speak(env: dict[str, Any]) -> Iterator[Any]:
    """Set the terminal's language for the next commands; the command sets the locale in this
    context, so it is put back afterwards."""

    def set_language(lang: str) -> None:
        env.update({"LC_ALL": None, "LC_MESSAGES": None, "LANG": lang, "KIZUNA_DEFAULT_LOCALE": "en"})

    yield set_language
    current_locale.set("en")


# (terminal language, the sentences each problem must be shown with)
EXPECTED = {
    "ja_JP.UTF-8": {
        "three_name": "name: 文字列で書いてください",
        "three_state": "state: 次のいずれかにしてください：visible, hidden",
        "three_flag": "flags[0].colour: 不明な項目です（使える項目：type, content, data）",
        "duplicate": "name: 「Same」は {one} でも問題名に使われています",
        "yaml": "YAML として読み込めません：",
        "yaml_line": "（2行目、",
        "summary": "何もインポートしていません（不備が5件あります）。",
        "no_yml": "ここにもその下のフォルダにも challenge.yml がありません",
        "unknown": "colour: 不明な項目のため無視します",
        "not_imported": "solution: インポートしません：Kizuna は challenge.yml のこの項目を使いません",
        "not_stored": "extra.shade: Kizuna では保存しないため無視します",
        "dry_run": "1問をインポートできます（確認のみ）：新規1問、更新0問。",
        "imported": "1問をインポートしました：新規1問、更新0問。",
        "exported": "1問を {out} にエクスポートしました。",
    },
    "C.UTF-8": {
        "three_name": "name: must be text",
        "three_state": "state: must be one of: visible, hidden",
        "three_flag": "flags[0].colour: unknown field (expected one of: type, content, data)",
        "duplicate": "name: “Same” is also the name in {one}",
        "yaml": "cannot be read as YAML: ",
        "yaml_line": "(line 2, ",
        "summary": "Nothing was imported: 5 problem(s).",
        "no_yml": "no challenge.yml here or in any folder below",
        "unknown": "colour: unknown field, ignored",
        "not_imported": "solution: not imported: Kizuna does not take it from challenge.yml",
        "not_stored": "extra.shade: not stored by Kizuna, ignored",
        "dry_run": "Would import 1 challenge(s): 1 new, 0 updated.",
        "imported": "Imported 1 challenge(s): 1 new, 0 updated.",
        "exported": "Exported 1 challenge(s) to {out}.",
    },
}


@pytest.mark.parametrize("lang", list(EXPECTED))
def test_import_problems_and_warnings_are_in_the_terminals_language(
    run: Any, speak: Any, tmp_path: Path, broken: dict[str, Path], lang: str
) -> None:
    said = {k: v.format(one=broken["one"], out=tmp_path / "out") for k, v in EXPECTED[lang].items()}
    other = next(v for k, v in EXPECTED.items() if k != lang)
    speak(lang)

    refused = run("challenges", "import", str(broken["root"]))
    assert refused.exit_code == 1
    assert f"error: {broken['three']}: {said['three_name']}\n" in refused.output
    assert f"error: {broken['three']}: {said['three_state']}\n" in refused.output
    assert f"error: {broken['three']}: {said['three_flag']}\n" in refused.output
    assert f"error: {broken['two']}: {said['duplicate']}\n" in refused.output
    assert f"error: {broken['four']}: {said['yaml']}" in refused.output
    assert said["yaml_line"] in refused.output
    assert said["summary"] in refused.output

    (tmp_path / "empty").mkdir()
    missing = run("challenges", "import", str(tmp_path / "empty"))
    assert missing.exit_code == 1
    assert f"error: {tmp_path / 'empty'}: {said['no_yml']}\n" in missing.output

    warned_yml = write(
        tmp_path / "warned",
        "x",
        {**STANDARD, "colour": "red", "solution": "WRITEUP.md", "extra": {"shade": 1}},
    )
    checked = run("challenges", "import", str(tmp_path / "warned"), "--dry-run")
    assert checked.exit_code == 0, checked.output
    for key in ("unknown", "not_imported", "not_stored"):
        assert f"warning: {warned_yml}: {said[key]}\n" in checked.output
    assert said["dry_run"] in checked.output
    done = run("challenges", "import", str(tmp_path / "warned"))
    assert done.exit_code == 0, done.output
    assert said["imported"] in done.output
    out = run("challenges", "export", str(tmp_path / "out"))
    assert out.exit_code == 0, out.output
    assert said["exported"] in out.output

    everything = refused.output + missing.output + checked.output + done.output + out.output
    for key in ("three_name", "three_flag", "summary", "no_yml", "unknown", "not_stored", "dry_run"):
        assert other[key] not in everything, f"{key} shown in the other language"


def test_a_problem_is_worded_in_the_locale_current_when_it_is_found(tmp_path: Path, ctx: Any) -> None:
    """The service words its problems as it finds them, in the current locale (the CLI sets it from
    the terminal first), so ``Problem.message`` is ready to show."""
    write(tmp_path, "bad", {**STANDARD, "state": "sideways"})
    token = current_locale.set("ja")
    try:
        with pytest.raises(folders.FolderError) as caught:
            folders.import_challenges(ctx, tmp_path)
    finally:
        current_locale.reset(token)
    [problem] = caught.value.problems
    assert (problem.field, problem.message) == ("state", "次のいずれかにしてください：visible, hidden")


# --- no message escapes the catalogs -----------------------------------------------------------------

# Where the message is among a call's arguments: (position, keyword).
MESSAGE_ARGUMENT = {"fail": (1, "message"), "warn": (1, "message"), "Problem": (2, "message")}


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _is_gettext(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _called(node) == "_"


def _already_worded(node: ast.AST) -> bool:
    """A message worded elsewhere in the reader's language: ``exc.message`` (``safe_tree.Refused``),
    ``p.message`` (a ``Problem``) or ``_Check``'s own ``message`` parameter."""
    return (isinstance(node, ast.Attribute) and node.attr == "message") or (
        isinstance(node, ast.Name) and node.id == "message"
    )


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_every_message_in_challenge_folders_goes_through_the_catalogs() -> None:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    wrong: list[str] = []
    msgids: list[tuple[str, set[str]]] = []
    inside_gettext: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        if name == "_":
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                wrong.append(f"line {node.lineno}: _() of something else than a literal msgid")
                continue
            inside_gettext.add(id(first))
            msgids.append((first.value, {k.arg for k in node.keywords if k.arg}))
        if name in MESSAGE_ARGUMENT:
            position, keyword = MESSAGE_ARGUMENT[name]
            given = [k.value for k in node.keywords if k.arg == keyword]
            if len(node.args) > position:
                given.append(node.args[position])
            for arg in given:
                if not (_is_gettext(arg) or _already_worded(arg)):
                    wrong.append(f"line {node.lineno}: {name}() message is {ast.unparse(arg)}")
    # A sentence anywhere else (a returned or joined text) must come from the catalogs too. The only
    # English allowed is FolderError's str() (for logs, in domain/folders.py), built from the worded
    # messages.
    docstrings = _docstrings(tree)
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if id(node) in docstrings | inside_gettext | allowed:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        else:
            continue
        if len([w for w in text.split() if any(c.isalpha() for c in w)]) >= 2:
            wrong.append(f"line {node.lineno}: text outside the catalogs: {text!r}")
    assert not wrong, "\n".join(wrong)
    assert len(msgids) >= 25

    en, ja = catalog("en"), catalog("ja")
    for msgid, values in msgids:
        assert msgid in en, f"missing from the English catalog: {msgid!r}"
        assert msgid in ja and ja[msgid].string, f"not translated into Japanese: {msgid!r}"
        placeholders = set(re.findall(r"%\((\w+)\)s", msgid))
        assert placeholders == values, f"placeholders and values differ: {msgid!r}"
        assert gettext_in("ja", msgid, **dict.fromkeys(values, "x")) != msgid
