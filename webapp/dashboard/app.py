"""The team's CI health dashboard: what broke, why, and what healed.

Server-rendered pages, readable without JavaScript; every text that came from a log or a
model is escaped by Jinja2's autoescaping; a strict Content-Security-Policy forbids scripts.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from flask import Flask, abort, render_template, request

from dashboard.charts import PALETTE, failures_per_day, top_failures
from dashboard.records import Filters, LocalSource, Records, S3Source, summarize
from dashboard.views import code_spans, links, proposed_change

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
REPO = re.compile(r"[\w.-]{1,100}/[\w.-]{1,100}")
STATUSES = ("analyzed", "issue open", "fix proposed", "flaky", "healed")


def records_from_env() -> Records:
    """RECORDS_BUCKET (S3, in ECS) or RECORDS_DIR (a local folder, default: the demo's out/)."""
    bucket = os.environ.get("RECORDS_BUCKET", "").strip()
    if bucket:
        import boto3

        s3 = boto3.client("s3", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
        return Records(S3Source(s3, bucket))
    root = Path(os.environ.get("RECORDS_DIR", "out"))
    return Records(LocalSource(root))


def create_app(records: Records | None = None) -> Flask:
    app = Flask(__name__)
    app.config["records"] = records or records_from_env()
    app.jinja_env.filters["code"] = code_spans
    server = (os.environ.get("GITHUB_SERVER_URL", "").strip() or "https://github.com").rstrip("/")

    def store() -> Records:
        result: Records = app.config["records"]
        return result

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/")
    def failures() -> str:
        filters = Filters(
            repo=request.args.get("repo", "")[:200],
            category=request.args.get("category", "")[:50],
            status=request.args.get("status", "") if request.args.get("status", "") in STATUSES else "",
        )
        page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
        rows, has_next = store().recent(filters, page)
        repos, categories = store().facets()
        return render_template(
            "list.html",
            rows=rows,
            filters=filters,
            page=page,
            has_next=has_next,
            repos=repos,
            categories=categories,
            statuses=STATUSES,
            palette=PALETTE,
        )

    @app.get("/failures/<analysis_id>")
    def failure(analysis_id: str) -> str:
        record = store().record(analysis_id)
        row = summarize(record) if record else None
        if record is None or row is None:
            abort(404)
        return render_template(
            "detail.html",
            record=record,
            row=row,
            others=store().occurrences(row),
            palette=PALETTE,
            links=links(record, server),
            change=proposed_change(record),
        )

    @app.get("/repos/<owner>/<name>/flaky")
    def flaky(owner: str, name: str) -> str:
        repo = f"{owner}/{name}"
        if not REPO.fullmatch(repo) or ".." in (owner, name):
            abort(404)
        return render_template("flaky.html", repo=repo, report=store().flaky_report(repo))

    @app.get("/trends")
    def trends() -> str:
        data = store().trends(30)
        height, top = top_failures(data)
        return render_template("trends.html", trends=data, chart=failures_per_day(data), top=top, top_height=height)

    @app.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        return render_template("404.html"), 404

    return app
