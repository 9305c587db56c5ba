"""Session serializer that can store ObjectIds (allauth keeps model pks in the session,
e.g. the MFA authenticator id; on MongoDB those are ObjectIds)."""

from __future__ import annotations

import json
from typing import Any

from bson import ObjectId
from django.core.signing import JSONSerializer


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, ObjectId):
            return str(o)
        return super().default(o)


class ObjectIdJSONSerializer(JSONSerializer):
    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), cls=_Encoder).encode("latin-1")
