"""The GitHub stub answers as GitHub's REST API description (@octokit/openapi) says: its answers
are the documented examples with the stub's own fields in place, and every field is held to the
documented type (tests/support/openapi.py; the github_stub fixture checks each answer it gave)."""

from __future__ import annotations

import pytest

from tests.support import openapi


def test_an_answer_is_the_documented_example_with_the_stubs_fields() -> None:
    issue = openapi.conform("POST", "/repos/acme/api/issues", 201, {"number": 7, "title": "CI failed"})
    assert (issue["number"], issue["title"]) == (7, "CI failed")
    assert isinstance(issue["user"]["login"], str) and isinstance(issue["labels"], list)
    openapi.check("POST", "/repos/acme/api/issues", 201, issue)


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "message"),
    [
        ("POST", "/repos/acme/api/issues", 201, {"number": "7"}, "'7' is not of type 'integer'"),
        ("GET", "/repos/acme/api/pulls/3", 200, {"head": {"sha": 5}}, "5 is not of type 'string'"),
        ("POST", "/repos/acme/api/check-runs", 201, {"status": "done"}, "'done' is not one of"),
        ("GET", "/repos/acme/api/issues/3/comments", 200, [{"id": "1"}], "'1' is not of type 'integer'"),
    ],
)
def test_a_field_of_the_wrong_type_or_value_is_caught(
    method: str, path: str, status: int, body: object, message: str
) -> None:
    with pytest.raises(openapi.jsonschema.ValidationError) as raised:
        openapi.check(method, path, status, body)
    assert raised.value.message.startswith(message)


def test_paths_map_to_the_api_templates() -> None:
    assert openapi.template("/repos/acme/api/issues/comments/9") == "/repos/{owner}/{repo}/issues/comments/{comment_id}"
    assert openapi.template("/repos/acme/api/actions/jobs/5/logs") == "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs"
    assert openapi.template("/_blobs/acme/api/5") is None
