"""Writes to the catalog; one module per responsibility."""
