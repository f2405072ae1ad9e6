"""The backend stays headless: importing it, or running `status`, never loads textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    probe = code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_backend_import_never_loads_textual() -> None:
    mods = _modules_after(
        "import backend, backend.model, backend.inventory, backend.cli, backend.hosts,"
        " backend.host_local, backend.host_replay, backend.report_text"
    )
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)
    assert not any(m == "tui" or m.startswith("tui.") for m in mods)


def test_status_through_the_entry_point_never_loads_textual(tmp_path: Path) -> None:
    state = tmp_path / "demo.json"
    mods = _modules_after(
        "import tui.entry, contextlib, io, sys\n"
        f"sys.argv = ['md2zfs', 'status', '--demo', '--demo-state', {str(state)!r}]\n"
        "buf = io.StringIO()\n"
        "rc = None\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        "        rc = tui.entry.main()\n"
        "    except SystemExit as exc:\n"
        "        rc = exc.code\n"
        "assert rc in (0, None), rc\n"
        "assert 'md0' in buf.getvalue()"
    )
    assert "textual" not in mods


def test_no_backend_file_imports_textual_or_tui() -> None:
    for path in (REPO / "backend").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            assert not stripped.startswith(
                ("import textual", "from textual", "import tui", "from tui")
            ), f"{path}: {line}"
