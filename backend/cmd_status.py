"""`md2zfs status [--json]`: a one-shot report of disks, arrays, pools and progress."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--json."""
    parser.add_argument("--json", action="store_true", help="print the public JSON document")


def run(args: argparse.Namespace) -> int:
    """Take one inventory and print it."""
    from backend.hosts import open_host_or_say
    from backend.inventory import dumps, inventory_to_json, take_inventory
    from backend.report_text import render_status

    host = open_host_or_say(args)
    if host is None:
        return 2
    inv = take_inventory(host)
    if args.json:
        print(dumps(inventory_to_json(inv)))
    else:
        sys.stdout.write(render_status(inv, host.description))
    return 0
