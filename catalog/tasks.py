"""Celery wrappers: load by id, call a service. Safe to run twice (the service claims the job)."""

from celery import shared_task

from catalog.services.imports import import_job_run, import_jobs_sweep


@shared_task(acks_late=True, ignore_result=True)
def catalog_import_run_task(job_id: int) -> None:
    import_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def catalog_import_sweep_task() -> None:
    import_jobs_sweep()
