"""Stored files as a worker reads them: through the storage, never by a path on some disk.

In production the default storage is S3 (django-storages): the web machine that took an upload
and the worker that imports it share no disk. Readers that need a real file (openpyxl, the CSV
sniffer) get a copy of their own under TMPDIR, streamed from the storage and deleted afterwards.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db.models.fields.files import FieldFile

CHUNK = 1024 * 1024


@contextmanager
def local_copy(stored: FieldFile) -> Iterator[Path]:
    name = str(stored.name or "")
    with tempfile.NamedTemporaryFile(prefix="jwo-", suffix=Path(name).suffix, delete=False) as handle:
        with stored.storage.open(name, "rb") as source:
            shutil.copyfileobj(source, handle, CHUNK)
        path = Path(handle.name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
