"""A local HTTP endpoint for webhook tests: records JSON posts, answers with scripted statuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.support.stub_server import StubServer


class Receiver(StubServer):
    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.statuses: list[int] = []
        super().__init__()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "2")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        return Handler

    @property
    def url(self) -> str:
        return f"{super().url}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()
