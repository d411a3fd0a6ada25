"""The staff and Django admin sign-in forms, with the lockout checked before the password."""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from jwo_admin.core.client_address import client_address
from jwo_admin.core.sign_in import sign_in_failed, sign_in_lock_active, sign_in_succeeded


class LockoutMixin:
    request: Any
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        locked = sign_in_lock_active(username=username, address=address)
        if locked:
            raise forms.ValidationError(locked.message, code="locked")
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            locked = sign_in_failed(username=username, address=address)
            if locked:
                raise forms.ValidationError(locked.message, code="locked") from None
            raise
        sign_in_succeeded(username=username)
        return cleaned


class StaffAuthenticationForm(LockoutMixin, AuthenticationForm):
    pass


class AdminLockoutAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    pass
