"""A local HTTP server that speaks the chat-completions protocol of OpenAI, Groq and HF's router.

Tests script its answers (status, headers, body, delay) and read back what it received.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.support.stub_server import StubServer

GOOD_ANSWER = {
    "summary": "tests/test_api.py::test_login returns 500",
    "root_cause": "test_login fails because the session store raises KeyError SESSION_SECRET.",
    "category": "test_assertion",
    "suggested_fix": "Set SESSION_SECRET in the test environment.",
    "confidence": 0.8,
    "edits": [],
}


@dataclass
class Reply:
    status: int = 200
    content: str | None = None  # the assistant message; None sends GOOD_ANSWER
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    raw_body: bytes | None = None


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class ChatStub(StubServer):
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.received: list[Received] = []
        super().__init__()

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "no such route"}}, {})
                    return
                reply = stub.replies.pop(0) if stub.replies else Reply()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    self._send(reply.status, {"error": {"message": "scripted failure", "type": "x"}}, reply.headers)
                    return
                if reply.raw_body is not None:
                    self._send_raw(200, reply.raw_body, reply.headers)
                    return
                content = json.dumps(GOOD_ANSWER) if reply.content is None else reply.content
                self._send(
                    200,
                    {
                        "id": "chatcmpl-stub",
                        "object": "chat.completion",
                        "created": 1_700_000_000,
                        "model": body.get("model", "stub"),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": reply.finish_reason,
                                "message": {"role": "assistant", "content": content},
                            }
                        ],
                        "usage": {"prompt_tokens": 1200, "completion_tokens": 150, "total_tokens": 1350},
                    },
                    reply.headers,
                )

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                self._send_raw(status, json.dumps(payload).encode(), headers)

            def _send_raw(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler


@pytest.fixture
def chat_stub() -> Iterator[ChatStub]:
    from chalicelib.engines.llm import reset_sdk_clients

    stub = ChatStub()
    stub.start()
    reset_sdk_clients()
    yield stub
    stub.stop()
    reset_sdk_clients()
