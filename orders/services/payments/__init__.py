"""The retailer's own payments: a hold at the gate, a capture when the cart is priced, voids, refunds
and the payment-issues queue (issue: charge calculation, §3)."""
