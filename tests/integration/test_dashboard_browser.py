"""The dashboard in a real headless Chromium, against the real app served over loopback.

One service for the module: a real SQLite store holding a scored run (``dirty``: model-b with
one confirmed floor violation) that organisation ``lab-a`` signed, published (verified,
appended to the server's log, texts kept private) and granted to ``audit-co``; ``other-co``
has no grant. Incidents at every TLP level are reported through the incident job. The model's
harmful output carries ``HARMFUL_MARKER``, so "restricted text" is one string to look for.

Browsers sign in the way a person does: the sign-in page with the token in the URL fragment
(never sent to the server), whose script submits the form; the page the test then reads is
the one the browser was redirected to, with the HttpOnly cookie it set.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.browser import console, dump_dom, require_chromium
from tests.support.loopback import serve_app
from tests.unit.report._data import HARMFUL_MARKER, VIOLATION_ITEM, populate

pytestmark = pytest.mark.browser

RED_TITLE = "RED-ONLY-TITLE-5c1e"
AMBER_TITLE = "AMBER-ONLY-TITLE-91aa"
GREEN_TITLE = "GREEN-TITLE-0d3b"
CLEAR_TITLE = "CLEAR-TITLE-77f0"


@dataclass
class Service:
    url: str
    store: Any
    result_id: str
    envelope: str
    tokens: dict[str, str]
    token_ids: dict[str, str]
    incidents: dict[str, str]


def _texts(store: Any, bundle: dict[str, Any]) -> list[str | None]:
    outs = {(r.suite_id, r.item_id, r.variant_id, r.epoch): r.output for r in store.iter_responses("dirty")}
    return [
        outs[(lf["key"]["suite"], lf["key"]["item"], lf["key"]["variant"], lf["key"]["epoch"])] if lf["output"] else None
        for lf in bundle["leaves"]
    ]


def _incident(
    title: str, tlp: str, recipients: list[dict[str, Any]], *, aware: datetime, severity: str = "serious incident"
) -> dict[str, Any]:
    return {
        "title": title,
        "description": f"what happened ({title})",
        "system": {"name": "model-b", "version": "1"},
        "hazards": ["cyber-offense"],
        "severity": severity,
        "harms": ["health"],
        "jurisdictions": ["EU"],
        "system_classes": ["high-risk"],
        "aware_at": aware.isoformat(),
        "tlp": tlp,
        "recipients": recipients,
    }


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    require_chromium()
    from accord import pipeline as p
    from accord.attest import SigningKey
    from accord.server import ServerConfig, create_app

    tmp = tmp_path_factory.mktemp("dashboard")
    org_key, log_key = SigningKey.generate(), SigningKey.generate()
    (tmp / "org.pem").write_bytes(org_key.to_pem())
    (tmp / "org.pem").chmod(0o600)
    (tmp / "log.pem").write_bytes(log_key.to_pem())
    (tmp / "log.pem").chmod(0o600)
    store = p.open_service_store(f"sqlite:///{tmp / 'service.db'}")
    populate(store, "dirty", "openai:http://127.0.0.1:9/v1#model-b", violation=True)
    p.score(store, "dirty")
    p.attest(store, "dirty", signing_key=str(tmp / "org.pem"), out=tmp / "att.json")

    admin = p.LOCAL_ADMIN
    for org in ("lab-a", "audit-co", "other-co", "reg-eu"):
        p.create_org(store, admin, org, org_id=org)
    p.add_org_key(store, admin, "lab-a", org_key.public.pem())
    made = {
        "provider": p.create_token(store, admin, "lab-a", "provider"),
        "auditor": p.create_token(store, admin, "audit-co", "auditor"),
        "other": p.create_token(store, admin, "other-co", "auditor", member="alice"),
        "regulator": p.create_token(store, admin, "reg-eu", "regulator", member="rita"),
    }
    tokens = {k: v["token"] for k, v in made.items()}
    provider = p.authenticate(store, tokens["provider"])

    bundle = json.loads((tmp / "att.evidence.json").read_text())
    envelope = (tmp / "att.json").read_text()
    body = {
        "envelope": envelope,
        "evidence": (tmp / "att.evidence.json").read_text(),
        "private": {"salts": (tmp / "att.evidence-salts.json").read_text(), "texts": _texts(store, bundle)},
    }
    log_dir = tmp / "log"
    published = p.publish_result(store, provider, json.dumps(body).encode(), log_dir=log_dir, log_key=str(tmp / "log.pem"))
    p.create_grant(store, provider, published["id"], "audit-co", days=30)

    now = datetime.now(UTC)
    incidents = {}
    for title, tlp, recipients in (
        (CLEAR_TITLE, "CLEAR", []),
        (GREEN_TITLE, "GREEN", []),
        (AMBER_TITLE, "AMBER", [{"org": "reg-eu"}]),
        (RED_TITLE, "RED", [{"org": "other-co", "member": "alice"}]),
    ):
        v = p.report_incident(
            store,
            provider,
            _incident(title, tlp, recipients, aware=now - timedelta(days=20)),
            log_dir=log_dir,
            log_key=str(tmp / "log.pem"),
        )
        incidents[tlp] = v.incident_id

    app = create_app(ServerConfig(log_dir=log_dir, signing_key=str(tmp / "log.pem"), name="accord test service"), store=store)
    with serve_app(app) as url:
        yield Service(
            url=url,
            store=store,
            result_id=published["id"],
            envelope=envelope,
            tokens=tokens,
            token_ids={k: v["id"] for k, v in made.items()},
            incidents=incidents,
        )
    store.close()


def browse(service: Service, path: str, who: str | None = None) -> str:
    """The DOM of ``path`` as Chromium shows it to ``who`` (None: signed out)."""
    if who is None:
        return dump_dom(service.url + path)
    login = f"{service.url}/dashboard/login?next={urllib.parse.quote(path)}#token={service.tokens[who]}"
    dom = dump_dom(login, budget_ms=5000)
    assert "signed in as" in dom, f"{who} could not sign in: {dom[:2000]}"
    return dom


def hrefs(dom: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'\shref="([^"]*)"', dom)]


# -- results -----------------------------------------------------------------------------------


def test_home_shows_the_deployment_matrix_and_links_to_the_result(service: Service) -> None:
    dom = browse(service, "/dashboard/")
    row = re.search(r'<tr data-org="lab-a" data-target="([^"]+)">(.*?)</tr>', dom, re.S)
    assert row, dom[:3000]
    assert "model-b" in row.group(1)
    decisions = re.findall(r'data-decision="([^"]+)"', row.group(2))
    assert decisions and set(decisions) == {"blocked"}, decisions  # a confirmed floor violation blocks everywhere
    link = f"/dashboard/results/{service.result_id}"
    assert link in hrefs(row.group(2))
    assert 'id="chart-timeline"' in dom and "<svg" in dom  # the report's timeline component
    # the link works: the drill-down renders its verdicts, hazards and items
    page = browse(service, link)
    assert 'id="result-title"' in page and "lab-a" in page
    assert len(re.findall(r'<tr data-pack="', page)) >= 3
    assert re.search(r'<tr data-hazard="cyber-offense">', page)
    assert 'id="chart-hazards"' in page


def _violation_index(service: Service) -> int:
    """Where the harmful response sits among the result's items."""
    from accord import pipeline as p

    leaves = p.published_result(service.store, p.PUBLIC, service.result_id, evidence=True)["evidence"]["leaves"]
    return next(i for i, lf in enumerate(leaves) if lf["key"]["item"] == VIOLATION_ITEM)


def test_signed_out_reader_sees_verdicts_but_no_response_text(service: Service) -> None:
    page = browse(service, f"/dashboard/results/{service.result_id}")
    assert 'data-decision="blocked"' in page
    assert HARMFUL_MARKER not in page
    assert "placeholder answer" not in page
    assert 'data-disclosed="yes"' not in page
    assert page.count('data-disclosed="no"') == 100  # the first page of items, all withheld
    assert re.search(r'<dd id="access"><span class="badge none">redacted</span>', page)


def test_signed_in_without_a_grant_sees_no_response_text(service: Service) -> None:
    page = browse(service, f"/dashboard/results/{service.result_id}", "other")
    assert 'data-org="other-co"' in page
    assert HARMFUL_MARKER not in page and "placeholder answer" not in page
    assert 'data-disclosed="yes"' not in page
    assert "holds no active grant" in page
    assert re.search(r'<dd id="access"><span class="badge none">redacted</span>', page)
    later = browse(service, f"/dashboard/results/{service.result_id}?items={_violation_index(service) // 100 + 1}", "other")
    assert HARMFUL_MARKER not in later and 'data-disclosed="yes"' not in later


def test_grantee_sees_the_disclosed_responses(service: Service) -> None:
    page = browse(service, f"/dashboard/results/{service.result_id}", "auditor")
    assert 'data-org="audit-co"' in page
    disclosed = re.findall(r'<tr data-index="(\d+)" data-disclosed="yes">', page)
    assert len(disclosed) >= 90  # every response with an output on the first page (errors have none)
    assert "placeholder answer" in page
    assert re.search(r'<dd id="access"><span class="badge pass">granted</span>', page)
    # the harmful response (on a later page of items) is covered by the grant too
    index = _violation_index(service)
    later = browse(service, f"/dashboard/results/{service.result_id}?items={index // 100 + 1}", "auditor")
    row = re.search(rf'<tr data-index="{index}" data-disclosed="yes">(.*?)</tr>', later, re.S)
    assert row and HARMFUL_MARKER in row.group(1)


# -- incidents ---------------------------------------------------------------------------------


def test_incidents_by_tlp_show_only_what_the_reader_may_read(service: Service) -> None:
    public = browse(service, "/dashboard/incidents")
    assert CLEAR_TITLE in public
    for hidden in (GREEN_TITLE, AMBER_TITLE, RED_TITLE):
        assert hidden not in public
    regulator = browse(service, "/dashboard/incidents", "regulator")
    assert CLEAR_TITLE in regulator and GREEN_TITLE in regulator and AMBER_TITLE in regulator
    assert RED_TITLE not in regulator
    other = browse(service, "/dashboard/incidents", "other")
    assert RED_TITLE in other and AMBER_TITLE not in other
    # grouped by level, each group under its TLP heading
    amber = re.search(r'<section class="tlp-group" id="tlp-amber" data-tlp="AMBER">(.*?)</section>', regulator, re.S)
    assert amber and AMBER_TITLE in amber.group(1)


def test_incident_page_shows_overdue_deadlines_and_history(service: Service) -> None:
    iid = service.incidents["AMBER"]
    page = browse(service, f"/dashboard/incidents/{iid}", "regulator")
    assert AMBER_TITLE in page
    assert 'data-overdue="yes"' in page  # aware 20 days ago: EU AI Act Art. 73's 15 days have passed
    assert "Art" in page and "73" in page
    assert re.search(r'<table class="versions">.*?<td class="num">1</td>', page, re.S)
    # unreadable (RED to another org) is "not found", not "forbidden"
    red = httpx.get(
        f"{service.url}/dashboard/incidents/{service.incidents['RED']}", cookies={"accord_dashboard": service.tokens["regulator"]}
    )
    assert red.status_code == 404 and RED_TITLE not in red.text


# -- the log and "verify this" -------------------------------------------------------------------


def test_log_page_lists_the_result_and_verifies_it(service: Service) -> None:
    dom = browse(service, "/dashboard/log")
    assert 'id="checkpoint"' in dom and "entries" in dom
    assert f"/dashboard/results/{service.result_id}" in hrefs(dom)
    headers = {"Sec-Fetch-Site": "same-origin"}
    ok = httpx.post(f"{service.url}/dashboard/log/verify", data={"what": service.result_id}, headers=headers)
    assert ok.status_code == 200, ok.text[:2000]
    outcomes = dict(re.findall(r'<li data-check="([^"]+)" data-outcome="([^"]*)">', ok.text))
    assert {"published here", "signature", "log", "evidence", "recompute"} <= set(outcomes), outcomes
    assert 'data-ok="yes"' in ok.text
    # the envelope pasted (with the CRLF line breaks a browser sends) verifies the same way
    pasted = httpx.post(f"{service.url}/dashboard/log/verify", data={"what": service.envelope.replace("\n", "\r\n")}, headers=headers)
    assert pasted.status_code == 200 and 'data-ok="yes"' in pasted.text
    # a changed envelope is not in this log
    env = json.loads(service.envelope)
    env["payload"] = base64.b64encode(base64.b64decode(env["payload"]).replace(b"model-b", b"model-c")).decode()
    bad = httpx.post(f"{service.url}/dashboard/log/verify", data={"what": json.dumps(env)}, headers=headers)
    assert bad.status_code == 422 and 'data-ok="no"' in bad.text
    # another site's page cannot post the form
    cross = httpx.post(f"{service.url}/dashboard/log/verify", data={"what": service.result_id}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403


# -- every page: links work, nothing external, headers ------------------------------------------


def test_every_link_works_and_nothing_is_fetched_from_elsewhere(service: Service) -> None:
    pages = [
        "/dashboard/",
        f"/dashboard/results/{service.result_id}",
        "/dashboard/incidents",
        f"/dashboard/incidents/{service.incidents['CLEAR']}",
        "/dashboard/log",
        "/dashboard/login",
    ]
    seen: set[str] = set()
    for path in pages:
        dom = browse(service, path)
        assert not re.search(r'\s(?:src|href|action)="(?:https?:)?//', dom), f"{path} refers to another site"
        for h in hrefs(dom):
            if h.startswith("#") or h.startswith("data:"):
                continue
            assert h.startswith("/"), f"{path}: unexpected link {h}"
            seen.add(h.split("#")[0])
        assert console(service.url + path) == [], f"{path} logged console messages (CSP violations, errors)"
    for link in sorted(seen):
        r = httpx.get(service.url + link, follow_redirects=True)
        assert r.status_code == 200, f"{link}: {r.status_code}"
    r = httpx.get(service.url + "/dashboard/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["cache-control"] == "no-store"


# -- signing in and out ------------------------------------------------------------------------


def test_sign_in_cookie_is_httponly_strict_and_a_revoked_token_signs_out(service: Service) -> None:
    from accord import pipeline as p

    with httpx.Client(base_url=service.url) as client:
        bad = client.post(
            "/dashboard/login", data={"token": "acc_not-a-token", "next": "/dashboard/"}, headers={"Sec-Fetch-Site": "same-origin"}
        )
        assert bad.status_code == 401 and "accord_dashboard" not in bad.headers.get("set-cookie", "")
        evil = client.post(
            "/dashboard/login",
            data={"token": service.tokens["regulator"], "next": "https://evil.example/"},
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        assert evil.status_code == 303 and evil.headers["location"] == "/dashboard/"  # no open redirect
        cookie = evil.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie
        assert "signed in as" in client.get("/dashboard/").text
    # a second token of the same organisation, revoked while "signed in"
    made = p.create_token(service.store, p.LOCAL_ADMIN, "reg-eu", "regulator")
    with httpx.Client(base_url=service.url) as client:
        client.post("/dashboard/login", data={"token": made["token"]}, headers={"Sec-Fetch-Site": "same-origin"})
        assert "signed in as" in client.get("/dashboard/incidents").text
        p.revoke_token(service.store, p.LOCAL_ADMIN, made["id"])
        after = client.get("/dashboard/incidents")
        assert after.status_code == 401 and "Sign in again" in after.text and AMBER_TITLE not in after.text
        assert 'accord_dashboard=""' in after.headers.get("set-cookie", "") or "max-age=0" in after.headers.get("set-cookie", "").lower()
        out = client.post("/dashboard/logout", headers={"Sec-Fetch-Site": "same-origin"})
        assert out.status_code == 303


def test_hostile_input_gets_a_clear_4xx_page(service: Service) -> None:
    assert httpx.get(f"{service.url}/dashboard/results/{'x' * 500}").status_code == 400
    assert httpx.get(f"{service.url}/dashboard/results/no-such-result").status_code == 404
    assert httpx.get(f"{service.url}/dashboard/incidents?tlp=PURPLE").status_code == 400
    assert httpx.get(f"{service.url}/dashboard/?page_no=0").status_code == 400
    assert httpx.get(f"{service.url}/dashboard/static/../_app.py").status_code == 404
    r = httpx.get(f"{service.url}/dashboard/", headers={"Authorization": "Bearer acc_wrong"})
    assert r.status_code == 401 and "Traceback" not in r.text


# -- both stores -----------------------------------------------------------------------------------


def test_pages_render_and_filter_by_tlp_on_sqlite_and_postgresql(db_url: str, tmp_path: Path) -> None:
    """The same pages over PostgreSQL (no browser needed: the markup is what the tests above read)."""
    from fastapi.testclient import TestClient

    from accord import pipeline as p
    from accord.attest import SigningKey
    from accord.server import ServerConfig, create_app

    key = tmp_path / "log.pem"
    key.write_bytes(SigningKey.generate().to_pem())
    key.chmod(0o600)
    store = p.open_service_store(db_url)
    try:
        for org in ("lab-a", "other-co"):
            p.create_org(store, p.LOCAL_ADMIN, org, org_id=org)
        provider = p.authenticate(store, p.create_token(store, p.LOCAL_ADMIN, "lab-a", "provider")["token"])
        other = p.create_token(store, p.LOCAL_ADMIN, "other-co", "auditor", member="alice")["token"]
        aware = datetime.now(UTC) - timedelta(days=1)
        for title, tlp, recipients in ((CLEAR_TITLE, "CLEAR", []), (RED_TITLE, "RED", [{"org": "other-co", "member": "alice"}])):
            p.report_incident(store, provider, _incident(title, tlp, recipients, aware=aware), log_dir=tmp_path / "log", log_key=str(key))
        app = create_app(ServerConfig(log_dir=tmp_path / "log", signing_key=str(key)), store=store)
        with TestClient(app) as client:
            home = client.get("/dashboard/")
            assert home.status_code == 200 and 'id="no-results"' in home.text
            public = client.get("/dashboard/incidents")
            assert CLEAR_TITLE in public.text and RED_TITLE not in public.text
            assert client.get("/dashboard/incidents?tlp=RED").text.count('<tr data-incident="') == 0
            client.post("/dashboard/login", data={"token": other}, headers={"Sec-Fetch-Site": "same-origin"})
            red = client.get("/dashboard/incidents?tlp=RED")
            assert red.text.count('<tr data-incident="') == 1 and RED_TITLE in red.text
            log = client.get("/dashboard/log")
            assert log.status_code == 200 and "2 entries" in log.text
    finally:
        store.close()
