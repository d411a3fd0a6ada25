"""Orders models, one module per responsibility; import them from here."""

from orders.models.amazon_feed import (
    AmazonFeedEvent,
    AmazonReportFile,
    AmazonTrip,
    AmazonTripLine,
    FeedStatus,
    ReportSource,
)
from orders.models.payments import (
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentIssue,
    PaymentOperation,
    PaymentOperationKind,
    Refund,
    RefundLine,
    RefundReason,
    SandboxCharge,
)
from orders.models.pricing import ItemAlias, Promotion, TaxRate
from orders.models.purchases import (
    ONE_PURCHASE_PER_HOLD,
    PaymentStatus,
    Purchase,
    PurchaseAudit,
    PurchaseAuditAction,
    PurchaseLine,
    PurchaseLineDiscount,
    PurchaseStatus,
    ReceiptStatus,
)
from orders.models.reconciliation import (
    CLEARED_ON_RERUN,
    ReconciliationDay,
    ReconciliationItem,
    ReconciliationKind,
    ReconciliationStatus,
)
from orders.models.stores import DEFAULT_PREAUTHORISATION_AMOUNT, ExpiredHoldPolicy, StorePayment

__all__ = [
    "AmazonFeedEvent",
    "AmazonReportFile",
    "AmazonTrip",
    "AmazonTripLine",
    "FeedStatus",
    "ReportSource",
    "AuthorisationStatus",
    "CLEARED_ON_RERUN",
    "DEFAULT_PREAUTHORISATION_AMOUNT",
    "ExpiredHoldPolicy",
    "ItemAlias",
    "ONE_PURCHASE_PER_HOLD",
    "PaymentAuthorisation",
    "PaymentIssue",
    "PaymentOperation",
    "PaymentOperationKind",
    "PaymentStatus",
    "Promotion",
    "Purchase",
    "PurchaseAudit",
    "PurchaseAuditAction",
    "PurchaseLine",
    "PurchaseLineDiscount",
    "PurchaseStatus",
    "ReceiptStatus",
    "ReconciliationDay",
    "ReconciliationItem",
    "ReconciliationKind",
    "ReconciliationStatus",
    "Refund",
    "RefundLine",
    "RefundReason",
    "SandboxCharge",
    "StorePayment",
    "TaxRate",
]
