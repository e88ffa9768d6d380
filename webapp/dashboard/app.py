"""The team's CI health dashboard: what broke, why, and what healed.

Server-rendered pages, readable without JavaScript; every text that came from a log or a
model is escaped by Jinja2's autoescaping; a strict Content-Security-Policy forbids scripts.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from flask import Flask, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from dashboard.charts import PALETTE, failures_per_day, top_failures
from dashboard.records import Filters, LocalSource, Records, S3Source, summarize
from dashboard.signin import Provider, SignIn, safe_next, session_lifetime, sign_in_from_env
from dashboard.views import code_spans, links, proposed_change

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
REPO = re.compile(r"[\w.-]{1,100}/[\w.-]{1,100}")
PER_PAGE = 25
COUNT_DAYS = 30  # the list counts the failures of this many days (the partitions the trends read)
STATUSES = ("analyzed", "issue open", "fix proposed", "flaky", "healed")


def _identity_provider(app: Flask, provider: Provider) -> Any:
    """The provider's client (authlib): discovery, the authorization code flow, ID token checks."""
    from authlib.integrations.flask_client import OAuth

    client = OAuth(app).register(
        "team",
        server_metadata_url=provider.metadata_url,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        client_kwargs={"scope": "openid email"},
    )
    return client


def records_from_env() -> Records:
    """RECORDS_BUCKET (S3, in ECS) or RECORDS_DIR (a local folder, default: the demo's out/)."""
    bucket = os.environ.get("RECORDS_BUCKET", "").strip()
    if bucket:
        import boto3

        s3 = boto3.client("s3", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
        return Records(S3Source(s3, bucket))
    root = Path(os.environ.get("RECORDS_DIR", "out"))
    return Records(LocalSource(root))


# Pages anyone may open: the health check, the sign-in, the provider's way back, the stylesheet.
OPEN_ENDPOINTS = frozenset({"health", "sign_in", "signed_in", "static"})


def create_app(records: Records | None = None, signin: SignIn | bool | None = True) -> Flask:
    """The dashboard; ``signin`` True reads it from the environment (SignInConfigError when a
    deployed dashboard has no token), None serves without one (local use and tests)."""
    app = Flask(__name__)
    app.config["records"] = records or records_from_env()
    signing = sign_in_from_env(os.environ) if signin is True else signin or None
    provider = signing.provider if signing is not None else None
    if signing is not None:
        app.secret_key = signing.session_key
        app.config.update(
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SECURE=os.environ.get("DASHBOARD_INSECURE_COOKIE", "") != "true",
            # The provider sends the person back with a top-level GET: Lax lets the cookie come.
            SESSION_COOKIE_SAMESITE="Lax" if provider is not None else "Strict",
            PERMANENT_SESSION_LIFETIME=session_lifetime(),
        )
    identity = _identity_provider(app, provider) if provider is not None else None
    # Where the provider sends people back (the API Gateway address; the Host it forwards may differ).
    base_url = os.environ.get("DASHBOARD_URL", "").strip().rstrip("/")
    app.jinja_env.filters["code"] = code_spans
    server = (os.environ.get("GITHUB_SERVER_URL", "").strip() or "https://github.com").rstrip("/")

    def store() -> Records:
        result: Records = app.config["records"]
        return result

    @app.before_request
    def require_sign_in() -> Response | None:
        if signing is None or request.endpoint in OPEN_ENDPOINTS or session.get("signed_in"):
            return None
        return redirect(url_for("sign_in", next=request.full_path.rstrip("?")))

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> Response | tuple[str, int] | str:
        target = safe_next(request.values.get("next"))
        if signing is None:
            return redirect(target)
        if identity is not None:
            session["next"] = target
            back = f"{base_url}{url_for('signed_in')}" if base_url else url_for("signed_in", _external=True)
            redirected: Response = identity.authorize_redirect(back)
            return redirected
        if request.method == "POST":
            if signing.accepts(request.form.get("token", "")):
                session.clear()
                session.permanent = True
                session["signed_in"] = True
                return redirect(target)
            return render_template("signin.html", target=target, wrong=True), 401
        return render_template("signin.html", target=target, wrong=False)

    @app.get("/sign-in/callback")
    def signed_in() -> Response | tuple[str, int]:
        if identity is None or provider is None:
            abort(404)
        try:
            answer = identity.authorize_access_token()
        except Exception as exc:  # authlib's errors: state, code, token or signature refused
            app.logger.warning("sign-in through %s failed: %s", provider.issuer, type(exc).__name__)
            return render_template("signin.html", target="/", wrong=False, failed=True), 401
        claims = answer.get("userinfo") or {}
        email = str(claims.get("email", ""))
        if not provider.admits(email, claims.get("email_verified") is True):
            return render_template("signin.html", target="/", wrong=False, refused=email or "this account"), 403
        target = safe_next(session.pop("next", "/"))
        session.clear()
        session.permanent = True
        session["signed_in"] = True
        session["email"] = email.lower()
        return redirect(target)

    @app.post("/sign-out")
    def sign_out() -> Response:
        session.clear()
        return redirect(url_for("sign_in"))

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if signing is not None:
            response.headers["Cache-Control"] = "no-store"  # the team's failures stay out of shared caches
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
            total=store().count(filters, COUNT_DAYS),
            count_days=COUNT_DAYS,
            first=(page - 1) * PER_PAGE + 1,
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
