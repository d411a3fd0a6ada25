"""Check a SigV4 (execute-api) signature the way API Gateway's IAM authoriser does, and issue and
check S3-style presigned links the way S3 does."""

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from botocore.auth import S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence

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


# --- S3 presigned links (SigV4 query authentication) -----------------------------------------
# moto's S3 does not enforce presigned-URL expiry, so the fake serves its report links itself and
# checks them as S3 does: the signature over the link, then X-Amz-Date + X-Amz-Expires.
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600  # S3's limit for SigV4 presigned URLs
_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_QUERY_AUTH = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")


def _query_signature(url: str, credentials: Credentials, region: str, expires: int, timestamp: str) -> str:
    request = AWSRequest(method="GET", url=url)
    request.context["timestamp"] = timestamp
    auth = S3SigV4QueryAuth(credentials, "s3", region, expires=expires)
    return str(auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request))


def presign_get(url: str, *, credentials: Credentials, region: str, expires: int, signed_at: datetime) -> str:
    """An S3-style SigV4 presigned GET link for ``url`` (no query of its own), valid ``expires``
    seconds from ``signed_at``."""
    timestamp = signed_at.strftime(_TIMESTAMP)
    query = percent_encode_sequence(
        {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"{credentials.access_key}/{timestamp[:8]}/{region}/s3/aws4_request",
            "X-Amz-Date": timestamp,
            "X-Amz-Expires": str(expires),
            "X-Amz-SignedHeaders": "host",
        }
    )
    unsigned = f"{url}?{query}"
    return f"{unsigned}&X-Amz-Signature={_query_signature(unsigned, credentials, region, expires, timestamp)}"


def verify_presigned(url: str, *, credentials: Credentials, region: str) -> tuple[str, str] | None:
    """None when the presigned ``url`` (as requested) is valid now, else S3's (code, message)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    if any(name not in params for name in (*_QUERY_AUTH, "X-Amz-Signature")):
        return "AccessDenied", "Query-string authentication requires the X-Amz-* parameters"
    try:
        signed_at = datetime.strptime(params["X-Amz-Date"], _TIMESTAMP).replace(tzinfo=UTC)
        expires = int(params["X-Amz-Expires"])
    except ValueError:
        return "AuthorizationQueryParametersError", "X-Amz-Date or X-Amz-Expires is malformed"
    if not 1 <= expires <= MAX_PRESIGN_EXPIRES:
        return "AuthorizationQueryParametersError", "X-Amz-Expires must be between 1 and 604800 seconds"
    unsigned = urlunsplit(parts._replace(query=urlencode([pair for pair in query if pair[0] != "X-Amz-Signature"])))
    expected = _query_signature(unsigned, credentials, region, expires, params["X-Amz-Date"])
    if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
        return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided"
    if datetime.now(UTC) > signed_at + timedelta(seconds=expires):
        return "AccessDenied", "Request has expired"
    return None
