"""Writes for the staff page: invite a staff user by email, change their role and stores,
deactivate or reactivate them, email them a link to set a new password.

Operations holds these because a staff user spans the kernel (account, role) and catalog (stores).
Links to set a password use Django's password reset tokens: valid for ``PASSWORD_RESET_TIMEOUT``,
and used up once the password changes (the token hashes the password and the last sign-in).
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from catalog.models import Store
from catalog.services.staff_stores import staff_stores_set
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.roles import ADMIN, ROLE_PATTERNS

ROLES = tuple(ROLE_PATTERNS)


def password_set_link(*, user: User, base_url: str) -> str:
    """The address where ``user`` sets a password (Django's password reset confirmation)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return base_url.rstrip("/") + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def staff_password_email_send(*, user: User, base_url: str, is_invite: bool = False) -> None:
    """Email ``user`` a link to set their password: the invitation, or a password reset."""
    if not user.email:
        raise ApplicationError(f"{user.get_username()} has no email address: add one in the Django admin first.")
    link = password_set_link(user=user, base_url=base_url)
    if is_invite:
        subject = "You are invited to jwo-admin"
        opening = f"You have a staff account on jwo-admin, user name {user.get_username()}."
    else:
        subject = "Set a new jwo-admin password"
        opening = f"A new password was asked for your jwo-admin account {user.get_username()}."
    body = f"{opening}\n\nChoose your password here (the link works once, for a few days):\n{link}\n"
    send_mail(subject, body, None, [user.email])


def _role_set(user: User, role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"Unknown role “{role}”.")
    user.is_staff = role == ADMIN  # the Django admin is for admins, as for every staff account
    user.save(update_fields=["is_staff"])
    user.groups.set([Group.objects.get(name=role)])


@transaction.atomic
def staff_user_invite(*, email: str, role: str, all_stores: bool, stores: Iterable[Store], base_url: str) -> User:
    """Create a staff user named by their email, with no usable password until they set one through
    the link emailed to them; refuses an email that already has an account."""
    email = email.strip().lower()
    user_model = get_user_model()
    if (
        user_model.objects.filter(username__iexact=email).exists()
        or user_model.objects.filter(email__iexact=email).exists()
    ):
        raise ApplicationError(f"{email} already has an account: change it on this page instead.")
    user = user_model(username=email, email=email, is_active=True)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    _role_set(user, role)
    staff_stores_set(user=user, all_stores=all_stores, stores=stores)
    staff_password_email_send(user=user, base_url=base_url, is_invite=True)
    return user


@transaction.atomic
def staff_user_access_set(*, user: User, role: str, all_stores: bool, stores: Iterable[Store]) -> None:
    """Give ``user`` exactly ``role`` and these stores (every store with ``all_stores``)."""
    _role_set(user, role)
    staff_stores_set(user=user, all_stores=all_stores, stores=stores)


def staff_user_active_set(*, user: User, is_active: bool, by: User) -> None:
    """Deactivate (they can no longer sign in; their history stays) or reactivate a staff user.
    An admin cannot deactivate their own account: someone must be left to undo it."""
    if not is_active and user.pk == by.pk:
        raise ApplicationError("You cannot deactivate your own account.")
    user.is_active = is_active
    user.save(update_fields=["is_active"])
