from __future__ import annotations

import pytest

from chalicelib.api.request import check_analysis_id, parse_analyze
from chalicelib.errors import BadInputError, PayloadTooLargeError


def test_valid_request() -> None:
    request = parse_analyze(b'{"log": "boom", "repo": "a/b", "run_id": 5, "act": true}', 1000)
    assert (request.log, request.s3_key, request.act, request.metadata.repo, request.metadata.run_id) == (
        "boom",
        None,
        True,
        "a/b",
        "5",
    )


def test_size_is_checked_before_parsing() -> None:
    with pytest.raises(PayloadTooLargeError, match="limit is 10"):
        parse_analyze(b"{" * 11, 10)


@pytest.mark.parametrize("body", [b"{", b"null", b'{"log": 1}', b'{"s3_key": "logs/a\\u0000b"}', b'{"act": false}'])
def test_bad_bodies(body: bytes) -> None:
    with pytest.raises(BadInputError):
        parse_analyze(body, 1000)


def test_analysis_ids() -> None:
    assert check_analysis_id("20261126-0123456789abcdef")
    with pytest.raises(BadInputError):
        check_analysis_id("../../etc/passwd")
    for near_miss in ("20261126-0123456789abcdef\n", "٢٠٢٦١١٢٦-0123456789abcdef"):  # a final newline, Arabic digits
        with pytest.raises(BadInputError):
            check_analysis_id(near_miss)
