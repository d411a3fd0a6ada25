"""The payment-issues queue: a failed hold or charge lands here and flags its shopper, so the
next gate answer refuses them (SPEC §9.1 rule 5) until staff settle it.

An issue of a purchase, charged to a shopper, is **debt**: money they owe (the purchase's total).
A shopper whose debts recorded within ``JWO_REPEAT_OFFENDER_DAYS`` reach
``JWO_REPEAT_OFFENDER_DEBTS`` is blocked with the reason when the debt that crosses the rule is
recorded (entry's block: staff review it on the shopper's page and may reinstate them)."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from entry.models import Shopper, ShopperStatus
from entry.services.shoppers import shopper_set_status
from jwo_admin.core.exceptions import ApplicationError
from orders.models import PaymentAuthorisation, PaymentIssue, Purchase, PurchaseAudit, PurchaseAuditAction

FLAG_REASON_PREFIX = "Payment issue"


def _flag(shopper_pk: int, message: str) -> None:
    """Flag an active shopper; a shopper already flagged or blocked for another reason keeps it."""
    Shopper.objects.filter(pk=shopper_pk, status=ShopperStatus.ACTIVE).update(
        status=ShopperStatus.FLAGGED, status_reason=f"{FLAG_REASON_PREFIX}: {message}"[:255], updated_at=timezone.now()
    )


def _unflag_if_settled(shopper_pk: int) -> None:
    """Reinstate a shopper we flagged once none of their payment issues is open."""
    if PaymentIssue.objects.filter(shopper_id=shopper_pk, status=PaymentIssue.Status.OPEN).exists():
        return
    Shopper.objects.filter(
        pk=shopper_pk, status=ShopperStatus.FLAGGED, status_reason__startswith=FLAG_REASON_PREFIX
    ).update(status=ShopperStatus.ACTIVE, status_reason="", updated_at=timezone.now())


def shopper_debts_recent(*, shopper_pk: int) -> int:
    """How many purchases of the shopper became debt within ``JWO_REPEAT_OFFENDER_DAYS`` (a purchase
    refused twice, its hold then its charge, is one debt; settled ones count too: the rule is about
    how often their payments fail)."""
    since = timezone.now() - timedelta(days=settings.JWO_REPEAT_OFFENDER_DAYS)
    return (
        PaymentIssue.objects.filter(shopper_id=shopper_pk, purchase__isnull=False, created_at__gte=since)
        .values("purchase_id")
        .distinct()
        .count()
    )


def repeat_offender_block(*, shopper_pk: int) -> Shopper | None:
    """Block the shopper if their recent debts reach the rule; the blocked shopper, or None when the
    rule is not reached or they are blocked already (an earlier block keeps its reason)."""
    count = shopper_debts_recent(shopper_pk=shopper_pk)
    if count < settings.JWO_REPEAT_OFFENDER_DEBTS:
        return None
    shopper = Shopper.objects.exclude(status=ShopperStatus.BLOCKED).filter(pk=shopper_pk).first()
    if shopper is None:
        return None
    reason = f"{count} unpaid debts in {settings.JWO_REPEAT_OFFENDER_DAYS} days"
    return shopper_set_status(shopper=shopper, status=ShopperStatus.BLOCKED, reason=reason)


def issue_open(
    *,
    shopper_pk: int | None,
    kind: str,
    outcome: str,
    message: str,
    purchase: Purchase | None = None,
    authorisation: PaymentAuthorisation | None = None,
    flag: bool = True,
) -> PaymentIssue:
    """Open an issue (or return the one already open for the same purchase or hold) and, when
    ``flag``, flag its shopper: a declined card is theirs to fix; a trip nobody can be charged for
    (an unknown id, another shopper's hold) is staff's, and flags nobody."""
    created = False
    try:
        with transaction.atomic():
            issue = PaymentIssue.objects.create(
                shopper_id=shopper_pk,
                kind=kind,
                outcome=outcome,
                message=message[:255],
                purchase=purchase,
                authorisation=authorisation,
            )
            created = True
    except IntegrityError:
        issue = PaymentIssue.objects.get(
            Q(purchase=purchase, kind=kind) if purchase else Q(authorisation=authorisation, purchase__isnull=True),
            status=PaymentIssue.Status.OPEN,
        )
    if flag and shopper_pk is not None:
        _flag(shopper_pk, message)
        if created and purchase is not None:
            repeat_offender_block(shopper_pk=shopper_pk)
    return issue


def issues_resolve(
    *,
    issues: list[PaymentIssue],
    resolution: str,
    user_pk: int | None = None,
    note: str = "",
) -> int:
    """Close open issues and reinstate their shoppers if nothing else is open; returns how many."""
    closed = 0
    for issue in issues:
        updated = PaymentIssue.objects.filter(pk=issue.pk, status=PaymentIssue.Status.OPEN).update(
            status=PaymentIssue.Status.RESOLVED,
            resolution=resolution,
            resolved_by_id=user_pk,
            resolved_at=timezone.now(),
            note=note[:255],
            updated_at=timezone.now(),
        )
        closed += updated
        if updated and issue.purchase_id:  # closed meanwhile by someone else: theirs is the audit entry
            PurchaseAudit.objects.create(
                purchase_id=issue.purchase_id,
                user_id=user_pk,
                action=PurchaseAuditAction.ISSUE_RESOLVED,
                detail=f"{issue.get_kind_display()} issue: {PaymentIssue.Resolution(resolution).label}. {note}"[:500],
            )
    for shopper_pk in {issue.shopper_id for issue in issues if issue.shopper_id is not None}:
        _unflag_if_settled(shopper_pk)
    return closed


def open_issues_for(
    *, purchase: Purchase | None = None, authorisation: PaymentAuthorisation | None = None
) -> list[PaymentIssue]:
    """Open issues of a purchase and of its hold: a successful charge settles both."""
    condition = Q()
    if purchase is not None:
        condition |= Q(purchase=purchase)
    if authorisation is not None:
        condition |= Q(authorisation=authorisation)
    if not condition:
        return []
    return list(PaymentIssue.objects.filter(condition, status=PaymentIssue.Status.OPEN))


def issue_dismiss(*, issue_pk: int, user_pk: int | None, note: str) -> PaymentIssue:
    """Staff close an issue that needs no money moved (a declined hold for a trip settled
    otherwise, a card since replaced); the shopper is reinstated if nothing else is open."""
    if not note.strip():
        raise ApplicationError("Say why the issue is dismissed.")
    issue = PaymentIssue.objects.get(pk=issue_pk)
    if issue.status != PaymentIssue.Status.OPEN:
        raise ApplicationError("This issue is already resolved.")
    issues_resolve(issues=[issue], resolution=PaymentIssue.Resolution.DISMISSED, user_pk=user_pk, note=note.strip())
    issue.refresh_from_db()
    return issue
