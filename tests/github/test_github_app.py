"""scripts/github_app.py: the App's manifest (least permissions), the page that creates it, and the
code conversion that stores its key and webhook secret in Secrets Manager (GitHub stub, moto)."""

from __future__ import annotations

import html
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.conftest import ROOT
from tests.support.github_stub import APP_PEM, APP_WEBHOOK_SECRET, MANIFEST_CODE, GitHubStub


def github_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("github_app", ROOT / "scripts" / "github_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_posts_a_manifest_with_least_permissions_and_two_events(tmp_path: Path) -> None:
    out = tmp_path / "app.html"
    hook = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/github/webhook"
    assert github_app().main(["page", "--webhook-url", hook, "--org", "acme", "--out", str(out)]) == 0
    text = out.read_text()
    assert '<form action="https://github.com/organizations/acme/settings/apps/new" method="post">' in text
    [value] = re.findall(r'name="manifest" value="([^"]*)"', text)
    manifest = json.loads(html.unescape(value))
    assert manifest["default_permissions"] == {
        "actions": "read",
        "checks": "write",
        "contents": "write",
        "issues": "write",
        "pull_requests": "write",
        "metadata": "read",
    }
    assert manifest["default_events"] == ["workflow_job", "workflow_run"]
    assert manifest["hook_attributes"] == {"url": hook, "active": True} and manifest["public"] is False
    assert github_app().main(["page", "--webhook-url", hook, "--reruns", "--out", str(out)]) == 0
    [value] = re.findall(r'name="manifest" value="([^"]*)"', out.read_text())
    assert json.loads(html.unescape(value))["default_permissions"]["actions"] == "write"  # for AUTO_RERUN


def test_a_webhook_url_that_is_not_https_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        github_app().main(["page", "--webhook-url", "http://x/api/github/webhook", "--out", str(tmp_path / "a.html")])


def test_the_code_becomes_the_apps_secrets_and_the_settings_to_deploy_with(
    s3: Any, github_stub: GitHubStub, capsys: pytest.CaptureFixture[str]
) -> None:
    module = github_app()
    assert module.main(["convert", MANIFEST_CODE, "--api-url", github_stub.url, "--region", "us-east-1"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines() == [
        "GITHUB_APP_ID: 12345",
        "GITHUB_APP_PRIVATE_KEY_SECRET: self-healing-ci/prod/github-app-key",
        "GITHUB_WEBHOOK_SECRET_ID: self-healing-ci/prod/github-webhook-secret",
        "install at: https://github.com/apps/self-healing-ci/installations/new",
    ]
    assert APP_PEM not in printed and APP_WEBHOOK_SECRET not in printed
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    assert secrets.get_secret_value(SecretId="self-healing-ci/prod/github-app-key")["SecretString"] == APP_PEM
    assert (
        secrets.get_secret_value(SecretId="self-healing-ci/prod/github-webhook-secret")["SecretString"]
        == APP_WEBHOOK_SECRET
    )
    # A code works once.
    assert module.main(["convert", MANIFEST_CODE, "--api-url", github_stub.url, "--region", "us-east-1"]) == 1
    assert "GitHub refused the code (404)" in capsys.readouterr().err
