"""Create the Self-Healing CI GitHub App from its manifest (GitHub's App Manifest flow).

1. ``python scripts/github_app.py page --webhook-url https://<api>/api/github/webhook [--org ORG]``
   writes ``github-app.html``: open it in a browser signed in to GitHub and press the button;
   GitHub shows the App it will create (least permissions, two events) and asks for a name.
2. GitHub then redirects to ``--redirect-url`` (default: the project's page) with ``?code=…``.
   ``python scripts/github_app.py convert CODE`` exchanges the code (valid one hour) for the App's
   id, private key and webhook secret, and stores the key and the secret in Secrets Manager
   (``self-healing-ci/<stage>/github-app-key``, ``…/github-webhook-secret``; ``--stage``, default
   prod: a stage's functions read their own stage's secrets only); it prints the settings to
   deploy with, never the secrets.
3. Install the App on an organisation or on chosen repositories: each is onboarded, nothing else.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path
from typing import Any

import requests

# What the service needs and nothing more: read the runs' logs, write the answer (issue, fix
# pull request, check run), and the two events it listens to.
PERMISSIONS = {
    "actions": "read",
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "pull_requests": "write",
    "metadata": "read",
}
EVENTS = ["workflow_job", "workflow_run"]
# Where the App's private key and webhook secret are stored (Secrets Manager names).
STORED_AS = {
    "pem": "self-healing-ci/{stage}/github-app-key",
    "webhook_secret": "self-healing-ci/{stage}/github-webhook-secret",
}


def manifest(webhook_url: str, redirect_url: str, homepage: str, reruns: bool = False) -> dict[str, Any]:
    """The App's manifest, as GitHub's App Manifest flow takes it; ``reruns`` asks for
    ``actions: write`` (AUTO_RERUN re-runs failed jobs), else the App only reads runs."""
    permissions = {**PERMISSIONS, "actions": "write"} if reruns else dict(PERMISSIONS)
    return {
        "name": "Self-Healing CI",
        "url": homepage,
        "hook_attributes": {"url": webhook_url, "active": True},
        "redirect_url": redirect_url,
        "public": False,
        "default_permissions": permissions,
        "default_events": list(EVENTS),
    }


def page(data: dict[str, Any], org: str, server_url: str) -> str:
    """An HTML page whose form posts the manifest to GitHub (the flow needs a browser's POST)."""
    target = f"{server_url}/organizations/{org}/settings/apps/new" if org else f"{server_url}/settings/apps/new"
    return (
        "<!doctype html>\n<meta charset=utf-8>\n<title>Create the Self-Healing CI GitHub App</title>\n"
        f'<form action="{html.escape(target)}" method="post">\n'
        f'  <input type="hidden" name="manifest" value="{html.escape(json.dumps(data))}">\n'
        "  <button>Create the GitHub App on GitHub</button>\n</form>\n"
    )


def convert(code: str, api_url: str, secrets: Any, stage: str = "prod") -> dict[str, str]:
    """Exchange the flow's code for the App and store its key and webhook secret; the settings to
    deploy with. Raises requests.HTTPError when GitHub refuses the code (used or older than an hour)."""
    response = requests.post(
        f"{api_url}/app-manifests/{code}/conversions",
        headers={"Accept": "application/vnd.github+json"},
        timeout=10,
    )
    response.raise_for_status()
    app = response.json()
    names = {field: name.format(stage=stage) for field, name in STORED_AS.items()}
    for field, name in names.items():
        value = app[field]
        try:
            secrets.create_secret(Name=name, SecretString=value)
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=name, SecretString=value)
    return {
        "GITHUB_APP_ID": str(app["id"]),
        "GITHUB_APP_PRIVATE_KEY_SECRET": names["pem"],
        "GITHUB_WEBHOOK_SECRET_ID": names["webhook_secret"],
        "install at": str(app.get("html_url", "")) + "/installations/new",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    make_page = commands.add_parser("page", help="write the HTML page that creates the App")
    make_page.add_argument("--webhook-url", required=True, help="https://<api>/api/github/webhook")
    make_page.add_argument("--org", default="", help="create the App for this organisation")
    make_page.add_argument("--redirect-url", default="https://github.com", help="where GitHub sends the code")
    make_page.add_argument("--homepage", default="https://github.com", help="the App's homepage")
    make_page.add_argument("--server-url", default="https://github.com", help="GitHub Enterprise: https://HOST")
    make_page.add_argument("--out", type=Path, default=Path("github-app.html"))
    make_page.add_argument(
        "--reruns", action="store_true", help="let the App re-run failed jobs (actions: write, for AUTO_RERUN)"
    )
    do_convert = commands.add_parser("convert", help="turn the flow's code into the App and its secrets")
    do_convert.add_argument("code")
    do_convert.add_argument("--api-url", default="https://api.github.com")
    do_convert.add_argument("--region", default=None)
    do_convert.add_argument("--stage", default="prod", choices=["dev", "prod"], help="whose secrets these are")
    args = parser.parse_args(argv)
    if args.command == "page":
        if not args.webhook_url.startswith("https://"):
            parser.error("--webhook-url must be an https:// URL (GitHub posts deliveries there)")
        data = manifest(args.webhook_url, args.redirect_url, args.homepage, args.reruns)
        args.out.write_text(page(data, args.org, args.server_url.rstrip("/")))
        print(f"wrote {args.out}: open it in a browser signed in to GitHub")
        return 0
    import boto3

    try:
        secrets = boto3.client("secretsmanager", region_name=args.region)
        settings = convert(args.code, args.api_url.rstrip("/"), secrets, args.stage)
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "no answer"
        print(f"GitHub refused the code ({status}): codes work once, within an hour", file=sys.stderr)
        return 1
    for name, value in settings.items():
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
