"""`zpool import` (listing only). No corpus sample exists, so the fixtures below follow the
layout printed by OpenZFS's ``show_import()`` (cmd/zpool/zpool_main.c: "   pool:", "     id:",
"  state:" with " (DESTROYED)" under ``-D``, "status:", " action:", "   see:", " config:",
tab-continued paragraphs, a blank line between pools) and the Solaris administration
guide's example of two exported pools with one name.
"""

from __future__ import annotations

import pytest

from backend.model import ImportablePool
from backend.parse.zpool_import import parse_zpool_import
from backend.parse.zpool_report import importable_pool_to_json
from backend.parse.zpool_status import ZpoolParseError

# Two exported pools with the same name: `zpool import rpool` would fail with "more than
# one matching pool" (what broke the reference migration at boot).
SAME_NAME = """\
   pool: rpool
     id: 15451357997522795478
  state: ONLINE
status: The pool was last accessed by another system.
 action: The pool can be imported using its name or numeric identifier and
\tthe '-f' flag.
   see: https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-EY
 config:

\trpool                                        ONLINE
\t  mirror-0                                   ONLINE
\t    ata-WDC_WD10EZEX-08WN4A0_WD-WCC6Y3XXXXXX-part2  ONLINE
\t    ata-ST1000DM010-2EP102_Z9A1XXXX-part2    ONLINE

   pool: rpool
     id: 2704475622193776801
  state: DEGRADED
status: One or more devices are missing from the system.
 action: The pool can be imported despite missing or damaged devices.  The
\tfault tolerance of the pool may be compromised if imported.
   see: https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-2Q
 config:

\trpool                     DEGRADED
\t  mirror-0                DEGRADED
\t    vdc3                  ONLINE
\t    11522838428342875113  UNAVAIL
"""

# `zpool import -D`: a destroyed pool, which a plain `zpool import` does not list.
DESTROYED = """\
   pool: tank
     id: 5154272182900538157
  state: ONLINE (DESTROYED)
 action: The pool can be imported using its name or numeric identifier.
 config:

\ttank        ONLINE
\t  mirror-0  ONLINE
\t    sdb     ONLINE
\t    sdc     ONLINE
"""

# Solaris-era layout (keys one column further left), after the ZFS administration guide.
SOLARIS = """\
  pool: data
    id: 7040129348577211005
 state: ONLINE
action: The pool can be imported using its name or numeric identifier.
config:

        data        ONLINE
          c2t0d0    ONLINE

  pool: data
    id: 3906414276119962451
 state: ONLINE
action: The pool can be imported using its name or numeric identifier.
config:

        data        ONLINE
          c2t1d0    ONLINE
"""

# A pool that cannot be imported, with a comment, an unsupported-feature list and the
# "may be active on another system" paragraph.
UNAVAIL = """\
   pool: backup
     id: 13877708942804425361
  state: UNAVAIL
status: The pool uses the following feature(s) not supported on this system:
\torg.openzfs:raidz_expansion
 action: The pool cannot be imported. Access the pool on a system that supports
\tthe required feature(s), or recreate the pool from backup.
comment: offsite disk
\tThe pool may be active on another system, but can be imported using
\tthe '-f' flag.
   see: https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-EY
 config:

\tbackup      UNAVAIL  unsupported feature(s)
\t  sdd       ONLINE

\tAdditional devices are known to be part of this pool, though their
\texact configuration cannot be determined.
"""


def test_two_pools_with_the_same_name() -> None:
    assert parse_zpool_import(SAME_NAME) == (
        ImportablePool("rpool", "15451357997522795478", "ONLINE"),
        ImportablePool("rpool", "2704475622193776801", "DEGRADED"),
    )


def test_destroyed_pool_keeps_the_mark() -> None:
    (pool,) = parse_zpool_import(DESTROYED)
    assert pool == ImportablePool("tank", "5154272182900538157", "ONLINE (DESTROYED)")
    assert importable_pool_to_json(pool) == {
        "name": "tank",
        "id": "5154272182900538157",
        "state": "ONLINE (DESTROYED)",
    }


def test_solaris_layout() -> None:
    assert [(p.name, p.id) for p in parse_zpool_import(SOLARIS)] == [
        ("data", "7040129348577211005"),
        ("data", "3906414276119962451"),
    ]


def test_paragraphs_comment_and_trailing_notes() -> None:
    assert parse_zpool_import(UNAVAIL) == (
        ImportablePool("backup", "13877708942804425361", "UNAVAIL"),
    )


def test_everything_at_once() -> None:
    text = "\n".join((SAME_NAME, DESTROYED, UNAVAIL))
    assert [p.id for p in parse_zpool_import(text)] == [
        "15451357997522795478",
        "2704475622193776801",
        "5154272182900538157",
        "13877708942804425361",
    ]


@pytest.mark.parametrize("text", ["", "\n", "no pools available to import\n"])
def test_no_pools(text: str) -> None:
    # zpool prints "no pools available to import" on stderr; stdout is then empty.
    assert parse_zpool_import(text) == ()


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ("cannot discover pools: permission denied\n", 1),
        ("   pool: tank\n  state: ONLINE\n", 1),  # no id
        ("   pool: tank\n     id: 12ab\n  state: ONLINE\n", 2),  # id not numeric
        ("   pool: tank\n     id: 42\n", 1),  # no state
        ("     id: 42\n   pool: tank\n", 1),  # a field before any pool
    ],
)
def test_unreadable_text(text: str, line_no: int) -> None:
    with pytest.raises(ZpoolParseError) as info:
        parse_zpool_import(text)
    assert info.value.line_no == line_no
