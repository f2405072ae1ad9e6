"""Long operations as functions of the clock: md resync/recovery and ZFS resilver.

Nothing here sleeps. `md_done_kib` / `scan_done_bytes` say how far a job is at a given time;
`settle` turns jobs that have finished by then into their end state (idempotent, so any
reader may call it before rendering).
"""

from __future__ import annotations

from backend.sim.state import ScanJob, SimArray, SimPool, SimState, SyncJob, leaves

RECOVERY_KIB_S = 200_000  # ~205 MB/s: what SATA SSDs sustain for an md recovery/resync
RESILVER_BYTES_S = 400 * 1024**2  # ZFS resilver of allocated data on the same disks


def md_done_kib(job: SyncJob, now: float) -> int:
    """KiB per member done at `now` (capped at the total)."""
    elapsed = max(0.0, now - job.start_time)
    return min(job.total_kib, job.start_kib + int(job.rate_kib_s * elapsed))


def md_finish_time(job: SyncJob) -> float:
    """When the job reaches its total."""
    return job.start_time + (job.total_kib - job.start_kib) / max(1, job.rate_kib_s)


def scan_done_bytes(scan: ScanJob, now: float) -> int:
    """Bytes issued by a scan at `now`."""
    if scan.end_time is not None:
        return scan.total_bytes
    elapsed = max(0.0, now - scan.start_time)
    return min(scan.total_bytes, int(scan.rate_bytes_s * elapsed))


def scan_finish_time(scan: ScanJob) -> float:
    """When a running scan completes."""
    return scan.start_time + scan.total_bytes / max(1, scan.rate_bytes_s)


def settle_array(arr: SimArray, now: float) -> None:
    """Finish the array's sync job if it is done by `now`."""
    job = arr.sync
    if job is None or md_done_kib(job, now) < job.total_kib:
        return
    for member in arr.members:
        if member.state == "rebuilding":
            member.state = "active"
            member.desc_nr = member.slot if member.slot is not None else member.desc_nr
    arr.sync = None
    arr.events += 1
    arr.update_time = md_finish_time(job)


def settle_pool(pool: SimPool, now: float) -> None:
    """Finish the pool's resilver if it is done by `now`."""
    scan = pool.scan
    if scan is None or scan.end_time is not None:
        return
    if scan_done_bytes(scan, now) < scan.total_bytes:
        return
    scan.end_time = scan_finish_time(scan)
    for leaf in leaves(pool.root):
        leaf.resilvering = False
    pool.txg += 100


def settle(state: SimState, now: float) -> None:
    """Bring every long job up to `now`."""
    for arr in state.arrays:
        if arr.running:
            settle_array(arr, now)
    for pool in state.pools:
        settle_pool(pool, now)
