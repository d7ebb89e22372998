"""Issue 12, finding 6 (and 13's read-only filesystem): accord never writes to a database that
is not its own, read-only commands never create or migrate, and a store on a read-only
filesystem can still be read."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from accord.errors import StoreError
from accord.records import Message, Response
from accord.store import Store
from tests.unit.store._helpers import make_run

_run = make_run


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _foreign_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO notes (body) VALUES ('mine')")
    con.commit()
    con.close()


@pytest.mark.parametrize("mode", [{"create": True}, {"create": False}, {"read_only": True}])
def test_a_foreign_sqlite_database_is_refused_and_left_byte_identical(tmp_path: Path, mode: dict[str, bool]) -> None:
    db = tmp_path / "other.db"
    _foreign_sqlite(db)
    before = _files(tmp_path)
    with pytest.raises(StoreError, match=r"not an accord results database \(it has tables: notes\)"):
        Store.open(f"sqlite:///{db}", **mode)
    assert _files(tmp_path) == before


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # a fresh PostgreSQL database only
def test_a_foreign_postgres_database_is_refused_untouched(db_url: str) -> None:
    eng = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        conn.execute(sa.text("CREATE TABLE invoices (id int primary key)"))
    with pytest.raises(StoreError, match=r"it has tables: invoices"):
        Store.open(db_url)
    with eng.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["invoices"]
    eng.dispose()


def test_read_only_commands_never_create_a_schema_in_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    for kw in ({"create": False}, {"read_only": True}):
        with pytest.raises(StoreError, match="is empty: it is not an accord results database yet"):
            Store.open(f"sqlite:///{empty}", **kw)
    assert _files(tmp_path) == {"empty.db": b""}


def test_runs_list_leaves_an_empty_file_empty(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from accord.cli.main import app

    empty = tmp_path / "empty.db"
    empty.touch()
    res = CliRunner().invoke(app, ["runs", "list", "--db", f"sqlite:///{empty}"])
    assert isinstance(res.exception, StoreError), res.output
    assert "not an accord results database yet" in str(res.exception)
    assert _files(tmp_path) == {"empty.db": b""}


def test_an_empty_postgres_database_is_not_created_by_a_read_command(db_url: str) -> None:
    with pytest.raises(StoreError, match="is empty|no results database"):
        Store.open(db_url, create=False)
    st = Store.open(db_url)  # a writing command creates it
    st.close()
    Store.open(db_url, read_only=True).close()


def _older_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.store import _migrations

    with monkeypatch.context() as m:
        m.setattr(_migrations, "MIGRATIONS", _migrations.MIGRATIONS[:1])
        st = Store.open(url)
        st.create_or_resume_run(_run())
        st.close()


def test_read_only_open_never_migrates_an_older_store(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Decision: a read-only command on a store written by an older accord refuses (saying
    how to upgrade it) rather than migrating; a writing command then migrates it."""
    _older_store(db_url, monkeypatch)
    with pytest.raises(StoreError, match="written by an older accord") as err:
        Store.open(db_url, read_only=True)
    assert "m002_response_attempts" in str(err.value) and "command that writes" in err.value.diagnostics()
    st = Store.open(db_url, read_only=False)
    with st.engine.connect() as conn:
        from accord.store._migrations import MIGRATIONS

        assert conn.execute(sa.text("SELECT count(*) FROM _accord_migrations")).scalar_one() == len(MIGRATIONS)
    assert st.require_run("r1").shard_size == 256  # the old run, readable after the upgrade
    st.close()
    ro = Store.open(db_url, read_only=True)
    assert [r.run_id for r in ro.list_runs()] == ["r1"]
    ro.close()


def test_read_only_store_never_writes(db_url: str) -> None:
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    st.close()
    ro = Store.open(db_url, read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        ro.set_run_status("r1", "complete")
    assert ro.require_run("r1").status == "running"
    ro.close()


def _populated(folder: Path) -> Path:
    db = folder / "accord.db"
    st = Store.open(f"sqlite:///{db}")
    st.create_or_resume_run(_run())
    st.add_responses([Response(run_id="r1", suite_id="s", item_id="i0", messages=[Message(role="user", content="q")], output="a")])
    st.set_run_status("r1", "complete")
    st.close()
    assert not (folder / "accord.db-shm").exists()  # a clean close checkpoints the WAL away
    return db


def test_read_only_folder_opens_immutable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 0555 folder and a 0444 file: reading works and no ``-shm``/``-wal`` is created. Tests
    run as root, for whom permission bits do not stop writes, so ``os.access`` is told the
    truth a normal user would get; the real read-only mount is the test below."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = _populated(folder)
    db.chmod(0o444)
    folder.chmod(0o555)
    real_access = os.access

    def access(path: object, mode: int, *a: object, **kw: object) -> bool:
        if mode & os.W_OK and str(path).startswith(str(folder)):
            return False
        return real_access(path, mode, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    try:
        before = _files(folder)
        st = Store.open(f"sqlite:///{db}", read_only=True)
        assert [r.status for r in st.list_runs()] == ["complete"]
        assert [r.output for r in st.iter_responses("r1")] == ["a"]
        assert st.response_counts("r1")["responses"] == 1
        st.close()
        assert _files(folder) == before  # nothing created or changed
    finally:
        folder.chmod(0o755)


_READER = """
import sys
from accord.store import Store
st = Store.open(sys.argv[1], read_only=True)
print([r.run_id for r in st.list_runs()], st.response_counts("r1")["responses"])
"""


def test_read_only_filesystem_is_readable(tmp_path: Path) -> None:
    """A real read-only bind mount (``unshare -m``, where the host allows it): ``runs list``
    used to fail because WAL needs to create ``-shm``."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("no mount namespaces here (unshare -m)")
    folder = tmp_path / "mnt"
    folder.mkdir()
    db = _populated(folder)
    src = str(Path(__file__).resolve().parents[3] / "src")
    script = f'mount --bind -o ro "{folder}" "{folder}" && touch "{folder}/probe" 2>/dev/null && exit 9; exec "{sys.executable}" -c "$0" "$1"'
    res = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, _READER, f"sqlite:///{db}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": src},
    )
    if res.returncode != 0 and "mount" in res.stderr and "permission" in res.stderr.lower():
        pytest.skip("bind mounts are not permitted here")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "['r1'] 1"
    assert sorted(p.name for p in folder.iterdir()) == ["accord.db"]
