"""Who may do what, URL by URL: the authorisation matrix of the whole site.

Every route × every kind of caller → the exact answer: the status, the Location of a redirect, and
the body where a refusal has one. The table below is the policy written down (who may look, who
may act, which credentials each door takes), not read from the views, so a guard that drifts fails
here by name: a view guarded by the wrong permission, a role pattern in ``jwo_admin.core.roles``
that reaches too far, a connector that starts trusting a staff session or an app token. A route the
table does not list fails ``test_the_table_covers_every_route_of_the_site``: a new URL gets its row
before it ships.
"""

import json
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from string import Formatter
from typing import Any
from unittest.mock import ANY
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from catalog.models import Barcode, InboundMessage, MappingProfile, Product, Store, SyncRun, UploadBatch
from catalog.services.connectivity import Connectivity
from catalog.services.imports import import_job_create
from catalog.services.staff_stores import staff_stores_set
from catalog.views import sync as sync_views
from entry.models import Shopper
from entry.services.shoppers import payment_method_add, shopper_create, shopper_token_create
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.models import SignInLock
from operations.models import SimulationRun, SimulationStatus
from orders.models import (
    AmazonFeedEvent,
    AmazonReportFile,
    PaymentIssue,
    PaymentStatus,
    Promotion,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
    ReconciliationItem,
    TaxRate,
)
from orders.pricing.types import PromotionKind


# --- Who calls ------------------------------------------------------------------------------------
class Caller(StrEnum):
    ANONYMOUS = "anonymous"  # no session, no header
    VIEWER = "viewer"  # the four staff roles, each signed in with a session
    CATALOG_MANAGER = "catalog-manager"
    STORE_MANAGER = "store-manager"
    ADMIN = "admin"
    WEB_SHOPPER = "web-shopper"  # signed in to the shopper's web page (/shop/sign-in/): not a staff user
    APP_TOKEN = "app-token"  # Authorization: Token <the shopper app's token>
    CONNECTOR_KEY = "connector-key"  # X-JWO-Connector-Key: <a connector key>, as Amazon calls


ROLES = (Caller.VIEWER, Caller.CATALOG_MANAGER, Caller.STORE_MANAGER, Caller.ADMIN)
OUTSIDERS = (Caller.ANONYMOUS, Caller.WEB_SHOPPER, Caller.APP_TOKEN, Caller.CONNECTOR_KEY)  # no staff session

EVERY_ROLE = frozenset(ROLES)
CATALOG_EDITORS = frozenset({Caller.CATALOG_MANAGER, Caller.ADMIN})
STORE_EDITORS = frozenset({Caller.STORE_MANAGER, Caller.ADMIN})
ADMINS = frozenset({Caller.ADMIN})

ROLE_FIXTURES = {
    Caller.VIEWER: "viewer",
    Caller.CATALOG_MANAGER: "catalog_manager",
    Caller.STORE_MANAGER: "store_manager",
    Caller.ADMIN: "admin_user",
}
SHOPPER_EMAIL = "matrix-shopper@example.com"
SHOPPER_PASSWORD = "shopper-pass-123"


# --- What they get --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """The exact answer. ``location`` is a template: ``{next}`` is the request's path quoted as Django
    quotes it, other names are the pks (or tokens) of the case's objects."""

    status: int
    location: str | None = None
    json: Any = None  # the exact JSON body, when pinned (unittest.mock.ANY for a figure that moves)
    text: str | None = None  # the exact text body, when pinned
    header: tuple[str, str | None] | None = None  # a response header and its value (None: must be absent)


def to(location: str) -> Answer:
    return Answer(302, location)


OK = Answer(200)
CREATED = Answer(201)
BAD_REQUEST = Answer(400)
FORBIDDEN = Answer(403)
NOT_FOUND = Answer(404)
METHOD_NOT_ALLOWED = Answer(405)
TO_LOGIN = to("/accounts/login/?next={next}")
TO_ADMIN_LOGIN = to("/admin/login/?next={next}")
TO_SHOP_SIGN_IN = to("/shop/sign-in/")

NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}
CONNECTOR_KEY_CHALLENGE = ("WWW-Authenticate", f'ConnectorKey header="{django_settings.JWO_CONNECTOR_KEY_HEADER}"')
# Both connectors answer alike (one answer shape under /v1/).
IDENTITY_WITHOUT_KEY = Answer(
    401, json={"message": "Unauthorized - missing or invalid connector key"}, header=CONNECTOR_KEY_CHALLENGE
)
PURCHASES_WITHOUT_KEY = IDENTITY_WITHOUT_KEY
APP_WITHOUT_TOKEN = Answer(401, json=NOT_AUTHENTICATED, header=("WWW-Authenticate", "Token"))
# With the key, an empty body is refused naming the first field it lacks (both connectors alike).
NAMES_THE_MISSING_FIELD = Answer(
    400, json={"message": "Invalid requestId: This field is required.", "field": "requestId"}
)
# The schema view renders its refusal as it renders the document: OpenAPI YAML unless asked for JSON.
SCHEMA_REFUSED = Answer(
    403, text="detail:\n  string: Authentication credentials were not provided.\n  code: not_authenticated\n"
)
METRICS_REFUSED = "Metrics need a bearer token or an admin's session.\n"
METRICS_SIGN_IN = Answer(401, text=METRICS_REFUSED, header=("WWW-Authenticate", 'Bearer realm="metrics"'))
METRICS_FORBIDDEN = Answer(403, text=METRICS_REFUSED)
SIMULATION_FORBIDDEN = Answer(403, text="You may look at simulations but not start one.")
READY = Answer(200, json={"status": "ready", "checks": {"database": {"ok": True}}})
READY_WITH_FIGURES = Answer(
    200, json={"status": "ready", "checks": {"database": {"ok": True, "detail": "", "ms": ANY}}}
)


# --- The table's rows -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    route: str  # the URL name ``path`` must resolve to
    method: str
    path: str  # a template: {name} is the pk (or token) of an object made for the test
    answers: Mapping[Caller, Answer]
    form: Mapping[str, str] = field(default_factory=dict)  # a form POST (values are templates too)
    body: Any = None  # a JSON POST instead
    needs: tuple[str, ...] = ()  # objects the request relies on that its path does not name
    label: str = ""
    transactional: bool = False  # the view works on threads with their own connections: committed data
    settings: tuple[tuple[str, Any], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # sent with the request, besides the caller's

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.route}" + (f" ({self.label})" if self.label else "")


def staff(
    route: str,
    path: str,
    *,
    may: frozenset[Caller],
    allowed: Answer = OK,
    refused: Answer = FORBIDDEN,
    method: str = "get",
    form: Mapping[str, str] | None = None,
    needs: tuple[str, ...] = (),
    label: str = "",
) -> Case:
    """A staff screen: whoever has no staff session is sent to sign in, the roles in ``may`` get
    ``allowed``, the other roles ``refused`` (a 403)."""
    assert allowed.status not in (401, 403), f"{route}: a refusal is not an allowed answer"
    assert "login" not in (allowed.location or ""), f"{route}: the sign-in page is not an allowed answer"
    assert refused.status == 403, f"{route}: a signed-in role without the permission gets a 403"
    answers = dict.fromkeys(OUTSIDERS, TO_LOGIN) | {role: allowed if role in may else refused for role in ROLES}
    return Case(route, method, path, answers, form=form or {}, needs=needs, label=label)


def everyone(
    route: str,
    path: str,
    answer: Answer,
    *,
    but: Mapping[Caller, Answer] | None = None,
    method: str = "get",
    form: Mapping[str, str] | None = None,
    body: Any = None,
    needs: tuple[str, ...] = (),
    label: str = "",
    transactional: bool = False,
    settings: tuple[tuple[str, Any], ...] = (),
    headers: Mapping[str, str] | None = None,
) -> Case:
    """A route whose answer does not depend on a staff role: ``answer`` for every caller, but ``but``."""
    answers = dict.fromkeys(Caller, answer) | dict(but or {})
    return Case(route, method, path, answers, form or {}, body, needs, label, transactional, settings, headers or {})


def post(
    route: str, path: str, *, may: frozenset[Caller], allowed: Answer, form: Mapping[str, str] | None = None, **kw: Any
) -> Case:
    return staff(route, path, may=may, allowed=allowed, method="post", form=form, **kw)


PURCHASE = "/orders/purchases/{purchase}/"
HTMX = {"HX-Request": "true"}
SHOPPER = "/entry/shoppers/{shopper}/"

# fmt: off
TABLE: tuple[Case, ...] = (
    # --- Staff home, settings, the API's documentation -------------------------------------------
    staff("home", "/", may=EVERY_ROLE),
    staff("operations:settings", "/settings/", may=EVERY_ROLE),
    post("operations:connector_key_create", "/settings/connector-keys/", may=ADMINS, allowed=CREATED,
         form={"name": "matrix gateway"}),
    post("operations:connector_key_revoke", "/settings/connector-keys/{connector_key_id}/revoke/", may=ADMINS,
         allowed=to("/settings/#connector-keys")),
    post("operations:sign_in_lock_clear", "/settings/sign-in-locks/{sign_in_lock}/clear/", may=ADMINS,
         allowed=to("/settings/#sign-in-locks")),
    staff("core:api_docs", "/api/docs/", may=EVERY_ROLE),
    everyone("core:api_schema", "/api/schema/", SCHEMA_REFUSED, but=dict.fromkeys(ROLES, OK)),

    # --- Catalog: products, imports, mapping profiles, stores ---------------------------------------
    staff("catalog:product_list", "/catalog/", may=EVERY_ROLE),
    staff("catalog:product_detail", "/catalog/products/{product}/", may=EVERY_ROLE),
    staff("catalog:product_create", "/catalog/products/new/", may=CATALOG_EDITORS),
    post("catalog:product_create", "/catalog/products/new/", may=CATALOG_EDITORS, allowed=OK, label="empty form"),
    post("catalog:product_bulk", "/catalog/products/bulk/", may=CATALOG_EDITORS, allowed=to("/catalog/"),
         label="nothing ticked"),
    staff("catalog:product_update", "/catalog/products/{product}/edit/", may=CATALOG_EDITORS),
    post("catalog:product_update", "/catalog/products/{product}/edit/", may=CATALOG_EDITORS, allowed=OK,
         label="empty form"),
    post("catalog:product_archive", "/catalog/products/{product}/archive/", may=CATALOG_EDITORS,
         allowed=to("/catalog/products/{product}/")),
    post("catalog:product_reactivate", "/catalog/products/{product}/reactivate/", may=CATALOG_EDITORS,
         allowed=to("/catalog/products/{product}/")),
    post("catalog:product_use_suggested_name", "/catalog/products/{product}/use-suggested-name/",
         may=CATALOG_EDITORS, allowed=to("/catalog/products/{product}/"), label="no suggestion"),
    post("catalog:product_send", "/catalog/products/{product}/send/", may=CATALOG_EDITORS,
         allowed=to("/catalog/products/{product}/"), needs=("sync_run",), label="store already syncing"),
    post("catalog:barcode_add", "/catalog/products/{product}/barcodes/", may=CATALOG_EDITORS,
         allowed=to("/catalog/products/{product}/"), label="empty form"),
    post("catalog:barcode_remove", "/catalog/products/{product}/barcodes/{barcode}/remove/", may=CATALOG_EDITORS,
         allowed=to("/catalog/products/{product}/"), label="its only barcode"),
    post("catalog:barcode_retype", "/catalog/products/{product}/barcodes/{barcode}/retype/", may=CATALOG_EDITORS,
         allowed=to("/catalog/products/{product}/"), label="empty form"),
    staff("catalog:import_list", "/catalog/imports/", may=EVERY_ROLE),
    staff("catalog:import_create", "/catalog/imports/new/", may=CATALOG_EDITORS),
    post("catalog:import_create", "/catalog/imports/new/", may=CATALOG_EDITORS, allowed=OK,
         label="empty form: re-rendered with its errors"),
    staff("catalog:import_detail", "/catalog/imports/{import_job}/", may=EVERY_ROLE),
    staff("catalog:import_progress", "/catalog/imports/{import_job}/progress/", may=EVERY_ROLE),
    post("catalog:import_confirm", "/catalog/imports/{import_job}/confirm/", may=CATALOG_EDITORS,
         allowed=to("/catalog/imports/{import_job}/"), label="a queued preview: refused with a message"),
    staff("catalog:import_problems_csv", "/catalog/imports/{import_job}/problems.csv", may=EVERY_ROLE),
    staff("catalog:mapping_list", "/catalog/mappings/", may=EVERY_ROLE),
    staff("catalog:mapping_create", "/catalog/mappings/new/", may=CATALOG_EDITORS),
    post("catalog:mapping_create", "/catalog/mappings/new/", may=CATALOG_EDITORS, allowed=OK,
         label="empty form"),
    staff("catalog:mapping_update", "/catalog/mappings/{mapping_profile}/", may=CATALOG_EDITORS),
    post("catalog:mapping_update", "/catalog/mappings/{mapping_profile}/", may=CATALOG_EDITORS, allowed=OK,
         label="empty form"),
    staff("catalog:store_create", "/catalog/stores/new/", may=ADMINS),
    post("catalog:store_create", "/catalog/stores/new/", may=ADMINS, allowed=OK, label="empty form"),
    staff("catalog:store_update", "/catalog/stores/{store}/", may=STORE_EDITORS),
    post("catalog:store_update", "/catalog/stores/{store}/", may=STORE_EDITORS, allowed=OK, label="empty form"),
    staff("catalog:amazon_export", "/catalog/stores/{store}/amazon-catalog.json", may=EVERY_ROLE),

    # --- Catalog: the sync with Amazon --------------------------------------------------------------
    staff("catalog:sync_overview", "/catalog/sync/", may=EVERY_ROLE),
    post("catalog:sync_start", "/catalog/sync/start/", may=CATALOG_EDITORS, allowed=to("/catalog/sync/"),
         form={"store": "{store}"}, needs=("sync_run",), label="a sync already under way: refused with a message"),
    post("catalog:sync_connectivity", "/catalog/sync/connectivity/", may=CATALOG_EDITORS, allowed=OK,
         needs=("amazon_unreachable",)),
    staff("catalog:sync_detail", "/catalog/sync/runs/{sync_run}/", may=EVERY_ROLE),
    staff("catalog:sync_progress", "/catalog/sync/runs/{sync_run}/progress/", may=EVERY_ROLE),
    post("catalog:sync_retry", "/catalog/sync/runs/{sync_run}/retry/", may=CATALOG_EDITORS,
         allowed=to("/catalog/sync/runs/{sync_run}/"), label="nothing to retry: refused with a message"),
    staff("catalog:sync_report", "/catalog/sync/batches/{upload_batch}/report/", may=EVERY_ROLE),
    post("catalog:sync_subscription_confirm", "/catalog/sync/subscriptions/{subscription}/confirm/",
         may=CATALOG_EDITORS, allowed=to("/catalog/sync/"), label="not an SNS address: refused with a message"),

    # --- Entry: the gate and the shoppers -------------------------------------------------------------
    staff("entry:overview", "/entry/", may=EVERY_ROLE),
    post("entry:gate_default", "/entry/stores/{store}/gate-default/", may=STORE_EDITORS, allowed=to("/entry/"),
         form={"default_gate_decision": "CLOSED"}),
    staff("entry:gate_log", "/entry/gate-log/", may=EVERY_ROLE),
    staff("entry:gate_log_rows", "/entry/gate-log/rows/", may=EVERY_ROLE),
    # Polled by htmx: a caller who may not read it gets an empty 200 telling htmx to reload the whole
    # page (which then shows the sign-in page or the refusal) instead of either swapped into the table.
    everyone("entry:gate_log_rows", "/entry/gate-log/rows/", Answer(200, text="", header=("HX-Refresh", "true")),
             but=dict.fromkeys(ROLES, Answer(200, header=("HX-Refresh", None))), headers=HTMX, label="htmx poll"),
    staff("entry:shopper_list", "/entry/shoppers/", may=EVERY_ROLE),
    staff("entry:shopper_detail", SHOPPER, may=EVERY_ROLE),
    post("entry:shopper_status", SHOPPER + "status/", may=STORE_EDITORS, allowed=to(SHOPPER),
         form={"status": "flagged", "reason": "matrix check"}),
    post("entry:shopper_revoke_codes", SHOPPER + "revoke-codes/", may=STORE_EDITORS, allowed=to(SHOPPER)),
    post("entry:shopper_type", SHOPPER + "type/", may=STORE_EDITORS, allowed=to(SHOPPER),
         form={"visitor_type": "ASSOCIATE"}),

    # --- Orders: reports, promotions, tax rates -----------------------------------------------------
    staff("orders:overview", "/orders/", may=EVERY_ROLE),
    staff("orders:purchase_list", "/orders/purchases/", may=EVERY_ROLE),
    staff("orders:purchase_detail", PURCHASE, may=EVERY_ROLE),
    staff("orders:promotion_list", "/orders/promotions/", may=EVERY_ROLE),
    staff("orders:promotion_create", "/orders/promotions/new/", may=STORE_EDITORS),
    post("orders:promotion_create", "/orders/promotions/new/", may=STORE_EDITORS, allowed=OK, label="empty form"),
    staff("orders:promotion_update", "/orders/promotions/{promotion}/", may=STORE_EDITORS),
    post("orders:promotion_update", "/orders/promotions/{promotion}/", may=STORE_EDITORS, allowed=OK,
         label="empty form"),
    post("orders:promotion_deactivate", "/orders/promotions/{promotion}/deactivate/", may=STORE_EDITORS,
         allowed=to("/orders/promotions/")),
    staff("orders:tax_rate_list", "/orders/tax-rates/", may=EVERY_ROLE),
    staff("orders:tax_rate_create", "/orders/tax-rates/new/", may=STORE_EDITORS),
    post("orders:tax_rate_create", "/orders/tax-rates/new/", may=STORE_EDITORS, allowed=OK, label="empty form"),
    staff("orders:tax_rate_update", "/orders/tax-rates/{tax_rate}/", may=STORE_EDITORS),
    post("orders:tax_rate_update", "/orders/tax-rates/{tax_rate}/", may=STORE_EDITORS, allowed=OK,
         label="empty form"),
    post("orders:tax_rate_delete", "/orders/tax-rates/{tax_rate}/delete/", may=STORE_EDITORS,
         allowed=to("/orders/tax-rates/")),
    staff("orders:try_cart", "/orders/try-a-cart/", may=EVERY_ROLE),

    # --- Orders: the queues and what staff do to a purchase -------------------------------------------
    staff("orders:bad_cart_queue", "/orders/bad-carts/", may=EVERY_ROLE),
    staff("orders:issue_list", "/orders/payment-issues/", may=EVERY_ROLE),
    staff("orders:shopper_purchases", "/orders/shoppers/{shopper}/purchases/", may=EVERY_ROLE),
    staff("orders:amazon_feed", "/orders/amazon-feed/", may=EVERY_ROLE),
    post("orders:report_file_retry", "/orders/amazon-feed/files/{report_file}/retry/", may=STORE_EDITORS,
         allowed=to("/orders/amazon-feed/")),
    post("orders:feed_event_retry", "/orders/amazon-feed/events/{feed_event}/retry/", may=STORE_EDITORS,
         allowed=to("/orders/amazon-feed/")),
    post("orders:issue_dismiss", "/orders/payment-issues/{payment_issue}/dismiss/", may=STORE_EDITORS,
         allowed=to(PURCHASE), form={"note": "matrix check"}),
    staff("orders:reconciliation", "/orders/reconciliation/", may=EVERY_ROLE),
    post("orders:reconciliation_resolve", "/orders/reconciliation/{reconciliation_item}/resolve/",
         may=STORE_EDITORS, allowed=to("/orders/reconciliation/"), form={"note": "matrix check"}),
    post("orders:reconciliation_run", "/orders/reconciliation/run/", may=STORE_EDITORS,
         allowed=to("/orders/reconciliation/?store={store}&day=2025-03-10"),
         form={"store": "{store}", "day": "2025-03-10"}),
    post("orders:line_map", PURCHASE + "lines/{line}/map/", may=STORE_EDITORS, allowed=to(PURCHASE),
         form={"product": "COLA"}),
    post("orders:line_quantity", PURCHASE + "lines/{line}/quantity/", may=STORE_EDITORS, allowed=to(PURCHASE),
         form={"quantity": "1"}),
    post("orders:shopper_assign", PURCHASE + "shopper/", may=STORE_EDITORS, allowed=to(PURCHASE),
         form={"shopper": "cust-matrix"}),
    post("orders:receipt_resend", PURCHASE + "resend-receipt/", may=STORE_EDITORS, allowed=to(PURCHASE)),
    post("orders:reprice", PURCHASE + "reprice/", may=STORE_EDITORS, allowed=to(PURCHASE)),
    post("orders:charge", PURCHASE + "charge/", may=STORE_EDITORS, allowed=to(PURCHASE)),
    staff("orders:payment_status", PURCHASE + "payment/", may=EVERY_ROLE),
    staff("orders:settlement", "/orders/settlement/", may=EVERY_ROLE),
    staff("orders:sales_report", "/orders/sales/", may=EVERY_ROLE),
    staff("orders:export", "/orders/exports/purchases.csv", may=EVERY_ROLE, label="purchases CSV"),
    staff("orders:export", "/orders/exports/lines.xlsx", may=EVERY_ROLE, label="lines XLSX"),
    staff("orders:export", "/orders/exports/payments.csv", may=EVERY_ROLE, label="payments CSV"),
    staff("orders:export", "/orders/exports/refunds.csv", may=EVERY_ROLE, label="refunds CSV"),
    staff("orders:export_settlement", "/orders/exports/settlement-days.csv", may=EVERY_ROLE, needs=("store",)),
    staff("orders:export_settlement", "/orders/exports/settlement-days.xlsx", may=EVERY_ROLE, needs=("store",),
          label="XLSX"),
    everyone("orders:payment_status", PURCHASE + "payment/", Answer(200, text="", header=("HX-Refresh", "true")),
             but=dict.fromkeys(ROLES, Answer(200, header=("HX-Refresh", None))), headers=HTMX, label="htmx poll"),
    post("orders:charge_new_card", PURCHASE + "charge-newest-card/", may=STORE_EDITORS, allowed=to(PURCHASE)),
    post("orders:write_off", PURCHASE + "write-off/", may=STORE_EDITORS, allowed=to(PURCHASE),
         form={"reason": "matrix check"}),
    post("orders:paid_at_counter", PURCHASE + "paid-at-counter/", may=STORE_EDITORS, allowed=to(PURCHASE),
         form={"note": "matrix check"}),
    post("orders:refund", PURCHASE + "refund/", may=STORE_EDITORS, allowed=to(PURCHASE),
         form={"everything": "on", "reason": "matrix check"}),
    post("orders:refund_amount", PURCHASE + "refund-amount/", may=STORE_EDITORS, allowed=to(PURCHASE),
         form={"amount": "0.50", "reason": "matrix check", "request_key": "matrix"}),

    # --- Operations -----------------------------------------------------------------------------------
    staff("operations:readiness", "/operations/readiness/", may=EVERY_ROLE),
    post("operations:readiness_mark", "/operations/readiness/mark/", may=STORE_EDITORS,
         allowed=to("/operations/readiness/"), form={"item": "runbooks", "is_done": "on", "note": "matrix"}),
    staff("operations:readiness_csv", "/operations/readiness.csv", may=EVERY_ROLE),
    staff("operations:simulator", "/operations/simulator/", may=EVERY_ROLE),
    # Every role may read the simulator's page; the view refuses a start itself, with its own text.
    post("operations:simulator", "/operations/simulator/", may=STORE_EDITORS, allowed=OK,
         refused=SIMULATION_FORBIDDEN, label="empty form: re-rendered with its errors"),
    staff("operations:simulation_detail", "/operations/simulator/{simulation_run}/", may=EVERY_ROLE),
    post("operations:simulation_clean_up", "/operations/simulator/{simulation_run}/clean-up/", may=STORE_EDITORS,
         allowed=to("/operations/simulator/{simulation_run}/")),

    # --- Operations: the staff page (admins only) and where staff set a password -----------------------
    staff("operations:staff_list", "/operations/staff/", may=ADMINS),
    post("operations:staff_list", "/operations/staff/", may=ADMINS, allowed=OK,
         label="empty invitation: re-rendered with its errors"),
    staff("operations:staff_update", "/operations/staff/{staff_user}/", may=ADMINS),
    post("operations:staff_update", "/operations/staff/{staff_user}/", may=ADMINS, allowed=OK, label="empty form"),
    post("operations:staff_active", "/operations/staff/{staff_user}/active/", may=ADMINS,
         allowed=to("/operations/staff/")),
    post("operations:staff_password_reset", "/operations/staff/{staff_user}/password-reset/", may=ADMINS,
         allowed=to("/operations/staff/")),
    everyone("password_reset_confirm", "/accounts/password/MQ/not-the-token/", OK, label="a wrong link"),
    everyone("password_reset_complete", "/accounts/password/done/", OK),

    # --- Public pages and probes ----------------------------------------------------------------------
    everyone("healthz", "/healthz", Answer(200, json={"status": "ok"})),
    everyone("favicon", "/favicon.ico", to("/static/favicon.ico")),
    everyone("login", "/accounts/login/", OK),
    everyone("logout", "/accounts/logout/", to("/accounts/login/"), method="post"),
    everyone("logout", "/accounts/logout/", METHOD_NOT_ALLOWED, label="GET signs nobody out"),
    everyone("receipt", "/receipts/{receipt_token}/", OK),
    everyone("receipt", "/receipts/not-the-receipt-token-0000/", NOT_FOUND, label="a wrong token"),
    # /readyz asks the database only (tests/operations/test_probes.py: what it no longer fails for).
    everyone("readyz", "/readyz", READY, but={Caller.ADMIN: READY_WITH_FIGURES}),
    everyone("metrics", "/metrics", METRICS_SIGN_IN,
             but={Caller.VIEWER: METRICS_FORBIDDEN, Caller.CATALOG_MANAGER: METRICS_FORBIDDEN,
                  Caller.STORE_MANAGER: METRICS_FORBIDDEN, Caller.ADMIN: OK}),

    # --- The shopper's web page (only the web shopper's session counts) ----------------------------
    everyone("shop:key", "/shop/", TO_SHOP_SIGN_IN, but={Caller.WEB_SHOPPER: OK}),
    everyone("shop:code", "/shop/code/", TO_SHOP_SIGN_IN, but={Caller.WEB_SHOPPER: OK}, method="post"),
    everyone("shop:code", "/shop/code/", Answer(401, text="", header=("HX-Redirect", "/shop/sign-in/")),
             but={Caller.WEB_SHOPPER: OK}, method="post", headers=HTMX, label="htmx renewal"),
    everyone("shop:sign_in", "/shop/sign-in/", OK, but={Caller.WEB_SHOPPER: to("/shop/")}),
    everyone("shop:sign_in", "/shop/sign-in/", BAD_REQUEST, method="post",
             form={"email": SHOPPER_EMAIL, "password": "wrong-password"}, needs=("shopper",), label="wrong password"),
    everyone("shop:sign_out", "/shop/sign-out/", TO_SHOP_SIGN_IN, method="post"),
    everyone("receipt_list", "/shop/receipts/", TO_SHOP_SIGN_IN, but={Caller.WEB_SHOPPER: OK}),

    # --- The shopper app's API (only the app token counts) ------------------------------------------
    everyone("entry_api:app_token", "/api/app/v1/token", CREATED, method="post",
             body={"email": SHOPPER_EMAIL, "password": SHOPPER_PASSWORD}, needs=("shopper",), label="signed in"),
    everyone("entry_api:app_token", "/api/app/v1/token",
             Answer(401, json={"detail": "Wrong email or password."}, header=("WWW-Authenticate", "Token")),
             method="post", body={"email": SHOPPER_EMAIL, "password": "wrong-password"}, needs=("shopper",),
             label="wrong password"),
    everyone("entry_api:app_token", "/api/app/v1/token",
             Answer(400, json={"email": ["This field is required."], "password": ["This field is required."]}),
             method="post", body={}, label="invalid body"),
    everyone("entry_api:app_scan_keys", "/api/app/v1/scan-keys", APP_WITHOUT_TOKEN, but={Caller.APP_TOKEN: CREATED},
             method="post", body={}),

    # --- Amazon's connectors (only the connector key counts) -----------------------------------------
    everyone("entry_api:identity_keys", "/v1/identity/identity-keys", IDENTITY_WITHOUT_KEY,
             but={Caller.CONNECTOR_KEY: NAMES_THE_MISSING_FIELD}, method="post", body={}, transactional=True),
    everyone("orders_api:create_purchases", "/v1/order/purchases", PURCHASES_WITHOUT_KEY,
             but={Caller.CONNECTOR_KEY: NAMES_THE_MISSING_FIELD}, method="post", body={}, transactional=True),

    # --- The Django admin, as a group: its index and a few changelists ----------------------------------
    everyone("admin:index", "/admin/", TO_ADMIN_LOGIN, but={Caller.ADMIN: OK}),
    everyone("admin:catalog_product_changelist", "/admin/catalog/product/", TO_ADMIN_LOGIN, but={Caller.ADMIN: OK}),
    everyone("admin:orders_purchase_changelist", "/admin/orders/purchase/", TO_ADMIN_LOGIN, but={Caller.ADMIN: OK}),
    everyone("admin:auth_user_changelist", "/admin/auth/user/", TO_ADMIN_LOGIN, but={Caller.ADMIN: OK}),
)
# fmt: on


# --- The objects a case names, made on first use ----------------------------------------------------
class World:
    """What one test's request needs (and nothing else): the caller and the objects its path names."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self._made: dict[str, Any] = {}

    def fixture(self, name: str) -> Any:
        return self._request.getfixturevalue(name)

    def __getitem__(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = BUILDERS[name](self)
        return self._made[name]

    def fill(self, template: str, **extra: str) -> str:
        return template.format_map(_Placeholders(self, extra))

    def client_as(self, caller: Caller) -> tuple[Client, dict[str, str]]:
        client = Client()
        if caller in ROLE_FIXTURES:
            client.force_login(self.fixture(ROLE_FIXTURES[caller]))
            return client, {}
        if caller is Caller.WEB_SHOPPER:
            self["shopper"]  # signs in through the page, as a shopper does
            signed_in = client.post("/shop/sign-in/", {"email": SHOPPER_EMAIL, "password": SHOPPER_PASSWORD})
            assert (signed_in.status_code, signed_in["Location"]) == (302, "/shop/")
            return client, {}
        if caller is Caller.APP_TOKEN:
            return client, {"Authorization": f"Token {shopper_token_create(shopper=self['shopper'])}"}
        if caller is Caller.CONNECTOR_KEY:
            _, key = connector_key_create(name="matrix gateway")
            return client, {django_settings.JWO_CONNECTOR_KEY_HEADER: key}
        return client, {}


class _Placeholders(dict[str, str]):
    def __init__(self, world: World, extra: Mapping[str, str]) -> None:
        super().__init__(extra)
        self._world = world

    def __missing__(self, name: str) -> str:
        made = self._world[name]
        return str(getattr(made, "pk", made))


def _shopper(world: World) -> Shopper:
    shopper = shopper_create(
        external_id="cust-matrix", name="Matrix Shopper", email=SHOPPER_EMAIL, password=SHOPPER_PASSWORD
    )
    payment_method_add(
        shopper=shopper, provider_reference="pm_matrix", expiry_month=12, expiry_year=2099, brand="Visa", last4="4242"
    )
    return shopper


def _product(world: World) -> Product:
    return Product.objects.create(store=world["store"], sku="COLA", name="Cola", price=Decimal("2.00"))


def _purchase(world: World) -> Purchase:
    """A priced, captured purchase of the shopper's, with one line and its receipt link."""
    store, shopper, now = world["store"], world["shopper"], timezone.now()
    purchase = Purchase.objects.create(
        trip_id="00000000-0000-4000-8000-00000000a001",
        purchase_id="PO-MATRIX-1",
        store=store,
        status=PurchaseStatus.PRICED,
        shopper=shopper,
        visitor_ref=shopper.external_id,
        started_at=now - timedelta(minutes=10),
        ended_at=now,
        currency=store.currency,
        subtotal=Decimal("2.000"),
        total=Decimal("2.000"),
        captured_total=Decimal("2.000"),
        payment_status=PaymentStatus.CAPTURED,
        request_body={"storeId": store.store_id},
        request_fingerprint="f" * 64,
        response_body={"purchaseId": "PO-MATRIX-1"},
        receipt_token=secrets.token_urlsafe(24),
    )
    product = world["product"]
    PurchaseLine.objects.create(
        purchase=purchase, position=0, item_id="COLA", item_type="SKU", product=product, sku="COLA", name="Cola",
        quantity=Decimal(1), unit="unit", unit_price=Decimal("2.000"), gross=Decimal("2.000"), net=Decimal("2.000"),
        total=Decimal("2.000"),
    )  # fmt: skip
    return purchase


def _amazon_unreachable(world: World) -> None:
    """The connectivity test answers without calling out: who may ask is the question here, not Amazon."""
    report = Connectivity(
        checked_at="2025-01-01T00:00:00+00:00",
        amazon_ok=False,
        amazon_detail="stub",
        queue_ok=False,
        queue_detail="stub",
    )
    world.fixture("monkeypatch").setattr(sync_views, "connectivity_check", lambda: report)


def _sync_run(world: World) -> SyncRun:
    """Still sending: it holds the store's sync, and has nothing rejected to retry."""
    return SyncRun.objects.create(store=world["store"], status="sending")


def _upload_batch(world: World) -> UploadBatch:
    """A batch whose report was kept as received."""
    run = SyncRun.objects.create(store=world["store"], status="done")
    stored = default_storage.save("reports/matrix.json", ContentFile(b'{"items": []}'))
    return UploadBatch.objects.create(sync_run=run, sequence=1, body=b"", item_count=0, report_file=stored)


def _subscription(world: World) -> InboundMessage:
    """A SubscriptionConfirmation naming an address that is not SNS's: never visited."""
    envelope = {"Type": "SubscriptionConfirmation", "SubscribeURL": "https://sns.example.net/?Token=x"}
    return InboundMessage.objects.create(
        message_id=secrets.token_hex(8), status=InboundMessage.Status.SUBSCRIPTION, body=json.dumps(envelope)
    )


BUILDERS: dict[str, Any] = {
    "store": lambda world: world.fixture("store"),
    "shopper": _shopper,
    "product": _product,
    "barcode": lambda world: Barcode.objects.create(
        store=world["store"],
        product=world["product"],
        value="5449000000996",
        type="EAN",
        match_key="05449000000996",
        is_primary=True,
    ),
    "purchase": _purchase,
    "line": lambda world: world["purchase"].lines.get(),
    "receipt_token": lambda world: world["purchase"].receipt_token,
    "report_file": lambda world: AmazonReportFile.objects.create(
        source="drop", key="matrix.jsonl", etag="e", status="parked", error="Could not read"
    ),
    "feed_event": lambda world: AmazonFeedEvent.objects.create(
        event_id="matrix-event", body="{not json", status="parked", store=world["store"]
    ),
    "payment_issue": lambda world: PaymentIssue.objects.create(
        shopper=world["shopper"], purchase=world["purchase"], kind="capture", outcome="declined"
    ),
    "reconciliation_item": lambda world: ReconciliationItem.objects.create(
        store=world["store"], store_day="2025-03-10", kind="missing_cart", trip_id="ev-matrix", reason="matrix"
    ),
    "promotion": lambda world: Promotion.objects.create(
        name="Matrix 10 %", kind=PromotionKind.PERCENT_OFF, percent=Decimal(10)
    ),
    "tax_rate": lambda world: TaxRate.objects.create(
        store=world["store"], tax_code="GENERAL", rate=Decimal("0.10"), is_default=True
    ),
    "import_job": lambda world: import_job_create(
        store=world["store"], upload=SimpleUploadedFile("matrix.csv", b"item_sku,item_name\nCOLA,Cola\n")
    ),
    "mapping_profile": lambda world: MappingProfile.objects.create(
        name="Matrix ERP", columns=MappingProfile.objects.get(is_builtin=True).columns
    ),
    "sync_run": _sync_run,
    "upload_batch": _upload_batch,
    "subscription": _subscription,
    "amazon_unreachable": _amazon_unreachable,
    "simulation_run": lambda world: SimulationRun.objects.create(
        store=world["store"], base_url="http://testserver", status=SimulationStatus.PASSED
    ),
    "connector_key_id": lambda world: connector_key_create(name="to revoke")[0].key_id,
    "staff_user": lambda world: User.objects.create_user("matrix-staff", email="matrix-staff@example.com"),
    "sign_in_lock": lambda world: (
        SignInLock.objects.create(
            kind="account",
            key="locked-out",
            failures=5,
            first_failure_at=timezone.now(),
            last_failure_at=timezone.now(),
            locked_until=timezone.now() + timedelta(minutes=15),
        ).pk
    ),
}


@pytest.fixture
def world(request: pytest.FixtureRequest) -> World:
    return World(request)


# --- The matrix --------------------------------------------------------------------------------------
def _params(*, transactional: bool) -> list[Any]:
    return [
        pytest.param(case, caller, id=f"{case.id} as {caller}")
        for case in TABLE
        if case.transactional is transactional
        for caller in Caller
    ]


def _ask(case: Case, caller: Caller, world: World) -> None:
    for name, value in case.settings:
        setattr(world.fixture("settings"), name, value)
    for name in case.needs:
        world[name]  # made now: the request relies on it though its path does not name it
    path = world.fill(case.path)
    assert resolve(path).view_name == case.route, f"{path} is not {case.route}"
    client, caller_headers = world.client_as(caller)
    headers = {**case.headers, **caller_headers}
    if case.method == "get":
        response = client.get(path, headers=headers)
    elif case.body is not None:
        response = client.post(path, data=case.body, content_type="application/json", headers=headers)
    else:
        form = {name: world.fill(value) for name, value in case.form.items()}
        response = client.post(path, data=form, headers=headers)
    content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]

    expected = case.answers[caller]
    location = None if expected.location is None else world.fill(expected.location, next=quote(path, safe="/"))
    assert (response.status_code, response.get("Location")) == (expected.status, location), content[:500]
    if expected.json is not None:
        assert json.loads(content) == expected.json
    if expected.text is not None:
        assert content.decode() == expected.text
    if expected.header is not None:
        assert response.get(expected.header[0]) == expected.header[1]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "caller"), _params(transactional=False))
def test_each_caller_gets_exactly_the_answer_the_policy_gives(case: Case, caller: Caller, world: World) -> None:
    _ask(case, caller, world)


@pytest.mark.django_db(transaction=True)  # the connectors check the key on threads with their own connections
@pytest.mark.parametrize(("case", "caller"), _params(transactional=True))
def test_amazon_connectors_take_the_connector_key_and_nothing_else(case: Case, caller: Caller, world: World) -> None:
    _ask(case, caller, world)


# --- Staff forms need their CSRF token --------------------------------------------------------------
def _staff_posts() -> list[Any]:
    """Every staff form POST of the table, with a role the policy lets through."""
    params = []
    for case in TABLE:
        if case.method != "post" or case.body is not None:
            continue
        allowed = [role for role in ROLES if case.answers[role].status not in (401, 403)]
        if allowed and case.answers[Caller.ANONYMOUS] == TO_LOGIN:
            params.append(pytest.param(case, allowed[-1], id=f"{case.id} as {allowed[-1]}"))
    return params


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "caller"), _staff_posts())
def test_a_staff_form_posted_without_its_csrf_token_is_refused(case: Case, caller: Caller, world: World) -> None:
    for name, value in case.settings:
        setattr(world.fixture("settings"), name, value)
    for name in case.needs:
        world[name]
    path = world.fill(case.path)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.fixture(ROLE_FIXTURES[caller]))
    form = {name: world.fill(value) for name, value in case.form.items()}

    response = client.post(path, data=form, headers=case.headers)

    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content


# --- Every route has its row -------------------------------------------------------------------------
def _routes(
    patterns: Iterable[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    """(route pattern, URL name) of every endpoint, included URL modules followed."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield prefix + str(entry.pattern), name


def _covered() -> dict[str, str]:
    """(route pattern → URL name) of every row, its path filled with stand-in values."""
    covered = {}
    for case in TABLE:
        match = resolve(case.path.format_map(_StandIns()))
        covered[match.route] = match.view_name
    return covered


class _StandIns(dict[str, str]):
    def __missing__(self, name: str) -> str:
        return "1"


def test_the_table_covers_every_route_of_the_site() -> None:
    walked = dict(_routes(get_resolver().url_patterns))
    site = {route: name for route, name in walked.items() if not route.startswith("admin/")}
    covered = _covered()

    assert {route: name for route, name in covered.items() if not route.startswith("admin/")} == site
    # The Django admin is covered as a group: all of it is the admin site's, and the rows above
    # check its index and a changelist of each kind of data.
    assert {name.split(":")[0] for route, name in walked.items() if route.startswith("admin/") and name} == {"admin"}
    admin_rows = {name for route, name in covered.items() if route.startswith("admin/")}
    assert admin_rows == {
        "admin:index",
        "admin:catalog_product_changelist",
        "admin:orders_purchase_changelist",
        "admin:auth_user_changelist",
    }


# --- A second store: a staff user of another store finds none of this store's objects ----------------
# The objects the table's paths and forms name that belong to the first store (a shopper belongs to the
# stores whose gates they went through: the table's shopper went through none).
STORE_OWNED = frozenset(
    {"store", "product", "purchase", "line", "payment_issue", "reconciliation_item", "promotion", "tax_rate",
     "import_job", "sync_run", "upload_batch", "simulation_run", "shopper"}
)  # fmt: skip


def _names(case: Case) -> set[str]:
    templates = [case.path, *case.form.values()]
    return {name for template in templates for _, name, _, _ in Formatter().parse(template) if name}


def _other_store_cases() -> list[Any]:
    """Each staff row naming the first store's objects, with a role below Admin that it lets through."""
    params = []
    for case in TABLE:
        allowed = [role for role in ROLES[:-1] if case.answers[role].status != 403]
        if case.answers[Caller.ANONYMOUS] == TO_LOGIN and allowed and _names(case) & STORE_OWNED:
            params.append(pytest.param(case, allowed[-1], id=f"{case.id} as {allowed[-1]}"))
    return params


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "caller"), _other_store_cases())
def test_a_staff_user_of_another_store_gets_404_for_the_stores_objects(
    case: Case, caller: Caller, world: World, other_store: Store
) -> None:
    manager = world.fixture(ROLE_FIXTURES[caller])
    staff_stores_set(user=manager, all_stores=False, stores=[other_store])
    for name in case.needs:
        world[name]
    path = world.fill(case.path)
    client = Client()
    client.force_login(manager)

    if case.method == "get":
        response = client.get(path, headers=case.headers)
    else:
        response = client.post(path, data={name: world.fill(value) for name, value in case.form.items()})

    assert response.status_code == 404, path
