# Run as `manage.py shell --command "$(cat database.py)"` from a release's image: which database
# Django is connected to, and its migrations there. The release step runs it after migrating
# (the role compares it with the .env before any replica moves), a deploy before migrating
# (unapplied ones mean a backup first), a rollback to find migrations the database has and
# the release does not know ("ahead": its code is older than the schema). No password is printed.
import json

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

connection.ensure_connection()
executor = MigrationExecutor(connection)
unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
loader = executor.loader
# Migrations squashed into one on disk may be gone from disk and still be recorded as applied.
replaced = {key for migration in loader.disk_migrations.values() for key in (migration.replaces or [])}
ahead = sorted(
    f"{app}.{name}"
    for app, name in loader.applied_migrations
    if (app, name) not in loader.disk_migrations and (app, name) not in replaced
)
settings = connection.settings_dict
report = {
    "vendor": connection.vendor,
    "name": str(settings.get("NAME") or ""),
    "host": str(settings.get("HOST") or ""),
    "port": str(settings.get("PORT") or ""),
    "user": str(settings.get("USER") or ""),
    "applied": len(executor.loader.applied_migrations),
    "unapplied": len(unapplied),
    "ahead": ahead,
}
print("PDEZZY-DATABASE " + json.dumps(report))
