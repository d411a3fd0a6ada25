"""The AWS side of the fake: moto's S3, SNS, SQS and STS, reached with real boto3."""

import json
import urllib.request
from dataclasses import dataclass
from typing import Any

import boto3
from moto.sts.models import sts_backends

from fake_amazon.app import Ingestion, ReportSink

ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Resources:
    bucket: str
    topic_arn: str
    queue_url: str
    dead_letter_queue_url: str


def client(service: str, endpoint_url: str, region: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's local credentials
    )


def create_resources(
    endpoint_url: str, region: str, *, bucket: str, topic: str, queue: str, raw_delivery: bool = False
) -> Resources:
    """The retailer's queue (with its dead-letter queue) subscribed to "Amazon's" topic, and the
    bucket Amazon's reports live in. Safe to call again."""
    s3, sns, sqs = (client(name, endpoint_url, region) for name in ("s3", "sns", "sqs"))
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    dlq_url = sqs.create_queue(QueueName=f"{queue}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=queue,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})},
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true" if raw_delivery else "false"},
    )
    return Resources(bucket=bucket, topic_arn=topic_arn, queue_url=queue_url, dead_letter_queue_url=dlq_url)


class BotoSink(ReportSink):
    def __init__(self, endpoint_url: str, region: str, resources: Resources) -> None:
        self.s3 = client("s3", endpoint_url, region)
        self.sns = client("sns", endpoint_url, region)
        self.sqs = client("sqs", endpoint_url, region)
        self.resources = resources

    def store_report(self, ingestion: Ingestion, body: bytes) -> str:
        key = f"reports/{ingestion.id}.json"
        self.s3.put_object(Bucket=self.resources.bucket, Key=key, Body=body)
        return key

    @property
    def topic_arn(self) -> str:
        return self.resources.topic_arn

    def deliver(self, envelope: dict[str, Any]) -> None:
        self.sqs.send_message(QueueUrl=self.resources.queue_url, MessageBody=json.dumps(envelope))

    def fetch_report(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.resources.bucket, Key=key)["Body"].read())

    def notify(self, message: dict[str, Any]) -> None:
        self.sns.publish(TopicArn=self.resources.topic_arn, Message=json.dumps(message))


def moto_credentials(access_key_id: str) -> tuple[str, str | None] | None:
    """The secret behind credentials moto's STS issued in this process (the fake runs beside moto)."""
    for account in list(sts_backends.keys()):
        for partition_backend in sts_backends[account].values():
            role = partition_backend.get_assumed_role_from_access_key(access_key_id)
            if role is not None:
                return role.secret_access_key, role.session_token
    return None


class MotoApiCredentials:
    """The same lookup against a moto server in another process, through its ``/moto-api/data.json``.

    Asked only for an access key not seen before (a worker's credentials last an hour), so its
    cost does not matter; moto then runs on its own cores, away from the fake's request threads.
    """

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self._known: dict[str, tuple[str, str | None]] = {}

    def __call__(self, access_key_id: str) -> tuple[str, str | None] | None:
        if access_key_id not in self._known:
            url = f"{self.endpoint_url}/moto-api/data.json"
            with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - our own local moto
                roles = json.load(answer).get("sts", {}).get("AssumedRole", [])
            for role in roles:
                self._known[role["access_key_id"]] = (role["secret_access_key"], role["session_token"])
        return self._known.get(access_key_id)
