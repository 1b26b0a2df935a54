"""Health, version and media upload endpoints."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)
    return "ok"


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Database and Redis reachable: 200 {"status": "ok"}; otherwise 503 with the failing check."""
    checks: dict[str, str] = {}
    started = time.monotonic()
    for name, check in (("database", _check_database), ("redis", _check_cache)):
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {
        "status": "ok" if healthy else "error",
        "checks": checks,
        "version": settings.APP_VERSION,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def version(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"version": settings.APP_VERSION})


@api_view(["POST"])
@parser_classes([MultiPartParser])
def upload(request: Request) -> Response:
    """Store an uploaded file under MEDIA_ROOT/uploads/ and return its URL."""
    upload = request.FILES.get("file")
    if upload is None:
        return Response({"error": "no file"}, status=400)
    name = default_storage.save(f"uploads/{uuid.uuid4().hex}{Path(upload.name).suffix}", upload)
    return Response({"url": settings.MEDIA_URL + name, "size": upload.size}, status=201)
