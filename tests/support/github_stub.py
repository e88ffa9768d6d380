"""A local HTTP server implementing the GitHub REST endpoints the service uses, in memory.

Tests seed repositories and files, script failures, drive the real PyGithub against it, and
read back every request it received.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse

import pytest

from tests.support import openapi
from tests.support.stub_server import StubServer

TOKEN = "ghs_" + "StubInstallationToken0123456789abcdef"
# The App Manifest flow: the code GitHub gives once, and what converting it returns.
MANIFEST_CODE = "manifest-code-0123"
APP_PEM = "-----BEGIN RSA PRIVATE KEY-----\nstub\n-----END RSA PRIVATE KEY-----\n"
APP_WEBHOOK_SECRET = "whsec_" + "stub" * 8


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Repo:
    full_name: str
    files: dict[str, dict[str, tuple[str, bytes]]] = field(default_factory=dict)  # commit -> path -> (type, data)
    issues: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[str]] = field(default_factory=dict)
    comment_ids: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (issue, index)
    refs: dict[str, str] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    job_logs: dict[int, bytes] = field(default_factory=dict)  # a job's whole log, by job id
    run_pulls: dict[int, list[int]] = field(default_factory=dict)  # a run's pull requests, by run id
    check_runs: list[dict[str, Any]] = field(default_factory=list)  # what POST /check-runs received
    reruns: list[int] = field(default_factory=list)  # the runs whose failed jobs were re-run
    blobs: dict[str, str] = field(default_factory=dict)
    trees: dict[str, dict[str, Any]] = field(default_factory=dict)
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)


def _sha(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()


class GitHubStub(StubServer):
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[Request] = []
        self.failures: list[tuple[str, re.Pattern[str], int, dict[str, Any]]] = []
        self.app_public_key: bytes | None = None
        self.prefix = ""  # "/api/v3" to serve like GitHub Enterprise
        self.manifest_code_used = False
        # Every JSON answer given (method, path, status, body): held to GitHub's API description.
        self.answers: list[tuple[str, str, int, Any]] = []
        self._lock = threading.Lock()
        super().__init__()

    def add_repo(self, full_name: str, sha: str, files: dict[str, str | bytes], symlinks: tuple[str, ...] = ()) -> Repo:
        repo = Repo(full_name)
        entries = {p: ("file", v.encode() if isinstance(v, str) else v) for p, v in files.items()}
        entries.update({p: ("symlink", b"../elsewhere") for p in symlinks})
        repo.files[sha] = entries
        repo.commits[sha] = {"sha": sha, "tree": _sha("tree", sha), "parents": []}
        repo.refs["refs/heads/main"] = sha
        self.repos[full_name] = repo
        return repo

    def fail(
        self,
        method: str,
        path_pattern: str,
        status: int,
        message: str = "scripted",
        times: int = 1,
        headers: dict[str, Any] | None = None,
    ) -> None:
        for _ in range(times):
            self.failures.append((method, re.compile(path_pattern), status, {"message": message, **(headers or {})}))

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method != "GET"]

    # ----------------------------------------------------------------- routing
    def _route(self, req: Request) -> tuple[int, Any] | tuple[int, Any, dict[str, str]]:
        for index, (method, pattern, status, body) in enumerate(self.failures):
            if method == req.method and pattern.search(req.path):
                del self.failures[index]
                return status, body
        conversion = re.match(r"^/app-manifests/([\w-]+)/conversions$", req.path)
        if conversion and req.method == "POST":
            if conversion.group(1) != MANIFEST_CODE or self.manifest_code_used:
                return 404, {"message": "Not Found"}
            self.manifest_code_used = True
            return 201, {
                "id": 12345,
                "slug": "self-healing-ci",
                "html_url": "https://github.com/apps/self-healing-ci",
                "pem": APP_PEM,
                "webhook_secret": APP_WEBHOOK_SECRET,
                "client_id": "Iv1.abc",
                "client_secret": "cs_" + "x" * 40,
            }
        if req.path.startswith("/app/installations/") and req.path.endswith("/access_tokens"):
            self._check_jwt(req)
            return 201, {"token": TOKEN, "expires_at": "2099-01-01T00:00:00Z"}
        blob = re.match(r"^/_blobs/([^/]+/[^/]+)/(\d+)$", req.path)
        if blob:  # the short-lived download URL a job log redirects to (no token needed)
            owner_repo = self.repos.get(blob.group(1))
            data = owner_repo.job_logs.get(int(blob.group(2))) if owner_repo else None
            return (200, data) if data is not None else (404, {"message": "Not Found"})
        match = re.match(r"^/repos/([^/]+/[^/]+)(/.*)?$", req.path)
        if not match:
            return 404, {"message": "Not Found"}
        repo = self.repos.get(match.group(1))
        rest = match.group(2) or ""
        if repo is None:
            return 404, {"message": "Not Found"}
        base = f"{self.url}{self.prefix}/repos/{repo.full_name}"
        if rest == "/installation":
            self._check_jwt(req)
            return 200, {"id": 4242, "app_id": 1, "account": {"login": repo.full_name.split("/")[0]}}
        if self._bearer(req) != TOKEN and not self._bearer(req).startswith("ghp_"):
            return 401, {"message": "Bad credentials"}
        if rest == "" and req.method == "GET":
            return 200, {
                "id": 1,
                "name": repo.full_name.split("/")[1],
                "full_name": repo.full_name,
                "url": base,
                "html_url": f"https://github.example/{repo.full_name}",
                "default_branch": "main",
                "owner": {"login": repo.full_name.split("/")[0]},
            }
        if rest == "/issues" and req.method == "GET":
            labels = set(",".join(req.query.get("labels", [""])).split(",")) - {""}
            found = [i for i in repo.issues if i["state"] == "open" and labels <= {lb["name"] for lb in i["labels"]}]
            return self._page(req, found)
        if rest == "/issues" and req.method == "POST":
            number = len(repo.issues) + len(repo.pulls) + 1
            issue = {
                "number": number,
                "id": number,
                "title": req.body["title"],
                "body": req.body.get("body", ""),
                "state": "open",
                "labels": [{"name": n} for n in req.body.get("labels", [])],
                "url": f"{base}/issues/{number}",
                "html_url": f"https://github.example/{repo.full_name}/issues/{number}",
                "comments": 0,
            }
            repo.issues.append(issue)
            return 201, issue
        m = re.match(r"^/issues/(\d+)(/comments)?$", rest)
        if m:
            number = int(m.group(1))
            known: dict[str, Any] | None = next((i for i in repo.issues if i["number"] == number), None)
            if m.group(2) and req.method == "POST":
                repo.comments.setdefault(number, []).append(req.body["body"])
                comment_id = len(repo.comment_ids) + 1
                repo.comment_ids[comment_id] = (number, len(repo.comments[number]) - 1)
                return 201, self._comment_json(repo, base, comment_id)
            if m.group(2) and req.method == "GET":
                ids = [cid for cid, (n, _) in repo.comment_ids.items() if n == number]
                return self._page(req, [self._comment_json(repo, base, cid) for cid in ids])
            if known is not None and req.method == "PATCH":
                known.update({k: v for k, v in req.body.items() if k in ("body", "title", "state")})
                if "labels" in req.body:
                    known["labels"] = [{"name": n} for n in req.body["labels"]]
                return 200, known
            if known is not None and req.method == "GET":
                return 200, known
        edit = re.match(r"^/issues/comments/(\d+)$", rest)
        if edit and req.method == "PATCH" and int(edit.group(1)) in repo.comment_ids:
            number, index = repo.comment_ids[int(edit.group(1))]
            repo.comments[number][index] = req.body["body"]
            return 200, self._comment_json(repo, base, int(edit.group(1)))
        m = re.match(r"^/contents/(.+)$", rest)
        if m and req.method == "GET":
            ref = req.query.get("ref", ["main"])[0]
            ref = repo.refs.get(f"refs/heads/{ref}", ref)
            path = unquote(m.group(1))
            entry = repo.files.get(ref, {}).get(path)
            if entry is None:
                return 404, {"message": "Not Found"}
            kind, data = entry
            common = {
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "sha": _sha(data.hex()),
                "size": len(data),
                "url": f"{base}/contents/{path}",
                "html_url": "https://github.example/x",
            }
            if kind == "symlink":
                return 200, {**common, "type": "symlink", "target": data.decode()}
            return 200, {**common, "type": "file", "encoding": "base64", "content": base64.b64encode(data).decode()}
        m = re.match(r"^/git/commits/([0-9a-f]+)$", rest)
        if m and req.method == "GET":
            commit = repo.commits.get(m.group(1))
            if commit is None:
                return 404, {"message": "Not Found"}
            return 200, self._commit_json(base, commit)
        if rest == "/git/blobs" and req.method == "POST":
            sha = _sha("blob", req.body["content"])
            repo.blobs[sha] = req.body["content"]
            return 201, {"sha": sha, "url": f"{base}/git/blobs/{sha}"}
        if rest == "/git/trees" and req.method == "POST":
            sha = _sha("tree", req.body)
            repo.trees[sha] = req.body
            return 201, {"sha": sha, "url": f"{base}/git/trees/{sha}", "tree": req.body["tree"], "truncated": False}
        if rest == "/git/commits" and req.method == "POST":
            sha = _sha("commit", req.body)
            commit = {
                "sha": sha,
                "tree": req.body["tree"],
                "parents": req.body["parents"],
                "message": req.body["message"],
            }
            repo.commits[sha] = commit
            # The new commit's files: the parent's, with the tree's blobs applied.
            files = dict(repo.files.get(req.body["parents"][0], {}))
            for entry in repo.trees.get(req.body["tree"], {}).get("tree", []):
                files[entry["path"]] = ("file", repo.blobs[entry["sha"]].encode())
            repo.files[sha] = files
            return 201, self._commit_json(base, commit)
        if rest == "/git/refs" and req.method == "POST":
            if req.body["ref"] in repo.refs:
                return 422, {"message": "Reference already exists"}
            repo.refs[req.body["ref"]] = req.body["sha"]
            return 201, {
                "ref": req.body["ref"],
                "url": f"{base}/git/{req.body['ref']}",
                "object": {"sha": req.body["sha"], "type": "commit", "url": f"{base}/git/commits/x"},
            }
        if rest == "/pulls" and req.method == "POST":
            number = len(repo.issues) + len(repo.pulls) + 1
            pull = {
                "number": number,
                "id": number,
                "title": req.body["title"],
                "body": req.body.get("body"),
                "draft": req.body.get("draft", False),
                "state": "open",
                "url": f"{base}/pulls/{number}",
                "html_url": f"https://github.example/{repo.full_name}/pull/{number}",
                "issue_url": f"{base}/issues/{number}",
                "head": {"ref": req.body["head"], "sha": repo.refs.get(f"refs/heads/{req.body['head']}")},
                "base": {"ref": req.body["base"]},
            }
            repo.pulls.append(pull)
            return 201, pull
        if rest == "/check-runs" and req.method == "POST":
            if self._bearer(req) != TOKEN:  # only a GitHub App may create check runs
                return 403, {"message": "You must authenticate via a GitHub App."}
            annotations = req.body.get("output", {}).get("annotations", [])
            if len(annotations) > 50:
                return 422, {"message": "Only 50 annotations are allowed per request"}
            number = len(repo.check_runs) + 1
            repo.check_runs.append(req.body)
            return 201, {
                "id": number,
                "name": req.body["name"],
                "head_sha": req.body["head_sha"],
                "status": req.body.get("status"),
                "conclusion": req.body.get("conclusion"),
                "url": f"{base}/check-runs/{number}",
                "html_url": f"https://github.example/{repo.full_name}/runs/{number}",
            }
        run = re.match(r"^/actions/runs/(\d+)$", rest)
        if run and req.method == "GET":
            number = int(run.group(1))
            pulls = [{"number": n, "url": f"{base}/pulls/{n}"} for n in repo.run_pulls.get(number, [])]
            return 200, {
                "id": number,
                "status": "completed",
                "url": f"{base}/actions/runs/{number}",
                "pull_requests": pulls,
            }
        compare = re.match(r"^/compare/([0-9a-f]+)\.\.\.([0-9a-f]+)$", rest)
        if compare and req.method == "GET":
            before, after = (repo.files.get(sha) for sha in compare.groups())
            if before is None or after is None:
                return 404, {"message": "Not Found"}
            changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
            return 200, {
                "url": f"{base}/compare/{compare.group(1)}...{compare.group(2)}",
                "status": "ahead",
                "ahead_by": 1,
                "behind_by": 0,
                "total_commits": 1,
                "commits": [],
                "files": [{"sha": _sha(p), "filename": p, "status": "modified"} for p in changed],
            }
        rerun = re.match(r"^/actions/runs/(\d+)/rerun-failed-jobs$", rest)
        if rerun and req.method == "POST":
            repo.reruns.append(int(rerun.group(1)))
            return 201, {}
        logs = re.match(r"^/actions/jobs/(\d+)/logs$", rest)
        if logs and req.method == "GET":
            if int(logs.group(1)) not in repo.job_logs:
                return 404, {"message": "Not Found"}
            return 302, {}, {"Location": f"{self.url}/_blobs/{repo.full_name}/{logs.group(1)}"}
        m = re.match(r"^/pulls/(\d+)$", rest)
        if m and req.method in ("GET", "PATCH"):
            found_pull: dict[str, Any] | None = next((p for p in repo.pulls if p["number"] == int(m.group(1))), None)
            if found_pull is not None and req.method == "PATCH":
                found_pull.update({k: v for k, v in req.body.items() if k in ("state", "title", "body")})
            return (200, found_pull) if found_pull else (404, {"message": "Not Found"})
        return 404, {"message": f"stub has no route {req.method} {rest}"}

    @staticmethod
    def _comment_json(repo: Repo, base: str, comment_id: int) -> dict[str, Any]:
        number, index = repo.comment_ids[comment_id]
        return {
            "id": comment_id,
            "body": repo.comments[number][index],
            "url": f"{base}/issues/comments/{comment_id}",
            "html_url": f"https://github.example/{repo.full_name}/issues/{number}#issuecomment-{comment_id}",
        }

    def _page(self, req: Request, items: list[dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
        """One page of ``items`` as GitHub serves lists: ``per_page`` (30), ``page``, a Link header."""
        per_page = int(req.query.get("per_page", ["30"])[0])
        page = int(req.query.get("page", ["1"])[0])
        headers: dict[str, str] = {}
        if page * per_page < len(items):
            query = {k: v[0] for k, v in req.query.items()} | {"page": str(page + 1), "per_page": str(per_page)}
            headers["Link"] = f'<{self.url}{req.path}?{urlencode(query)}>; rel="next"'
        return 200, items[(page - 1) * per_page : page * per_page], headers

    @staticmethod
    def _commit_json(base: str, commit: dict[str, Any]) -> dict[str, Any]:
        return {
            "sha": commit["sha"],
            "url": f"{base}/git/commits/{commit['sha']}",
            "message": commit.get("message", ""),
            "tree": {"sha": commit["tree"], "url": f"{base}/git/trees/{commit['tree']}"},
            "parents": [{"sha": p, "url": f"{base}/git/commits/{p}"} for p in commit["parents"]],
        }

    @staticmethod
    def _bearer(req: Request) -> str:
        value = req.headers.get("authorization", "")
        return value.split(" ", 1)[1] if " " in value else ""

    def _check_jwt(self, req: Request) -> None:
        import jwt

        token = self._bearer(req)
        assert self.app_public_key is not None, "stub has no app key"
        claims = jwt.decode(token, self.app_public_key, algorithms=["RS256"])
        assert str(claims["iss"]) == "12345"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _serve(self) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length", 0) or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                prefix = "/api/v3"  # GitHub Enterprise's API lives under a path; strip it when used
                path = parsed.path[len(prefix) :] if parsed.path.startswith(prefix) else parsed.path
                req = Request(
                    self.command, path, parse_qs(parsed.query), {k.lower(): v for k, v in self.headers.items()}, body
                )
                with stub._lock:
                    stub.requests.append(req)
                    headers: dict[str, str] = {}
                    try:
                        status, payload, *more = stub._route(req)
                        headers = more[0] if more else {}
                    except AssertionError as exc:
                        status, payload = 401, {"message": f"bad app auth: {exc}"}
                    if 200 <= status < 300 and isinstance(payload, (dict, list)):
                        # GitHub's documented answer, with what the stub knows in its place.
                        payload = openapi.conform(self.command, path, status, payload)
                        stub.answers.append((self.command, path, status, payload))
                raw_payload = isinstance(payload, bytes)
                data = payload if raw_payload else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain" if raw_payload else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815

        return Handler


@pytest.fixture
def github_stub() -> Iterator[GitHubStub]:
    stub = GitHubStub()
    stub.start()
    yield stub
    stub.stop()
    for method, path, status, body in stub.answers:
        try:
            openapi.check(method, path, status, body)
        except openapi.jsonschema.ValidationError as exc:
            pytest.fail(f"the stub's answer to {method} {path} breaks GitHub's API description: {exc.message}")
