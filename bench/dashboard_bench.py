"""`make bench`, dashboard part: page times with 100,000 generated records (local folder layout)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "webapp")]

from dashboard.app import create_app  # noqa: E402
from dashboard.records import LocalSource, Records  # noqa: E402

from tests.support.webapp_records import populate  # noqa: E402


def timed(client: object, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code}")
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        records = populate(root, args.records, args.days)
        print(
            f"dashboard: generated {args.records} records over {args.days} days in {time.perf_counter() - start:.0f} s"
        )
        client = create_app(Records(LocalSource(root))).test_client()
        some_id = records[len(records) // 2]["id"]
        results = [
            ("list, first page (cold)", timed(client, "/")),
            ("list, first page (warm)", timed(client, "/")),
            ("list, page 4 filtered by repository", timed(client, "/?repo=acme/repo3&page=4")),
            ("failure detail", timed(client, f"/failures/{some_id}")),
            ("trends, 30 days (cold)", timed(client, "/trends")),
            ("trends, 30 days (warm)", timed(client, "/trends")),
        ]
        for name, ms in results:
            print(f"  {name:40s} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
