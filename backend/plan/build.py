"""The reference plan (DESIGN.md §1, phases 0-7) as data, for one machine and its roles.

`build_plan(roles, inv, facts)` is pure: it reads the inventory (and the host facts) and
returns Steps holding argv tuples and in-code Actions. It is cheap, and the executor
rebuilds it from the live system before every step, so device nodes are always current
and steps that must not repeat an effect (mount what is not mounted, create the datasets
that are missing) emit only what is left to do.

Done-when: each step has its own *evidence* (a sound predicate: false until the step has
run). A step is done when its evidence or the evidence of any later step holds, so the
predicate stays true in every later state of the migration (monotone): after the phase-6
reboot, "C is a member of R" may be false again, but "/ is on the pool" proves it happened.
Steps whose effect the inventory cannot see (a NixOS module written, the final copy made in
the maintenance target) mark themselves in /run/md2zfs/done (Inventory.markers): a tmpfs,
so an unexpected reboot forgets them, exactly as it undoes the states they stand for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from backend.model import Disk, DiskIdentity, Inventory
from backend.plan.facts import CONFIGURATION_NIX, HostFacts
from backend.plan.roles import Resolved, Roles, partition_name, resolve, stable_path
from backend.plan.step import Action, Command, Destroys, Phase, Plan, Predicate, Step

Evidence = Callable[[Inventory], bool]

PHASE_TITLES = {
    0: "preflight",
    1: "widen the mirror",
    2: "free disk A",
    3: "enable ZFS",
    4: "build the pool on DA",
    5: "teach NixOS the new root",
    6: "cut over",
    7: "verify and clean up",
}


@dataclass(frozen=True)
class Spec:
    """A step before its predicates are joined up with the later steps' evidence."""

    step: Step
    evidence: Evidence
    wait: Evidence | None = None


@dataclass(frozen=True)
class Ctx:
    """What the phase builders read: roles, the live inventory, host facts, resolved disks."""

    roles: Roles
    inv: Inventory
    facts: HostFacts
    disks: dict[str, Disk | None] = field(default_factory=dict)

    def disk(self, which: str) -> Disk | None:
        """DA/DB/DC ("a"/"b"/"c") as resolved in this inventory."""
        return self.disks.get(which)

    def dev(self, which: str) -> str:
        """/dev node of DA/DB/DC, or a placeholder naming the missing identity."""
        d = self.disk(which)
        if d is not None:
            return d.path
        ident = {"a": self.roles.disk_a, "b": self.roles.disk_b, "c": self.roles.disk_c}[which]
        return f"<D{which.upper()} {ident} not found>"

    def node(self, which: str, number: int) -> str:
        """/dev node of partition `number` of DA/DB/DC."""
        d = self.disk(which)
        if d is None:
            return f"{self.dev(which)}-part{number}"
        return "/dev/" + partition_name(d.name, number)

    def stable(self, which: str, number: int) -> str:
        """The by-id (or by-path) path of a partition, as the pool records it."""
        d = self.disk(which)
        base = stable_path(d) if d is not None else self.dev(which)
        return f"{base}-part{number}"


def roles_action(name: str, roles: Roles, **params: str) -> Action:
    """An in-code action that needs the roles at run time (checks, module writes)."""
    return Action(name, (*params.items(), ("roles", roles.to_json())))


def wipe_step(
    step_id: str,
    *,
    title: str,
    why: str,
    disk: DiskIdentity,
    dev: str,
    what: str,
    changes: str = "",
) -> Step:
    """A `wipefs -a DEV` step (phase from the id), naming what it destroys on which disk."""
    return Step(
        id=step_id,
        phase=int(step_id.split(".", 1)[0]),
        title=title,
        why=why,
        operations=(Command(("wipefs", "-a", dev)),),
        destroys=(Destroys(disk, dev, what),),
        changes=changes,
    )


def remove_member_step(
    step_id: str, *, array: str, dev: str, disk: DiskIdentity, side: str, why: str, changes: str
) -> Step:
    """Fail and remove one side's member from the old mirror: three copies become two."""
    return Step(
        id=step_id,
        phase=int(step_id.split(".", 1)[0]),
        title=f"Fail and remove {dev} from {array}",
        why=why,
        operations=(Command(("mdadm", f"/dev/{array}", "--fail", dev, "--remove", dev)),),
        destroys=(Destroys(disk, dev, f"{side}'s place in {array} (a full copy)"),),
        changes=changes,
        copies_before=3,
        copies_after=2,
    )


def import_ops(ctx: Ctx) -> tuple[Action, ...]:
    """Import ./md2zfs.nix from configuration.nix: a one-line change, shown in the plan.

    With the file's text in the facts (read just before the step: the plan is rebuilt
    before every step) the new text is computed here by backend.nixos.import_line_change
    and written as is; nothing when the import is already there. Without it, the
    executor's add-nixos-import action edits the file at run time.
    """
    from backend.nixos import import_line_change

    text = ctx.facts.configuration_nix
    if text is None:
        return (
            Action(
                "add-nixos-import",
                (("path", CONFIGURATION_NIX), ("import", "./md2zfs.nix")),
                f"add ./md2zfs.nix to the imports of {CONFIGURATION_NIX} (one line)",
            ),
        )
    try:
        new, line = import_line_change(text)
    except ValueError:
        return (
            Action(
                "add-nixos-import",
                (("path", CONFIGURATION_NIX), ("import", "./md2zfs.nix")),
                f"add ./md2zfs.nix to the imports of {CONFIGURATION_NIX} (one line)",
            ),
        )
    if not line:
        return ()
    return (
        Action(
            "write-file",
            (("path", CONFIGURATION_NIX), ("text", new), ("mode", "644")),
            f"{CONFIGURATION_NIX}: + {line.strip()}",
        ),
    )


def any_of(preds: Sequence[Evidence]) -> Predicate:
    """A predicate that holds when any of the given ones holds."""
    frozen = tuple(preds)

    def check(inv: Inventory) -> bool:
        return any(p(inv) for p in frozen)

    return check


def _both(a: Evidence, b: Evidence) -> Evidence:
    return lambda inv: a(inv) and b(inv)


def join(specs: Sequence[Spec]) -> tuple[Step, ...]:
    """Give each step its monotone done-when and wait-until (own or later evidence)."""
    # A check passing says nothing about the steps before it (the bootability check may pass
    # before the boot loader is installed again): its evidence also needs its predecessor's.
    evidence = [
        _both(s.evidence, specs[i - 1].evidence) if s.step.kind == "check" and i else s.evidence
        for i, s in enumerate(specs)
    ]
    out = []
    for i, spec in enumerate(specs):
        later = evidence[i + 1 :]
        done = any_of([evidence[i], *later])
        wait = any_of([spec.wait, *later]) if spec.wait is not None else None
        out.append(replace(spec.step, done_when=done, wait_until=wait))
    return tuple(out)


def make_ctx(roles: Roles, inv: Inventory, facts: HostFacts | None = None) -> Ctx:
    """Resolve the roles leniently: a missing disk becomes a placeholder in argv (the
    executor's re-check refuses any destructive step on it)."""
    res = resolve(roles, inv)
    disks: dict[str, Disk | None]
    if isinstance(res, Resolved):
        disks = {"a": res.da, "b": res.db, "c": res.dc}
    else:
        disks = {}
        for which, ident in (("a", roles.disk_a), ("b", roles.disk_b), ("c", roles.disk_c)):
            found = inv.resolve(ident)
            disks[which] = found[0] if len(found) == 1 else None
    return Ctx(roles, inv, facts or HostFacts(), disks)


def build_plan(roles: Roles, inv: Inventory, facts: HostFacts | None = None) -> Plan:
    """The whole migration for this machine (phases 0-7), every step as data."""
    from backend.plan.build_cutover import phase5, phase6, phase7
    from backend.plan.build_phases import phase0, phase1, phase2, phase3, phase4

    ctx = make_ctx(roles, inv, facts)
    specs: list[Spec] = []
    for builder in (phase0, phase1, phase2, phase3, phase4, phase5, phase6, phase7):
        specs.extend(builder(ctx))
    steps = join(specs)
    phases = tuple(
        Phase(n, PHASE_TITLES[n], tuple(s for s in steps if s.phase == n)) for n in range(8)
    )
    return Plan(phases)


def plan_source(
    roles: Roles, facts_fn: Callable[[], HostFacts] | None = None
) -> Callable[[Inventory], Plan]:
    """A plan function for the executor: rebuilt from each fresh inventory, with fresh
    host facts when `facts_fn` is given (e.g. `lambda: gather_facts(host)`)."""

    def source(inv: Inventory) -> Plan:
        return build_plan(roles, inv, facts_fn() if facts_fn else None)

    return source
