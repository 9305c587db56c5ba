"""Public HTTP endpoints of the web component, called from other websites (CORS, no cookies).

- `POST /widget/v1/session/`: a page presents the agent key (and optionally a verified
  user); the answer is a short-lived socket token, the agent's greeting and the theme.
  Every answer, errors included, carries `Access-Control-Allow-Origin: <the page's origin>`
  and `Vary: Origin`, so the widget can read the error code and tell the visitor; no answer
  ever uses `*` or credentials, and a 201 only goes to an allowed origin.
- `GET /widget/v1/myagent-chat.js` (5 minutes of cache) and `myagent-chat.<version>.js`
  (immutable): the script, readable cross-origin (`*`) as Subresource Integrity requires.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers

from accounts.tenancy import tenant_scope
from channels_app.widget.errors import WidgetRateLimited
from channels_app.widget.origins import OriginError, origin_normalize
from channels_app.widget.script import widget_script
from channels_app.widget.services.sessions import MAX_USER_ID_CHARS, widget_key_for_session, widget_session_start
from myagent.api_errors import error_body
from myagent.errors import ApplicationError, ValidationFailed

MAX_BODY_BYTES = 8 * 1024
PREFLIGHT_MAX_AGE = 7200  # Chromium's ceiling
SCRIPT_MAX_AGE = 300
VERSIONED_SCRIPT_MAX_AGE = 365 * 24 * 3600


class SessionRequestSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100)
    visitor_id = serializers.CharField(max_length=200, required=False, allow_null=True, allow_blank=True)
    user_id = serializers.CharField(
        max_length=MAX_USER_ID_CHARS, required=False, allow_null=True, allow_blank=True, trim_whitespace=True
    )
    user_hash = serializers.CharField(max_length=128, required=False, allow_null=True, allow_blank=True)


def client_ip(request: HttpRequest) -> str:
    # daphne --proxy-headers puts the X-Forwarded-For client here behind a load balancer.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _with_cors(response: HttpResponse, origin: str) -> HttpResponse:
    patch_vary_headers(response, ["Origin"])
    response["Cache-Control"] = "no-store"
    if origin == "null" or _is_origin(origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "Retry-After"
    return response


def _is_origin(value: str) -> bool:
    try:
        return bool(value) and origin_normalize(value) is not None
    except OriginError:
        return False


def _error(exc: ApplicationError) -> JsonResponse:
    response = JsonResponse(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, WidgetRateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _parse(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise ValidationFailed(_("The request body is too large."))
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: "[[[[..." nesting
        raise ValidationFailed(_("The body is not valid JSON.")) from exc
    serializer = SessionRequestSerializer(data=payload if isinstance(payload, dict) else {})
    if not serializer.is_valid():
        raise ValidationFailed(_("Some fields are invalid."), fields=serializer.errors)
    return {name: value or None for name, value in serializer.validated_data.items()}


@csrf_exempt
def session_view(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return _with_cors(response, origin)
    if request.method != "POST":
        response = JsonResponse(error_body("method_not_allowed", str(_("Use POST."))), status=405)
        response["Allow"] = "POST, OPTIONS"
        return _with_cors(response, origin)
    try:
        data = _parse(request)
        widget_key = widget_key_for_session(key=data["key"], ip=client_ip(request))
        with tenant_scope(widget_key.organization):
            start = widget_session_start(
                organization=widget_key.organization,
                widget_key=widget_key,
                origin=origin,
                visitor_id=data.get("visitor_id"),
                user_id=data.get("user_id"),
                user_hash=data.get("user_hash"),
                user_agent=request.headers.get("User-Agent", ""),
            )
            body = start.response()
    except ApplicationError as exc:
        return _with_cors(_error(exc), origin)
    return _with_cors(JsonResponse(body, status=201), origin)


def _script_response(request: HttpRequest, *, version: str | None) -> HttpResponse:
    script = widget_script()
    if version is not None and version != script.version:
        response = HttpResponse(b"Unknown widget version.\n", status=404, content_type="text/plain")
    elif request.headers.get("If-None-Match") == script.etag:
        response = HttpResponse(status=304)
    else:
        gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
        response = HttpResponse(
            script.gzipped if gzipped else script.content, content_type="text/javascript; charset=utf-8"
        )
        if gzipped:
            response["Content-Encoding"] = "gzip"
    if response.status_code != 404:
        response["ETag"] = script.etag
        max_age = VERSIONED_SCRIPT_MAX_AGE if version else SCRIPT_MAX_AGE
        response["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if version else "")
    patch_vary_headers(response, ["Accept-Encoding"])
    # crossorigin="anonymous" + integrity make the browser fetch the script with CORS.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def script_view(request: HttpRequest) -> HttpResponse:
    return _script_response(request, version=None)


def script_versioned_view(request: HttpRequest, version: str) -> HttpResponse:
    return _script_response(request, version=version)
