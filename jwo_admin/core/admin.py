"""Django admin: its sign-in counts failures like the staff sign-in; the locks are listed there too."""

from django.contrib import admin

from jwo_admin.core.models import SignInLock
from jwo_admin.core.sign_in_forms import AdminLockoutAuthenticationForm

admin.site.login_form = AdminLockoutAuthenticationForm


@admin.register(SignInLock)
class SignInLockAdmin(admin.ModelAdmin):
    list_display = ("kind", "key", "failures", "last_failure_at", "locked_until")
    list_filter = ("kind",)
    search_fields = ("key",)
    readonly_fields = ("kind", "key", "failures", "first_failure_at", "last_failure_at", "locked_until")
