from __future__ import annotations

from typing import Any, TypeVar

from bson import ObjectId
from bson.errors import InvalidId
from django.db import models

from myagent.errors import NotFound

M = TypeVar("M", bound=models.Model)


def parse_object_id(value: Any) -> ObjectId | None:
    try:
        return ObjectId(str(value))
    except (InvalidId, TypeError):
        return None


def find_by_id(queryset: models.QuerySet[M], pk: Any) -> M | None:
    """The object with this id in an already tenant-scoped queryset, or None (malformed ids too).
    Input validation uses it so another tenant's id reads exactly like an unknown one."""
    object_id = parse_object_id(pk)
    return queryset.filter(pk=object_id).first() if object_id else None


def get_or_404(queryset: models.QuerySet[M], pk: Any) -> M:
    """Fetch by primary key from an already tenant-scoped queryset; malformed ids are a 404 too."""
    obj = find_by_id(queryset, pk)
    if obj is None:
        raise NotFound()
    return obj
