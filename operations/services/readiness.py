"""Launch readiness: a staff member marks a manual check done or not done, with a note (who and when are kept)."""

from django.contrib.auth.models import User
from django.db import transaction

from jwo_admin.core.exceptions import ApplicationError
from operations.models import ReadinessMark
from operations.selectors.readiness import MANUAL_KEYS


@transaction.atomic
def readiness_mark(*, item: str, is_done: bool, note: str, user: User) -> ReadinessMark:
    """Tick (or untick) a step only people can confirm; who and when are kept."""
    if item not in MANUAL_KEYS:
        raise ApplicationError(f"{item!r} is not a step staff tick; the app checks the others itself.")
    mark, _ = ReadinessMark.objects.update_or_create(
        item=item, store=None, defaults={"is_done": is_done, "note": note.strip()[:500], "marked_by": user}
    )
    return mark
