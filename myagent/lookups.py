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


def get_or_404(queryset: models.QuerySet[M], pk: Any) -> M:
    """Fetch by primary key from an already tenant-scoped queryset; malformed ids are a 404 too."""
    object_id = parse_object_id(pk)
    obj = queryset.filter(pk=object_id).first() if object_id else None
    if obj is None:
        raise NotFound()
    return obj
