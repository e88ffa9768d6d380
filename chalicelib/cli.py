"""Command line: the same analysis as the Lambda, on local files.

    python -m chalicelib analyze FILE... [--json] [--act --repo O/R --sha S --branch B --run-id N]
    python -m chalicelib excerpt [--max-chars N] [--jsonl] FILE...

Exit status: 0 on success, 2 on a usage error, 1 when a file can't be read.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from chalicelib.errors import BadInputError, ConfigurationError, SelfHealingError
from chalicelib.excerpt.build import DEFAULT_MAX_CHARS, build_excerpt
from chalicelib.excerpt.planning import baseline_keys
from chalicelib.excerpt.redact import Redactor
from chalicelib.ingest.logsource import iter_file_blocks
from chalicelib.ingest.metadata import FailedSteps, RunMetadata
from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.record import Analysis


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib", description="Find why a CI job failed.")
    sub = parser.add_subparsers(dest="command", required=True)
    analyze = sub.add_parser("analyze", help="analyze CI logs")
    analyze.add_argument("files", nargs="+", metavar="FILE")
    analyze.add_argument("--json", action="store_true", help="one JSON analysis per line")
    analyze.add_argument("--act", action="store_true", help="also open issues/PRs and send mail as configured")
    analyze.add_argument("--baseline", metavar="GREEN_LOG", help="a successful run's log of the same job")
    for flag in ("repo", "sha", "branch", "run-id", "workflow", "job"):
        analyze.add_argument(f"--{flag}", default="")
    analyze.add_argument(
        "--failed-steps",
        default="",
        metavar="START/END[,...]",
        help="when the steps GitHub concluded failed ran (ISO 8601): tells steps allowed to fail apart",
    )
    excerpt = sub.add_parser("excerpt", help="print the lines that explain each log's failure")
    excerpt.add_argument("files", nargs="+", metavar="FILE")
    excerpt.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS)
    excerpt.add_argument("--jsonl", action="store_true", help="one JSON object per file")
    excerpt.add_argument("--baseline", metavar="GREEN_LOG", help="a successful run's log of the same job")
    return parser


def _print_analysis(analysis: Analysis, out: TextIO) -> None:
    source = analysis.source
    name = source.get("path") or source.get("key") or "log"
    print(f"{name}: {analysis.category} ({analysis.confidence:.2f}) — {analysis.root_cause}", file=out)
    print(f"  fix: {analysis.suggested_fix}", file=out)
    for item in analysis.evidence:
        print(f"  {item['line']:>7} | {item['text']}", file=out)
    for action in analysis.actions:
        print(f"  {action.kind}: {action.status} {action.url}", file=out)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=err)
    try:
        settings = Settings.from_env()
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=err)
        return 2
    status = 0
    if args.command == "excerpt":
        if args.max_chars <= 0:
            print("error: --max-chars must be positive", file=err)
            return 2
        redactor = Redactor(settings.runtime_secrets())
        try:
            baseline = baseline_keys(iter_file_blocks(args.baseline, settings.max_log_bytes)) if args.baseline else None
        except SelfHealingError as exc:
            print(f"error: {exc}", file=err)
            return 1
        for path in args.files:
            try:
                source = functools.partial(iter_file_blocks, path, settings.max_log_bytes)
                ex = build_excerpt(source, args.max_chars, redactor, baseline or frozenset())
            except SelfHealingError as exc:
                print(f"error: {exc}", file=err)
                status = 1
                continue
            if args.jsonl:
                print(json.dumps({"path": path, "lines": [[n, t] for n, t in ex.lines]}, ensure_ascii=False), file=out)
            else:
                print(f"== {path} ({ex.chars} chars of {ex.total_bytes} bytes)", file=out)
                print(ex.text(), file=out)
        return status
    metadata = RunMetadata(
        repo=args.repo, sha=args.sha, branch=args.branch, run_id=args.run_id, workflow=args.workflow, job=args.job
    )
    try:
        failed_steps = FailedSteps.parse(args.failed_steps, "--failed-steps")
    except BadInputError as exc:
        print(f"error: {exc}", file=err)
        return 2
    # Imported here: `excerpt` needs none of the service's SDKs, which would triple its memory.
    from chalicelib.pipeline import analyze_file
    from chalicelib.services import build_services

    services = build_services(settings)
    for path in args.files:
        try:
            outcome = analyze_file(
                services, path, metadata, act=args.act, baseline_path=args.baseline, failed_steps=failed_steps
            )
        except SelfHealingError as exc:
            print(f"error: {exc}", file=err)
            status = 1
            continue
        if args.json:
            print(json.dumps(outcome.analysis.to_dict(), ensure_ascii=False, sort_keys=True), file=out)
        else:
            _print_analysis(outcome.analysis, out)
    return status
