"""Shoppers, Scan Key Codes and gate events (built in the entry issue)."""
