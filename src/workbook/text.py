"""Which characters stored text may hold: one rule for answers, comments, roster cells and settings.

Control characters (Unicode category Cc: NUL, ESC, DEL, the C1 block...) are refused, except
tab and line breaks in text that may span lines. PostgreSQL cannot store NUL at all, SQLite
would store it silently, and an ESC in a name rewrites a facilitator's terminal; refusing them
at validation gives both databases the same answer, as a message next to the field. Unpaired
surrogates (which JSON can carry from a browser) are refused too: they are not text, and
neither driver can encode them.
"""
from __future__ import annotations

import re

# Category Cc is U+0000-001F and U+007F-009F; the surrogates (Cs) are U+D800-DFFF.
#: Multi-line text (answers, comments): tab, LF and CR pass (browsers send CRLF line breaks).
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: One-line text (names, e-mails, ids, roster cells): tab passes, line breaks do not.
_ONE_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
#: What a terminal must not receive raw: all of the above but tab and LF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

_NAMES = {0: "NUL", 0x1B: "ESC", 0x7F: "DEL", 0x0A: "line feed", 0x0D: "carriage return"}


def bad_character(text: str, *, one_line: bool = False) -> str | None:
    """Why ``text`` cannot be stored, naming its first refused character; None when it is fine.

    >>> bad_character("fine\\tand\\r\\nmulti-line") is None
    True
    >>> bad_character("a\\x00b")
    'contains a control character (U+0000 NUL) at position 2; remove it (only tab and line breaks are allowed)'
    """
    found = (_ONE_LINE if one_line else _MULTI_LINE).search(text)
    if found is None:
        return None
    code = ord(found.group())
    where = f"at position {found.start() + 1}"
    if 0xD800 <= code <= 0xDFFF:
        return f"contains U+{code:04X} {where}, half of a character pair and not text; type the text again"
    name = _NAMES.get(code)
    label = f"U+{code:04X}" + (f" {name}" if name else "")
    if one_line and code in (0x0A, 0x0D):
        return f"contains a line break ({label}) {where}; keep it on one line"
    allowed = "only tab is allowed" if one_line else "only tab and line breaks are allowed"
    return f"contains a control character ({label}) {where}; remove it ({allowed})"


def printable(text: str) -> str:
    """``text`` with every refused character shown as an escape, for echoing input in messages.

    Line breaks stay, so multi-line messages keep their shape.
    """
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)
