"""How to show a letter's text on a page: the line layout a PDF's text left behind, read once here for the
HTML report and for the web page (which receives it with the letter from the API), so both show a letter
the same way. Nothing here changes the text: every offset of every evidence and finding span stays valid."""

from __future__ import annotations

import re

__all__ = ["is_double_spaced", "soft_breaks"]


def is_double_spaced(text: str) -> bool:
    """A PDF-to-text letter with a blank line after almost every line."""
    lines = text.splitlines()
    filled = [i for i, line in enumerate(lines[:-1]) if line.strip()]
    if len(filled) < 8:
        return False
    blank_after = sum(1 for i in filled if not lines[i + 1].strip())
    return blank_after / len(filled) > 0.6


#: A line break and the blanks around it, between the end of a word and the start of one; in a double-spaced
#: letter one blank line may stand between them.
_BREAK_SINGLE = re.compile(r"(?<=[^\s-])[ \t\r]*\n[ \t\r]*(?=[^\W_])")
_BREAK_DOUBLE = re.compile(r"(?<=[^\s-])[ \t\r]*\n(?:[ \t\r]*\n)?[ \t\r]*(?=[^\W_])")
_LIST_ITEM = re.compile(r"(?:\d{1,3}|[A-Za-z])[.)]\s")


def soft_breaks(text: str, double: bool | None = None) -> list[tuple[int, int]]:
    """The line breaks that only wrap a paragraph, as ``(start, end)`` spans of whitespace, so that a page can
    show the letter reflowed to its own width instead of the PDF's lines cut short again by the window.

    A break is soft when the line before it is long (at least 60% of the letter's usual full line: the 90th
    percentile of line lengths), does not end in a hyphen, and either the next line starts in lower case or
    the line before stops mid-sentence (on a lower-case letter or a comma), unless the next line starts a
    numbered item. Headings, header fields, list items and new sentences after a full stop keep their line.
    The spans hold only whitespace and never a page break; shown with ``white-space: normal`` each reads as
    one space while the text and its offsets stay as they are. The web page receives them with the letter
    (``letter.soft_breaks`` of ``/v1/analyze``).
    """
    if double is None:
        double = is_double_spaced(text)
    widths = sorted(len(line.rstrip()) for line in text.split("\n") if line.strip())
    if not widths:
        return []
    full = widths[min(len(widths) - 1, int(len(widths) * 0.9))]
    out: list[tuple[int, int]] = []
    for m in (_BREAK_DOUBLE if double else _BREAK_SINGLE).finditer(text):
        before, after = text[m.start() - 1], text[m.end()]
        if not (after.islower() or before.islower() or before == ","):
            continue
        if _LIST_ITEM.match(text, m.end()):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if m.start() - line_start >= 0.6 * full:
            out.append((m.start(), m.end()))
    return out
