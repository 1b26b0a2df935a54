# Run by the release step, after the migrations, as `manage.py shell --command "$(cat database.py)"`:
# which database Django in the new image is connected to, and its migrations there. The role
# compares this with the .env it wrote before any replica moves. No password is printed.
import json

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

connection.ensure_connection()
executor = MigrationExecutor(connection)
unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
settings = connection.settings_dict
report = {
    "vendor": connection.vendor,
    "name": str(settings.get("NAME") or ""),
    "host": str(settings.get("HOST") or ""),
    "port": str(settings.get("PORT") or ""),
    "user": str(settings.get("USER") or ""),
    "applied": len(executor.loader.applied_migrations),
    "unapplied": len(unapplied),
}
print("PDEZZY-DATABASE " + json.dumps(report))
