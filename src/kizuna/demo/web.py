"""Web: pages saved from a site (no live service runs in the demo), solved by reading their source."""

from __future__ import annotations

import base64
import re

from kizuna.demo.model import DemoChallenge, DemoHint, Given, Text, find_flag, search_file

SOURCE_FLAG = "kizuna{view_source_reveals_all}"


def source_page() -> dict[str, bytes]:
    return {
        "index.html": (
            '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
            "<title>Under construction</title></head>\n<body>\n"
            "  <h1>Coming back soon</h1>\n"
            "  <p>Our new shop opens next week. Nothing to see here yet!</p>\n"
            f"  <!-- note to self, delete before launch: {SOURCE_FLAG} -->\n"
            "</body>\n</html>\n"
        ).encode()
    }


def solve_source(given: Given) -> str:
    """Open the page's source (not the page): the flag is in an HTML comment."""
    html = given.files["index.html"].decode()
    comments = re.findall(r"<!--(.*?)-->", html, re.S)
    return find_flag(" ".join(comments))


SOURCE = DemoChallenge(
    key="source",
    category="Web",
    name=Text("Hidden in Plain Sight", "見えているのに見えない"),
    description=Text(
        "The developer of this page forgot to clean up before going live. Download the page "
        "(`index.html`) and read it the way a browser does not show it.",
        "このページの開発者は、公開前の片付けを忘れてしまったようです。配布ファイルのページ"
        "（`index.html`）をダウンロードして、ブラウザが表示しない部分を読んでください。",
    ),
    flag=SOURCE_FLAG,
    solve=solve_source,
    value=100,
    files=source_page,
    tags=("html",),
    hints=(
        DemoHint(
            Text("Where to look", "どこを見る？"),
            Text(
                "Comments in HTML (`<!-- ... -->`) never appear on the page, but they are in its source: "
                "open the file in a text editor, or press Ctrl+U in the browser.",
                "HTML のコメント（`<!-- ... -->`）はページには表示されませんが、ソースには残っています。"
                "テキストエディタで開くか、ブラウザで Ctrl+U を押してみましょう。",
            ),
            cost=25,
        ),
    ),
)

LOGIN_PASSWORD = "client_side_checks_are_not_security"  # noqa: S105 - the puzzle's answer, on purpose
LOGIN_FLAG = f"kizuna{{{LOGIN_PASSWORD}}}"


def login_page() -> dict[str, bytes]:
    encoded = base64.b64encode(LOGIN_PASSWORD[::-1].encode()).decode()
    return {
        "login.html": (
            '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Admin login</title>\n'
            "<script>\n"
            "// TODO: move this check to the server before launch!\n"
            f'const EXPECTED = "{encoded}";\n'
            "function login(form) {\n"
            "  const password = form.password.value;\n"
            '  if (btoa(password.split("").reverse().join("")) === EXPECTED) {\n'
            '    alert("Welcome, admin! Your flag is kizuna{" + password + "}");\n'
            "  } else {\n"
            '    alert("Wrong password.");\n'
            "  }\n"
            "  return false;\n"
            "}\n"
            "</script></head>\n<body>\n"
            "  <h1>Admin login</h1>\n"
            '  <form onsubmit="return login(this)">\n'
            '    <label>Password <input type="password" name="password"></label>\n'
            "    <button>Log in</button>\n"
            "  </form>\n"
            "</body>\n</html>\n"
        ).encode()
    }


def solve_login(given: Given) -> str:
    """Read the script: the password is Base64 of the reversed password. Undo both, wrap it."""
    encoded = search_file(given, "login.html", r'EXPECTED = "([^"]+)"').group(1)
    password = base64.b64decode(encoded).decode()[::-1]
    return f"kizuna{{{password}}}"


LOGIN = DemoChallenge(
    key="login",
    category="Web",
    name=Text("Client-Side Login", "ブラウザの中のログイン"),
    description=Text(
        "We saved the admin login page of a small shop (`login.html`). Only the admin knows the "
        "password… or does the page know it too? Open it in your browser and log in. The flag is "
        "`kizuna{password}`.",
        "小さなお店の管理者ログインページを保存しました（配布ファイル `login.html`）。パスワードを"
        "知っているのは管理者だけ……のはずですが、ページ自身も知っているかもしれません。ブラウザで"
        "開いてログインしてください。フラグは `kizuna{password}`（password を見つけたパスワードに置き換"
        "える）です。",
    ),
    flag=LOGIN_FLAG,
    solve=solve_login,
    value=150,
    files=login_page,
    tags=("javascript",),
    hints=(
        DemoHint(
            Text("Read the script", "スクリプトを読む"),
            Text(
                "The password is checked by JavaScript in your own browser, so the check — and what it "
                "compares with — is in the file.",
                "パスワードはあなたのブラウザの中で JavaScript が確認しています。つまり、確認の処理も"
                "比べる相手も、ファイルの中に書かれています。",
            ),
            cost=25,
        ),
        DemoHint(
            Text("Undo it", "逆にたどる"),
            Text(
                '`btoa` is Base64 and `split("").reverse().join("")` reverses the text. Undo both, '
                "in the opposite order.",
                '`btoa` は Base64、`split("").reverse().join("")` は文字列を逆順にする処理です。'
                "この2つを逆の順番で元に戻しましょう。",
            ),
            cost=50,
        ),
    ),
)

CHALLENGES = (SOURCE, LOGIN)
