"""Fixtures shared by the catalog sync tests."""

from pathlib import Path
from typing import Any

import pytest

from catalog.models import Store
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv


@pytest.fixture
def sync_catalog(store: Store, tmp_path: Path) -> Store:
    """The test store with three products, none of them sent to Amazon yet."""
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    return store


@pytest.fixture
def amazon(fake_amazon: Any, settings: Any) -> Any:
    """The fake, read with short polls (an empty receive ends at once instead of after 1 s), and
    without its 10-calls-a-second limit: these tests count Amazon calls exactly."""
    settings.JWO_SQS_WAIT_SECONDS = 0
    fake_amazon.amazon.knobs.rate_limit = 1000
    return fake_amazon
