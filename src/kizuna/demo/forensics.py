"""Forensics: a file whose name hides its type, and a picture with the flag in its metadata."""

from __future__ import annotations

import gzip
import io
import struct
import zlib

from kizuna.demo.model import DemoChallenge, DemoHint, Given, Text, find_flag

MAGIC_FLAG = "kizuna{file_signatures_do_not_lie}"


def mystery_file() -> dict[str, bytes]:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="flag.txt", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(f"Well found!\n{MAGIC_FLAG}\n".encode())
    return {"mystery.bin": buf.getvalue()}


def solve_magic(given: Given) -> str:
    """The first bytes, 1f 8b, say gzip: decompress it and read."""
    data = given.files["mystery.bin"]
    if data[:2] != b"\x1f\x8b":
        raise ValueError("not gzip")
    return find_flag(gzip.decompress(data).decode())


MAGIC = DemoChallenge(
    key="magic",
    category="Forensics",
    name=Text("Magic Bytes", "マジックバイト"),
    description=Text(
        "We found `mystery.bin` on a USB stick. Its name tells you nothing; its first bytes tell you "
        "everything.",
        "USB メモリから `mystery.bin` というファイルが見つかりました。名前からは何もわかりませんが、"
        "先頭の数バイトがすべてを語っています。",
    ),
    flag=MAGIC_FLAG,
    solve=solve_magic,
    flags=(("regex", r"kizuna\{file_signatures_do_not_lie\}", ""),),
    files=mystery_file,
    tags=("file-format",),
    hints=(
        DemoHint(
            Text("First bytes", "先頭のバイト"),
            Text(
                "Look at the first bytes with `xxd mystery.bin | head` or the `file` command. `1f 8b` is "
                "the signature of gzip.",
                "`xxd mystery.bin | head` や `file` コマンドで先頭のバイトを見てみましょう。`1f 8b` は"
                " gzip のシグネチャです。",
            ),
            cost=25,
        ),
    ),
)

PICTURE_FLAG = "kizuna{metadata_tells_stories}"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def picture() -> dict[str, bytes]:
    """A small PNG: a gradient from Welsh green to Japanese red, with text chunks besides the pixels."""
    width, height = 96, 32
    rows = []
    for _y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            t = x / (width - 1)
            row += bytes((int(0 + 188 * t), int(154 - 154 * t), int(68 - 23 * t)))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    text = [
        (b"Title", b"Sunset over the Menai Strait"),
        (b"Author", b"Kizuna demo"),
        (b"Comment", PICTURE_FLAG.encode()),
    ]
    return {
        "sunset.png": b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + b"".join(_chunk(b"tEXt", key + b"\x00" + value) for key, value in text)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    }


def png_text(data: bytes) -> dict[str, str]:
    """The tEXt chunks of a PNG, as exiftool lists them."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    out, pos = {}, 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt":
            key, _, value = body.partition(b"\x00")
            out[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + length
    return out


def solve_picture(given: Given) -> str:
    """The picture is only a gradient; its metadata (exiftool, or strings) holds the flag."""
    return find_flag(" ".join(png_text(given.files["sunset.png"]).values()))


PICTURE = DemoChallenge(
    key="picture",
    category="Forensics",
    name=Text("Picture Perfect", "写真の裏側"),
    description=Text(
        "A friend sent a photo of the sunset (`sunset.png`) and says there is a message in it. You can "
        "stare at the pixels all day; a picture file carries more than pixels.",
        "友人から夕焼けの写真（配布ファイル `sunset.png`）が届き、メッセージが入っていると言われました。"
        "画素をいくら眺めても見つかりません。画像ファイルには画素以外の情報も入っています。",
    ),
    flag=PICTURE_FLAG,
    solve=solve_picture,
    value=150,
    files=picture,
    tags=("metadata",),
    hints=(
        DemoHint(
            Text("Metadata", "メタデータ"),
            Text(
                "Tools such as `exiftool sunset.png`, or simply `strings sunset.png`, show the text "
                "stored with an image.",
                "`exiftool sunset.png` や、もっと手軽な `strings sunset.png` で、画像と一緒に保存されて"
                "いる文字情報を表示できます。",
            ),
            cost=50,
        ),
    ),
)

CHALLENGES = (MAGIC, PICTURE)
