"""Text bound for a terminal: control characters made visible, never interpreted.

A name, note or imported field may hold ESC, BEL or other control characters (typed at a prompt, or
in a voter file). Printed raw they would move the cursor, retitle the window or worse, so everything
that came from input goes through ``visible`` before it reaches a screen.
"""

from __future__ import annotations

import re
import sys

# C0 controls (newline and tab included: one value is one line), DEL, C1 controls, bidi overrides and
# isolates (they reorder what follows on the line), line/paragraph separators, and lone surrogates
# (bytes that were not UTF-8, which no terminal encoding can print)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _shown(match: re.Match) -> str:
    char = match.group()
    if char in _NAMES:
        return _NAMES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every control character shown as an escape (``\\e``, ``\\x07``, ``\\u202e``)."""
    value = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_shown, value)


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a character ``visible`` would escape."""
    return _UNSAFE.search(text) is not None


def visible_keep_lines(text: str) -> str:
    """Like ``visible`` but line ends (``\n``, ``\r\n``) stay line ends (for a table, a CSV text)."""
    return "\n".join(visible(line[:-1]) + "\r" if line.endswith("\r") else visible(line)
                     for line in text.split("\n"))


def for_screen(text: str, stream=None) -> str:
    """``text`` as it may be printed to ``stream`` (default stdout): control characters made visible when
    it is a terminal; unchanged when it is a file or a pipe (the bytes are data there)."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        terminal = bool(isatty and isatty())
    except ValueError:  # a closed stream
        terminal = False
    return visible_keep_lines(text) if terminal else text
