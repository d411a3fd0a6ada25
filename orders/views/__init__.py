"""Staff screens for orders (``/orders/``): overview, purchases, promotions, tax rates, try a cart."""
