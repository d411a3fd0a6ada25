"""Catalog models, one module per responsibility; import them from here."""

from catalog.models.catalog import (
    Barcode,
    BarcodeType,
    Product,
    ProductChange,
    ProductStatus,
    SaleUnit,
    Store,
)
from catalog.models.imports import ImportJob, ImportRowError, ImportStatus, MappingProfile
from catalog.models.staff import StaffStoreAccess
from catalog.models.sync import (
    ITEM_RESULTS_FAILED,
    ITEM_RESULTS_TO_RETRY,
    AmazonCall,
    AmazonStoreList,
    BatchKind,
    BatchStatus,
    InboundMessage,
    ItemResult,
    SyncItem,
    SyncRun,
    SyncStatus,
    UploadBatch,
)

__all__ = [
    "ITEM_RESULTS_FAILED",
    "ITEM_RESULTS_TO_RETRY",
    "AmazonCall",
    "AmazonStoreList",
    "BatchKind",
    "BatchStatus",
    "InboundMessage",
    "ItemResult",
    "SyncItem",
    "SyncRun",
    "SyncStatus",
    "UploadBatch",
    "Barcode",
    "BarcodeType",
    "ImportJob",
    "ImportRowError",
    "ImportStatus",
    "MappingProfile",
    "Product",
    "ProductChange",
    "ProductStatus",
    "SaleUnit",
    "StaffStoreAccess",
    "Store",
]
