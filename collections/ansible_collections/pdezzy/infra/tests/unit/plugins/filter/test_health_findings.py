from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.health_findings import (
    FilterModule,
    db_finding,
    disk_finding,
    pool_finding,
    static_finding,
)

POOLS_HEADER = (
    "database,user,cl_active,cl_waiting,cl_active_cancel_req,cl_waiting_cancel_req,sv_active,"
    "sv_active_cancel,sv_being_canceled,sv_idle,sv_used,sv_tested,sv_login,maxwait,maxwait_us,pool_mode,"
    "load_balance_hosts"
)
POOLS = "\n".join(
    [
        POOLS_HEADER,
        "pdezzy,pdezzy_app,4,0,0,0,2,0,0,3,0,0,0,0,0,transaction,",
        "pgbouncer,pgbouncer,1,0,0,0,0,0,0,0,0,0,0,0,0,statement,",
    ]
)
DJANGO_TRACEBACK = """Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/django/db/backends/base/base.py", line 279, in ensure_connection
    self.connect()
psycopg2.OperationalError: connection to server at "pgbouncer" (172.18.0.5), port 6432 failed: Connection refused

The above exception was the direct cause of the following exception:

django.db.utils.OperationalError: connection to server at "pgbouncer" (172.18.0.5), port 6432 failed: Connection refused
"""
DF = (
    "Filesystem     1024-blocks     Used Available Capacity Mounted on\n"
    "overlay         61255492 24312312  33798920      42% /"
)


def test_db_finding_passes_on_postgresql() -> None:
    finding = db_finding({"rc": 0, "stdout": "postgresql pgbouncer 6432\n", "stderr": ""}, "app-1")
    assert finding == {"name": "app-1", "check": "database", "ok": True, "detail": "postgresql at pgbouncer:6432"}


def test_db_finding_names_the_exception_line() -> None:
    finding = db_finding({"rc": 1, "stdout": "", "stderr": DJANGO_TRACEBACK}, "app-1")
    assert not finding["ok"]
    assert finding["detail"].startswith("django.db.utils.OperationalError: connection to server")
    assert len(finding["detail"]) <= 200


def test_db_finding_other_vendor_and_module_failure() -> None:
    assert db_finding({"rc": 0, "stdout": "sqlite  \n"}, "app-1")["detail"] == "sqlite"
    assert not db_finding({"rc": 0, "stdout": "sqlite  \n"}, "app-1")["ok"]
    missing = db_finding({"failed": True, "msg": "Could not find container app-1"}, "app-1")
    assert missing == {"name": "app-1", "check": "database", "ok": False, "detail": "Could not find container app-1"}
    assert db_finding({"rc": 1}, "app-1")["detail"] == "no answer"


def test_pool_finding_sums_pools() -> None:
    finding = pool_finding({"rc": 0, "stdout": POOLS}, max_wait=5)
    assert finding["ok"]
    assert finding["detail"] == "2 active and 3 idle server connections, 0 clients waiting (longest 0 s)"


def test_pool_finding_fails_at_max_wait() -> None:
    waiting = POOLS.replace("pdezzy,pdezzy_app,4,0,", "pdezzy,pdezzy_app,4,7,").replace(
        ",0,0,0,0,0,transaction", ",0,0,0,5,0,transaction"
    )
    finding = pool_finding({"rc": 0, "stdout": waiting}, max_wait=5)
    assert not finding["ok"]
    assert "7 clients waiting (longest 5 s)" in finding["detail"]
    assert pool_finding({"rc": 0, "stdout": waiting}, max_wait=6)["ok"]


def test_pool_finding_failures() -> None:
    refused = pool_finding({"rc": 2, "stderr": "psql: error: connection refused\n"})
    assert refused == {"name": "pgbouncer", "check": "pool", "ok": False, "detail": "psql: error: connection refused"}
    garbled = pool_finding({"rc": 0, "stdout": "database,user\npdezzy,x\n"})
    assert not garbled["ok"]
    assert garbled["detail"].startswith("unreadable SHOW POOLS output")
    assert pool_finding({"rc": 0, "stdout": POOLS_HEADER})["detail"].endswith("(longest 0 s)")


def test_disk_finding() -> None:
    assert disk_finding({"rc": 0, "stdout": DF}) == {
        "name": "/",
        "check": "disk",
        "ok": True,
        "detail": "42 % used, limit 85 %",
    }
    assert not disk_finding({"rc": 0, "stdout": DF.replace("42%", "85%")}, max_percent=85)["ok"]
    assert disk_finding({"rc": 0, "stdout": DF.replace("42%", "84%")}, max_percent="85")["ok"]


def test_disk_finding_free_space() -> None:
    finding = disk_finding({"rc": 0, "stdout": DF}, name="/var/lib", min_free_gb=5)
    assert finding == {"name": "/var/lib", "check": "disk", "ok": True, "detail": "32.2 GB free, need 5 GB"}
    assert not disk_finding({"rc": 0, "stdout": DF}, min_free_gb=40)["ok"]


@pytest.mark.parametrize(
    "result",
    [{"rc": 1, "stdout": "", "stderr": "df: /: No such file"}, {"rc": 0, "stdout": "only a header"}, {"rc": 0}],
)
def test_disk_finding_failures(result: dict) -> None:
    assert not disk_finding(result)["ok"]


@pytest.mark.parametrize("filter_name", ["db_finding", "pool_finding", "disk_finding"])
def test_non_mapping_input_raises(filter_name: str) -> None:
    function = FilterModule().filters()[filter_name]
    with pytest.raises(TypeError, match="expects a registered task result"):
        function("not a result", "x") if filter_name == "db_finding" else function(["not a result"])


# rsync --archive --dry-run --itemize-changes --delete, as the health check runs it.
RSYNC_CHANGES = """.d..t...... ./
*deleting   admin/css/old-theme.css
>f+++++++++ drf-yasg/swagger-ui.css
cd+++++++++ drf-yasg/fonts/
>f.st...... admin/css/base.css
>f+++++++++ drf-yasg/swagger-ui.js
"""


def test_static_finding_passes_when_rsync_would_change_nothing() -> None:
    row = static_finding({"rc": 0, "stdout": "", "stderr": ""}, "v2-0123456789")
    assert row == {
        "name": "static volume",
        "check": "release files",
        "ok": True,
        "detail": "exactly the files of release v2-0123456789",
    }
    # A directory's time alone is no difference.
    assert static_finding({"rc": 0, "stdout": ".d..t...... ./\n"}, "v2")["ok"]


def test_static_finding_counts_missing_differing_and_foreign_files() -> None:
    row = static_finding({"rc": 0, "stdout": RSYNC_CHANGES}, "v2")
    assert not row["ok"]
    assert row["detail"] == (
        "not release v2's files: 2 missing (e.g. drf-yasg/swagger-ui.css), 1 differing (e.g. admin/css/base.css), "
        "1 not release v2's (e.g. admin/css/old-theme.css)"
    )


def test_static_finding_release_without_files_and_failures() -> None:
    gone = {
        "rc": 23,
        "stdout": "",
        "stderr": 'rsync: [sender] change_dir "/opt/pdezzy/app/current/static" failed: '
        "No such file or directory (2)\nrsync error: some files/attrs were not transferred (code 23)",
    }
    assert static_finding(gone, "v1") == {
        "name": "static volume",
        "check": "release files",
        "ok": False,
        "detail": "release v1 keeps no collected static files: deploy again",
    }
    failed = static_finding({"failed": True, "msg": "[Errno 2] No such file or directory: b'rsync'"}, "v1")
    assert (failed["ok"], failed["detail"]) == (False, "[Errno 2] No such file or directory: b'rsync'")
    with pytest.raises(TypeError, match="static_finding expects a registered task result"):
        static_finding("", "v1")
