from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(**kwargs: Any) -> None:
    # roles imports auth's models: only once the app registry is ready.
    from jwo_admin.core.roles import roles_ensure

    roles_ensure()


class CoreConfig(AppConfig):
    name = "jwo_admin.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Permissions are created on post_migrate; the roles follow them on every migrate.
        post_migrate.connect(_ensure_roles, dispatch_uid="jwo_admin.core.roles")
        from jwo_admin.core.api import schema  # noqa: F401 - registers the schema's authentication extensions
