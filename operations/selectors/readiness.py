"""The launch checklist of an app-entry store (SPEC §1.3, §11, §12): what the app can verify
itself, checked live, and what only people can confirm, ticked by staff with who and when.

Titles and evidence are what staff read: plain words, no code or spec section numbers (those go
in ``REFERENCES``, shown as a "Reference" tooltip). An automatic check is done only on a success
the app recorded, never on an answer that merely arrived."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from catalog.models import AmazonCall, InboundMessage, SyncRun
from catalog.selectors.staff_stores import StoreIds, stores_scope
from catalog.selectors.stores import store_summaries
from entry.scan_keys import qr_pattern
from entry.selectors.stores import store_list_with_gate_default
from jwo_admin.core.models import ConnectorKey
from jwo_admin.integrations.amazon_catalog import Outcome
from jwo_admin.integrations.payments.gateway import payment_gateway_is_sandbox
from operations.models import ReadinessMark, SimulationRun, SimulationStatus

RECENT = timedelta(days=7)

# (key, section, what people confirm): the steps the app cannot see from where it runs.
MANUAL: tuple[tuple[str, str, str], ...] = (
    ("aws_role", "Onboarding", "An IAM role that may invoke Amazon's catalog API"),
    ("cloudformation", "Onboarding", "Amazon's CloudFormation templates deployed: SQS queue, connectivity"),
    ("merchant_portal", "Onboarding", "AWS account and SQS queue ARN registered in the Merchant Portal"),
    ("sns_subscription", "Onboarding", "The SNS subscription for upload results confirmed"),
    ("portal_connector_tests", "Connectivity", "Merchant Portal connector tests pass for Identity and Ordering"),
    ("mock_tests", "Functional", "Amazon's mock payloads tried: duplicate, invalid, duplicate cart, bad SKU"),
    ("gate_default_agreed", "Entry", "Each store's default gate decision agreed with the store team"),
    ("end_to_end", "End to end", "A walk-through in the test store with real phones and mock cards"),
    ("load_test", "Load", "The load test run against the production-sized deployment; figures reviewed"),
    ("runbooks", "Operations", "Runbooks read by the people on call (README, Running in production)"),
    ("well_architected", "Operations", "Amazon's Well-Architected questionnaire answered for this store"),
)
MANUAL_KEYS = frozenset(key for key, _, _ in MANUAL)

# Where each step is described, in words (the page shows it as a "Reference" tooltip).
REFERENCES: dict[str, str] = {
    "aws_role": "Amazon's onboarding guide, step 1",
    "cloudformation": "Amazon's onboarding guide, step 2",
    "merchant_portal": "Amazon's onboarding guide, step 3",
    "sns_subscription": "Amazon's onboarding guide, step 4",
    "portal_connector_tests": "Amazon's testing guide, connector tests",
    "mock_tests": "Amazon's testing guide, functional tests",
    "end_to_end": "Amazon's testing guide, end-to-end tests",
    "load_test": "Amazon's testing guide, end-to-end tests; the README's Load test section",
    "runbooks": "Amazon's operations guide; the README's Runbooks section",
    "well_architected": "Amazon's operations guide",
}

# What a failed connectivity test came back with, in words.
_CALL_OUTCOMES: dict[str, str] = {
    Outcome.INVALID_BODY: "Amazon refused the request as invalid",
    Outcome.STORE_ID_ERROR: "Amazon did not recognise the store",
    Outcome.FORBIDDEN: "Amazon refused our credentials",
    Outcome.THROTTLED: "Amazon asked us to slow down",
    Outcome.NETWORK_ERROR: "Amazon could not be reached",
    Outcome.RETRYABLE_ERROR: "Amazon had a temporary error",
    Outcome.SERVER_ERROR: "Amazon had a temporary error",
    Outcome.FATAL_ERROR: "Amazon had an error",
}


@dataclass(frozen=True)
class Item:
    key: str
    section: str
    title: str
    is_automatic: bool
    ok: bool
    evidence: str
    mark: ReadinessMark | None = None

    @property
    def reference(self) -> str:
        return REFERENCES.get(self.key, "")


def _automatic(*, store_ids: StoreIds = None) -> list[Item]:
    now = timezone.now()
    stores = list(stores_scope(store_list_with_gate_default(), store_ids=store_ids, field="pk").order_by("store_id"))
    items = [
        Item(
            "store_ids",
            "Catalog",
            "Stores set up with Amazon's store ids",
            True,
            bool(stores),
            ", ".join(store.store_id for store in stores) or "no store yet",
        )
    ]
    keys = ConnectorKey.objects.filter(revoked_at__isnull=True).order_by("-created_at")
    used = keys.filter(last_used_at__isnull=False).first()
    items.append(
        Item(
            "connector_keys",
            "Connectivity",
            "A connector key created for the API gateway, and used",
            True,
            used is not None,
            f"{keys.count()} active; last used {timezone.localtime(used.last_used_at):%Y-%m-%d %H:%M}"
            if used and used.last_used_at
            else f"{keys.count()} active, none used yet",
        )
    )
    check = AmazonCall.objects.filter(operation="connectivity").order_by("-created_at", "-id").first()
    # Only a recorded success counts (the connectivity test records "ok" when Amazon answered as expected).
    green = check is not None and check.outcome == Outcome.OK and now - check.created_at < RECENT
    items.append(
        Item(
            "amazon_connectivity",
            "Connectivity",
            "Amazon's catalog API answers our signed calls (Sync → Test now, within 7 days)",
            True,
            green,
            _connectivity_evidence(check),
        )
    )
    for summary in store_summaries(store_ids=store_ids):
        last = SyncRun.objects.filter(store=summary.store).order_by("-created_at", "-pk").first()
        failed = (last.items_failed + last.items_rejected) if last else 0
        items.append(
            Item(
                f"catalog_synced:{summary.store.store_id}",
                "Catalog",
                f"{summary.store.store_id}: catalog synced, nothing waiting, no failed item in the last sync",
                True,
                last is not None and summary.pending_sync == 0 and failed == 0,
                f"{summary.pending_sync} waiting; last sync "
                + (f"#{last.pk} {last.get_status_display().lower()}, {failed} failed or rejected" if last else "never"),
            )
        )
    arrived = InboundMessage.objects.filter(status=InboundMessage.Status.APPLIED).order_by("-received_at").first()
    items.append(
        Item(
            "notifications",
            "Catalog",
            "Amazon's upload notifications arrive through SNS → SQS (one applied within 7 days)",
            True,
            arrived is not None and now - arrived.received_at < RECENT,
            f"last at {timezone.localtime(arrived.received_at):%Y-%m-%d %H:%M}" if arrived else "none yet",
        )
    )
    items.append(
        Item(
            "gate_defaults",
            "Entry",
            "Each store's default gate decision (used when our connector answers 500)",
            True,
            bool(stores),
            ", ".join(f"{store.store_id}: {store.default_gate_label}" for store in stores)  # type: ignore[attr-defined]
            or "-",
        )
    )
    prefix = settings.JWO_SCAN_KEY_PREFIX
    own_secret = not any(secret == f"scan-key:{settings.SECRET_KEY}" for secret in settings.JWO_SCAN_KEY_SECRETS)
    items.append(
        Item(
            "scan_key_prefix",
            "Entry",
            "Scan Key Code prefix and QR pattern given to Amazon; codes signed with a secret of their own",
            True,
            prefix.isalnum() and prefix.isupper() and own_secret,
            f"prefix {prefix}, pattern {qr_pattern(prefix)}"
            + ("" if own_secret else "; codes are signed with the site's own secret key (set JWO_SCAN_KEY_SECRETS)"),
        )
    )
    gateway = settings.JWO_PAYMENT_GATEWAY
    items.append(
        Item(
            "payment_gateway",
            "Orders",
            "A real payment gateway configured (the sandbox charges nobody)",
            True,
            not payment_gateway_is_sandbox(),
            gateway,
        )
    )
    fresh = now - timedelta(days=settings.JWO_SIMULATION_FRESH_DAYS)
    passed = SimulationRun.objects.filter(status=SimulationStatus.PASSED, finished_at__gte=fresh).first()
    items.append(
        Item(
            "simulation",
            "End to end",
            f"A store simulation passed within {settings.JWO_SIMULATION_FRESH_DAYS} days",
            True,
            passed is not None,
            f"#{passed.pk} at {timezone.localtime(passed.finished_at):%Y-%m-%d %H:%M}"
            if passed and passed.finished_at
            else "none",
        )
    )
    return items


def _connectivity_evidence(check: AmazonCall | None) -> str:
    if check is None:
        return "never tested"
    when = f"{timezone.localtime(check.created_at):%Y-%m-%d %H:%M}"
    if check.outcome == Outcome.OK:
        return f"succeeded at {when}"
    reason = _CALL_OUTCOMES.get(check.outcome, "Amazon gave an unexpected answer")
    status = f", HTTP {check.status_code}" if check.status_code else ""
    return f"failed at {when}: {reason}{status}"


def readiness_items(*, store_ids: StoreIds = None) -> list[Item]:
    """The checklist; its per-store lines for the user's stores (``store_ids``; None for every store)."""
    marks = {mark.item: mark for mark in ReadinessMark.objects.filter(store__isnull=True).select_related("marked_by")}
    manual = [
        Item(
            key,
            section,
            title,
            False,
            key in marks and marks[key].is_done,
            marks[key].note if key in marks else "",
            marks.get(key),
        )
        for key, section, title in MANUAL
    ]
    return _automatic(store_ids=store_ids) + manual
