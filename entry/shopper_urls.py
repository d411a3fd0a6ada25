"""The shopper's web page (the app's reference client)."""

from django.urls import path

from entry import shopper_views

app_name = "shop"

urlpatterns = [
    path("", shopper_views.ShopKeyView.as_view(), name="key"),
    path("code/", shopper_views.ShopCodeView.as_view(), name="code"),
    path("sign-in/", shopper_views.ShopSignInView.as_view(), name="sign_in"),
    path("sign-out/", shopper_views.ShopSignOutView.as_view(), name="sign_out"),
]
