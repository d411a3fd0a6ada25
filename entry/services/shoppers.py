"""Shoppers: accounts, cards on file, app sign-in, and issuing their Scan Key Codes (SPEC §9.1)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from catalog.models import Store
from entry.models import PaymentMethod, ScanKey, Shopper, ShopperStatus, ShopperStatusChange, ShopperToken, VisitorType
from entry.scan_keys import new_token, scan_key_encode
from jwo_admin.core.exceptions import ApplicationError


class ScanKeyNotIssued(ApplicationError):
    """The shopper must fix something first; ``problems`` says what, in words for the shopper."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__(" ".join(problem["message"] for problem in problems), {"problems": problems})
        self.problems = problems


@dataclass(frozen=True)
class IssuedScanKey:
    code: str
    issued_at: datetime
    expires_at: datetime
    store_id: str | None

    @property
    def qr_svg(self) -> str:
        """The QR as inline SVG; alphanumeric mode keeps it small enough for any phone camera."""
        return str(segno.make_qr(self.code, error="m").svg_inline(scale=6, border=4, title="Scan Key Code"))


def shopper_create(
    *,
    external_id: str,
    name: str,
    email: str,
    visitor_type: str = VisitorType.SHOPPER,
    password: str = "",
    status: str = ShopperStatus.ACTIVE,
    simulation_run_id: int | None = None,
) -> Shopper:
    """``simulation_run_id``: the store simulation run creating the shopper (None: a real one)."""
    shopper = Shopper(
        external_id=external_id.strip(),
        name=name.strip(),
        email=email.strip().lower(),
        visitor_type=visitor_type,
        status=status,
        password=make_password(password) if password else "",
        simulation_run_id=simulation_run_id,
    )
    shopper.full_clean()
    shopper.save()
    return shopper


@transaction.atomic
def payment_method_add(
    *, shopper: Shopper, provider_reference: str, expiry_month: int, expiry_year: int, brand: str = "", last4: str = ""
) -> PaymentMethod:
    """Add a card reference and make it the default (the previous default stays on file)."""
    PaymentMethod.objects.filter(shopper=shopper, is_default=True).update(is_default=False)
    method = PaymentMethod(
        shopper=shopper,
        provider_reference=provider_reference,
        expiry_month=expiry_month,
        expiry_year=expiry_year,
        brand=brand,
        last4=last4,
        is_default=True,
    )
    method.full_clean()
    method.save()
    return method


def shopper_set_status(*, shopper: Shopper, status: str, reason: str = "", user_pk: int | None = None) -> Shopper:
    """Flag, block or reinstate; blocking also revokes the codes already on the shopper's screen.
    Each change is kept in the shopper's audit trail (``ShopperStatusChange``) with ``reason`` and
    who (``user_pk``; none: a rule did it). Unblocking takes a reason: a block is lifted only with a why."""
    if status not in ShopperStatus.values:
        raise ApplicationError(f"Unknown status {status!r}.")
    note = reason.strip()[:255]
    previous = shopper.status
    if previous == ShopperStatus.BLOCKED and status != ShopperStatus.BLOCKED and not note:
        raise ApplicationError("Say why the shopper is unblocked.")
    with transaction.atomic():
        shopper.status = status
        shopper.status_reason = "" if status == ShopperStatus.ACTIVE else note
        shopper.save(update_fields=["status", "status_reason", "updated_at"])
        if status != previous:
            ShopperStatusChange.objects.create(
                shopper=shopper, previous_status=previous, status=status, note=note, changed_by_id=user_pk
            )
        if status == ShopperStatus.BLOCKED:
            scan_keys_revoke(shopper=shopper)
    return shopper


def shopper_set_type(*, shopper: Shopper, visitor_type: str) -> Shopper:
    if visitor_type not in VisitorType.values:
        raise ApplicationError(f"Unknown visitor type {visitor_type!r}.")
    shopper.visitor_type = visitor_type
    shopper.save(update_fields=["visitor_type", "updated_at"])
    return shopper


def scan_keys_revoke(*, shopper: Shopper) -> int:
    """Revoke every code of the shopper that could still open a gate; returns how many."""
    now = timezone.now()
    horizon = now - timedelta(seconds=settings.JWO_SCAN_KEY_CLOCK_SKEW_SECONDS)
    return ScanKey.objects.filter(shopper=shopper, revoked_at__isnull=True, expires_at__gte=horizon).update(
        revoked_at=now
    )


def scan_key_problems(*, shopper: Shopper, at: datetime) -> list[dict[str, str]]:
    """What stops the shopper from getting a code (SPEC §9.1: account, payment method, card expiry)."""
    problems: list[dict[str, str]] = []
    if shopper.status == ShopperStatus.BLOCKED:
        problems.append({"code": "blocked", "message": "Your account is blocked; please contact the store."})
    elif shopper.status == ShopperStatus.FLAGGED and not settings.JWO_ADMIT_FLAGGED_SHOPPERS:
        problems.append({"code": "flagged", "message": "Your account is under review; please contact the store."})
    if shopper.needs_card:
        card = PaymentMethod.objects.filter(shopper=shopper, is_default=True).first()
        if card is None:
            problems.append({"code": "no_payment_method", "message": "Add a payment card to enter the store."})
        elif (card.expiry_year, card.expiry_month) < (at.year, at.month):
            problems.append(
                {"code": "payment_expired", "message": f"Your card {card} has expired; add a new one to enter."}
            )
    return problems


def scan_key_issue(
    *, shopper: Shopper, store: Store | None = None, now: datetime | None = None, check_prerequisites: bool = True
) -> IssuedScanKey:
    """A fresh code for the shopper, or ScanKeyNotIssued saying what to fix first.

    ``check_prerequisites=False`` is for operators trying the gate's refusals (``identity_key
    --force``): the code is issued anyway and the connector refuses it with the reason.
    """
    now = now or timezone.now()
    problems = scan_key_problems(shopper=shopper, at=now)
    if problems and check_prerequisites:
        raise ScanKeyNotIssued(problems)
    issued_at = now.replace(microsecond=0)
    expires_at = issued_at + timedelta(seconds=settings.JWO_SCAN_KEY_TTL_SECONDS)
    token = new_token()
    ScanKey.objects.create(token=token, shopper=shopper, store=store, issued_at=issued_at, expires_at=expires_at)
    code = scan_key_encode(
        token=token, issued_at=issued_at, prefix=settings.JWO_SCAN_KEY_PREFIX, secret=settings.JWO_SCAN_KEY_SECRETS[0]
    )
    return IssuedScanKey(
        code=code, issued_at=issued_at, expires_at=expires_at, store_id=store.store_id if store else None
    )


def scan_keys_purge(*, now: datetime | None = None) -> int:
    """Delete recognition records long expired (gate events keep the shopper, not the code)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.JWO_SCAN_KEY_KEEP_DAYS)
    deleted, _ = ScanKey.objects.filter(expires_at__lt=cutoff).delete()
    return deleted


# --- App sign-in ---------------------------------------------------------------------------
def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def shopper_authenticate(*, email: str, password: str) -> Shopper | None:
    """The shopper with this email and password, or None (same answer for a wrong email or password)."""
    shopper = Shopper.objects.filter(email=email.strip().lower()).first()
    if shopper is None or not shopper.password:
        make_password(password)  # spend the same time as a real check
        return None
    return shopper if check_password(password, shopper.password) else None


def shopper_token_create(*, shopper: Shopper) -> str:
    """A new app token; only its hash is stored, the token is returned once."""
    key = secrets.token_urlsafe(32)
    ShopperToken.objects.create(shopper=shopper, key_hash=_token_hash(key))
    return key


def shopper_for_token(key: str) -> Shopper | None:
    token = ShopperToken.objects.select_related("shopper").filter(key_hash=_token_hash(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ShopperToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.shopper
