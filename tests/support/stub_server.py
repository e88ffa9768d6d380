"""The base of the wire-level stub servers (GitHub, chat completions, webhooks): a threaded HTTP
server on a free loopback port, started and stopped with the test."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# How often serve_forever looks for a shutdown: stopping a stub takes at most this long.
POLL_SECONDS = 0.05


class StubServer:
    """Serves ``handler()`` on 127.0.0.1 at a free port; ``url`` is its base."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class, bound to this stub's state."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
