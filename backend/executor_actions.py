"""The in-code actions a step may hold (`Action(name, params)`), and what each one does.

Anything that is not one plain command lives here: pipelines built in Python (dump a
partition table, transform it, feed it back on stdin), files written through the host
(NixOS module, key file 0600, step markers) and the checks that gate a step. Each handler
gets an `OpContext` (run a command as part of the step, say a line, read the inventory)
and raises `OpFailedError` to stop the plan at this step (`ChecksRefusedError` when the
checks refuse: the run ends "refused", exit 2, rather than "failed").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from backend.executor_ops import ChecksRefusedError, OpContext, OpFailedError
from backend.plan.step import Action

ActionHandler = Callable[[OpContext, Action], None]


def _params(action: Action) -> dict[str, str]:
    return dict(action.params)


def _mode(params: Mapping[str, str], default: int) -> int:
    raw = params.get("mode")
    return int(raw, 8) if raw else default


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def _ensure_dir(ctx: OpContext, path: str, mode: str = "755") -> None:
    """mkdir -p the parent of path (as a command: the host's one way to make directories)."""
    parent = _parent(path)
    if not ctx.host.exists(parent):
        ctx.command(("mkdir", "-p", "-m", mode, parent))


def act_write_file(ctx: OpContext, action: Action) -> None:
    """params: path, text (or content), mode (octal, default 644)."""
    p = _params(action)
    text = p.get("text", p.get("content", ""))
    ctx.say(f"write {p['path']} ({len(text.splitlines())} lines, mode {_mode(p, 0o644):o})")
    _ensure_dir(ctx, p["path"])
    ctx.host.write_file(p["path"], text, _mode(p, 0o644))


def act_write_key_file(ctx: OpContext, action: Action) -> None:
    """params: path, secret (name of the secret, default "passphrase"). Always 0600."""
    p = _params(action)
    name = p.get("secret", "passphrase")
    value = ctx.redactor.secrets.get(name)
    if not value:
        raise OpFailedError(f"no {name} was given: cannot write the key file {p['path']}")
    ctx.say(f"write key file {p['path']} (mode 0600)")
    _ensure_dir(ctx, p["path"], "700")
    # The mode is fixed here, not taken from params: a key file is never readable by others.
    ctx.host.write_file(p["path"], value, 0o600)


def act_copy_partition_table(ctx: OpContext, action: Action) -> None:
    """params: source, target. `sfdisk -d source`, transformed in code, fed to `sfdisk target`."""
    from backend.parse.errors import ParseError
    from backend.plan.partitions import copy_table_script

    p = _params(action)
    dump = ctx.command(("sfdisk", "-d", p["source"]), show_output=False)
    try:
        script = copy_table_script(dump.stdout)
    except ParseError as exc:
        raise OpFailedError(f"cannot read the partition table of {p['source']}: {exc}") from exc
    ctx.say(f"partition table for {p['target']}:")
    for line in script.splitlines():
        ctx.say("  " + line)
    ctx.command(("sfdisk", p["target"]), stdin=script, stdin_display="the table shown above")


def act_add_nixos_import(ctx: OpContext, action: Action) -> None:
    """params: path (configuration.nix), import ("./md2zfs.nix"). A one-line, shown change."""
    from backend.nixos import import_line_change

    p = _params(action)
    try:
        text = ctx.host.read_file(p["path"])
    except FileNotFoundError as exc:
        raise OpFailedError(f"{p['path']} does not exist") from exc
    try:
        new, line = import_line_change(text, p["import"])
    except ValueError as exc:
        raise OpFailedError(f"cannot add {p['import']} to {p['path']}: {exc}") from exc
    if not line:
        ctx.say(f"{p['path']} already imports {p['import']}")
        return
    ctx.say(f"{p['path']}: add the line: {line.strip()}")
    ctx.host.write_file(p["path"], new, 0o644)


def act_marker(ctx: OpContext, action: Action) -> None:
    """params: path, text (default: the host clock). A file whose existence records a fact."""
    p = _params(action)
    text = p.get("text", f"{ctx.host.clock():.0f}\n")
    ctx.say(f"mark {p['path']}")
    _ensure_dir(ctx, p["path"])
    ctx.host.write_file(p["path"], text, _mode(p, 0o644))


def act_mark_done(ctx: OpContext, action: Action) -> None:
    """params: step (id), path (default /run/md2zfs/done). Records a fact the inventory
    cannot see, on a tmpfs so a reboot forgets it together with the state it stood for."""
    from backend.inventory import MARKER_FILE

    p = _params(action)
    path = p.get("path", MARKER_FILE)
    try:
        old = ctx.host.read_file(path)
    except FileNotFoundError:
        old = ""
    ids = [ln.strip() for ln in old.splitlines() if ln.strip()]
    if p["step"] in ids:
        return
    ctx.say(f"mark {p['step']} done in {path}")
    _ensure_dir(ctx, path)
    ctx.host.write_file(path, "".join(i + "\n" for i in [*ids, p["step"]]), 0o644)


def act_run_checks(ctx: OpContext, action: Action) -> None:
    """params: stage, roles (JSON). Runs that stage's checks on the live system; any
    blocking failure stops the step with every failed check and its fix."""
    from backend.plan.checks import run_checks
    from backend.plan.facts import gather_facts
    from backend.plan.roles import Roles

    p = _params(action)
    roles = Roles.from_json(p["roles"])
    results = run_checks(p["stage"], roles, ctx.inventory(), gather_facts(ctx.host, roles))
    failed = []
    for r in results:
        mark = "ok  " if r.ok else ("FAIL" if r.blocking else "warn")
        ctx.say(f"{mark} {r.id}: {r.message}" + ("" if r.ok or not r.fix else f" (fix: {r.fix})"))
        if not r.ok and r.blocking:
            failed.append(r)
    if failed:
        raise ChecksRefusedError(
            f"{len(failed)} check(s) failed: " + "; ".join(f"{r.id}: {r.message}" for r in failed),
            tail=tuple(
                f"{r.id}: {r.message}" + (f" (fix: {r.fix})" if r.fix else "") for r in failed
            ),
        )


DEFAULT_ACTIONS: dict[str, ActionHandler] = {
    "write-file": act_write_file,
    "write-key-file": act_write_key_file,
    "copy-partition-table": act_copy_partition_table,
    "add-nixos-import": act_add_nixos_import,
    "marker": act_marker,
    "mark-done": act_mark_done,
    "run-checks": act_run_checks,
}
