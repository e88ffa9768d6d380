"""GitHub's webhook payloads, as the community collects them (@octokit/webhooks-examples), and
their JSON schemas (@octokit/webhooks-schemas); `make payloads` installs both from npm."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parent / "octokit" / "node_modules" / "@octokit"


@functools.cache
def _examples() -> dict[str, list[dict[str, Any]]]:
    index = json.loads((ROOT / "webhooks-examples" / "api.github.com" / "index.json").read_text())
    return {event["name"]: event["examples"] for event in index}


@functools.cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((ROOT / "webhooks-schemas" / "schema.json").read_text())
    return schema


def example(event: str, **where: Any) -> dict[str, Any]:
    """A copy of the first example of ``event`` whose top-level fields (and ``workflow_job``'s,
    given as ``job_<field>``) have the values asked for."""
    for candidate in _examples()[event]:
        job = candidate.get("workflow_job") or {}
        if all(
            (job.get(key[4:]) if key.startswith("job_") else candidate.get(key)) == value
            for key, value in where.items()
        ):
            return copy.deepcopy(candidate)
    raise LookupError(f"no {event} example with {where}")


def validate(payload: dict[str, Any], definition: str) -> None:
    """Raise jsonschema.ValidationError unless ``payload`` is a valid ``definition`` (e.g.
    ``workflow_job$completed``) of GitHub's webhook schemas."""
    schema = {"$ref": f"#/definitions/{definition}", "definitions": _schema()["definitions"]}
    jsonschema.validate(payload, schema)
