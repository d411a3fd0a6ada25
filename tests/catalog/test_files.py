"""Files every machine reads, through the storage: an import uploaded to S3 (moto) is imported by a
worker that has no copy of it; Django admin's import keeps its preview in the bucket between its two
steps; old uploads, reports and abandoned previews are deleted; expired sessions cleared."""

import os
import re
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from catalog.models import ImportJob, ImportStatus, Product, Store, SyncRun, UploadBatch
from catalog.services.files import catalog_files_sweep
from catalog.services.imports import import_job_create, import_job_run
from operations.tasks import sessions_clear_task
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv

BUCKET = "jwo-media-test"


@pytest.fixture
def s3_media(fake_amazon: Any, settings: Any) -> Any:
    """The default storage as production has it: django-storages' S3, on moto, a bucket of its own."""
    s3 = boto3.client("s3", endpoint_url=fake_amazon.aws_endpoint_url, region_name=fake_amazon.region,
                      aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": BUCKET, "region_name": fake_amazon.region,
                        "endpoint_url": fake_amazon.aws_endpoint_url, "file_overwrite": False, "default_acl": None},
        },
    }  # fmt: skip
    yield s3
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def _keys(s3: Any) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_an_upload_goes_to_the_bucket_and_is_imported_from_it(
    s3_media: Any, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))  # this machine's TMPDIR
    source = write_csv(tmp_path / "erp.csv", [COLA, WATER, JUICE])
    job = import_job_create(store=store, upload=source, is_dry_run=False)
    source.unlink()  # the worker has no copy of its own: only the bucket's
    month = timezone.now().strftime("%Y/%m")

    assert _keys(s3_media) == [f"imports/{month}/erp.csv"]
    with pytest.raises(NotImplementedError):
        job.file.path  # noqa: B018 - S3 has no path: the import must not ask for one
    done = import_job_run(job_id=job.pk)

    assert (done.status, done.rows_total, done.rows_rejected) == (ImportStatus.APPLIED, 3, 0)
    assert sorted(Product.objects.filter(store=store).values_list("sku", flat=True)) == ["SKU-1", "SKU-2", "SKU-3"]
    assert list(own_tmp.iterdir()) == []  # the worker's copy is deleted


def test_django_admins_import_keeps_its_preview_in_the_bucket_between_its_two_steps(
    s3_media: Any, store: Store, admin_user: Any, tmp_path: Path
) -> None:
    run_import(store, write_csv(tmp_path / "one.csv", [COLA]))
    product = Product.objects.get(store=store, sku="SKU-1")
    for item in s3_media.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3_media.delete_object(Bucket=BUCKET, Key=item["Key"])  # the catalog import's own upload
    admin = Client()
    admin.force_login(admin_user)
    upload = ContentFile(f"id,sku,name\n{product.pk},SKU-1,Acme Cola 330 ml can\n".encode(), name="edit.csv")

    preview = admin.post("/admin/catalog/product/import/", {"import_file": upload, "format": "0"})
    page = preview.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    kept = _keys(s3_media)

    assert preview.status_code == 200
    assert [key.split("/")[0] for key in kept] == ["django-import-export"]
    assert kept[0].endswith(hidden["import_file_name"])
    confirmed = admin.post("/admin/catalog/product/process_import/", hidden)  # any web machine may take it

    assert confirmed.status_code == 302
    product.refresh_from_db()
    assert product.name == "Acme Cola 330 ml can"
    assert _keys(s3_media) == []  # the preview's file is deleted once confirmed


def test_old_uploads_reports_and_abandoned_previews_are_deleted_and_their_records_kept(
    store: Store, tmp_path: Path, settings: Any
) -> None:
    settings.JWO_FILES_KEEP_DAYS = 90
    long_ago = timezone.now() - timedelta(days=91)
    old = run_import(store, write_csv(tmp_path / "old.csv", [COLA]))
    fresh = run_import(store, write_csv(tmp_path / "fresh.csv", [WATER]))
    ImportJob.objects.filter(pk=old.pk).update(created_at=long_ago)
    run = SyncRun.objects.create(store=store, status="done")
    old_report = default_storage.save("reports/2026/01/old.json", ContentFile(b"{}"))
    new_report = default_storage.save("reports/2026/12/new.json", ContentFile(b"{}"))
    UploadBatch.objects.create(sync_run=run, sequence=1, body=b"", item_count=1, report_file=old_report)
    UploadBatch.objects.filter(report_file=old_report).update(created_at=long_ago)
    UploadBatch.objects.create(sync_run=run, sequence=2, body=b"", item_count=1, report_file=new_report)
    stale = default_storage.save("django-import-export/stale", ContentFile(b"id\n"))
    recent = default_storage.save("django-import-export/recent", ContentFile(b"id\n"))
    two_days = time.time() - 2 * 24 * 3600
    os.utime(default_storage.path(stale), (two_days, two_days))  # the test's local storage: its clock
    old_file, fresh_file = str(old.file.name), str(fresh.file.name)

    swept = catalog_files_sweep()

    assert swept == {"imports": 1, "reports": 1, "previews": 1}
    assert [default_storage.exists(name) for name in (old_file, fresh_file)] == [False, True]
    assert [default_storage.exists(name) for name in (old_report, new_report)] == [False, True]
    assert [default_storage.exists(name) for name in (stale, recent)] == [False, True]
    assert ImportJob.objects.get(pk=old.pk).file.name == ""
    assert ImportJob.objects.get(pk=old.pk).status == ImportStatus.APPLIED  # the record stays
    assert sorted(UploadBatch.objects.values_list("report_file", flat=True)) == ["", new_report]
    assert catalog_files_sweep() == {"imports": 0, "reports": 0, "previews": 0}


def test_a_preview_applied_recently_keeps_its_file_though_the_preview_is_old(
    store: Store, tmp_path: Path, settings: Any
) -> None:
    settings.JWO_FILES_KEEP_DAYS = 90
    preview = run_import(store, write_csv(tmp_path / "p.csv", [COLA]), dry_run=True)
    ImportJob.objects.filter(pk=preview.pk).update(created_at=timezone.now() - timedelta(days=91))
    ImportJob.objects.create(store=store, original_name="p.csv", file=preview.file.name, preview_of=preview)

    assert catalog_files_sweep()["imports"] == 0
    assert default_storage.exists(str(preview.file.name))


def test_expired_sessions_are_cleared_daily(db: None) -> None:
    now = timezone.now()
    Session.objects.create(session_key="expired-session-0001", session_data="", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="current-session-00001", session_data="", expire_date=now + timedelta(days=1))

    sessions_clear_task()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current-session-00001"]


def test_the_admins_preview_refuses_a_row_amazons_rules_refuse(store: Store, admin_user: Any) -> None:
    """Checked at the preview, as the confirmation would: not "0 updated" after confirming."""
    product = Product.objects.create(store=store, sku="SKU-9", name="Old name")  # no primary barcode
    admin = Client()
    admin.force_login(admin_user)
    upload = ContentFile(f"id,sku,name\n{product.pk},SKU-9,New name\n".encode(), name="edit.csv")

    page = admin.post("/admin/catalog/product/import/", {"import_file": upload, "format": "0"}).content.decode()

    assert "external_product_id (the primary barcode) is required" in page
    assert 'name="import_file_name"' not in page  # nothing to confirm
