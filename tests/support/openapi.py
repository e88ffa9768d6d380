"""GitHub's REST API description (@octokit/openapi): the operation a stub request stands for,
the example GitHub documents for its answer, and a check that an answer follows its schema."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import validators

SPEC = Path(__file__).resolve().parent / "octokit" / "node_modules" / "@octokit" / "openapi" / "generated"


@functools.cache
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPEC / "api.github.com.json").read_text())
    return data


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Each path template as a pattern ("{owner}" matches one segment), the literal ones first."""
    paths = sorted(spec()["paths"], key=lambda p: (p.count("{"), -len(p)))
    return [(re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(p)) + "$"), p) for p in paths]


@functools.lru_cache(maxsize=4096)
def template(path: str) -> str | None:
    """The API's path template for a request path ("/repos/a/b/issues/7" -> ".../{issue_number}")."""
    return next((t for pattern, t in _templates() if pattern.match(path)), None)


def _response(method: str, path: str, status: int) -> dict[str, Any] | None:
    name = template(path)
    operation = spec()["paths"].get(name or "", {}).get(method.lower()) if name else None
    if operation is None:
        return None
    response: dict[str, Any] | None = operation["responses"].get(str(status))
    if response is not None and "$ref" in response:
        response = _resolve(response["$ref"])
    return response


def _resolve(ref: str) -> Any:
    node: Any = spec()
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def example(method: str, path: str, status: int) -> Any:
    """A copy of the answer GitHub documents for the operation (its first example)."""
    response = _response(method, path, status)
    assert response is not None, f"no {status} answer for {method} {path} in GitHub's API description"
    content = response["content"]["application/json"]
    first = next(iter(content["examples"].values()))
    value = _resolve(first["$ref"])["value"] if "$ref" in first else first["value"]
    return copy.deepcopy(value)


def conform(method: str, path: str, status: int, body: Any) -> Any:
    """``body`` over the documented example of the answer: every field the stub leaves out is
    the example's, so the answer is as complete as GitHub's (an undocumented one is left as is)."""
    response = _response(method, path, status)
    if response is None or "application/json" not in response.get("content", {}):
        return body
    if not response["content"]["application/json"].get("examples"):
        return body
    return _over(example(method, path, status), body)


def _over(base: Any, top: Any) -> Any:
    if isinstance(base, dict) and isinstance(top, dict):
        return {**base, **{k: _over(base.get(k), v) for k, v in top.items()}}
    if isinstance(base, list) and base and isinstance(top, list):
        return [_over(base[0], item) for item in top]
    return top


def _type_or_null(validator: Any, types: Any, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    # OpenAPI 3.0 says "nullable: true" where JSON Schema says "type": [..., "null"].
    if instance is None and schema.get("nullable"):
        return
    yield from validators.Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


def _no_required(validator: Any, required: Any, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    # GitHub's own examples leave out fields their schemas require (a fork's "source" has no
    # "language"): answers are built on those examples, so what is checked is that every field
    # present has the documented type, format and values, not that none is missing.
    return iter(())


# Without "required", an object can fit several of a oneOf's alternatives: one is enough.
_Validator = validators.extend(  # type: ignore[no-untyped-call]  # jsonschema's stubs leave it untyped
    validators.Draft4Validator,
    {"type": _type_or_null, "required": _no_required, "oneOf": validators.Draft4Validator.VALIDATORS["anyOf"]},
)


def check(method: str, path: str, status: int, body: Any) -> None:
    """Raise jsonschema.ValidationError unless every field of ``body`` has the type, format and
    values the operation's answer schema gives it (an operation or status the description does
    not list is not checked)."""
    response = _response(method, path, status)
    if response is None or "content" not in response:
        return
    if response["content"].get("application/json", {}).get("schema") is None:
        return
    _validator(method.lower(), template(path) or "", status).validate(body)


@functools.lru_cache(maxsize=256)
def _validator(method: str, name: str, status: int) -> Any:
    """One validator per operation's answer (building one walks the whole description)."""
    response = spec()["paths"][name][method]["responses"][str(status)]
    if "$ref" in response:
        response = _resolve(response["$ref"])
    schema = response["content"]["application/json"]["schema"]
    return _Validator({**schema, "components": spec()["components"]})


__all__ = ["check", "example", "jsonschema", "template"]
