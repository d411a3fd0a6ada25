"""Post an alert to a chat webhook (Slack's incoming webhooks and the many services that accept
their shape: a JSON body ``{"text": ...}``). Transport only: what to send is decided elsewhere."""

import requests

TIMEOUT = (3.05, 10)  # connect, read: a slow chat service must not hold the alert evaluation


class WebhookFailed(Exception):
    """The webhook did not take the alert; the message says why (tried again next time)."""


def alert_webhook_post(url: str, *, text: str, timeout: tuple[float, float] = TIMEOUT) -> None:
    """POST ``{"text": text}``; any 2xx is taken. Raises WebhookFailed otherwise."""
    try:
        response = requests.post(url, json={"text": text}, timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        raise WebhookFailed(f"{type(error).__name__}: {error}"[:300]) from error
    if not 200 <= response.status_code < 300:
        raise WebhookFailed(f"HTTP {response.status_code}: {response.text[:200]}")
