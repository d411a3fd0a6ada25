"""Settings for bench/gate.py's reference server: production settings, one bare JSON view.

Everything (middleware, database, cache, logging) is ``jwo_admin.settings.production``'s; only the
URLs differ, so the reference pays for the same Django request cycle and nothing of the connector.
"""

from jwo_admin.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.gate_bare_urls"
