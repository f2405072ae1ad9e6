"""The md2zfs command line: argument parsing and dispatch to one module per command.

Each command's module is imported only when that command runs, so `md2zfs status` loads
neither textual nor the planner. The wizard itself lives in tui/ and is handed in by the
console-script entry point (tui/entry.py); the backend never imports it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

WizardLauncher = Callable[[argparse.Namespace], int]

# command name -> module under backend/ that defines `run(args) -> int` and `add_arguments(p)`
COMMANDS: dict[str, tuple[str, str]] = {
    "status": ("backend.cmd_status", "one-shot report of disks, arrays, pools and progress"),
    "capture": ("backend.cmd_capture", "save the raw outputs of the probing commands to DIR"),
    "plan": ("backend.cmd_plan", "print the whole migration plan with every command"),
    "run": ("backend.cmd_run", "run the plan headless, printing each event"),
    "nixos-module": ("backend.cmd_nixos", "print the NixOS module md2zfs would write"),
}


def add_host_arguments(parser: argparse.ArgumentParser, *, top: bool = True) -> None:
    """--demo / --demo-state / --demo-reset / --replay: which machine to talk to.

    They are accepted before and after the command; on the subcommand their defaults are
    suppressed so `md2zfs --demo status` keeps the top-level value.
    """
    kw: dict[str, object] = {} if top else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group("machine")
    group.add_argument(
        "--demo",
        action="store_true",
        help="use the built-in simulated server (safe rehearsal)",
        **kw,  # type: ignore[arg-type]
    )
    group.add_argument(
        "--demo-state",
        metavar="FILE",
        help="file holding the demo server's state (default: per-user state dir)",
        **kw,  # type: ignore[arg-type]
    )
    group.add_argument(
        "--demo-reset",
        action="store_true",
        help="start the demo server afresh",
        **kw,  # type: ignore[arg-type]
    )
    group.add_argument(
        "--replay",
        metavar="DIR",
        help="read-only: a directory written by `md2zfs capture`",
        **kw,  # type: ignore[arg-type]
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole argument parser (subcommand modules add their own options)."""
    parser = argparse.ArgumentParser(
        prog="md2zfs",
        description="Move a live root filesystem from mdadm RAID1 onto a ZFS mirror, "
        "never with fewer than two complete copies.",
    )
    add_host_arguments(parser)
    parser.add_argument(
        "--theme",
        choices=("auto", "dark", "light", "console"),
        default="auto",
        help="wizard look (console: 16 colours, ASCII borders; auto picks it on TERM=linux)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_host_arguments(p, top=False)
        # Command modules keep heavy imports inside run(), so this stays cheap.
        module = importlib.import_module(module_name)
        module.add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None, wizard: WizardLauncher | None = None) -> int:
    """Parse argv and run the command (or the wizard when no command is given)."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        if wizard is None:
            parser.error("the wizard needs the md2zfs entry point (tui); give a command")
        return wizard(args)
    module = importlib.import_module(COMMANDS[args.command][0])
    result: int = module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
