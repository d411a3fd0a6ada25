"""Amazon's errors handled as Amazon documents them (SPEC §B, §4.4, §6), against the fake over HTTP:
a body too large or refused whole is split until the bad item stands alone, never sent again
unchanged; an undocumented 5xx is retried a few times and the items come back in a follow-up sync;
any 2xx with an ingestion id is one acceptance; calls are signed for the catalog API's own region;
an archive names the stores Amazon knows. Each test would fail against the client as it was."""

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from catalog.models import AmazonCall, AmazonStoreList, Product, Store, SyncRun
from catalog.services.stores import store_save
from catalog.services.sync_plan import sync_follow_up_request, sync_plan
from catalog.services.sync_send import stores_listed
from catalog.tasks import sync_dispatch_task
from jwo_admin.integrations.amazon_catalog import client_reset, region_from_endpoint
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.catalog.sync_helpers import drive

pytestmark = pytest.mark.django_db(transaction=True)


def calls(operation: str = "upload") -> list[tuple[int | None, str]]:
    """(status, outcome) of every call of ``operation``, in order."""
    return list(AmazonCall.objects.filter(operation=operation).order_by("id").values_list("status_code", "outcome"))


def batches(run: SyncRun) -> list[tuple[int, str, int, int | None]]:
    """(sequence, status, items, the sequence of the batch it is half of)."""
    return [
        (batch.sequence, batch.status, batch.item_count, batch.split_from.sequence if batch.split_from else None)
        for batch in run.batches.select_related("split_from").order_by("sequence")
    ]


def test_a_body_over_the_gateways_limit_is_split_never_sent_again_as_it_was(sync_catalog: Store, amazon: Any) -> None:
    planned = sync_plan(store=sync_catalog)  # to learn the size of the three items' body
    whole = len(planned.batches.get().request_body)
    planned.delete()
    AmazonCall.objects.all().delete()
    amazon.amazon.knobs.payload_limit_bytes = whole * 3 // 4  # two items fit, all three do not

    run = drive(sync_plan(store=sync_catalog))

    assert (run.status, run.items_accepted, run.items_failed) == ("done", 3, 0)
    assert batches(run) == [(1, "split", 3, None), (2, "done", 1, 1), (3, "done", 2, 1)]
    assert calls() == [(413, "too_large"), (201, "accepted"), (201, "accepted")]
    assert run.batches.get(sequence=1).last_error == "Split in two: too_large (HTTP 413): Request Entity Too Large"


def test_a_batch_refused_as_an_invalid_body_is_halved_until_the_bad_item_stands_alone(
    sync_catalog: Store, amazon: Any, tmp_path: Path
) -> None:
    cafe = ["SKU-9", "Café Crème 250g", "4000000000037", "", "", "4.99", "Brûlerie", "Coffee"]
    run_import(sync_catalog, write_csv(tmp_path / "more.csv", [COLA, WATER, JUICE, cafe]))
    sync_catalog.send_clean_names = False  # the name goes as it is, and Amazon refuses the whole body
    store_save(store=sync_catalog)

    run = drive(sync_plan(store=sync_catalog))

    assert (run.items_accepted, run.items_failed) == (3, 1)
    failed = run.items.get(result="failed")
    assert (failed.sku, failed.message) == ("SKU-9", "invalid_body (HTTP 400): Invalid request body")
    # 4 items → 2 + 2 → the half with the bad item → 1 + 1: four more requests, three items saved
    assert batches(run) == [
        (1, "split", 4, None),
        (2, "done", 2, 1),
        (3, "split", 2, 1),
        (4, "done", 1, 3),
        (5, "failed", 1, 3),
    ]
    assert [outcome for _, outcome in calls()] == [
        "invalid_body",
        "accepted",
        "invalid_body",
        "accepted",
        "invalid_body",
    ]


def test_an_undocumented_server_error_is_tried_three_times_then_a_follow_up_sync_sends_the_items(
    sync_catalog: Store, amazon: Any, settings: Any
) -> None:
    amazon.amazon.knobs.gateway_500_rate = 1.0  # API Gateway's own {"message": "Internal server error"}

    run = drive(sync_plan(store=sync_catalog))

    assert calls() == [(500, "server_error")] * 3
    assert (run.status, run.items_failed) == ("done", 3)
    assert (
        run.batches.get().last_error == "Gave up after 3 attempts; last: server_error (HTTP 500): Internal server error"
    )
    assert run.follow_up_at is not None
    assert run.finished_at is not None
    assert 290 <= (run.follow_up_at - run.finished_at).total_seconds() <= 300  # 5 minutes later

    amazon.amazon.knobs.gateway_500_rate = 0.0
    SyncRun.objects.filter(pk=run.pk).update(follow_up_at=timezone.now())  # the clock moves on
    sync_dispatch_task()  # what beat does every few seconds

    follow_up = SyncRun.objects.get(retry_of=run)
    follow_up = drive(follow_up)
    assert (follow_up.is_follow_up, follow_up.follow_up_generation, follow_up.items_accepted) == (True, 1, 3)
    assert follow_up.follow_up_at is None  # nothing gave up this time
    assert sync_follow_up_request(run_id=run.pk) is None  # requested once
    assert Product.objects.filter(synced_fingerprint="").count() == 0


def test_a_refusal_of_the_items_themselves_schedules_no_follow_up(sync_catalog: Store, amazon: Any) -> None:
    amazon.amazon.knobs.reject_skus = {"SKU-2"}

    run = drive(sync_plan(store=sync_catalog))

    assert (run.items_rejected, run.follow_up_at) == (1, None)


def test_a_200_with_an_ingestion_id_is_one_acceptance(sync_catalog: Store, amazon: Any) -> None:
    amazon.amazon.knobs.accept_status = 200

    run = drive(sync_plan(store=sync_catalog))

    assert calls() == [(200, "accepted")]
    assert run.items_accepted == 3


def test_calls_are_signed_for_the_catalog_apis_own_region(sync_catalog: Store, amazon: Any, settings: Any) -> None:
    amazon.amazon.knobs.signing_region = "eu-west-1"  # our queue and bucket stay in AWS_REGION
    settings.JWO_AMAZON_REGION = "eu-west-1"
    client_reset()

    run = drive(sync_plan(store=sync_catalog))

    assert calls() == [(201, "accepted")]
    assert (run.items_accepted, settings.AWS_REGION) == (3, amazon.region)


def test_signed_for_our_own_region_the_catalog_api_refuses(sync_catalog: Store, amazon: Any, settings: Any) -> None:
    amazon.amazon.knobs.signing_region = "eu-west-1"
    settings.JWO_AMAZON_REGION = ""  # the fake's endpoint (127.0.0.1) names no region: AWS_REGION is used
    client_reset()

    run = drive(sync_plan(store=sync_catalog))

    assert calls() == [(403, "forbidden")]
    assert run.items_failed == 3


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("https://abc123.execute-api.eu-west-1.amazonaws.com/prod", "eu-west-1"),
        ("https://abc123.execute-api.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("https://abc.execute-api.cn-north-1.amazonaws.com.cn/v1", "cn-north-1"),
        ("https://catalog.retailer.example.com", ""),
        ("http://127.0.0.1:8899", ""),
    ],
)
def test_the_signing_region_is_read_from_the_endpoints_host(endpoint: str, region: str) -> None:
    assert region_from_endpoint(endpoint) == region


def test_an_archive_names_the_stores_amazon_knows_learning_them_from_its_refusal(
    sync_catalog: Store, other_store: Store, amazon: Any
) -> None:
    Store.objects.create(store_id="OUR_TEST_STORE", name="Only ours")  # Amazon has never heard of it
    drive(sync_plan(store=sync_catalog))
    Product.objects.filter(sku="SKU-3").update(status="archived")

    run = drive(sync_plan(store=sync_catalog))

    # we knew TEST_STORE_001 (Amazon took its upload); Amazon's refusal listed TEST_STORE_002 too
    assert calls("archive") == [(400, "store_id_error"), (201, "accepted")]
    assert run.batches.get().payload["allApplicableStores"] == ["TEST_STORE_001", "TEST_STORE_002"]
    assert AmazonStoreList.objects.get().store_ids == ["TEST_STORE_001", "TEST_STORE_002"]
    assert run.items.get().result == "accepted"


@pytest.mark.parametrize(
    ("message", "stores"),
    [
        ("allApplicableStores must list every store of the retailer: ['S-1', 'S-2']", ["S-1", "S-2"]),
        ('Available stores: "S-2", "S-1"', ["S-1", "S-2"]),
        ("Missing stores. Available stores: S-1, S-2", ["S-1", "S-2"]),
        ("One or more StoreID's present in the request is incorrect", []),
    ],
)
def test_the_stores_in_amazons_refusal_are_read_tolerantly(message: str, stores: list[str]) -> None:
    assert stores_listed(message) == stores
