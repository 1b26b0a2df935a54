# Run as `manage.py shell --command "$(cat settings.py)"` from a new release's image, with its
# .env, before its release step: where Django's settings put STATIC_ROOT and MEDIA_ROOT (absolute,
# as Django's file storage resolves them: against the working directory), so the static and
# media volumes are mounted there. Reading settings changes nothing and needs no database.
import json
import os

from django.conf import settings


def absolute(value):
    return os.path.abspath(os.fspath(value)) if value else ""


report = {
    "static_root": absolute(getattr(settings, "STATIC_ROOT", None)),
    "media_root": absolute(getattr(settings, "MEDIA_ROOT", None)),
    "static_url": str(getattr(settings, "STATIC_URL", None) or ""),
    "workdir": os.getcwd(),
}
print("PDEZZY-SETTINGS " + json.dumps(report))
