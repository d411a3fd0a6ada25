"""Synthetic ERP catalog exports: the demo store's data and the import benchmark's files.

Realistic on purpose: valid EAN-13/UPC-A barcodes with check digits, about two barcodes per
product, PLU weight items, brands and categories, prices — in an ERP's own column names, which
the "Demo ERP" mapping profile maps to ours.
"""

import csv
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from catalog.barcodes import gtin_check_digit

ERP_HEADERS = [
    "ITEM_NO",
    "DESCRIPTION",
    "BRAND",
    "EAN",
    "ALT_BARCODES",
    "RETAIL_PRICE",
    "TAX_CLASS",
    "DEPT",
    "SUBDEPT",
    "UOM",
]
ERP_PROFILE_NAME = "Demo ERP"
ERP_COLUMNS = {
    "sku": "ITEM_NO",
    "name": "DESCRIPTION",
    "brand": "BRAND",
    "barcode": "EAN",
    "additional_barcodes": "ALT_BARCODES",
    "price": "RETAIL_PRICE",
    "tax_code": "TAX_CLASS",
    "category": "DEPT",
    "subcategory": "SUBDEPT",
    "unit": "UOM",
}

_CATALOG = {
    "Beverages": (
        ["Water", "Soda", "Juice", "Coffee"],
        ["Sparkling Water Lime", "Cola Zero", "Orange Juice", "Cold Brew Coffee", "Iced Tea Peach", "Ginger Ale"],
    ),
    "Snacks": (
        ["Chips", "Bars", "Nuts"],
        ["Sea Salt Chips", "Protein Bar Chocolate", "Roasted Almonds", "Trail Mix", "Pretzel Twists"],
    ),
    "Dairy": (["Milk", "Yogurt", "Cheese"], ["Whole Milk", "Greek Yogurt Honey", "Cheddar Slices", "Oat Milk"]),
    "Bakery": (["Bread", "Pastry"], ["Sourdough Loaf", "Butter Croissant", "Blueberry Muffin", "Bagel Plain"]),
    "Household": (["Cleaning", "Paper"], ["Dish Soap Lemon", "Paper Towels", "Hand Soap", "Sponges"]),
    "Deli": (["Sandwiches", "Salads"], ["Turkey Club Sandwich", "Caesar Salad", "Chicken Wrap", "Pasta Salad"]),
}
_PRODUCE = ["Bananas", "Apples Gala", "Tomatoes Vine", "Avocados", "Lemons", "Grapes Red", "Carrots"]
_BRANDS = ["Acme", "Northwind", "Blue Ridge", "Golden Field", "Harbor", "Summit", "Maple Lane", "Riverside"]
_SIZES = ["250ml", "330ml", "500ml", "1L", "100g", "200g", "500g", "12oz", "6 pack"]
_TAX = {
    "Beverages": "A_GEN_TAX",
    "Snacks": "A_GEN_TAX",
    "Dairy": "A_FOOD_GEN",
    "Bakery": "A_FOOD_GEN",
    "Household": "A_GEN_TAX",
    "Deli": "A_FOOD_PREP",
    "Produce": "A_FOOD_GEN",
}


def ean13(number: int, prefix: str = "40") -> str:
    body = f"{prefix}{number:0{12 - len(prefix)}d}"
    return body + str(gtin_check_digit(body))


def upca(number: int) -> str:
    body = f"6{number:010d}"
    return body + str(gtin_check_digit(body))


def erp_rows(count: int, *, seed: int = 7, start: int = 1) -> Iterator[list[str]]:
    """``count`` valid ERP rows; SKUs and barcodes are unique for any (count, start)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    categories = list(_CATALOG)
    for number in range(start, start + count):
        if number % 25 == 0:  # a PLU weight item
            name = rng.choice(_PRODUCE)
            price = Decimal(rng.randrange(99, 899)) / 100
            yield [
                f"P{number:07d}",
                f"{name} (loose)",
                "",
                str(10_000 + number // 25),
                "",
                str(price),
                _TAX["Produce"],
                "Produce",
                "Fruit & Veg",
                "kg",
            ]
            continue
        category = rng.choice(categories)
        subcategories, names = _CATALOG[category]
        brand = rng.choice(_BRANDS)
        primary = upca(number) if number % 3 == 0 else ean13(number)
        extra = rng.choice((0, 1, 1, 1, 2))
        alternates = "|".join(ean13(number * 4 + index, prefix="50") for index in range(extra))
        price = Decimal(rng.randrange(49, 2499)) / 100
        yield [
            f"SKU{number:07d}",
            f"{brand} {rng.choice(names)} {rng.choice(_SIZES)}",
            brand,
            primary,
            alternates,
            str(price),
            _TAX[category],
            category,
            rng.choice(subcategories),
            "each",
        ]


def sample_problem_rows(start: int) -> list[list[str]]:
    """A few rows a clerk would get wrong, each rejected (or warned about) for a different reason."""
    return [
        [
            f"SKU{start:07d}",
            "Harbor Cola 330ml",
            "Harbor",
            "4006381333932",
            "",
            "1.29",
            "A_GEN_TAX",
            "Beverages",
            "Soda",
            "each",
        ],  # wrong check digit
        [f"SKU{start + 1:07d}", "", "Acme", ean13(9_000_001), "", "2.49", "A_GEN_TAX", "Snacks", "Chips", "each"],
        [
            f"SKU{start + 2:07d}",
            "Summit Granola 500g",
            "Summit",
            ean13(9_000_002),
            "",
            "$3.99",
            "A_FOOD_GEN",
            "Snacks",
            "Bars",
            "each",
        ],  # currency symbol in the price
        [
            f"SKU{start + 3:07d}",
            "Acme Trail Mix 200g",
            "Acme",
            ean13(9_000_003),
            "",
            "4.19",
            "A_GEN_TAX",
            "Snacks and savoury treats for the whole family on the go",
            "Nuts",
            "each",
        ],  # category > 50
        [
            f"SKU{start + 4:07d}",
            "Northwind Crème Brûlée™ 2 pack",
            "Northwind",
            ean13(9_000_004),
            "",
            "5.99",
            "A_FOOD_GEN",
            "Dairy",
            "Dessert",
            "each",
        ],  # accepted with a warning and a clean name
        [
            f"SKU{start + 5:07d}",
            "Blue Ridge Ginger Ale 1L",
            "Blue Ridge",
            ean13(9_000_004),
            "",
            "1.99",
            "A_GEN_TAX",
            "Beverages",
            "Soda",
            "each",
        ],  # the barcode of the row above
    ]


def write_erp_csv(path: Path, rows: Iterator[list[str]] | list[list[str]], *, encoding: str = "utf-8") -> int:
    """Write rows under the ERP headers; returns the number of rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(ERP_HEADERS)
        for row in rows:
            writer.writerow(row)
            written += 1
    return written
