"""`md2zfs plan [--json]`: the whole migration plan for this machine, every command shown.

Nothing runs. The roles are the ones a previous `md2zfs run` saved, else a fresh proposal;
before the migration has started, a failed preflight check refuses the plan (exit 2) and
prints each failure with its fix.

JSON shape (`--json`)::

    {"host": str, "roles": {...Roles fields...},
     "checks": [{"id", "ok", "message", "fix", "blocking"}],
     "phases": [{"number", "title", "steps": [
         {"id", "title", "why", "kind", "changes", "copies_before", "copies_after",
          "done": bool,                      # the live system shows it done now
          "operations": [{"argv": [str], "stdin": str|null} |
                         {"action": str, "describe": str, "params": {str: str}}],
          "destroys": [{"identity", "device", "what", "model", "serial", "wwn"}],
          "manual_instructions": str}]}]}

A refusal prints {"refused": true, "checks": [...]} and exits 2.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.host import Host
    from backend.model import Inventory
    from backend.plan.roles import CheckResult, Refusal, Roles
    from backend.plan.step import Plan, Step


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--json."""
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")


def saved_or_proposed(host: Host, inv: Inventory, args: argparse.Namespace) -> Roles | Refusal:
    """The roles a previous run saved for this machine, else a proposal from the inventory."""
    from backend.plan.facts import gather_facts
    from backend.plan.roles import propose_roles

    try:
        from backend.executor_setup import load_roles, roles_path

        saved = load_roles(roles_path(args))
    except (ImportError, OSError, ValueError, KeyError):
        saved = None
    if saved is not None:
        return saved
    return propose_roles(inv, nixos=gather_facts(host).nixos)


def _check_json(c: CheckResult) -> dict[str, Any]:
    return {"id": c.id, "ok": c.ok, "message": c.message, "fix": c.fix, "blocking": c.blocking}


def _print_refusal(checks: tuple[CheckResult, ...], as_json: bool) -> int:
    if as_json:
        print(json.dumps({"refused": True, "checks": [_check_json(c) for c in checks]}, indent=2))
        return 2
    print("md2zfs refuses to plan a migration on this machine:", file=sys.stderr)
    for c in checks:
        if not c.ok and c.blocking:
            print(f"  FAIL {c.id}: {c.message}", file=sys.stderr)
            if c.fix:
                print(f"       fix: {c.fix}", file=sys.stderr)
    return 2


def step_json(step: Step, inv: Inventory) -> dict[str, Any]:
    """One step as the JSON shape above."""
    from backend.plan.step import Command

    ops: list[dict[str, Any]] = []
    for op in step.operations:
        if isinstance(op, Command):
            ops.append({"argv": list(op.argv), "stdin": op.stdin_display})
        else:
            params = {k: v for k, v in op.params if k != "roles"}
            ops.append({"action": op.name, "describe": op.describe, "params": params})
    destroys = []
    for d in step.destroys:
        found = inv.resolve(d.identity)
        disk = found[0] if len(found) == 1 else None
        destroys.append(
            {
                "identity": str(d.identity),
                "device": d.device,
                "what": d.what,
                "model": disk.model if disk else None,
                "serial": disk.serial if disk else None,
                "wwn": disk.wwn if disk else None,
            }
        )
    return {
        "id": step.id,
        "title": step.title,
        "why": step.why,
        "kind": step.kind,
        "changes": step.changes,
        "copies_before": step.copies_before,
        "copies_after": step.copies_after,
        "done": bool(step.done_when and step.done_when(inv)),
        "operations": ops,
        "destroys": destroys,
        "manual_instructions": step.manual_instructions,
    }


def render_text(plan: Plan, inv: Inventory, checks: list[CheckResult]) -> str:
    """The plan for a terminal: phases, steps, why, commands (quoted for display only)."""
    out: list[str] = []
    for c in checks:
        if not c.ok:
            out.append(f"warning {c.id}: {c.message}" + (f" ({c.fix})" if c.fix else ""))
    for phase in plan.phases:
        out.append(f"\nPhase {phase.number}: {phase.title}")
        for step in phase.steps:
            s = step_json(step, inv)
            status = "done" if s["done"] else "pending"
            out.append(f"  [{status}] {step.id}  {step.title}")
            out.append(f"      why: {step.why}")
            out.append(f"      copies: {step.copies_before} -> {step.copies_after}")
            for op in s["operations"]:
                if "argv" in op:
                    out.append(f"      $ {shlex.join(op['argv'])}")
                    if op["stdin"]:
                        out += [f"          | {line}" for line in op["stdin"].splitlines()]
                else:
                    out.append(f"      * {op['describe'] or op['action']}")
            for d in s["destroys"]:
                who = " ".join(
                    x for x in (d["model"], d["serial"] and f"serial {d['serial']}") if x
                )
                out.append(f"      DESTROYS on {d['device']} ({who or d['identity']}): {d['what']}")
            if step.changes:
                out.append(f"      changes: {step.changes}")
            if step.manual_instructions:
                out.append("      manual: " + step.manual_instructions.splitlines()[0])
    return "\n".join(out).lstrip("\n") + "\n"


def run(args: argparse.Namespace) -> int:
    """Print the plan (exit 0), or the refusal (exit 2)."""
    from backend.hosts import open_host_or_say
    from backend.inventory import take_inventory
    from backend.plan.build import build_plan
    from backend.plan.checks import failures, run_checks
    from backend.plan.facts import gather_facts
    from backend.plan.roles import Refusal

    host = open_host_or_say(args)
    if host is None:
        return 2
    inv = take_inventory(host)
    roles = saved_or_proposed(host, inv, args)
    if isinstance(roles, Refusal):
        return _print_refusal(roles.checks, args.json)
    facts = gather_facts(host, roles)
    plan = build_plan(roles, inv, facts)
    started = any(s.done_when and s.done_when(inv) for s in plan.steps()[1:])
    checks = [] if started else run_checks("preflight", roles, inv, facts)
    if failures(checks):
        return _print_refusal(tuple(checks), args.json)
    if args.json:
        from dataclasses import asdict

        doc = {
            "host": host.description,
            "roles": asdict(roles),
            "checks": [_check_json(c) for c in checks],
            "phases": [
                {
                    "number": p.number,
                    "title": p.title,
                    "steps": [step_json(s, inv) for s in p.steps],
                }
                for p in plan.phases
            ],
        }
        print(json.dumps(doc, indent=2))
    else:
        sys.stdout.write(render_text(plan, inv, checks))
    return 0
