"""Catalog import from ERP exports: reading files, mapping columns, checking and writing rows."""
