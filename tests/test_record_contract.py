"""The dashboard (webapp/) does not import chalicelib: its copies of the record contract are held
here against the published schema, the library's own functions and a record the pipeline made."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from dashboard import records as dashboard

from chalicelib.errors import NOT_FOUND_CODES
from chalicelib.ingest.metadata import RunMetadata
from chalicelib.pipeline import analyze_text
from chalicelib.record import ActionResult, make_id, record_key, schema
from chalicelib.services import build_services
from chalicelib.settings import Settings
from tests.conftest import example


def test_the_id_pattern_is_the_schemas_and_matches_the_ids_the_library_makes() -> None:
    assert f"^{dashboard._ID.pattern}$" == schema()["properties"]["id"]["pattern"]
    for when in (datetime(2026, 1, 2, tzinfo=UTC), datetime(2031, 12, 31, 23, 59, tzinfo=UTC)):
        assert dashboard._ID.fullmatch(make_id(when, "s3", "bucket", "logs/a.log", "etag"))


def test_the_record_key_is_the_librarys() -> None:
    for prefix in ("analysis/", "team-a/analysis/"):
        assert dashboard._record_key(prefix, "20261126-0123456789abcdef") == record_key(
            prefix, "20261126-0123456789abcdef"
        )


def test_the_dashboards_not_found_codes_are_the_librarys() -> None:
    source = Path(dashboard.__file__).read_text()
    [codes] = re.findall(r"return code in \(([^)]*)\)", source)
    listed = {c.strip().strip('"') for c in codes.split(",")}
    assert NOT_FOUND_CODES <= listed | {"NotFound", "NoSuchBucket"}
    assert {"NoSuchKey", "404"} <= listed


def test_a_record_the_pipeline_made_is_shown_with_the_links_github_gave(tmp_path: Path) -> None:
    services = build_services(Settings.from_env({"OUT_DIR": str(tmp_path)}))
    outcome = analyze_text(services, example("pytest-assertion.log"), RunMetadata(repo="acme/api", branch="main"), True)
    record = outcome.analysis
    # As the live GitHub actions record them (the dry-run drafts have no https links).
    record.actions = [
        ActionResult("github_issue", "acme/api", "created", "https://github.com/acme/api/issues/7", "", "x"),
        ActionResult("github_pr", "acme/api", "created", "https://github.com/acme/api/pull/8", "", "x"),
    ]
    services.store.save(record)
    source = dashboard.LocalSource(tmp_path)
    stored = source.record(record.id)
    assert stored is not None
    row = dashboard.summarize(stored)
    assert row is not None
    assert (row.id, row.repo, row.branch, row.category, row.summary, row.fingerprint) == (
        record.id,
        "acme/api",
        "main",
        record.category,
        record.summary,
        record.fingerprint,
    )
    assert (row.status, row.issue_url, row.pr_url) == (
        "fix proposed",
        "https://github.com/acme/api/issues/7",
        "https://github.com/acme/api/pull/8",
    )
    assert [r["id"] for r in source.records(row.day)] == [record.id]
    assert json.loads((tmp_path / record_key("analysis/", record.id)).read_text())["id"] == record.id
