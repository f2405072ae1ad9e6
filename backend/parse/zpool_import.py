"""Parse `zpool import` (no arguments, optionally ``-D``): the pools that could be imported.

One block per pool; two exported pools may share a name and differ by id, which is what
makes a later ``zpool import NAME`` (and NixOS's boot-time import) fail with "more than one
matching pool"::

       pool: dozer
         id: 2704475622193776801
      state: ONLINE
     action: The pool can be imported using its name or numeric identifier.
     config:

            dozer       ONLINE
              c1t9d0    ONLINE

A pool found with ``-D`` prints ``state: ONLINE (DESTROYED)``; the state is kept as printed
so a caller can tell it apart. Only name, id and state reach the model: the config of an
importable pool is not needed to pick a unique name.
"""

from __future__ import annotations

from backend.model import ImportablePool
from backend.parse.zpool_blocks import split_blocks
from backend.parse.zpool_status import ZpoolParseError

__all__ = ["parse_zpool_import"]

_QUIET = ("no pools available to import",)


def parse_zpool_import(text: str) -> tuple[ImportablePool, ...]:
    """Every pool listed by `zpool import`; "no pools available to import" gives ``()``.

    Raises :class:`ZpoolParseError`, and nothing else, on a block without a numeric id
    or a state, or on text before the first ``pool:`` line that zpool would not print.
    """
    pools: list[ImportablePool] = []
    for block in split_blocks(text, ZpoolParseError, _QUIET):
        id_field = block.get("id")
        if id_field is None or not (id_field.value.isascii() and id_field.value.isdigit()):
            where = (id_field.line_no, f"id: {id_field.value}") if id_field else None
            line_no, line = where or (block.line_no, block.line)
            raise ZpoolParseError(f"pool {block.name!r} has no numeric id", line_no, line)
        state = block.get("state")
        if state is None or not state.value:
            raise ZpoolParseError(f"pool {block.name!r} has no state", block.line_no, block.line)
        pools.append(ImportablePool(name=block.name, id=id_field.value, state=state.value))
    return tuple(pools)
