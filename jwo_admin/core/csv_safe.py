"""Spreadsheet-safe CSV cells, shared by every download staff open in Excel or Sheets.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is run as a formula
by spreadsheet programs (CSV injection); a leading quote makes it plain text.
"""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows as is.

    >>> csv_safe_cell("=HYPERLINK(\\"http://example.com\\")")
    '\\'=HYPERLINK("http://example.com")'
    >>> csv_safe_cell("-1.50"), csv_safe_cell("Milk"), csv_safe_cell(None)
    ("'-1.50", 'Milk', '')
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
