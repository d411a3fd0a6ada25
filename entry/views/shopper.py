"""The shopper's web page: the reference client for the retailer's app (sign in → a QR that renews itself)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from catalog.models import Store
from entry.models import Shopper
from entry.services.shoppers import ScanKeyNotIssued, scan_key_issue, shopper_authenticate
from jwo_admin.core.cache import cache_count
from jwo_admin.core.client_address import client_address

SESSION_KEY = "jwo_shopper_id"
SIGN_IN_ATTEMPTS_PER_MINUTE = 10


def signed_in_shopper(request: HttpRequest) -> Shopper | None:
    shopper_id = request.session.get(SESSION_KEY)
    return Shopper.objects.filter(pk=shopper_id).first() if shopper_id else None


def _too_many_attempts(request: HttpRequest) -> bool:
    return cache_count(f"jwo:shop-sign-in:{client_address(request)}", 60) > SIGN_IN_ATTEMPTS_PER_MINUTE


class ShopSignInView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if signed_in_shopper(request):
            return HttpResponseRedirect(reverse("shop:key"))
        return render(request, "entry/shop/sign_in.html", {})

    def post(self, request: HttpRequest) -> HttpResponse:
        email = request.POST.get("email", "")
        if _too_many_attempts(request):
            error = "Too many attempts; wait a minute and try again."
            return render(request, "entry/shop/sign_in.html", {"error": error, "email": email}, status=429)
        shopper = shopper_authenticate(email=email, password=request.POST.get("password", ""))
        if shopper is None:
            error = "Wrong email or password."
            return render(request, "entry/shop/sign_in.html", {"error": error, "email": email}, status=400)
        request.session.cycle_key()
        request.session[SESSION_KEY] = shopper.pk
        return HttpResponseRedirect(reverse("shop:key"))


class ShopSignOutView(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        request.session.pop(SESSION_KEY, None)
        request.session.cycle_key()
        return HttpResponseRedirect(reverse("shop:sign_in"))


class ShopperRequiredMixin(View):
    shopper: Shopper

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        shopper = signed_in_shopper(request)
        if shopper is None:
            if request.headers.get("HX-Request"):
                return HttpResponse(status=401, headers={"HX-Redirect": reverse("shop:sign_in")})
            return HttpResponseRedirect(reverse("shop:sign_in"))
        self.shopper = shopper
        return super().dispatch(request, *args, **kwargs)


class ShopKeyView(ShopperRequiredMixin):
    """The Scan Key screen: a QR renewed before it goes stale."""

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {
            "shopper": self.shopper,
            "stores": Store.objects.order_by("name"),
            "refresh_seconds": max(settings.JWO_SCAN_KEY_TTL_SECONDS - 15, 5),
        }
        return render(request, "entry/shop/key.html", context)


class ShopCodeView(ShopperRequiredMixin):
    """The QR itself (an htmx partial): a new code on every call, or what the shopper must fix."""

    def post(self, request: HttpRequest) -> HttpResponse:
        store = Store.objects.filter(store_id=request.POST.get("store", "")).first()
        try:
            issued = scan_key_issue(shopper=self.shopper, store=store)
        except ScanKeyNotIssued as refusal:
            return render(request, "entry/shop/_code.html", {"problems": refusal.problems})
        return render(request, "entry/shop/_code.html", {"issued": issued})
