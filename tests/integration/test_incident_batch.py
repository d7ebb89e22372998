"""``report_incidents``: the batch path that imports and federation seeding use (one log batch
under one checkpoint, one transaction). Each version checks out against the log like a single
report; a bad report or a taken id refuses the whole batch and stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.attest import Envelope, FileLog
from accord.errors import InputError
from accord.incidents import verify_version
from accord.pipeline import get_incident, report_incidents
from accord.store import Incidents
from tests.support.federation import REPORT, start_node


def test_a_batch_is_logged_together_and_stored_whole(db_url: str, tmp_path: Path) -> None:
    with start_node("a", ["org-a", "org-b"], tmp_path, db_url=db_url) as a:
        who = a.who("org-a", "ann")
        reports = [{**REPORT, "title": f"batch {n}", "tlp": "AMBER", "recipients": [{"org": "org-b"}]} for n in range(25)]
        made = report_incidents(a.store, who, reports, log_dir=a.log_dir, log_key=str(a.key_file))
        assert [v.log_index for v in made] == list(range(made[0].log_index or 0, (made[0].log_index or 0) + 25))
        with FileLog.open(a.log_dir) as log:
            for v in made:
                verify_version(v, [a.key.public])
                assert v.log_index is not None
                assert Envelope.from_json(log.verified_entry(v.log_index)).to_dict() == v.envelope
        assert get_incident(a.store, a.who("org-b"), made[3].incident_id).report.title == "batch 3"  # TLP applies as usual
        count = Incidents(a.store).count()

        bad = [*reports[:3], {**REPORT, "tlp": "RED"}]  # RED without a named recipient
        with pytest.raises(InputError, match="report 3"):
            report_incidents(a.store, who, bad, log_dir=a.log_dir, log_key=str(a.key_file))
        taken = [made[0].incident_id, "00000000-0000-4000-8000-000000000001"]
        with pytest.raises(InputError, match="exists"):
            report_incidents(a.store, who, reports[:2], log_dir=a.log_dir, log_key=str(a.key_file), incident_ids=taken)
        assert Incidents(a.store).count() == count  # nothing stored by a refused batch
