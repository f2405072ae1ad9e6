"""The `md2zfs` console script: parse arguments, run a command or start the wizard.

Textual is imported only when the wizard starts (`_run_wizard`), so `md2zfs status`
and the other headless commands never pay for it.
"""

from __future__ import annotations

import argparse
import os
import sys

from backend import cli


def _run_wizard(args: argparse.Namespace) -> int:
    """Open the host the arguments name and run the wizard on it."""
    from backend.hosts import HostChoiceError, open_host
    from tui.app import Md2zfsApp
    from tui.real import BackendServices
    from tui.themes import pick_look

    try:
        host = open_host(args)
    except HostChoiceError as exc:
        print(f"md2zfs: {exc}", file=sys.stderr)
        return 2
    demo = bool(getattr(args, "demo", False) or getattr(args, "demo_state", None))
    services = BackendServices(host, args=args, demo=demo)
    look = pick_look(getattr(args, "theme", "auto"), os.environ)
    app = Md2zfsApp(services, look=look)
    code = app.run()
    services.close()
    return int(code or 0)


def main() -> int:
    """Console-script entry: exits the process with the command's status."""
    sys.exit(cli.main(sys.argv[1:], wizard=_run_wizard))


if __name__ == "__main__":
    main()
