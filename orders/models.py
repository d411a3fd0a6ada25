"""Purchases, pricing, promotions and payments (built in the orders issue)."""
