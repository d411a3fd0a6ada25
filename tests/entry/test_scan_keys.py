"""The Scan Key Code codec (SPEC §9.1): pure functions, no database."""

import re
import string
from datetime import UTC, datetime, timedelta

import pytest

from entry.scan_keys import (
    MAC_HEX,
    TIME_DIGITS,
    TOKEN_HEX,
    ScanKeyCode,
    ScanKeyRefused,
    identity_key_decode,
    key_fingerprint,
    qr_pattern,
    scan_key_encode,
    scan_key_verify,
)

PREFIX = "JWOAPP"
SECRET = "scan-key:test-secret"
TOKEN = "0123456789ABCDEF0123456789ABCDEF"
ISSUED = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
TTL = 60
SKEW = 5
ALPHANUMERIC = string.ascii_uppercase + string.digits  # QR alphanumeric mode, what a code may hold
HEX = "0123456789ABCDEF"
CANDIDATES = ALPHANUMERIC + "abcdef-: "  # every QR alphanumeric character, and some it cannot hold


def encode(*, token: str = TOKEN, issued_at: datetime = ISSUED, prefix: str = PREFIX, secret: str = SECRET) -> str:
    return scan_key_encode(token=token, issued_at=issued_at, prefix=prefix, secret=secret)


def verify(
    text: str, *, event_at: datetime | None = None, secrets_: tuple[str, ...] = (SECRET,), prefix: str = PREFIX
) -> ScanKeyCode:
    return scan_key_verify(
        text,
        prefix=prefix,
        secrets_=secrets_,
        event_at=event_at or ISSUED + timedelta(seconds=10),
        ttl_seconds=TTL,
        skew_seconds=SKEW,
    )


def refusal_reason(text: str, **kwargs: object) -> str:
    with pytest.raises(ScanKeyRefused) as refused:
        verify(text, **kwargs)  # type: ignore[arg-type]
    return refused.value.reason


def test_encode_lays_out_prefix_version_time_token_and_mac() -> None:
    code = encode()

    assert code[:6] == PREFIX
    assert code[6] == "1"
    assert code[7 : 7 + TIME_DIGITS] == "1767268800"
    assert code[17 : 17 + TOKEN_HEX] == TOKEN
    assert len(code) == 6 + 1 + TIME_DIGITS + TOKEN_HEX + MAC_HEX == 69
    assert re.fullmatch(r"[0-9A-F]{20}", code[-MAC_HEX:])


def test_encode_then_verify_gives_back_token_and_issue_time() -> None:
    code = encode()

    assert verify(code) == ScanKeyCode(token=TOKEN, issued_at=ISSUED)


def test_issue_time_keeps_whole_seconds() -> None:
    code = encode(issued_at=ISSUED + timedelta(microseconds=999_999))

    assert verify(code) == ScanKeyCode(token=TOKEN, issued_at=ISSUED)


def test_every_single_character_alteration_is_refused() -> None:
    """Inside the layout the MAC catches the change (forged); outside it, the layout does (malformed)."""
    code = encode()
    time_positions = range(7, 7 + TIME_DIGITS)
    refused = 0

    for position, original in enumerate(code):
        if position in time_positions:
            still_in_layout = string.digits
        elif position >= 7 + TIME_DIGITS:
            still_in_layout = HEX
        else:  # prefix and version
            still_in_layout = ""
        for replacement in ALPHANUMERIC + "abcdef-: ":
            if replacement == original:
                continue
            altered = code[:position] + replacement + code[position + 1 :]

            expected = "forged" if replacement in still_in_layout else "malformed_key"
            assert refusal_reason(altered) == expected, (position, replacement)
            refused += 1

    assert refused == len(code) * (len(CANDIDATES) - 1)  # every other character at every position


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(encode()[:-1], id="mac-truncated"),
        pytest.param(encode() + "0", id="one-character-more"),
        pytest.param(encode()[1:], id="prefix-truncated"),
        pytest.param("", id="empty"),
    ],
)
def test_wrong_length_is_malformed(text: str) -> None:
    assert refusal_reason(text) == "malformed_key"


def test_code_made_with_another_secret_is_forged() -> None:
    code = encode(secret="someone-else")

    assert refusal_reason(code) == "forged"


def test_code_signed_with_the_old_secret_verifies_while_it_is_listed_second() -> None:
    code = encode(secret="old-secret")

    assert verify(code, secrets_=("new-secret", "old-secret")) == ScanKeyCode(token=TOKEN, issued_at=ISSUED)
    assert refusal_reason(code, secrets_=("new-secret",)) == "forged"


def test_code_exactly_ttl_old_at_the_gate_is_accepted() -> None:
    code = encode()

    assert verify(code, event_at=ISSUED + timedelta(seconds=TTL)) == ScanKeyCode(token=TOKEN, issued_at=ISSUED)


def test_code_one_second_older_than_ttl_is_expired() -> None:
    code = encode()

    with pytest.raises(ScanKeyRefused) as refused:
        verify(code, event_at=ISSUED + timedelta(seconds=TTL + 1))

    assert refused.value.reason == "expired"
    assert refused.value.detail == "The code was 61 s old at the gate (limit 60 s)."


def test_code_issued_up_to_skew_after_the_gate_event_is_accepted() -> None:
    code = encode()

    assert verify(code, event_at=ISSUED - timedelta(seconds=SKEW)) == ScanKeyCode(token=TOKEN, issued_at=ISSUED)


def test_code_issued_more_than_skew_after_the_gate_event_is_not_yet_valid() -> None:
    code = encode()

    with pytest.raises(ScanKeyRefused) as refused:
        verify(code, event_at=ISSUED - timedelta(seconds=SKEW + 1))

    assert refused.value.reason == "not_yet_valid"
    assert refused.value.detail == "The code was issued 6 s after the gate event."


def test_forgery_is_reported_before_freshness() -> None:
    """An altered code is refused as forged even when it is also stale: nothing in it is trusted."""
    code = encode()
    altered = code[:-1] + ("0" if code[-1] != "0" else "1")

    assert refusal_reason(altered, event_at=ISSUED + timedelta(days=1)) == "forged"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(encode().lower(), id="lowercase"),
        pytest.param(encode()[:20] + encode()[20:].lower(), id="lowercase-hex"),
        pytest.param(encode()[:30] + "-" + encode()[31:], id="dash"),
        pytest.param(encode()[:30] + "é" + encode()[31:], id="non-ascii"),
        pytest.param(" " + encode(), id="leading-space"),
        pytest.param(encode() + "\n", id="trailing-newline"),
        pytest.param(encode(prefix="ACMEAP"), id="other-prefix-properly-signed"),
        pytest.param(encode(prefix="JWOAP"), id="shorter-prefix-properly-signed"),
    ],
)
def test_non_alphanumeric_lowercase_or_other_prefix_is_malformed(text: str) -> None:
    assert refusal_reason(text) == "malformed_key"


def test_qr_pattern_matches_issued_codes_only() -> None:
    pattern = qr_pattern(PREFIX)
    code = encode()

    assert pattern == "^JWOAPP1[0-9]{10}[0-9A-F]{52}$"
    assert re.fullmatch(pattern, code)
    assert re.fullmatch(pattern, encode(token="F" * 32, issued_at=datetime(2030, 5, 6, tzinfo=UTC)))
    assert not re.fullmatch(pattern, code.lower())
    assert not re.fullmatch(pattern, code[:-1])
    assert not re.fullmatch(pattern, code + "A")
    assert not re.fullmatch(pattern, encode(prefix="ACMEAP"))
    assert not re.fullmatch(pattern, "JWOAPP2" + code[7:])
    assert not re.fullmatch(pattern, code[:7] + "G" + code[8:])


def test_qr_pattern_takes_the_prefix_literally() -> None:
    pattern = qr_pattern("A.B")

    assert re.fullmatch(pattern, encode(prefix="A.B"))
    assert not re.fullmatch(pattern, encode(prefix="AXB"))


def test_identity_key_decode_reads_base64() -> None:
    assert identity_key_decode("SldPQVBQMQ==") == "JWOAPP1"


@pytest.mark.parametrize(
    "identity_key",
    [
        pytest.param("", id="empty"),
        pytest.param("not base64!", id="spaces-and-punctuation"),
        pytest.param("SldPQVBQMQ", id="missing-padding"),
        pytest.param("SldP\nQVBQMQ==", id="newline"),
        pytest.param("SldPQVBQMQ==SldP", id="data-after-padding"),
        pytest.param("SldP-_", id="urlsafe-alphabet"),
    ],
)
def test_identity_key_decode_refuses_what_is_not_base64_or_empty(identity_key: str) -> None:
    with pytest.raises(ValueError, match="identityKey"):
        identity_key_decode(identity_key)


def test_key_fingerprint_is_a_short_stable_digest_not_the_key() -> None:
    key = "SldPQVBQMQ=="

    fingerprint = key_fingerprint(key)

    assert fingerprint == key_fingerprint(key)
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint)
    assert fingerprint != key
    assert key_fingerprint(key + "A") != fingerprint
