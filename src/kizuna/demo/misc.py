"""Misc: a free first flag, a question about the platform's name (unlocked by the first), and a haiku
read by a judge (a ``manual`` challenge: no flag, the answer goes to the review queue)."""

from __future__ import annotations

from kizuna.demo.model import DemoChallenge, DemoHint, Given, Text, decode_spans, find_flag

WELCOME_FLAG = "kizuna{welcome_to_the_bond}"


def solve_welcome(given: Given) -> str:
    """The flag is written in the description."""
    return find_flag(given.description)


WELCOME = DemoChallenge(
    key="welcome",
    category="Misc",
    name=Text("Welcome", "ようこそ"),
    description=Text(
        "Welcome to the Kizuna demo CTF! Every challenge hides a **flag**: a short text in the form "
        "`kizuna{...}`. Find it, paste it into the box below and submit it to score the challenge's "
        f"points.\n\nHere is your first flag, for free: `{WELCOME_FLAG}`",
        "Kizuna デモ CTF へようこそ！ どの問題にも、`kizuna{...}` の形をした短い文字列、"
        "**フラグ**が隠されています。見つけたら下の欄に貼り付けて提出すると、その問題の配点が得点に"
        f"加わります。\n\n最初のフラグはプレゼントです：`{WELCOME_FLAG}`",
    ),
    flag=WELCOME_FLAG,
    solve=solve_welcome,
    value=50,
    tags=("beginner",),
    hints=(
        DemoHint(
            Text("How to submit", "提出のしかた"),
            Text(
                "Copy everything from `kizuna{` to the closing `}`, paste it into the flag box and press "
                "Submit.",
                "`kizuna{` から最後の `}` までをすべてコピーしてフラグの欄に貼り付け、「提出する」を"
                "押してください。",
            ),
        ),
    ),
)

# The word asked about, and its meaning: what a player would look up.
KANJI = {"絆": "bond"}


def solve_bond(given: Given) -> str:
    """Look the kanji in the question up in a dictionary and answer in the flag format."""
    word = next(meaning for kanji, meaning in KANJI.items() if kanji in given.description)
    return f"kizuna{{{word}}}"


BOND = DemoChallenge(
    key="bond",
    category="Misc",
    name=Text("What Does Kizuna Mean?", "「絆」の意味は？"),
    description=Text(
        "You opened this challenge by solving *Welcome*. This platform is called Kizuna, written 絆 in "
        "Japanese. What does the word mean in English? Answer with one English word in lower case, in "
        "the flag format: `kizuna{answer}`.",
        "「ようこそ」を解いたので、この問題が開きました。このプラットフォームの名前 Kizuna は、日本語で"
        "「絆」と書きます。この言葉の意味を英単語一語（小文字）で答え、フラグの形式 `kizuna{answer}`"
        "（answer をその英単語に置き換える）で提出してください。",
    ),
    flag="kizuna{bond}",
    solve=solve_bond,
    # "a bond" and "bonds" are right too, in any case.
    flags=(("regex", r"kizuna\{(a )?bonds?\}", "case_insensitive"),),
    requires=("welcome",),
    tags=("beginner",),
    hints=(
        DemoHint(
            Text("What it ties", "何を結ぶ？"),
            Text(
                "It is what holds friends, families — and the UK and Japan — together. Any English "
                "dictionary has the word.",
                "友人や家族、そして英国と日本を結びつけるものです。和英辞典で引いてみましょう。",
            ),
            cost=10,
        ),
    ),
)

HAIKU_ANSWER = "Two flags, one bond\nLondon rain and Tokyo moon\nWe solve it as one"


def solve_haiku(given: Given) -> str:
    """No flag to find: write a haiku, three lines of five, seven and five syllables, about what the
    description asks for, and send it; a judge reads it (the demo's answer is about two countries)."""
    assert "haiku" in given.description.lower() or "俳句" in given.description
    return HAIKU_ANSWER


HAIKU = DemoChallenge(
    key="haiku",
    category="Misc",
    name=Text("A Haiku for the Bond", "絆の俳句"),
    description=Text(
        "This challenge has no flag: a judge reads your answer. Write a **haiku** — three lines of "
        "five, seven and five syllables — about two teams or two countries working together, in "
        "English or Japanese, and send it. You may attach one file, such as a drawing. A good haiku "
        "earns all the points; a judge may give part of them, or return it with a comment so you can "
        "try again.",
        "この問題にフラグはありません。解答は審査員が読みます。二つのチーム、または二つの国が力を合わせる"
        "ことを題材に、**俳句**（五・七・五）を英語か日本語で詠んで送信してください。絵などのファイルを"
        "一つ添付することもできます。よい俳句なら満点、審査員の判断で一部の得点になることもあります。"
        "コメント付きで却下された場合は、もう一度送信できます。",
    ),
    flag=HAIKU_ANSWER,
    solve=solve_haiku,
    value=100,
    judged=True,
    tags=("judged",),
    hints=(
        DemoHint(
            Text("Counting syllables", "音の数え方"),
            Text(
                "In English, count spoken syllables: “Lon-don rain” is three. In Japanese, count morae: "
                "「きずな」 is three, and a long vowel or 「ん」 counts as one.",
                "日本語では音（拍）を数えます。「きずな」は三音で、のばす音や「ん」も一音です。英語では音節を"
                "数えます（“Lon-don rain” は三音節）。",
            ),
        ),
    ),
)

HEX_FLAG = "kizuna{hex_is_base_16}"


def solve_hex(given: Given) -> str:
    """Decode the hexadecimal in the description's code span: two digits a byte, ASCII text."""
    return decode_spans(given.description, lambda span: bytes.fromhex(span).decode("ascii"))


HEX_PRACTICE = DemoChallenge(
    key="hex_practice",
    category="Misc",
    name=Text("Practice: Hex Warm-up", "練習：16進数のウォーミングアップ"),
    description=Text(
        "A practice challenge: open at any time, even before the event starts, and never on the "
        "scoreboard. Computers often show bytes in **hexadecimal** (base 16), two digits a byte. "
        "Decode these bytes as ASCII text to find the flag:\n\n"
        f"`{HEX_FLAG.encode().hex()}`",
        "練習問題です。大会の開始前でもいつでも解けて、スコアボードには反映されません。"
        "コンピューターはバイトを **16進数** で、1バイトを2桁で表すことがよくあります。"
        "次のバイト列を ASCII の文字として読み解くと、フラグが見つかります：\n\n"
        f"`{HEX_FLAG.encode().hex()}`",
    ),
    flag=HEX_FLAG,
    solve=solve_hex,
    value=0,
    tags=("beginner", "practice"),
    practice=True,
    hints=(
        DemoHint(
            Text("Two digits, one letter", "2桁で1文字"),
            Text(
                "`6b` is the byte 107, the letter `k` in ASCII. Python's `bytes.fromhex` decodes it all.",
                "`6b` はバイト値 107、ASCII では文字 `k` です。"
                "Python の `bytes.fromhex` で一度に読み解けます。",
            ),
        ),
    ),
)

CHALLENGES = (WELCOME, BOND, HAIKU, HEX_PRACTICE)
