"""The dashboard: pages, filters, escaping, headers; S3 and local records; a real browser."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dashboard.app import create_app
from dashboard.charts import failures_per_day, top_failures
from dashboard.records import LocalSource, Records, S3Source, Trends

from tests.conftest import BUCKET, ROOT
from tests.support.webapp_records import make_record, populate, write

NOW = datetime.now(UTC)
# An hour ago, but never before today's midnight: the three records below fall on three days
# whatever the time of the run (in the first hour of a day, "an hour ago" was yesterday).
RECENT = max(NOW - timedelta(hours=1), NOW.replace(hour=0, minute=0, second=0, microsecond=0))


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    write(
        tmp_path,
        make_record(
            1,
            RECENT,
            repo="acme/api",
            category="lint",
            summary="<script>alert(1)</script> in <b>lint</b>",
            fingerprint="a" * 16,
        ),
    )
    write(
        tmp_path,
        make_record(2, RECENT - timedelta(days=1), repo="acme/api", category="lint", fingerprint="a" * 16, healed=True),
    )
    write(tmp_path, make_record(3, RECENT - timedelta(days=2), repo="acme/web", category="docker_build", with_pr=True))
    return tmp_path


@pytest.fixture
def client(records_dir: Path) -> Any:
    return create_app(Records(LocalSource(records_dir))).test_client()


def test_list_shows_recent_failures_newest_first(client: Any) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('class="cause"') == 3
    assert html.index("acme/api") < html.index("acme/web")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert 'href="https://github.com/acme/api/issues/1"' in html
    assert "healed" in html and "fix proposed" in html


def test_filters_and_pagination(client: Any, tmp_path: Path) -> None:
    html = client.get("/?category=docker_build").get_data(as_text=True)
    assert html.count('class="cause"') == 1 and "acme/web" in html
    html = client.get("/?repo=acme/api&status=healed").get_data(as_text=True)
    assert html.count('class="cause"') == 1
    html = client.get("/?status=bogus").get_data(as_text=True)
    assert html.count('class="cause"') == 3
    many = tmp_path / "many"
    populate(many, 60, 10)
    paged = create_app(Records(LocalSource(many))).test_client()
    first, second, third = (paged.get(f"/?page={n}").get_data(as_text=True) for n in (1, 2, 3))
    assert first.count('class="cause"') == 25 and second.count('class="cause"') == 25
    assert third.count('class="cause"') == 10 and 'rel="next"' not in third and 'rel="prev"' in third


def test_detail_page(client: Any, records_dir: Path) -> None:
    record_id = make_record(1, RECENT)["id"]
    html = client.get(f"/failures/{record_id}").get_data(as_text=True)
    assert "root cause 1" in html and "error 1" in html and "fix it" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    other = make_record(2, RECENT - timedelta(days=1))["id"]
    assert f"/failures/{other}" in html  # another occurrence of the same fingerprint
    assert client.get("/failures/20260101-0000000000000000").status_code == 404
    assert client.get("/failures/../../etc/passwd").status_code == 404


def test_a_failure_page_links_the_run_and_commit_and_shows_the_proposed_change(tmp_path: Path) -> None:
    record = make_record(7, RECENT, repo="acme/api")
    record["metadata"].update(sha="3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345", run_id="4242")
    record["root_cause"] = "Python cannot import `yaml`: <b>PyYAML</b> is missing"
    record["fix_plan"] = {"kind": "append_line", "path": "requirements.txt", "line": "PyYAML"}
    write(tmp_path, record)
    html = (
        create_app(Records(LocalSource(tmp_path))).test_client().get(f"/failures/{record['id']}").get_data(as_text=True)
    )
    assert '<a href="https://github.com/acme/api/actions/runs/4242" rel="noopener noreferrer">the run</a>' in html
    assert (
        '<a href="https://github.com/acme/api/commit/3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345"'
        ' rel="noopener noreferrer">the commit</a>'
    ) in html
    assert "Python cannot import <code>yaml</code>: &lt;b&gt;PyYAML&lt;/b&gt; is missing" in html
    assert '<pre class="diff">--- a/requirements.txt\n+++ b/requirements.txt\n@@ end of file @@\n+PyYAML</pre>' in html


def test_links_are_built_from_checked_metadata_only(tmp_path: Path) -> None:
    record = make_record(8, RECENT, repo="acme/api")
    record["metadata"].update(sha="not-a-sha", run_id="12; rm -rf", run_url="javascript:alert(1)")
    write(tmp_path, record)
    html = (
        create_app(Records(LocalSource(tmp_path))).test_client().get(f"/failures/{record['id']}").get_data(as_text=True)
    )
    assert "the run</a>" not in html and "the commit</a>" not in html and "javascript:" not in html


def test_trends_draw_svg_charts(client: Any) -> None:
    html = client.get("/trends").get_data(as_text=True)
    assert '<svg id="per-day"' in html and "<rect" in html and '<svg id="top"' in html
    assert "50%" in html  # one of the two proposed fixes healed
    assert "3.0 h" in html


def test_security_headers_and_health(client: Any) -> None:
    response = client.get("/health")
    assert response.get_json() == {"status": "ok"}
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    page = client.get("/").get_data(as_text=True)
    assert "<script" not in page and "style=" not in page


def test_records_from_s3(s3: Any) -> None:
    record = make_record(7, NOW, repo="acme/s3", category="lint")
    day = record["id"][:8]
    import json

    s3.put_object(
        Bucket=BUCKET,
        Key=f"analysis/{day[:4]}/{day[4:6]}/{day[6:8]}/{record['id']}.json",
        Body=json.dumps(record).encode(),
    )
    s3.put_object(Bucket=BUCKET, Key=f"analysis/{day[:4]}/{day[4:6]}/{day[6:8]}/{record['id']}/issue.md", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="analysis/_state/seen/x.json", Body=b"{}")
    client = create_app(Records(S3Source(s3, BUCKET))).test_client()
    assert "acme/s3" in client.get("/").get_data(as_text=True)
    assert client.get(f"/failures/{record['id']}").status_code == 200


def test_cache_reads_each_day_once_within_its_ttl(records_dir: Path) -> None:
    reads: list[Any] = []

    class Counting(LocalSource):
        def records(self, day: Any) -> Any:
            reads.append(day)
            return super().records(day)

    clock = [0.0]
    records = Records(Counting(records_dir), today_ttl=30, past_ttl=600, clock=lambda: clock[0])
    app = create_app(records).test_client()
    app.get("/")
    first = len(reads)
    app.get("/")
    app.get("/trends")
    assert len(reads) == first
    clock[0] = 31.0
    app.get("/")
    assert len(reads) > first  # today's partition is read again after its short TTL


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(records_dir: Path) -> Iterator[str]:
    """The dashboard under gunicorn, as the container runs it."""
    port = _free_port()
    env = {**os.environ, "RECORDS_DIR": str(records_dir), "PYTHONPATH": str(ROOT / "webapp")}
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "dashboard.app:create_app()",
        ],
        cwd=ROOT / "webapp",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("REQUIRE_BROWSER") != "1",
    reason="Debian's chromium is not installed (.ci/run installs it and sets REQUIRE_BROWSER=1)",
)
def test_end_to_end_in_headless_chromium(served: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(java_script_enabled=False)  # everything must work without JavaScript
        page.goto(served + "/")
        assert page.locator("a.cause").count() == 3
        page.select_option("#category", "docker_build")
        page.click("#apply")
        page.wait_for_url("**category=docker_build**")
        assert page.locator("a.cause").count() == 1
        page.click("a.cause")
        assert page.locator("h2", has_text="Root cause").is_visible()
        assert "root cause 3" in page.content()
        phone_record = page.url.rsplit("/", 1)[-1]
        page.goto(served + "/trends")
        bars = page.locator("#per-day rect")
        assert bars.count() >= 3 and bars.first.bounding_box() is not None
        page.screenshot(path=os.environ.get("SCREENSHOT", str(tmp_path / "trends.png")))
        # As drawn: every label and count of both charts inside its chart, none on top of another.
        for chart in ("#per-day", "#top"):
            frame = page.locator(chart).bounding_box()
            assert frame is not None
            boxes = [t.bounding_box() for t in page.locator(f"{chart} text").all()]
            assert boxes and all(b is not None for b in boxes), chart
            for box in boxes:
                assert box is not None
                assert frame["x"] - 0.5 <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 0.5
                assert frame["y"] - 0.5 <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"] + 0.5
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert a is not None and b is not None
                    apart = (
                        a["x"] + a["width"] <= b["x"] + 0.5
                        or b["x"] + b["width"] <= a["x"] + 0.5
                        or a["y"] + a["height"] <= b["y"] + 0.5
                        or b["y"] + b["height"] <= a["y"] + 0.5
                    )
                    assert apart, (chart, a, b)
        # On a phone (390 px), no page is wider than the screen: wide tables scroll in their box.
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        for path in ("/", "/trends", f"/failures/{phone_record}"):
            phone.goto(served + path)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
        browser.close()


def _trends(per_day: dict[int, int], top: list[tuple[int, str]]) -> Trends:
    today = NOW.date()
    days = [today - timedelta(days=n) for n in range(29, -1, -1)]
    counts = {d: Counter({"lint": per_day.get((today - d).days, 0)}) for d in days}
    rows = [(f"fp{i}", n, "acme/api", summary, f"20260101-{i:016x}") for i, (n, summary) in enumerate(top)]
    return Trends(days, counts, rows, 0, 0, None, ["lint"])


def test_the_per_day_axis_starts_at_the_first_failure_and_shows_a_week_at_least() -> None:
    assert len(failures_per_day(_trends({0: 3}, [])).bars) == 7  # one day of data: a week, not 30 days
    assert len(failures_per_day(_trends({20: 1, 0: 2}, [])).bars) == 21
    assert len(failures_per_day(_trends({29: 1}, [])).bars) == 30


def test_recurring_failures_keep_their_counts_and_their_differences() -> None:
    suite = "Test tests/integration/test_checkout_flow.py::test_"
    names = [f"{suite}{case} failed" for case in ("apply_coupon", "apply_gift_card", "pay_by_card")]
    _, bars = top_failures(_trends({}, [(25, names[0]), (24, names[1]), (3, names[2])]))
    labels = [b.label for b in bars]
    assert len(set(labels)) == 3 and all(len(label) <= 40 for label in labels)
    assert labels[0].endswith("apply_coupon failed") and bars[0].title == f"acme/api: {names[0]}"
    widest = max(bars, key=lambda b: b.width)
    assert 255 + widest.width + 8 * len(str(widest.count)) <= 720  # the count is drawn inside the chart


def _report(repo: str) -> dict[str, Any]:
    from chalicelib.history.flaky import detect
    from tests.support.history import job_outcome

    test = "tests/test_cart.py::test_<total>"
    outcomes = [
        job_outcome(NOW - timedelta(hours=2), ok=False, tests=(test,), repo=repo),
        job_outcome(NOW - timedelta(hours=1), ok=True, attempt=2, repo=repo),
    ]
    return detect(repo, outcomes, NOW, 14).to_dict()


def test_the_flaky_tests_page_lists_the_quarantine_report(records_dir: Path, client: Any) -> None:
    import json

    from chalicelib.history.outcomes import report_key

    path = records_dir / report_key("acme/api")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_report("acme/api")))
    html = client.get("/repos/acme/api/flaky").get_data(as_text=True)
    assert "<h1>Flaky tests of acme/api</h1>" in html
    assert "<code>tests/test_cart.py::test_&lt;total&gt;</code>" in html  # escaped, never markup
    assert "<li>failed on ccccccc attempt 1, passed on attempt 2</li>" in html
    assert "1 of 2 (50%)" in html
    empty = client.get("/repos/acme/web/flaky")
    assert empty.status_code == 200 and "No job outcomes of acme/web yet" in empty.get_data(as_text=True)
    assert client.get("/repos/acme/..%2Fx/flaky").status_code == 404


def test_a_flaky_failure_says_so_and_links_the_report(records_dir: Path, client: Any) -> None:
    record = make_record(7, RECENT, repo="acme/api", category="test_assertion", fingerprint="b" * 16)
    record["flaky"] = {
        "verdict": "flaky",
        "reason": "passed_on_rerun",
        "evidence": ["failed on ccccccc attempt 1, passed on attempt 2"],
        "tests": ["tests/test_cart.py::test_total"],
    }
    write(records_dir, record)
    html = client.get(f"/failures/{record['id']}").get_data(as_text=True)
    assert "<h2>Flaky, not a regression</h2>" in html
    assert "The job passed when it ran again on the same commit. No fix is proposed for it." in html
    assert '<a href="/repos/acme/api/flaky">All flaky tests of acme/api</a>' in html
    other = client.get("/").get_data(as_text=True)
    first = re.search(r'href="/failures/([0-9a-f-]+)"', other)
    assert first is not None
    page = client.get(f"/failures/{first.group(1)}").get_data(as_text=True)
    assert re.search(r'<a href="/repos/acme/\w+/flaky">Flaky tests of acme/\w+</a>', page)
    listed = client.get("/?status=flaky").get_data(as_text=True)
    assert record["id"] in listed and 'class="nowrap status-flaky">flaky' in listed


def test_the_flaky_report_is_read_from_the_bucket(s3: Any) -> None:
    import json

    from chalicelib.history.outcomes import report_key

    s3.put_object(Bucket=BUCKET, Key=report_key("acme/api"), Body=json.dumps(_report("acme/api")).encode())
    source = S3Source(s3, BUCKET)
    report = source.flaky_report("acme/api")
    assert report is not None and report["tests"][0]["failures"] == 1
    assert source.flaky_report("acme/none") is None and source.flaky_report("../etc") is None


def test_trends_count_flaky_failures_apart(records_dir: Path, client: Any) -> None:
    before = client.get("/trends").get_data(as_text=True)
    assert "<b>3</b><span>failures</span>" in before and "<b>0</b><span>flaky" in before
    record = make_record(8, RECENT, repo="acme/api", category="lint", fingerprint="a" * 16)
    record["flaky"] = {"verdict": "flaky", "reason": "passed_on_rerun", "evidence": ["failed on c attempt 1"]}
    write(records_dir, record)
    after = create_app(Records(LocalSource(records_dir))).test_client().get("/trends").get_data(as_text=True)
    assert "<b>3</b><span>failures</span>" in after and "<b>1</b><span>flaky" in after


def test_a_deployed_dashboard_asks_for_the_team_token_first(records_dir: Path) -> None:
    from dashboard.signin import SignIn

    token = "team-" + "t0ken" * 8
    client = create_app(Records(LocalSource(records_dir)), signin=SignIn(token)).test_client()
    assert client.get("/health").status_code == 200  # the load balancer's check stays open
    first = client.get("/repos/acme/api/flaky?days=7")
    assert (first.status_code, first.headers["Location"]) == (302, "/sign-in?next=/repos/acme/api/flaky?days%3D7")
    wrong = client.post("/sign-in", data={"token": "guess", "next": "/trends"})
    assert wrong.status_code == 401 and "That token is not the team's." in wrong.get_data(as_text=True)
    assert "Set-Cookie" not in wrong.headers
    assert client.get("/").status_code == 302
    right = client.post("/sign-in", data={"token": token, "next": "/trends"})
    assert (right.status_code, right.headers["Location"]) == (302, "/trends")
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Strict" in cookie
    page = client.get("/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Sign out" in page.get_data(as_text=True)
    # Another host is never where a sign-in leads.
    again = client.post("/sign-in", data={"token": token, "next": "//evil.example/"})
    assert again.headers["Location"] == "/"
    assert client.post("/sign-out").status_code == 302
    assert client.get("/").status_code == 302


def test_a_deployed_dashboard_without_a_token_refuses_to_start(s3: Any) -> None:
    import boto3
    from dashboard.signin import SignInConfigError, sign_in_from_env

    with pytest.raises(SignInConfigError, match="set DASHBOARD_TOKEN_SECRET"):
        sign_in_from_env({"RECORDS_BUCKET": BUCKET})
    assert sign_in_from_env({"RECORDS_DIR": "out"}) is None  # local: no sign-in
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(Name="self-healing-ci/prod/dashboard-token", SecretString="from-the-secret")
    signing = sign_in_from_env(
        {"RECORDS_BUCKET": BUCKET, "DASHBOARD_TOKEN_SECRET": "self-healing-ci/prod/dashboard-token"}
    )
    assert signing is not None and signing.accepts("from-the-secret") and not signing.accepts("from-the-secreT")
    secrets.create_secret(Name="empty", SecretString=" ")
    with pytest.raises(SignInConfigError, match="the secret empty holds no dashboard token"):
        sign_in_from_env({"RECORDS_BUCKET": BUCKET, "DASHBOARD_TOKEN_SECRET": "empty"})


def test_the_list_says_how_many_failures_it_holds(records_dir: Path, client: Any) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<p class="meta count">Failures 1–3 · 3 in the last 30 days</p>' in html
    filtered = client.get("/?repo=acme/api").get_data(as_text=True)
    assert '<p class="meta count">Failures 1–2 · 2 in the last 30 days matching the filter</p>' in filtered


def _provider_app(records_dir: Path, oidc: Any, allowed: str = "@acme.example") -> Any:
    from dashboard.signin import sign_in_from_env

    from tests.support.oidc_stub import CLIENT_ID, CLIENT_SECRET

    env = {
        "RECORDS_BUCKET": BUCKET,
        "DASHBOARD_OIDC_ISSUER": oidc.url,
        "DASHBOARD_OIDC_CLIENT_ID": CLIENT_ID,
        "DASHBOARD_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "DASHBOARD_ALLOWED_EMAILS": allowed,
    }
    return create_app(Records(LocalSource(records_dir)), signin=sign_in_from_env(env)).test_client()


def _go_to_provider(client: Any, path: str) -> dict[str, str]:
    """Open ``path``, follow to the provider; the authorization request's parameters."""
    from urllib.parse import parse_qs, urlparse

    first = client.get(path)
    assert first.status_code == 302 and first.headers["Location"].startswith("/sign-in?next=")
    to_provider = client.get(first.headers["Location"])
    assert to_provider.status_code == 302
    location = urlparse(to_provider.headers["Location"])
    return {k: v[0] for k, v in parse_qs(location.query).items()} | {"endpoint": location.path}


def test_the_team_signs_in_through_its_identity_provider(records_dir: Path, oidc_stub: Any) -> None:
    from tests.support.oidc_stub import CLIENT_ID, Grant

    client = _provider_app(records_dir, oidc_stub)
    asked = _go_to_provider(client, "/trends")
    assert (asked["endpoint"], asked["client_id"], asked["response_type"], asked["scope"]) == (
        "/authorize",
        CLIENT_ID,
        "code",
        "openid email",
    )
    assert asked["redirect_uri"] == "http://localhost/sign-in/callback"
    oidc_stub.grants["code-1"] = Grant("Ana@Acme.example", nonce=asked["nonce"])
    back = client.get(f"/sign-in/callback?code=code-1&state={asked['state']}")
    assert (back.status_code, back.headers["Location"]) == (302, "/trends")
    assert "SameSite=Lax" in back.headers["Set-Cookie"] and "Secure" in back.headers["Set-Cookie"]
    assert client.get("/trends").status_code == 200
    [request] = oidc_stub.token_requests
    assert (request["grant_type"], request["code"]) == (["authorization_code"], ["code-1"])
    # The token form is not a way in when the provider signs people in.
    other = _provider_app(records_dir, oidc_stub).post("/sign-in", data={"token": "anything"})
    assert other.status_code == 302 and "/authorize?" in other.headers["Location"]


def test_the_provider_must_vouch_for_an_allowed_verified_address(records_dir: Path, oidc_stub: Any) -> None:
    from tests.support.oidc_stub import Grant

    for grant, status, says in (
        (Grant("eve@evil.example"), 403, "eve@evil.example may not open this dashboard"),
        (Grant("ana@acme.example", verified=False), 403, "ana@acme.example may not open this dashboard"),
        (Grant("ana@acme.example", audience="another-client"), 401, "The sign-in did not complete."),
    ):
        client = _provider_app(records_dir, oidc_stub)
        asked = _go_to_provider(client, "/")
        oidc_stub.grants["code"] = Grant(grant.email, grant.verified, asked["nonce"], grant.audience)
        page = client.get(f"/sign-in/callback?code=code&state={asked['state']}")
        assert (page.status_code, says in page.get_data(as_text=True)) == (status, True), grant
        assert client.get("/").status_code == 302  # still not signed in
    # A forged state (a callback this browser never asked for) is refused before any token request.
    client = _provider_app(records_dir, oidc_stub)
    _go_to_provider(client, "/")
    before = len(oidc_stub.token_requests)
    assert client.get("/sign-in/callback?code=x&state=forged").status_code == 401
    assert len(oidc_stub.token_requests) == before


def test_a_provider_without_its_settings_refuses_to_start() -> None:
    from dashboard.signin import SignInConfigError, sign_in_from_env

    with pytest.raises(SignInConfigError) as raised:
        sign_in_from_env({"RECORDS_BUCKET": BUCKET, "DASHBOARD_OIDC_ISSUER": "https://login.acme.example"})
    assert str(raised.value) == (
        "sign-in through https://login.acme.example needs DASHBOARD_OIDC_CLIENT_ID, "
        "DASHBOARD_OIDC_CLIENT_SECRET_SECRET (or DASHBOARD_OIDC_CLIENT_SECRET), DASHBOARD_ALLOWED_EMAILS"
    )
    with pytest.raises(SignInConfigError, match="must be an https:// address"):
        sign_in_from_env(
            {
                "DASHBOARD_OIDC_ISSUER": "http://login.acme.example",
                "DASHBOARD_OIDC_CLIENT_ID": "c",
                "DASHBOARD_OIDC_CLIENT_SECRET": "s",
                "DASHBOARD_ALLOWED_EMAILS": "@acme.example",
            }
        )
