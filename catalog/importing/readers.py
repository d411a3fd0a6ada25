"""Read CSV and XLSX files row by row, whatever encoding or delimiter the ERP used.

Rows are streamed (a million-row file never sits in memory); each reader reports how far it got
as a fraction, so imports can show progress without counting rows first.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from catalog.barcodes import SpreadsheetNumber

MAX_CELL_CHARS = 10_000
_DELIMITERS = ",;\t|"


class FileRefused(Exception):
    """The file cannot be read as a table; the message says why in plain words."""


class TableReader(Protocol):
    headers: list[str]
    encoding: str

    def rows(self) -> Iterator[list[str]]: ...

    def progress(self) -> float: ...

    def close(self) -> None: ...


def _sniff_encoding(raw: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when every byte decodes, else Windows-1252 — the two ERPs write.

    The same pass refuses a file with a NUL byte: text CSV never holds one (a binary file or a
    damaged export does), and PostgreSQL could not store it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    raw.seek(0)
    encoding = "utf-8-sig"
    offset = 0
    try:
        while chunk := raw.read(1 << 20):
            nul = chunk.find(b"\x00")
            if nul >= 0:
                raise FileRefused(
                    f"The CSV is malformed: byte {offset + nul} is a NUL character, which text never holds. "
                    "Export it again as CSV UTF-8."
                )
            offset += len(chunk)
            if encoding == "utf-8-sig":
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    encoding = "cp1252"
        if encoding == "utf-8-sig":
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                encoding = "cp1252"
    finally:
        raw.seek(0)
    return encoding


class _CountingBuffer(io.RawIOBase):
    """Counts bytes read so a CSV reader can report progress as a fraction of the file size."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.position += size
        return size


MAX_HEADER_CHARS = 1 << 20  # a first line longer than this is not a header row


def _refuse_other_text(raw: IO[bytes]) -> None:
    """UTF-16/32 (what "Unicode text" exports write) reads as NUL-ridden Windows-1252: say so."""
    start = raw.read(4096)
    raw.seek(0)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or start.count(b"\x00") > len(start) // 4:
        raise FileRefused("The file is UTF-16 or UTF-32 text, not CSV in UTF-8: export it as CSV UTF-8.")


class CsvReader:
    def __init__(self, path: Path, *, delimiter: str = "") -> None:
        self._raw = path.open("rb")
        self._size = max(path.stat().st_size, 1)
        try:
            _refuse_other_text(self._raw)
            self.encoding = _sniff_encoding(self._raw)
        except FileRefused:
            self._raw.close()
            raise
        if self.encoding == "cp1252":
            self._check_cp1252()
        self._counter = _CountingBuffer(self._raw)
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._counter, 1 << 16), encoding=self.encoding, errors="strict", newline=""
        )
        first_line = self._text.readline(MAX_HEADER_CHARS)
        if not first_line.strip():
            self.close()
            raise FileRefused("The file is empty: the first line must name the columns.")
        if len(first_line) >= MAX_HEADER_CHARS and not first_line.endswith(("\n", "\r")):
            self.close()
            raise FileRefused(f"The first line is over {MAX_HEADER_CHARS:,} characters: it cannot be a header row.")
        self.delimiter = delimiter or self._sniff_delimiter(first_line)
        self._reader = csv.reader(self._text, delimiter=self.delimiter)
        self.headers = [cell.strip() for cell in next(csv.reader([first_line], delimiter=self.delimiter))]
        csv.field_size_limit(MAX_CELL_CHARS * 10)

    def _check_cp1252(self) -> None:
        offset = 0
        try:
            while chunk := self._raw.read(1 << 20):
                chunk.decode("cp1252")
                offset += len(chunk)
        except UnicodeDecodeError as error:
            self._raw.close()
            raise FileRefused(
                f"The file is neither UTF-8 nor Windows-1252 text (byte {offset + error.start} cannot be read). "
                "Export it as CSV UTF-8."
            ) from None
        finally:
            if not self._raw.closed:
                self._raw.seek(0)

    @staticmethod
    def _sniff_delimiter(line: str) -> str:
        counts = {delimiter: line.count(delimiter) for delimiter in _DELIMITERS}
        best = max(counts, key=lambda delimiter: counts[delimiter])
        return best if counts[best] else ","

    def rows(self) -> Iterator[list[str]]:
        try:
            yield from self._reader
        except csv.Error as error:
            # line_num counts from after the header, which was read separately.
            raise FileRefused(f"The CSV is malformed near line {self._reader.line_num + 1}: {error}.") from None

    def progress(self) -> float:
        return min(self._counter.position / self._size, 1.0)

    def close(self) -> None:
        self._raw.close()


class XlsxReader:
    """The first worksheet of an XLSX/XLSM workbook, read in openpyxl's streaming mode."""

    encoding = "xlsx"

    def __init__(self, path: Path) -> None:
        self._handle = path.open("rb")  # a handle, so a renamed workbook (.csv) still opens
        try:
            self._workbook = load_workbook(self._handle, read_only=True, data_only=True, keep_vba=False)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
            self._handle.close()
            raise FileRefused(f"The file is not a readable XLSX/XLSM workbook ({error}).") from None
        sheet = self._workbook.worksheets[0]
        self._total = max((sheet.max_row or 1) - 1, 1)  # data rows: the header is not counted
        self._done = 0
        self._iter = sheet.iter_rows(values_only=True)
        first = next(self._iter, None)
        if first is None or not any(cell not in (None, "") for cell in first):
            self.close()
            raise FileRefused("The first worksheet is empty: its first row must name the columns.")
        self.headers = [_cell_text(cell).strip() for cell in first]

    def rows(self) -> Iterator[list[str]]:
        for values in self._iter:
            self._done += 1
            yield [_cell_text(cell) for cell in values]

    def progress(self) -> float:
        return min(self._done / self._total, 1.0)

    def close(self) -> None:
        self._workbook.close()
        self._handle.close()


def _cell_text(value: object) -> str:
    """Spreadsheet cells to the text an ERP meant: 12.0 → "12", big integers without exponent, a
    float's binary noise rounded away (4.680000000000001 → "4.68": 15 significant digits, what a
    double holds exactly). Number cells come back marked (``SpreadsheetNumber``): a barcode typed
    as a number has lost its leading zeros, which the barcode rules can restore."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return SpreadsheetNumber(str(value))
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return SpreadsheetNumber(str(int(value)))
        return SpreadsheetNumber(repr(float(f"{value:.15g}")))
    return str(value)


def open_table(path: Path, *, delimiter: str = "") -> TableReader:
    """Open a CSV or XLSX/XLSM file by its content (a renamed file still opens), or refuse it."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK\x03\x04"):
        return XlsxReader(path)
    if magic[:4] == b"\xd0\xcf\x11\xe0":
        raise FileRefused("This is an old Excel .xls file: save it as .xlsx or CSV and upload again.")
    return CsvReader(path, delimiter=delimiter)
