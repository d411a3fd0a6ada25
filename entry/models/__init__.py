"""Entry models, one module per responsibility; import them from here."""

from entry.models.gate import GateDecisionKind, GateDefault, GateEvent, GateReason, StoreGate
from entry.models.shoppers import (
    PaymentMethod,
    ScanKey,
    Shopper,
    ShopperStatus,
    ShopperStatusChange,
    ShopperToken,
    VisitorType,
)

__all__ = [
    "GateDecisionKind",
    "GateDefault",
    "GateEvent",
    "GateReason",
    "PaymentMethod",
    "ScanKey",
    "Shopper",
    "ShopperStatus",
    "ShopperStatusChange",
    "ShopperToken",
    "StoreGate",
    "VisitorType",
]
