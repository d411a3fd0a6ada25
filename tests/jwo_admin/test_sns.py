"""Which SubscribeURLs are followed: SNS's own over https, and the hosts the settings name."""

import pytest

from jwo_admin.integrations.sns import SubscriptionConfirmError, subscribe_url_allowed, subscribe_url_visit

SNS_URL = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:1:t&Token=x"


@pytest.mark.parametrize(
    ("url", "extra", "allowed"),
    [
        (SNS_URL, [], True),
        ("https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription", [], True),
        (SNS_URL.replace("https://", "http://"), [], False),  # not over TLS
        ("https://sns.eu-west-1.amazonaws.com:8443/?Token=x", [], False),
        ("https://sns.eu-west-1.amazonaws.com.evil.example/?Token=x", [], False),
        ("https://evil.example/sns.eu-west-1.amazonaws.com/", [], False),
        ("https://user@sns.eu-west-1.amazonaws.com@evil.example/", [], False),
        ("http://169.254.169.254/latest/meta-data/", [], False),
        ("http://127.0.0.1:8899/_sns/?Token=x", ["127.0.0.1:8899"], True),
        ("http://127.0.0.1:8900/_sns/?Token=x", ["127.0.0.1:8899"], False),
        ("file:///etc/passwd", ["127.0.0.1:8899"], False),
        ("", [], False),
    ],
)
def test_only_sns_and_the_allowed_hosts_are_followed(url: str, extra: list[str], allowed: bool) -> None:
    assert subscribe_url_allowed(url, extra) is allowed


def test_a_refused_address_is_not_visited_and_says_why() -> None:
    with pytest.raises(SubscriptionConfirmError) as caught:
        subscribe_url_visit("http://169.254.169.254/latest/", extra_hosts=[])

    assert str(caught.value) == (
        "Not an SNS address (169.254.169.254): only https://sns.<region>.amazonaws.com/ and the hosts in "
        "JWO_SNS_CONFIRM_HOSTS are visited."
    )
