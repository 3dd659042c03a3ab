"""CSV cells a spreadsheet opens as text, never as a formula, and back.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or their full-width forms U+FF1D, U+FF0B,
U+FF0D, U+FF20, which spreadsheets also read as formula starts), a tab or a carriage return
gets a leading apostrophe, which spreadsheets show as text; a cell already starting with an
apostrophe gets one too, so ``restore`` undoes exactly what ``neutralise`` did.
"""

from __future__ import annotations

from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\t", "\r", "'")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
