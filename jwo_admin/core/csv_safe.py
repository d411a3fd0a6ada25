"""Spreadsheet-safe CSV cells, shared by every download staff open in Excel or Sheets.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is run as a formula
by spreadsheet programs (CSV injection); a leading quote makes it plain text.
"""

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # the first characters a spreadsheet runs


def csv_safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows as is.

    >>> csv_safe_cell("=HYPERLINK(\\"http://example.com\\")")
    '\\'=HYPERLINK("http://example.com")'
    >>> csv_safe_cell("-1.50"), csv_safe_cell("Milk"), csv_safe_cell(None)
    ("'-1.50", 'Milk', '')
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_neutralise(value: Any) -> Any:
    """``value`` as a spreadsheet shows it, never run; numbers and dates stay themselves (an
    Excel export keeps its number cells), text starting like a formula gets a ``'``.

    >>> cell_neutralise('=HYPERLINK("http://example.com","x")')
    '\\'=HYPERLINK("http://example.com","x")'
    >>> cell_neutralise("Cola"), cell_neutralise(2)
    ('Cola', 2)
    """
    return csv_safe_cell(value) if isinstance(value, str) else value
