"""Text as a terminal shows it: measured in columns (escape codes none, wide characters two) and wrapped
at word boundaries. Stdlib only: the prompters and the voter screen both use it."""

from __future__ import annotations

import re
import unicodedata

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def width_of(text: str) -> int:
    """Columns ``text`` takes on a terminal: escape codes none, combining marks none, wide characters two."""
    total = 0
    for ch in ANSI_RE.sub("", text):
        if unicodedata.combining(ch) or ch in "\u200b\u200d":
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def _split_long(word: str, width: int) -> list[str]:
    """A word longer than the line (a web address): cut at the width, escape codes dropped."""
    plain = ANSI_RE.sub("", word)
    out, piece = [], ""
    for ch in plain:
        if width_of(piece + ch) > width:
            out.append(piece)
            piece = ""
        piece += ch
    return out + [piece] if piece else out


def wrap_line(line: str, width: int) -> list[str]:
    """One line wrapped at spaces to ``width`` columns (runs of spaces inside a line kept, the spaces at a
    break dropped); its leading indent repeated on the lines after."""
    if width_of(line) <= width or width < 10:
        return [line]
    indent = line[: len(line) - len(line.lstrip(" "))]
    hang = indent if len(indent) < width // 2 else ""
    out: list[str] = []
    current, gap = indent, ""
    for token in re.findall(r"\S+| +", line[len(indent):]):
        if token.startswith(" "):
            gap = token
            continue
        word, space = token, gap if current.strip() else ""
        gap = ""
        if width_of(current + space + word) <= width:
            current += space + word
            continue
        if current.strip():
            out.append(current)
        current = hang
        if width_of(hang + word) > width:
            pieces = _split_long(word, width - width_of(hang))
            out += [hang + p for p in pieces[:-1]]
            word = pieces[-1]
        current = hang + word
    if current.strip():
        out.append(current)
    return out or [""]


def wrap_text(text: str, width: int) -> list[str]:
    """``text`` (several lines) wrapped to ``width`` columns, words never broken unless longer than a line."""
    out: list[str] = []
    for line in text.split("\n"):
        out += wrap_line(line, width)
    return out


def height_of(text: str, width: int | None) -> int:
    return len(text.split("\n")) if width is None else len(wrap_text(text, width))
