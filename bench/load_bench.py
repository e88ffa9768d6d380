"""`make bench`, load part: `chalice local` under a bounded load on loopback.

2,000 requests, mixed valid and invalid bodies, 8 at a time; reports requests per second, the
status codes, and the server's memory before and after. Never a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bodies() -> list[tuple[bytes, str]]:
    logs = [p.read_text() for p in sorted(EXAMPLES.glob("*.log"))]
    valid = [(json.dumps({"log": text, "repo": "acme/load"}).encode(), "application/json") for text in logs]
    invalid = [
        (b"{not json", "application/json"),
        (b'{"repo": "a/b"}', "application/json"),
        (b"plain text", "text/plain"),
        (json.dumps({"log": "x" * 6_000_000}).encode(), "application/json"),
        (b'{"s3_key": "logs/none.log"}', "application/json"),
    ]
    return valid + invalid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "OUT_DIR": out}
        # Without the reloader, the process started here is the one serving: it is the one
        # measured, and terminate() stops it (the reloader's worker would be left running).
        command = ["local", "--no-autoreload", "--port", str(port), "--stage", "local"]
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "chalice"), *command],
            cwd=ROOT,
            env=env,
            stderr=subprocess.STDOUT,
            stdout=open(os.environ.get("LOAD_SERVER_LOG", os.devnull), "w"),
        )
        try:
            url = f"http://127.0.0.1:{port}/analyze"
            for _ in range(100):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    time.sleep(0.1)
            pool = bodies()
            random.seed(7)
            plan = [random.choice(pool) for _ in range(args.requests)]

            def send(item: tuple[bytes, str]) -> int:
                request = urllib.request.Request(url, data=item[0], method="POST", headers={"Content-Type": item[1]})
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
                        return int(response.status)
                except urllib.error.HTTPError as exc:
                    return int(exc.code)

            send(pool[0])
            before = rss_mb(server.pid)
            start = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as executor:
                statuses = Counter(executor.map(send, plan))
            elapsed = time.perf_counter() - start
            after = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"load: {args.requests} requests, {args.concurrency} at a time, against chalice local")
    print(f"  {args.requests / elapsed:.1f} requests/s; statuses {dict(sorted(statuses.items()))}")
    errors = sum(n for status, n in statuses.items() if status >= 500)
    print(f"  server RSS {before:.0f} MB before, {after:.0f} MB after; 5xx: {errors}")


if __name__ == "__main__":
    main()
