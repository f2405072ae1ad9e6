"""`md2zfs nixos-module [--stage STAGE]`: print the NixOS module md2zfs would write.

In manual-deploy mode this is what the operator adds to their own deployment; otherwise it
is what lands in /etc/nixos/md2zfs.nix. `--show-import` also prints the one-line change to
configuration.nix (as a comment after the module).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--stage, --show-import."""
    parser.add_argument(
        "--stage",
        choices=("zfs-enable", "root-on-zfs"),
        default="root-on-zfs",
        help="zfs-enable (phase 3) or root-on-zfs (phase 5, the default)",
    )
    parser.add_argument(
        "--show-import", action="store_true", help="also show the change to configuration.nix"
    )


def run(args: argparse.Namespace) -> int:
    """Print the module (exit 0), or why no roles can be chosen (exit 2)."""
    from backend.cmd_plan import saved_or_proposed
    from backend.hosts import open_host_or_say
    from backend.inventory import take_inventory
    from backend.nixos import import_line_change, render_for
    from backend.plan.facts import gather_facts
    from backend.plan.roles import Refusal

    host = open_host_or_say(args)
    if host is None:
        return 2
    inv = take_inventory(host)
    roles = saved_or_proposed(host, inv, args)
    if isinstance(roles, Refusal):
        print("md2zfs: no migration is possible here:\n" + roles.message, file=sys.stderr)
        return 2
    facts = gather_facts(host, roles)
    sys.stdout.write(render_for(roles, inv, facts, args.stage))
    if args.show_import:
        text = facts.configuration_nix
        if text is None:
            print("# /etc/nixos/configuration.nix was not found", file=sys.stdout)
        else:
            _, line = import_line_change(text)
            shown = line.strip() if line else "(already imported)"
            print(f"# configuration.nix: + {shown}")
    return 0
