"""``{{ problem.field|column_label:field_labels }}``: an import problem's field as staff know it,
the file's own column beside Amazon's field name."""

from django import template

from catalog.importing.mapping import file_column_label

register = template.Library()


@register.filter
def column_label(field: str, labels: dict[str, str] | None) -> str:
    return file_column_label(field, labels or {})
