"""The card provider, transport only: the gateway interface every provider implements, and the
sandbox that stands in for one. What a hold, a charge or a refund means is orders' (orders.services.payments)."""
