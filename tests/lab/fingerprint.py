#!/usr/bin/python3
"""Guest-side: make test data with the hard cases, and fingerprint a tree to compare copies.

    python3 fingerprint.py make DIR     files with ACLs, xattrs, hard links, a sparse file,
                                        odd owners and modes, a symlink, a fifo
    python3 fingerprint.py print DIR    one JSON object: relative path -> what must survive
                                        a copy (type, mode, owner, size, sha256, symlink
                                        target, xattrs, ACL, hard-link group, has a hole)

Runs on the guest's Python 3.11 with the stdlib plus the getfacl/setfacl tools.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any


def make(root: Path) -> None:
    """Create the test data under root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "plain.txt").write_text("hello md2zfs\n" * 100)
    (root / "dir" / "sub").mkdir(parents=True, exist_ok=True)
    (root / "dir" / "sub" / "deep.bin").write_bytes(os.urandom(300_000))
    (root / "hard-a").write_text("linked\n")
    if not (root / "dir" / "hard-b").exists():
        os.link(root / "hard-a", root / "dir" / "hard-b")
    with open(root / "sparse.img", "wb") as f:
        f.seek(64 * 2**20)
        f.write(b"end")
    (root / "owned").write_text("owned by 1234:5678, mode 0640\n")
    os.chown(root / "owned", 1234, 5678)
    os.chmod(root / "owned", 0o640)
    (root / "setuid").write_text("#!/bin/sh\n")
    os.chmod(root / "setuid", 0o4755)
    os.chmod(root / "dir", 0o1777)
    (root / "xattr").write_text("has xattrs\n")
    os.setxattr(root / "xattr", "user.md2zfs", b"lab value")
    os.setxattr(root / "xattr", "trusted.md2zfs", b"trusted value")
    (root / "acl").write_text("has an ACL\n")
    subprocess.run(["setfacl", "-m", "u:1234:rw,g:5678:r,m::rw", str(root / "acl")], check=True)
    subprocess.run(["setfacl", "-d", "-m", "u:1234:rwx", str(root / "dir")], check=True)
    if not (root / "link").is_symlink():
        os.symlink("dir/sub/deep.bin", root / "link")
    if not (root / "fifo").exists():
        os.mkfifo(root / "fifo")


def acl(path: Path) -> str:
    """getfacl's text for path (access and default ACL), without the file-name header."""
    out = subprocess.run(
        ["getfacl", "--omit-header", "--physical", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip()


def has_hole(path: Path, size: int) -> bool:
    """True when the file has a hole (SEEK_HOLE before EOF); blocks < size would also be
    true for a compressed file (ZFS), which is not what a sparse copy is about."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return size > 0 and os.lseek(fd, 0, os.SEEK_HOLE) < size
    finally:
        os.close(fd)


def fingerprint(root: Path) -> dict[str, Any]:
    """Everything that must survive a copy of root, keyed by relative path."""
    result: dict[str, Any] = {}
    inodes: dict[int, list[str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            st = p.lstat()
            entry: dict[str, Any] = {"mode": oct(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}
            if stat.S_ISLNK(st.st_mode):
                entry["target"] = os.readlink(p)
            else:
                entry["xattrs"] = {
                    k: os.getxattr(p, k, follow_symlinks=False).hex()
                    for k in sorted(os.listxattr(p, follow_symlinks=False))
                    if not k.startswith("system.")
                }
                entry["acl"] = acl(p)
            if stat.S_ISREG(st.st_mode):
                entry["size"] = st.st_size
                entry["sha256"] = hashlib.sha256(p.read_bytes()).hexdigest()
                entry["holes"] = has_hole(p, st.st_size)
                if st.st_nlink > 1:
                    inodes.setdefault(st.st_ino, []).append(rel)
            result[rel] = entry
    for group in inodes.values():
        for rel in group:
            result[rel]["hardlinks"] = sorted(group)
    return result


def main(argv: list[str]) -> int:
    """Command line: make DIR | print DIR."""
    if len(argv) != 2 or argv[0] not in ("make", "print"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "make":
        make(Path(argv[1]))
    else:
        print(json.dumps(fingerprint(Path(argv[1])), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
