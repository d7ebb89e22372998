"""The dashboard's target history page in a real headless Chromium, against the real app over
loopback (issue 23).

Organisation ``lab-a`` signed and published two results of one target (``model-h``): a clean
run, then a run with a confirmed floor violation; a result of another target shares the server.
The history page must show both of ``model-h``'s results (and nothing of the other target)
with the same rates over distinct items, n, intervals and verdicts the report computes, be
linked from the result page, keep to the results API's read rule, and answer hostile names
with a 4xx page, never a 500.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.browser import dump_dom, require_chromium
from tests.support.loopback import serve_app
from tests.unit.report._data import HARMFUL_MARKER, PLAN, populate

pytestmark = pytest.mark.browser

TARGET = "openai:http://127.0.0.1:9/v1#model-h"
OTHER = "openai:http://127.0.0.1:9/v1#model-o"


@dataclass
class Service:
    url: str
    store: Any
    results: dict[str, str]
    tokens: dict[str, str]


def _publish(p: Any, store: Any, provider: Any, tmp: Path, run_id: str, log_dir: Path) -> str:
    p.score(store, run_id)
    out = tmp / f"{run_id}.json"
    p.attest(store, run_id, signing_key=str(tmp / "org.pem"), out=out)
    body = {"envelope": out.read_text(), "evidence": (tmp / f"{run_id}.evidence.json").read_text()}
    return str(p.publish_result(store, provider, json.dumps(body).encode(), log_dir=log_dir, log_key=str(tmp / "log.pem"))["id"])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    require_chromium()
    from accord import pipeline as p
    from accord.attest import SigningKey
    from accord.server import ServerConfig, create_app

    tmp = tmp_path_factory.mktemp("dash-history")
    keys = {"org": SigningKey.generate(), "log": SigningKey.generate()}
    for name, key in keys.items():
        (tmp / f"{name}.pem").write_bytes(key.to_pem())
        (tmp / f"{name}.pem").chmod(0o600)
    org_pub = keys["org"].public.pem()
    store = p.open_service_store(f"sqlite:///{tmp / 'service.db'}")
    populate(store, "h1", TARGET, violation=False, created=datetime(2026, 11, 2, 9, tzinfo=UTC))
    populate(store, "h2", TARGET, violation=True, created=datetime(2026, 11, 9, 9, tzinfo=UTC))
    populate(store, "o1", OTHER, violation=False, created=datetime(2026, 11, 5, 9, tzinfo=UTC))
    # h2 is a monitor run: its version label travels in the signed statement (run.monitor)
    h2 = store.require_run("h2")
    monitor = {"name": "nightly", "target": "model-h", "version": "h-v2", "released": None, "cycle": "2026-11-09T00:00:00Z"}
    store.set_run_status("h2", h2.status, meta={**h2.meta, "monitor": monitor})
    admin = p.LOCAL_ADMIN
    for org in ("lab-a", "audit-co"):
        p.create_org(store, admin, org, org_id=org)
    p.add_org_key(store, admin, "lab-a", org_pub)
    made = {
        "provider": p.create_token(store, admin, "lab-a", "provider"),
        "auditor": p.create_token(store, admin, "audit-co", "auditor"),
        "no-read": p.create_token(store, admin, "audit-co", "auditor", scopes=["incidents:write"]),
    }
    provider = p.authenticate(store, made["provider"]["token"])
    log_dir = tmp / "log"
    results = {rid: _publish(p, store, provider, tmp, rid, log_dir) for rid in ("h1", "h2", "o1")}
    app = create_app(ServerConfig(log_dir=log_dir, signing_key=str(tmp / "log.pem"), name="accord test service"), store=store)
    with serve_app(app) as url:
        yield Service(url=url, store=store, results=results, tokens={k: v["token"] for k, v in made.items()})
    store.close()


def _path(target: str = TARGET) -> str:
    return "/dashboard/targets/" + urllib.parse.quote(target, safe="")


def _rows(dom: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-result="([0-9a-f]+)" data-version="[^"]*"[^>]*>(.*?)</tr>', dom, re.S))


def test_history_page_shows_each_published_result_with_rates_n_and_verdicts(service: Service) -> None:
    dom = dump_dom(service.url + _path())
    assert 'id="target-title"' in dom and "model-h" in dom
    rows = _rows(dom)
    assert set(rows) == {service.results["h1"], service.results["h2"]}  # the other target's result stays out
    assert service.results["o1"] not in dom
    harmful = sum(c for _h, intent, _l, c in PLAN if intent == "harmful")
    benign = sum(c for _h, intent, _l, c in PLAN if intent == "benign")
    clean, dirty = rows[service.results["h1"]], rows[service.results["h2"]]
    # the same figures the report computes: distinct items, k/n, the interval, unassessed apart
    assert f"(0/{harmful})" in clean and f"(1/{harmful})" in dirty
    assert re.search(r'data-metric="harmful_compliance">0\.1% \[0\.0%, 0\.7%\] \(1/\d+\)', dirty)
    assert f"(0/{benign - 2}, 2 unassessed)" in clean
    assert 'badge pass">pass' in clean and 'badge fail">fail' in dirty and "blocked" in dirty
    assert "unknown" in clean  # no version label in the signed statement: said so, not invented
    assert "h-v2" in dirty and "h-v2" not in clean  # a monitor run's label, read from its signed statement
    # oldest result left in the chart, newest first in the table
    assert list(rows) == [service.results["h2"], service.results["h1"]]
    assert 'id="chart-history"' in dom and 'class="band"' in dom
    assert re.search(r'<tr data-result="[0-9a-f]+" data-hazard="cyber-offense">', dom)
    assert HARMFUL_MARKER not in dom  # verdicts and rates only: no response text


def test_result_page_links_to_the_history(service: Service) -> None:
    dom = dump_dom(service.url + f"/dashboard/results/{service.results['h2']}")
    link = re.search(r'<a id="target-history-link" href="([^"]+)"', dom)
    assert link, dom[:2000]
    href = link.group(1).replace("&amp;", "&")
    assert href == _path()
    assert service.results["h1"] in dump_dom(service.url + href)


def test_history_keeps_to_the_read_rule(service: Service) -> None:
    with httpx.Client(base_url=service.url, timeout=30) as c:
        ok = c.get(_path(), headers={"authorization": f"Bearer {service.tokens['auditor']}"})
        assert ok.status_code == 200 and service.results["h1"] in ok.text
        denied = c.get(_path(), headers={"authorization": f"Bearer {service.tokens['no-read']}"})
        assert denied.status_code == 403 and service.results["h1"] not in denied.text
        results = c.get(f"/dashboard/results/{service.results['h1']}", headers={"authorization": f"Bearer {service.tokens['no-read']}"})
        assert results.status_code == 403  # the same rule as the result page


@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/dashboard/targets/no-such-model", {404}),
        ("/dashboard/targets/" + urllib.parse.quote("../../etc/passwd", safe=""), {404}),
        ("/dashboard/targets/%3Cscript%3Ealert(1)%3C%2Fscript%3E", {404}),
        ("/dashboard/targets/" + "x" * 5000, {400, 422}),
        ("/dashboard/targets/a%00b", {400, 422}),
        ("/dashboard/targets/%E2%80%AE%F0%9F%92%A5", {404}),
        (_path() + "?page_no=0", {400, 422}),
        (_path() + "?page_no=abc", {422}),
        (_path() + "?page_no=99", {404}),
    ],
)
def test_hostile_names_and_pages_are_refused_not_500(service: Service, path: str, statuses: set[int]) -> None:
    with httpx.Client(base_url=service.url, timeout=30) as c:
        r = c.get(path)
    assert r.status_code in statuses, (r.status_code, r.text[:500])
    assert "<script>alert" not in r.text
