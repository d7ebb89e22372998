"""AIID snapshot import: the real snapshot deduplicated (chains in duplicates.csv followed),
every incident a valid accord report, stable ids; hostile CSVs refused with file and line.
The snapshot is CC BY-SA: read in place from the shared data, never copied here."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from accord.errors import InputError
from accord.incidents._aiid import aiid_incident_id, aiid_report, read_aiid, resolve_duplicates

HEADER = "_id,incident_id,date,reports,Alleged deployer of AI system,Alleged developer of AI system,Alleged harmed or nearly harmed parties,description,title\n"


@pytest.fixture(scope="module")
def snapshot() -> Path:
    from tests.conftest import DATASETS

    path = DATASETS / "incidents" / "aiid"
    if not (path / "incidents.csv").is_file():
        pytest.skip(f"AIID snapshot not found at {path}")
    return path


def row(number: int, reports: str = "[1]", title: str = "t", date: str = "2020-01-02") -> str:
    return f'x,{number},{date},"{reports}","[""dep""]","[""dev""]","[""people""]",desc {number},{title}\n'


def write(tmp: Path, rows: str, duplicates: str | None = None) -> Path:
    (tmp / "incidents.csv").write_text(HEADER + rows, encoding="utf-8")
    if duplicates is not None:
        (tmp / "duplicates.csv").write_text("duplicate_incident_number,true_incident_number\n" + duplicates, encoding="utf-8")
    return tmp


def test_the_real_snapshot_is_deduplicated_through_chains(snapshot: Path) -> None:
    incidents = read_aiid(snapshot)
    numbers = [i.incident_id for i in incidents]
    assert len(numbers) == len(set(numbers)) == 1367 - 2  # rows 88 and 637 are duplicates of 1057 and 112
    by = {i.incident_id: i for i in incidents}
    assert 88 not in by and 637 not in by
    assert set(by[1057].merged_from) == {88, 342}  # 342 → 88 → 1057
    assert 637 in by[112].merged_from and 237 in by[120].merged_from
    assert len(by[1057].reports) >= 2  # 88's reports joined 1057's


def test_every_snapshot_incident_is_a_valid_clear_report_linking_back(snapshot: Path) -> None:
    incidents = read_aiid(snapshot)
    hazards = 0
    for inc in incidents:
        rep = aiid_report(inc)
        assert rep.tlp == "CLEAR" and rep.recipients == ()
        refs = {link.ref for link in rep.links}
        assert f"aiid:{inc.incident_id}" in refs and f"https://incidentdatabase.ai/cite/{inc.incident_id}" in refs
        assert all("CC BY-SA 4.0" in (link.label or "") for link in rep.links if link.ref.endswith(f":{inc.incident_id}"))
        hazards += bool(rep.hazards)
    assert hazards > len(incidents) // 2  # the MIT classification gives most of them a hazard


def test_ids_are_stable_uuid4s_and_distinct() -> None:
    a, b = aiid_incident_id(1), aiid_incident_id(2)
    assert a == aiid_incident_id(1) and a != b
    assert uuid.UUID(a).version == 4 and str(uuid.UUID(a)) == a


def test_duplicate_chains_resolve_and_cycles_are_refused() -> None:
    assert resolve_duplicates({1: 2, 2: 3, 5: 3}) == {1: 3, 2: 3, 5: 3}
    with pytest.raises(InputError, match="cycle"):
        resolve_duplicates({1: 2, 2: 1})


def test_the_same_number_twice_merges_and_a_duplicate_without_its_true_row_is_rekeyed(tmp_path: Path) -> None:
    path = write(tmp_path, row(1, "[1,2]", "first") + row(1, "[3]", "again") + row(7, "[9]", "dup of 8"), "7,8\n")
    by = {i.incident_id: i for i in read_aiid(path)}
    assert set(by) == {1, 8}
    assert by[1].title == "first" and by[1].reports == (1, 2, 3)
    assert by[8].title == "dup of 8" and by[8].merged_from == (7,)


def test_the_true_row_gives_the_text_whatever_the_order(tmp_path: Path) -> None:
    path = write(tmp_path, row(7, "[9]", "duplicate") + row(8, "[4]", "true"), "7,8\n")
    [inc] = read_aiid(path)
    assert (inc.incident_id, inc.title, inc.reports, inc.merged_from) == (8, "true", (4, 9), (7,))


def test_limit_keeps_the_first_n(tmp_path: Path) -> None:
    path = write(tmp_path, "".join(row(n) for n in (3, 1, 2)))
    assert [i.incident_id for i in read_aiid(path, limit=2)] == [1, 2]


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        (row(1, "not json"), "reports"),
        ("x,abc,2020-01-01,[],[],[],[],d,t\n", "incident_id"),
    ],
)
def test_a_bad_row_is_refused_with_file_line_and_column(tmp_path: Path, rows: str, field: str) -> None:
    path = write(tmp_path, row(5) + rows)
    with pytest.raises(InputError) as err:
        read_aiid(path)
    assert err.value.line == 3 and err.value.field == field and err.value.file is not None


def test_a_missing_snapshot_says_where_to_point(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_aiid(tmp_path)


def test_a_bad_date_is_refused(tmp_path: Path) -> None:
    [inc] = read_aiid(write(tmp_path, row(1, date="yesterday")))
    with pytest.raises(InputError, match="date"):
        aiid_report(inc)
