"""DRF authentication for the retailer's shopper app: ``Authorization: Token <key>``."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from entry.models import Shopper
from entry.services.shoppers import shopper_for_token


class ShopperTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Shopper, str] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send exactly one token: 'Authorization: Token <key>'.")
        try:
            key = parts[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed("The token has characters a token never has.") from error
        shopper = shopper_for_token(key)
        if shopper is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked token.")
        return shopper, key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsShopper(BasePermission):
    message = "Sign in to the app first."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Shopper)


class ShopperTokenScheme(OpenApiAuthenticationExtension):
    """How the published contract names the shopper app's token (registered when this module loads,
    which the app API's views do)."""

    target_class = "entry.authentication.ShopperTokenAuthentication"
    name = "shopperToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`, from POST /api/app/v1/token.",
        }
