"""Check a SigV4 (execute-api) signature the way API Gateway's IAM authoriser does."""

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# access key id → (secret access key, session token or None)
CredentialLookup = Callable[[str], tuple[str, str | None] | None]
MAX_SKEW = timedelta(minutes=5)


def verify(
    *, method: str, url: str, headers: dict[str, str], body: bytes, region: str, lookup: CredentialLookup
) -> str | None:
    """None when the signature is valid, else why not (for a 403 body)."""
    authorization = headers.get("authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        return "Missing Authentication Token"
    try:
        parts = dict(part.strip().split("=", 1) for part in authorization[len("AWS4-HMAC-SHA256 ") :].split(","))
        access_key, date, sign_region, service, _ = parts["Credential"].split("/")
        signed_headers = parts["SignedHeaders"].split(";")
        signature = parts["Signature"]
    except (KeyError, ValueError):
        return "Malformed Authorization header"
    if service != "execute-api" or sign_region != region:
        return f"Credential should be scoped to {region}/execute-api"
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "Missing or malformed X-Amz-Date"
    if abs(datetime.now(UTC) - signed_at) > MAX_SKEW or not amz_date.startswith(date):
        return "Signature expired"
    secret = lookup(access_key)
    if secret is None:
        return "The security token included in the request is invalid"
    secret_key, token = secret
    if token is not None and headers.get("x-amz-security-token") != token:
        return "The security token included in the request is invalid"
    request = AWSRequest(
        method=method, url=url, data=body, headers={name: headers.get(name, "") for name in signed_headers}
    )
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(access_key, secret_key, token), "execute-api", region)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if not hmac.compare_digest(expected, signature):
        return "The request signature we calculated does not match the signature you provided"
    return None
