# Run as `manage.py shell --command "$(cat settings.py)"` from a new release's image, with its
# .env, before its release step: where Django's settings put STATIC_ROOT and MEDIA_ROOT (absolute,
# as Django's file storage resolves them: against the working directory), so the static and
# media volumes are mounted there. Reading settings changes nothing and needs no database.
import json
import os

from django.conf import settings


def absolute(value: object) -> str:
    return os.path.abspath(os.fspath(value)) if value else ""


report = {
    "static_root": absolute(getattr(settings, "STATIC_ROOT", None)),
    "media_root": absolute(getattr(settings, "MEDIA_ROOT", None)),
    "static_url": str(getattr(settings, "STATIC_URL", None) or ""),
    "workdir": os.getcwd(),
    # The user the image runs as: a volume mounted where the image has no directory is made by
    # Docker for root, and is given to this user.
    "uid": os.getuid(),
    "gid": os.getgid(),
}
print("PDEZZY-SETTINGS " + json.dumps(report))
