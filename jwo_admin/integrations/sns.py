"""Confirm an SNS subscription by visiting the SubscribeURL its SubscriptionConfirmation carries.

Amazon's topic lives in Amazon's account and our queue in ours, so SNS asks the queue's owner to
confirm before it delivers anything. The URL comes from a queue message, so it is followed only
when it is SNS's own (https, ``sns.<region>.amazonaws.com``) or a host the settings allow (the
local fake): never an arbitrary address a message names.
"""

import re
from urllib.parse import urlsplit
from xml.etree import ElementTree

import requests

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
TIMEOUT = (3.05, 10)


class SubscriptionConfirmError(Exception):
    """The subscription could not be confirmed; the message says why, for staff."""


def subscribe_url_allowed(url: str, extra_hosts: list[str]) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and SNS_HOST.match(parts.hostname or "") and parts.port in (None, 443):
        return True
    return parts.scheme in ("http", "https") and parts.netloc in extra_hosts


def subscribe_url_visit(url: str, *, extra_hosts: list[str]) -> str:
    """Visit the SubscribeURL; returns the SubscriptionArn SNS answers with."""
    if not subscribe_url_allowed(url, extra_hosts):
        host = urlsplit(url).netloc or "(none)"
        raise SubscriptionConfirmError(
            f"Not an SNS address ({host}): only https://sns.<region>.amazonaws.com/ and the hosts in "
            "JWO_SNS_CONFIRM_HOSTS are visited."
        )
    try:
        answer = requests.get(url, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as error:
        raise SubscriptionConfirmError(f"Could not reach SNS: {error}") from None
    if answer.status_code != 200:
        raise SubscriptionConfirmError(f"SNS answered HTTP {answer.status_code}: {answer.text[:300]}")
    try:
        root = ElementTree.fromstring(answer.content)  # noqa: S314 - SNS's own answer, from an allowed host
    except ElementTree.ParseError:
        raise SubscriptionConfirmError("SNS's answer is not XML") from None
    arn = next((element.text for element in root.iter() if element.tag.endswith("SubscriptionArn")), None)
    if not arn:
        raise SubscriptionConfirmError("SNS's answer names no SubscriptionArn")
    return arn
