"""The pricing engine: pure Python over frozen dataclasses, no database (STYLE §8); see ``engine.py``."""
