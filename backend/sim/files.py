"""Files live on filesystems: which one a path lands on depends on what is mounted where.

`SimState.files` holds the files of the root filesystem (absolute paths). Files on any other
mounted filesystem (the new pool's datasets under /mnt, md1 on /mnt/boot) are kept per
filesystem in `SimState.fs_files[source][relative path]`, so they vanish from view when it
is unmounted, come back when it is mounted elsewhere, and become `/...` when the reboot makes
that filesystem the root. rsync copies between the two; /proc entries never move.
"""

from __future__ import annotations

import posixpath

from backend.sim.state import SimFile, SimMount, SimState

# Paths that are not on any disk filesystem (kernel views, tmpfs) and never get copied.
VIRTUAL = ("/proc/", "/sys/", "/dev/", "/run/")


def mount_of(state: SimState, path: str) -> SimMount | None:
    """The mount that holds `path` (the longest mount target above it)."""
    best: SimMount | None = None
    for m in state.mounts:
        t = m.target.rstrip("/") or "/"
        if (path == t or path.startswith(t.rstrip("/") + "/")) and (
            best is None or len(t) > len(best.target)
        ):
            best = m
    return best


def locate(state: SimState, path: str) -> tuple[dict[str, SimFile], str]:
    """(the file table, the key in it) where `path` lives now."""
    path = posixpath.normpath(path)
    m = mount_of(state, path)
    if m is None or m.target == "/" or path.startswith(VIRTUAL):
        return state.files, path
    rel = "/" + path[len(m.target.rstrip("/")) :].lstrip("/")
    return state.fs_files.setdefault(m.source, {}), posixpath.normpath(rel)


def read(state: SimState, path: str) -> SimFile | None:
    """The file at `path`, if any."""
    table, key = locate(state, path)
    return table.get(key)


def write(state: SimState, path: str, f: SimFile) -> None:
    """Put a file at `path` (on whatever filesystem holds it now)."""
    table, key = locate(state, path)
    table[key] = f


def is_dir(state: SimState, path: str) -> bool:
    """A directory: made with mkdir, a mount point, or holding files."""
    path = posixpath.normpath(path)
    if path in state.dirs or any(m.target == path for m in state.mounts):
        return True
    table, key = locate(state, path)
    prefix = key.rstrip("/") + "/"
    return any(k.startswith(prefix) for k in table)


def copy_tree(state: SimState, src: str, dst: str, *, delete: bool) -> int:
    """rsync's effect on files: every file under src (on /'s filesystem) into dst.

    With `delete`, files under dst that src does not have are removed. Returns the count.
    """
    src = posixpath.normpath(src)
    dst = posixpath.normpath(dst)
    wanted: dict[str, SimFile] = {}
    for path, f in state.files.items():
        if path.startswith(VIRTUAL) or path.startswith("/mnt/"):
            continue
        if src == "/" or path.startswith(src + "/"):
            rel = path if src == "/" else path[len(src) :]
            wanted[posixpath.normpath(dst + rel)] = SimFile(f.text, f.mode)
    if delete:
        for m in state.mounts:
            if m.target == dst or m.target.startswith(dst.rstrip("/") + "/"):
                table = state.fs_files.get(m.source, {})
                for key in list(table):
                    full = posixpath.normpath(m.target + key)
                    if full not in wanted and mount_of(state, full) is m:
                        del table[key]
    for path, f in wanted.items():
        write(state, path, f)
    return len(wanted)


def switch_root(state: SimState, old: str | None, new: str | None) -> None:
    """The reboot changed which filesystem is /: swap the file tables accordingly."""
    if old == new or new is None:
        return
    keep = {p: f for p, f in state.files.items() if p.startswith("/proc/")}
    rest = {p: f for p, f in state.files.items() if not p.startswith("/proc/")}
    if old is not None:
        state.fs_files[old] = rest
    state.files = {**state.fs_files.pop(new, {}), **keep}


def visible(state: SimState) -> dict[str, SimFile]:
    """Every file as a process on the machine sees it now (absolute path -> file)."""
    out = {p: f for p, f in state.files.items() if read(state, p) is f}
    for m in state.mounts:
        if m.target == "/":
            continue
        for rel, f in state.fs_files.get(m.source, {}).items():
            path = posixpath.normpath(m.target.rstrip("/") + rel)
            if read(state, path) is f:
                out[path] = f
    return dict(sorted(out.items()))
