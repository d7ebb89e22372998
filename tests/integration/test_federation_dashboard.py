"""The dashboard flags a forked peer (issue 21), in a real headless Chromium: after a peer shows
a history that contradicts the checkpoint this server cosigned, the log page lists it as forked
with the evidence, and a healthy peer as active."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from accord.attest import FileLog
from accord.pipeline import open_service_store, report_incident
from accord.server import ServerConfig, create_app
from tests.support.browser import dump_dom, require_chromium
from tests.support.federation import REPORT, Node, federation, link


def _fork(node: Node, root: Path) -> Any:
    """An app that serves ``node``'s origin and key over another history (a new store and log)."""
    from accord.pipeline import LOCAL_ADMIN, create_org

    log_dir = root / "forked-log"
    FileLog.create(log_dir, node.origin).close()  # the same origin and key, another history
    store = open_service_store(f"sqlite:///{root / 'forked.db'}")
    create_org(store, LOCAL_ADMIN, "org-a", org_id="org-a")
    who = node.who("org-a")
    for n in range(3):
        report_incident(store, who, {**REPORT, "title": f"another history {n}"}, log_dir=log_dir, log_key=str(node.key_file))
    return create_app(ServerConfig(log_dir=log_dir, signing_key=str(node.key_file)), store=store)


def test_the_log_page_flags_a_forked_peer_with_its_evidence(tmp_path: Path) -> None:
    require_chromium()
    with federation(tmp_path, {"a": ["org-a"], "b": ["org-b"], "c": ["org-c"]}) as fed:
        a, b, c = fed["a"], fed["b"], fed["c"]
        link(a, b)
        link(c, b)
        for _ in range(3):
            a.report("org-a", distribution=3)
        c.report("org-c", distribution=3)
        assert b.sync(a).state == "active" and b.sync(c).state == "active"
        a.switch.app = _fork(a, tmp_path)  # A now shows B another history of the same size
        result = b.sync(a)
        assert result.state == "forked", result
        dom = dump_dom(b.url + "/dashboard/log")
    rows = dict(re.findall(r'<tr class="peer" data-state="([a-z]+)"><td>([a-z]+)</td>', dom))
    assert rows == {"forked": "a", "active": "c"}, rows
    evidence = re.search(r'<tr class="fork-evidence">(.*?)</tr>', dom, re.S)
    assert evidence and "fork" in evidence.group(1) and a.origin in evidence.group(1), dom[:3000]
