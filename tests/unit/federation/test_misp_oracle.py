"""MISP's own documentation as the oracle for ``accord.federation``: the four sync tables of
misp-book's sharing/README.md ("Syncing scenarios with communities distribution": push and pull,
with and without the "Internal instance" flag), the restatement in SOURCE.md, and "Visibility of
data", read in place from ``$ACCORD_DATA_DIR/incidents/misp_sharing`` (skipped when absent).

The tables are parsed here, row by row, and every phrase is mapped to an expected outcome (a
level on instance B, or None: not synced); a phrase this parser does not know fails the test, and
each table must have exactly four rows, so an edited file cannot silently pass.

Sharing groups come from PyMISP's ``tests/sharing_groups.json``. Mapping to accord's names:

- organisation names become org slugs: ``CIRCL`` -> ``circl``, ``PifPafPoum`` -> ``pifpafpoum``;
- ``SharingGroupServer`` ``server_id "0"`` is MISP's "this instance" (the server the group was
  made on; its ``Server`` list is empty): it becomes the log origin ``THIS_SERVER`` below;
- MISP's sharing groups carry a numeric id only in this file: the uuid is ``uuid5`` of its name;
- ``SharingGroupOrg.extend`` (who may edit the group) has no bearing on visibility and is dropped.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from accord.federation import DEFAULT_LEVEL, LEVEL_NAMES, after_hop, level_admits, sharing_group_admits_server
from accord.incidents import SharingGroup, SharingGroupServer

THIS_SERVER = "misp.circl.example/log"
OTHER_SERVER = "other.example/log"
ORG_SLUGS = {"CIRCL": "circl", "PifPafPoum": "pifpafpoum"}
OUTSIDER = "outsider"

# The level names as the tables write them.
NAMES = {"your organisation only": 0, "this community only": 1, "connected communities": 2, "all communities": 3}

TABLES = {
    # heading -> (mode, internal)
    "Push from instance A to instance B - usual scenario": ("push", False),
    "Pulling from instance A to instance B - usual scenario": ("pull", False),
    "Push from instance A to instance B - internal flag set scenario": ("push", True),
    "Pulling from instance A to instance B - internal flag set scenario": ("pull", True),
}


@pytest.fixture(scope="module")
def misp_dir() -> Path:
    from tests.conftest import DATASETS

    path = DATASETS / "incidents" / "misp_sharing"
    if not (path / "misp-book_sharing_README.md").is_file():
        pytest.skip(f"MISP's sharing text is not at {path}")
    return path


@pytest.fixture(scope="module")
def readme(misp_dir: Path) -> str:
    return (misp_dir / "misp-book_sharing_README.md").read_text(encoding="utf-8")


def table_rows(text: str, heading: str) -> list[tuple[str, str]]:
    """The ``| instance A | instance B |`` rows under the markdown heading ``heading``."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.lstrip("#").strip() == heading and line.startswith("#")]
    assert len(starts) == 1, f"heading {heading!r} found {len(starts)} times"
    rows: list[tuple[str, str]] = []
    in_table = False
    for line in lines[starts[0] + 1 :]:
        if line.startswith("#"):
            break
        if not line.strip().startswith("|"):
            if in_table:
                break
            continue
        in_table = True
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 2, f"a row of {len(cells)} cells under {heading!r}"
        if cells[0] == "Instance A" or set(cells[0]) <= {"-", ":"}:
            continue
        rows.append((cells[0], cells[1]))
    return rows


@dataclass(frozen=True)
class Expected:
    """What a table row says arrives on B: per "the sync user belongs to the owner org", the
    set of documented outcomes (more than one where the row documents two cases)."""

    level: int
    owner: frozenset[int | None]
    other: frozenset[int | None]
    phrase: str


_TARGET = re.compile(r"(?:decreased to|stays)\s+'?(your organisation only|this community only|connected communities|all communities)", re.I)


def outcome(level_cell: str, text: str, *, internal: bool) -> Expected:
    """Map one row's phrase to its outcomes; an unknown phrase is an error, not a guess."""
    level = NAMES[level_cell.strip().lower()]
    low = " ".join(text.lower().split())
    target = _TARGET.search(low)
    lands = NAMES[target.group(1).lower()] if target else None
    if "pulled in only if the sync user is member of the event's owner organisation" in low:
        assert lands is not None, text
        return Expected(level, frozenset({lands}), frozenset({None}), "pulled only by the owner's sync user")
    if "not pushed if triggering push of already locally" in low and "synced on publication" in low:
        # Two documented cases: a re-push of an already published event does not send it; the
        # push at publication does, and with the internal flag nothing is downgraded.
        assert internal and lands is None, text
        both = frozenset({None, level})
        return Expected(level, both, both, "not pushed on re-push; synced at publication")
    if low == "event/object/attribute not pushed":
        return Expected(level, frozenset({None}), frozenset({None}), "not pushed")
    if lands is not None and ("decreased to" in low or "stays" in low):
        if "stays" in low:
            assert lands == level, f"'stays' names another level: {text!r}"
        else:
            assert lands < level, f"'decreased' does not decrease: {text!r}"
        return Expected(level, frozenset({lands}), frozenset({lands}), "decreased" if lands < level else "stays")
    raise AssertionError(f"the oracle does not know the phrase {text!r}")


@pytest.fixture(scope="module")
def tables(readme: str) -> dict[str, list[Expected]]:
    out: dict[str, list[Expected]] = {}
    for heading, (_mode, internal) in TABLES.items():
        out[heading] = [outcome(a, b, internal=internal) for a, b in table_rows(readme, heading)]
    return out


@pytest.mark.parametrize("heading", list(TABLES))
def test_each_table_has_exactly_one_row_per_level_0_to_3(tables: dict[str, list[Expected]], heading: str) -> None:
    rows = tables[heading]
    assert len(rows) == 4
    assert [r.level for r in rows] == [0, 1, 2, 3]


@pytest.mark.parametrize("heading", list(TABLES))
def test_after_hop_matches_every_row_of_misps_tables(tables: dict[str, list[Expected]], heading: str) -> None:
    mode, internal = TABLES[heading]
    for row in tables[heading]:
        for owns, allowed in ((True, row.owner), (False, row.other)):
            got = after_hop(row.level, mode=mode, sync_org_owns=owns, internal=internal)
            assert got in allowed, (
                f"{heading}: level {row.level} ({row.phrase}), sync user of the owner org={owns}: got {got}, MISP says {set(allowed)}"
            )


def test_the_tables_state_the_rules_accord_documents(tables: dict[str, list[Expected]]) -> None:
    """Spot checks that the parser read what the text says (independently of ``after_hop``)."""
    push, pull, ipush, ipull = (tables[h] for h in TABLES)
    assert [next(iter(r.other)) for r in push] == [None, None, 1, 3]
    assert [next(iter(r.other)) for r in pull] == [None, 0, 1, 3]
    assert pull[0].owner == {0}
    assert [next(iter(r.other)) for r in ipush[1:]] == [1, 2, 3]
    assert [(r.owner, r.other) for r in ipull] == [(r.owner, r.other) for r in pull]


def test_internal_push_of_level_0_follows_the_re_push_case_of_a_two_case_row(tables: dict[str, list[Expected]]) -> None:
    """misp-book's internal-flag push row for "Your organisation only" documents two cases: not
    pushed when a push is triggered for an already published event, but synced at publication
    (the internal flag downgrades nothing, so it would stay 0 on B). ``after_hop`` has no
    "at publication" input and answers None (the re-push case) for both; accord syncs by pull,
    where level 0 goes only to the owner's sync user, so the conservative half is kept."""
    row = tables["Push from instance A to instance B - internal flag set scenario"][0]
    assert row.level == 0 and row.owner == row.other == {None, 0}
    assert after_hop(0, mode="push", internal=True) is None
    assert after_hop(0, mode="push", internal=True, sync_org_owns=True) is None


# --- SOURCE.md's restatement, a second reading of the same tables -------------------------------


@pytest.fixture(scope="module")
def restatement(misp_dir: Path) -> dict[str, str]:
    source = misp_dir.parent / "SOURCE.md"
    if not source.is_file():
        pytest.skip(f"{source} is absent")
    text = source.read_text(encoding="utf-8")
    section = text[text.index("## misp_sharing/") :]
    found = {m.group(1): m.group(2) for m in re.finditer(r"\*\*(Push|Pull)\*\*: (.*)", section)}
    assert set(found) == {"Push", "Pull"}
    return found


@pytest.mark.parametrize("mode", ["push", "pull"])
def test_after_hop_matches_the_restatement_in_source_md(restatement: dict[str, str], mode: str) -> None:
    clauses = [c.strip().rstrip(".") for c in re.split(r"[,;]", restatement[mode.capitalize()])]
    assert len(clauses) == 4, clauses
    for clause in clauses:
        if m := re.fullmatch(r"(\d) is not pushed", clause):
            level, expect_owner, expect_other = int(m.group(1)), None, None
        elif m := re.fullmatch(r"(\d) arrives as (\d)(?: on B)?", clause):
            level, expect_owner = int(m.group(1)), int(m.group(2))
            expect_other = expect_owner
        elif m := re.fullmatch(r"(\d) stays (\d)", clause):
            level, expect_owner = int(m.group(1)), int(m.group(2))
            expect_other = expect_owner
        elif m := re.fullmatch(r"(\d) is pulled only if the sync user belongs to the owner org \(and stays (\d)\)", clause):
            level, expect_owner, expect_other = int(m.group(1)), int(m.group(2)), None
        else:
            raise AssertionError(f"unknown clause {clause!r}")
        assert after_hop(level, mode=mode, sync_org_owns=True) == expect_owner, clause
        assert after_hop(level, mode=mode, sync_org_owns=False) == expect_other, clause


def test_levels_and_default_are_misps(readme: str) -> None:
    section = readme[readme.index("### Distribution settings") : readme.index("#### Visibility of data")]
    listed = [line[2:].strip().lower() for line in section.splitlines() if line.startswith("* ")]
    assert listed == [LEVEL_NAMES[i] for i in range(5)]
    assert DEFAULT_LEVEL == 1  # SOURCE.md: a fresh MISP's events use 1 (This community only)


@pytest.mark.parametrize("mode", ["push", "pull"])
@pytest.mark.parametrize("internal", [False, True])
@pytest.mark.parametrize("owns", [False, True])
def test_a_sharing_group_is_never_lowered(mode: str, internal: bool, owns: bool) -> None:
    # "Distribution mechanisms": not decreased when originally set to ... Sharing group.
    assert after_hop(4, mode=mode, internal=internal, sync_org_owns=owns) == 4  # type: ignore[arg-type]


def test_after_hop_refuses_unknown_levels_and_modes() -> None:
    for level in (-1, 5, 99):
        with pytest.raises(ValueError, match="distribution level"):
            after_hop(level, mode="pull")
    with pytest.raises(ValueError, match="sync mode"):
        after_hop(2, mode="sideways")  # type: ignore[arg-type]


# --- "Visibility of data" ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def misp_groups(misp_dir: Path) -> list[SharingGroup]:
    raw = json.loads((misp_dir / "pymisp_tests_sharing_groups.json").read_text(encoding="utf-8"))
    groups = []
    for g in raw:
        servers = []
        for s in g["SharingGroupServer"]:
            assert s["server_id"] == "0", "only MISP's 'this instance' entry is mapped"
            servers.append(SharingGroupServer(server=THIS_SERVER, all_orgs=bool(s["all_orgs"])))
        groups.append(
            SharingGroup(
                uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, "pymisp-sharing-group:" + g["SharingGroup"]["name"])),
                name=g["SharingGroup"]["name"],
                orgs=tuple(ORG_SLUGS[o["Organisation"]["name"]] for o in g["SharingGroupOrg"]),
                servers=tuple(servers),
            )
        )
    assert len(groups) == 2
    return groups


def admits(
    level: int, reader: str | None, *, group: SharingGroup | None = None, server: str | None = THIS_SERVER, owner: str = "circl"
) -> bool:
    return level_admits(level, reporter_org=owner, reader_org=reader, sharing_group=group, server=server)


@pytest.mark.parametrize("level", range(5))
def test_the_owner_organisation_always_sees_its_event(level: int, misp_groups: list[SharingGroup]) -> None:
    # The owner need not be in the group: MISP shows the owner its own event whatever the level.
    assert admits(level, OUTSIDER, owner=OUTSIDER, group=misp_groups[0] if level == 4 else None)
    assert admits(level, OUTSIDER, owner=OUTSIDER, group=None, server=None)


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("reader", ["circl", "pifpafpoum", OUTSIDER, None])
def test_community_levels_admit_everyone_the_tlp_label_admits(level: int, reader: str | None) -> None:
    # Distribution only: TLP (can_read) still decides for anonymous readers.
    assert admits(level, reader)
    assert admits(level, reader, server=OTHER_SERVER)


@pytest.mark.parametrize("reader", ["pifpafpoum", OUTSIDER, None])
def test_level_0_admits_no_one_but_the_owner(reader: str | None, misp_groups: list[SharingGroup]) -> None:
    assert not admits(0, reader)
    assert not admits(0, reader, group=misp_groups[0])  # a stray group widens nothing


def test_real_sharing_groups_admit_their_organisations_only(misp_groups: list[SharingGroup]) -> None:
    for group in misp_groups:
        assert set(group.orgs) == {"circl", "pifpafpoum"}
        assert not any(s.all_orgs for s in group.servers)
        for server in (THIS_SERVER, OTHER_SERVER, None):
            assert admits(4, "pifpafpoum", group=group, server=server, owner="circl")
            assert admits(4, "circl", group=group, server=server, owner="pifpafpoum")
            assert not admits(4, OUTSIDER, group=group, server=server)
            assert not admits(4, None, group=group, server=server)


def test_all_orgs_admits_every_organisation_on_that_server_only(misp_groups: list[SharingGroup]) -> None:
    # The same group with MISP's 'all orgs' flag set for this instance.
    group = misp_groups[1].model_copy(update={"servers": (SharingGroupServer(server=THIS_SERVER, all_orgs=True),)})
    assert admits(4, OUTSIDER, group=group, server=THIS_SERVER)
    assert not admits(4, OUTSIDER, group=group, server=OTHER_SERVER)
    assert not admits(4, OUTSIDER, group=group, server=None)
    assert not admits(4, None, group=group, server=THIS_SERVER)  # anonymous is no organisation
    # A listed server without the flag admits only the group's organisations.
    listed = misp_groups[1].model_copy(
        update={"servers": (SharingGroupServer(server=OTHER_SERVER), SharingGroupServer(server=THIS_SERVER, all_orgs=True))}
    )
    assert not admits(4, OUTSIDER, group=listed, server=OTHER_SERVER)
    assert admits(4, OUTSIDER, group=listed, server=THIS_SERVER)


def test_level_4_without_a_group_admits_only_the_owner() -> None:
    assert not admits(4, "pifpafpoum", group=None)
    assert admits(4, "circl", group=None)


def test_a_sharing_group_goes_only_to_the_servers_it_lists(misp_groups: list[SharingGroup]) -> None:
    for group in misp_groups:
        assert sharing_group_admits_server(group, THIS_SERVER)
        assert not sharing_group_admits_server(group, OTHER_SERVER)
    assert not sharing_group_admits_server(None, THIS_SERVER)
    assert not sharing_group_admits_server(misp_groups[0].model_copy(update={"servers": ()}), THIS_SERVER)
