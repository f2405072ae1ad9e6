"""The copies ledger (DESIGN.md §3.1): complete copies of the root data, from the live system.

A copy is an independent, complete replica:

- each in-sync member of R while R holds the root data (not recovering, faulty or spare;
  while R resyncs as a whole, its members may differ, so R counts once);
- each in-sync leaf of the new pool's mirror, once the pool holds a complete copy: either /
  is mounted from it (after the phase-6 reboot the pool *is* the live data), or the final
  rsync was made in this boot in the maintenance target (step 6.4 marked itself done in
  /run/md2zfs/done, which a reboot clears; a resilvering leaf does not count yet).

After the reboot R still holds the root as it was at the cut-over (the final copy was made
from it in the maintenance target) and counts until phase 7 stops it, as DESIGN.md's table
says (phase 6 ends with 3 copies, phase 7 with 2).
"""

from __future__ import annotations

from collections.abc import Callable

from backend.model import Inventory, MdArray, Pool
from backend.plan import evidence as ev
from backend.plan.roles import Roles
from backend.plan.step import Step

FINAL_COPY_STEP = "6.4-final-copy"
CopiesFn = Callable[[Inventory], int]


def r_copies(arr: MdArray | None) -> int:
    """In-sync members of an md array; an array resyncing as a whole counts once."""
    if arr is None or arr.state != "active":
        return 0
    n = sum(1 for m in arr.members if m.in_sync)
    if arr.slots is not None:
        # mdstat alone marks a recovering member in sync by its slot; its [UU_] does not lie.
        n = min(n, arr.slots.count("U"))
    if arr.sync is not None and arr.sync.action in ("resync", "repair", "reshape"):
        n = min(n, 1)
    return n


def pool_copies(pool: Pool | None) -> int:
    """Leaves of the pool holding all its data: ONLINE and not being resilvered."""
    if pool is None:
        return 0
    leaves = pool.leaves()
    ok = [v for v in leaves if v.state == "ONLINE" and "resilver" not in (v.note or "")]
    scan = pool.scan
    if scan is not None and scan.function == "resilver" and scan.state == "running":
        # The scan does not always say which leaf it rebuilds: at most all but one are whole.
        return min(len(ok), max(len(leaves) - 1, 0))
    return len(ok)


def root_array(inv: Inventory, roles: Roles) -> MdArray | None:
    """R as assembled now: by name, or whichever array holds C (it may come back as md127)."""
    arr = inv.array(roles.array)
    if arr is not None:
        return arr
    holders = ev.arrays_with(inv, ev.part_name(inv, roles, "c", roles.member_c))
    return holders[0] if holders else None


def count_copies(inv: Inventory, roles: Roles, facts: object = None) -> int:
    """Complete copies of the root data right now (see the module docstring).

    `facts` is accepted for symmetry with the checks; everything is read off the inventory
    (Inventory.markers carries the final-copy mark).
    """
    copies = r_copies(root_array(inv, roles))
    pool = inv.pool(roles.pool)
    if ev.root_on_pool(inv, roles) or ev.marked(inv, FINAL_COPY_STEP):
        copies += pool_copies(pool)
    return copies


def copies_after(step: Step, inv: Inventory, roles: Roles) -> int:
    """Copies expected once the step is done: the live count moved by the step's plan."""
    return count_copies(inv, roles) + step.copies_after - step.copies_before


def check_copies(step: Step, inv: Inventory, roles: Roles) -> str | None:
    """Why the step must be refused under the two-copies rule (None: it may run).

    The executor calls this before every step; an operator override is its business.
    """
    now = count_copies(inv, roles)
    after = now - max(0, step.copies_before - step.copies_after)
    if step.copies_after < 2 or after < 2:
        return (
            f"{step.id} would leave {min(after, step.copies_after)} complete copies of the "
            f"data (now {now}, the step expects {step.copies_before}); at least 2 are required"
        )
    return None


def copies_counter(roles: Roles) -> CopiesFn:
    """`count_copies` bound to the roles: the executor's `copies=` callable."""

    def count(inv: Inventory) -> int:
        return count_copies(inv, roles)

    return count
