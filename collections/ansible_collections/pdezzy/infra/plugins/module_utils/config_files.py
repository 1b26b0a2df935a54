"""Bring a set of directories and small text files to a wanted state in one pass.

Used by the ``config_files`` module: a role hands over every configuration file it owns at once,
so a run that changes nothing costs one module call instead of one per file.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

MODE_RE = re.compile(r"^[0-7]{3,4}$")
DIFF_LIMIT = 64 * 1024

Runner = Callable[[str], "tuple[int, str, str]"]


class ConfigFilesError(Exception):
    """Input that cannot be applied, or a step that failed."""


@dataclass(frozen=True)
class DirSpec:
    path: str
    owner: str | None = None
    group: str | None = None
    mode: str | None = None


@dataclass(frozen=True)
class LinkSpec:
    path: str
    src: str


@dataclass(frozen=True)
class FileSpec:
    path: str
    content: str
    owner: str | None = None
    group: str | None = None
    mode: str | None = None
    validate: str | None = None


def parse_mode(mode: str | None, path: str) -> int | None:
    """``"0644"`` -> 0o644. Only quoted octal strings: YAML reads a bare 0644 as 420."""
    if mode is None:
        return None
    if not isinstance(mode, str) or not MODE_RE.match(mode):
        raise ConfigFilesError(f"{path}: mode must be a quoted octal string such as '0644', not {mode!r}")
    return int(mode, 8)


def lookup_id(name: str | None, kind: str) -> int | None:
    """The uid/gid of a user or group name (or a number as a string); None when not given or unknown."""
    if name is None:
        return None
    if str(name).isdigit():
        return int(name)
    try:
        return pwd.getpwnam(name).pw_uid if kind == "owner" else grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def _check_abs(path: str) -> None:
    if not path or not os.path.isabs(path):
        raise ConfigFilesError(f"{path!r}: paths must be absolute")


def _attr_changes(
    st: os.stat_result, uid: int | None, gid: int | None, mode: int | None
) -> dict[str, tuple[object, object]]:
    changes: dict[str, tuple[object, object]] = {}
    if uid is not None and st.st_uid != uid:
        changes["owner"] = (st.st_uid, uid)
    if gid is not None and st.st_gid != gid:
        changes["group"] = (st.st_gid, gid)
    if mode is not None and stat.S_IMODE(st.st_mode) != mode:
        changes["mode"] = (oct(stat.S_IMODE(st.st_mode)), oct(mode))
    return changes


def _set_attrs(path: str, uid: int | None, gid: int | None, mode: int | None) -> None:
    if uid is not None or gid is not None:
        os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
    if mode is not None:
        os.chmod(path, mode)


def _ids(spec: DirSpec | FileSpec, check: bool, warnings: list[str]) -> tuple[int | None, int | None]:
    """Resolve owner and group. A missing one fails a real run; a dry run only warns (an earlier
    task of the same run may create it)."""
    ids = []
    for kind, name in (("owner", spec.owner), ("group", spec.group)):
        found = lookup_id(name, kind)
        if name is not None and found is None:
            message = f"{spec.path}: {kind} {name!r} does not exist"
            if not check:
                raise ConfigFilesError(message)
            warnings.append(message + " (yet)")
        ids.append(found)
    return ids[0], ids[1]


def ensure_directory(spec: DirSpec, check: bool, warnings: list[str]) -> str | None:
    """Create or fix one directory; returns what changed ("created", "attributes") or None."""
    _check_abs(spec.path)
    mode = parse_mode(spec.mode, spec.path)
    uid, gid = _ids(spec, check, warnings)
    try:
        st = os.lstat(spec.path)
    except FileNotFoundError:
        if not check:
            os.makedirs(spec.path, exist_ok=True)
            _set_attrs(spec.path, uid, gid, mode if mode is not None else 0o755)
        return "created"
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigFilesError(f"{spec.path} exists and is not a directory")
    if _attr_changes(st, uid, gid, mode):
        if not check:
            _set_attrs(spec.path, uid, gid, mode)
        return "attributes"
    return None


def ensure_link(spec: LinkSpec, check: bool) -> str | None:
    """Point a symbolic link at ``src``, replacing a file or a link pointing elsewhere."""
    _check_abs(spec.path)
    if not spec.src:
        raise ConfigFilesError(f"{spec.path}: a link needs a src")
    try:
        st = os.lstat(spec.path)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISLNK(st.st_mode) and os.readlink(spec.path) == spec.src:
            return None
        if stat.S_ISDIR(st.st_mode):
            raise ConfigFilesError(f"{spec.path} is a directory, not replaced by a link")
    if not check:
        tmp = os.path.join(os.path.dirname(spec.path), f".{os.path.basename(spec.path)}.{os.getpid()}.link")
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(spec.src, tmp)
        os.replace(tmp, spec.path)
    return "created" if st is None else "link"


def _text(data: bytes) -> str | None:
    if len(data) > DIFF_LIMIT:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def ensure_file(
    spec: FileSpec, check: bool, run: Runner, warnings: list[str]
) -> tuple[str | None, dict[str, str] | None]:
    """Write or fix one file; returns what changed ("created", "content", "attributes") and a diff."""
    _check_abs(spec.path)
    mode = parse_mode(spec.mode, spec.path)
    uid, gid = _ids(spec, check, warnings)
    if spec.validate is not None and "%s" not in spec.validate:
        raise ConfigFilesError(f"{spec.path}: validate must contain %s (the file to check)")
    wanted = spec.content.encode("utf-8")
    try:
        st: os.stat_result | None = os.stat(spec.path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ConfigFilesError(f"{spec.path} exists and is not a regular file")
    before = b""
    if st is not None:
        with open(spec.path, "rb") as handle:
            before = handle.read()
    if st is not None and before == wanted:
        if not _attr_changes(st, uid, gid, mode):
            return None, None
        if not check:
            _set_attrs(spec.path, uid, gid, mode)
        return "attributes", None
    diff = {"before_header": spec.path, "after_header": spec.path, "before": "", "after": ""}
    before_text, after_text = _text(before), _text(wanted)
    if before_text is None or after_text is None:
        diff["before"], diff["after"] = "(not shown: binary or large)\n", "(not shown: binary or large)\n"
    else:
        diff["before"], diff["after"] = before_text, after_text
    if not check:
        _write(spec, wanted, st, uid, gid, mode, run)
    return ("created" if st is None else "content"), diff


def _write(
    spec: FileSpec,
    wanted: bytes,
    st: os.stat_result | None,
    uid: int | None,
    gid: int | None,
    mode: int | None,
    run: Runner,
) -> None:
    """Write next to the target, check it, then rename over the target (atomic for readers)."""
    directory = os.path.dirname(spec.path)
    if not os.path.isdir(directory):
        raise ConfigFilesError(f"{spec.path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(spec.path)}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(wanted)
            handle.flush()
            os.fsync(handle.fileno())
        # Keep what the old file had unless told otherwise; a new file gets 0644.
        keep_mode = stat.S_IMODE(st.st_mode) if st is not None else 0o644
        keep_uid = st.st_uid if st is not None else None
        keep_gid = st.st_gid if st is not None else None
        _set_attrs(
            tmp,
            uid if uid is not None else keep_uid,
            gid if gid is not None else keep_gid,
            mode if mode is not None else keep_mode,
        )
        if spec.validate is not None:
            rc, out, err = run(spec.validate.replace("%s", tmp))
            if rc != 0:
                detail = (err or out).strip()
                raise ConfigFilesError(f"{spec.path}: validation failed ({spec.validate}): {detail}")
        os.replace(tmp, spec.path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def converge(
    directories: list[DirSpec],
    files: list[FileSpec],
    *,
    check: bool,
    diff: bool,
    run: Runner,
    links: list[LinkSpec] | None = None,
) -> dict[str, object]:
    """Directories first (so files and links can go into new ones), then files, then links."""
    links = links or []
    seen: set[str] = set()
    for spec in [*directories, *files, *links]:
        if spec.path in seen:
            raise ConfigFilesError(f"{spec.path} is listed twice")
        seen.add(spec.path)
    warnings: list[str] = []
    changes: dict[str, str] = {}
    diffs: list[dict[str, str]] = []
    for directory in directories:
        what = ensure_directory(directory, check, warnings)
        if what:
            changes[directory.path] = what
    for spec in files:
        what, file_diff = ensure_file(spec, check, run, warnings)
        if what:
            changes[spec.path] = what
        if file_diff is not None and diff:
            diffs.append(file_diff)
    for link in links:
        what = ensure_link(link, check)
        if what:
            changes[link.path] = what
    result: dict[str, object] = {
        "changed": bool(changes),
        "changed_paths": list(changes),
        "changes": changes,
        "warnings": warnings,
    }
    if diff:
        result["diff"] = diffs
    return result
