"""/analyze and /analyses in the prod stage: a bearer token from Secrets Manager, checked first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib.api import auth
from chalicelib.errors import ConfigurationError
from tests.conftest import ROOT

PROD_ENV = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]["environment_variables"]
PROD_BUCKET = PROD_ENV["LOGS_BUCKET"]
TOKEN = "Zt8" + "x" * 40


@pytest.fixture
def prod(s3: Any) -> Iterator[Client]:
    s3.create_bucket(Bucket=PROD_BUCKET)
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=PROD_ENV["API_TOKEN_SECRET"],
        SecretString=TOKEN,  # as the stack names it
    )
    auth.reset_cache()
    with Client(app, stage_name="prod", project_dir=str(ROOT)) as client:
        yield client
    auth.reset_cache()


def post(client: Client, headers: dict[str, str], body: bytes = b'{"log": "Error: boom"}') -> Any:
    return client.http.post("/analyze", headers={"Content-Type": "application/json", **headers}, body=body)


def records(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=PROD_BUCKET).get("Contents", [])]


def test_missing_token_is_401_and_wrong_token_403(prod: Client, s3: Any) -> None:
    assert post(prod, {}).status_code == 401
    assert post(prod, {"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
    assert post(prod, {"Authorization": "Bearer " + "y" * 43}).status_code == 403
    assert post(prod, {"Authorization": "Bearer " + TOKEN[:-1]}).status_code == 403
    assert prod.http.get("/analyses/20260101-0123456789abcdef").status_code == 401
    assert records(s3) == []


def test_right_token_is_accepted(prod: Client, s3: Any) -> None:
    response = post(prod, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    stored = prod.http.get(f"/analyses/{response.json_body['id']}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert stored.status_code == 200


def test_oversize_is_413_and_non_json_415_before_any_analysis(prod: Client, s3: Any) -> None:
    big = json.dumps({"log": "E" * (6 * 1024 * 1024)}).encode()
    assert post(prod, {"Authorization": f"Bearer {TOKEN}"}, body=big).status_code == 413
    text = prod.http.post(
        "/analyze", headers={"Content-Type": "text/plain", "Authorization": f"Bearer {TOKEN}"}, body=b"log"
    )
    assert text.status_code == 415
    assert records(s3) == []


def test_unreadable_token_secret_refuses_rather_than_opens(s3: Any) -> None:
    from chalicelib.settings import Settings

    settings = Settings.from_env({"REQUIRE_AUTH": "true"})
    # No token configured: a deployment mistake, refused for every caller, never opened.
    for header in (f"Bearer {TOKEN}", None):
        with pytest.raises(ConfigurationError, match="no token is configured"):
            auth.check(settings, header)


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_the_bearer_scheme_is_case_insensitive(prod: Client, scheme: str) -> None:
    assert post(prod, {"Authorization": f"{scheme} {TOKEN}"}).status_code == 200
    assert post(prod, {"Authorization": f"{scheme}{TOKEN}"}).status_code == 401
    assert post(prod, {"Authorization": f"{scheme} "}).status_code == 401


def test_an_unreadable_token_secret_says_so(s3: Any) -> None:
    s3.create_bucket(Bucket=PROD_BUCKET)
    auth.reset_cache()  # no secret was created: Secrets Manager answers ResourceNotFoundException
    with Client(app, stage_name="prod", project_dir=str(ROOT)) as client:
        response = post(client, {"Authorization": f"Bearer {TOKEN}"})
    auth.reset_cache()
    assert (response.status_code, response.json_body) == (
        503,
        {"error": "unavailable", "message": "the service cannot read its API token right now; try again"},
    )
    assert records(s3) == []
