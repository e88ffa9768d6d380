"""Every secret kind, written in a format-valid way, must disappear; harmless ids must not."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.excerpt import redact as redact_module
from chalicelib.excerpt.redact import Redactor
from tests.support.canaries import CANARIES, LINES_WITH_SECRETS, SECRET_FRAGMENTS
from tests.support.logs import excerpt_of


@pytest.mark.parametrize(("kind", "secret"), sorted(CANARIES.items()))
def test_each_secret_kind_is_redacted_and_named(kind: str, secret: str) -> None:
    out = Redactor().redact(f"token in log: {secret} end")
    assert secret not in out
    assert "[REDACTED:" in out and out.endswith(" end")


@pytest.mark.parametrize(("kind", "template", "secret"), [(k, *v) for k, v in sorted(LINES_WITH_SECRETS.items())])
def test_secrets_in_context_are_redacted(kind: str, template: str, secret: str) -> None:
    out = Redactor().redact(template.format(secret))
    assert f"[REDACTED:{kind.removesuffix('-alnum')}]" in out, out
    assert secret not in out


def test_base64_and_url_encoded_secrets_are_redacted() -> None:
    token = CANARIES["github-token"]
    b64 = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    out = Redactor().redact(f"AUTHORIZATION: basic {b64}")
    assert b64 not in out and token not in out
    assert token not in Redactor().redact("url=" + quote(f"https://x/?t={token}", safe=""))


def test_url_encoded_secrets_are_redacted_among_lines_with_plain_percent_signs() -> None:
    slack = "https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/abcdefghij0123456789ABCD"
    lines = [(1, "[ 50%] Building CXX object src/a.o"), (2, "notify=" + quote(slack, safe="")), (3, "100% done")]
    out = Redactor().redact_lines(lines)
    assert out[0] == lines[0] and out[2] == lines[2]
    assert "hooks.slack.com" not in out[1][1] and "[REDACTED:" in out[1][1]


def test_runtime_secrets_by_value_base64_and_url_encoding() -> None:
    secret = "my-own-service-key-Zz9!"
    redactor = Redactor([secret])
    for form in (secret, base64.b64encode(secret.encode()).decode(), quote(secret, safe="")):
        assert secret not in redactor.redact(f"echo {form}")
        assert form not in redactor.redact(f"echo {form}")


def test_private_key_blocks_even_when_cut_off() -> None:
    body = ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"]
    begin = "-----BEGIN " + "PRIVATE KEY-----"
    end = "-----END " + "PRIVATE KEY-----"
    whole = Redactor().redact_lines([(1, begin), (2, body[0]), (3, body[1]), (4, end), (5, "after")])
    assert [t for _, t in whole][1:3] == ["[REDACTED:private-key]"] * 2 and whole[4] == (5, "after")
    no_end = Redactor().redact_lines([(1, begin), (2, body[0]), (3, body[1])])
    assert all(body[0] not in t and body[1] not in t for _, t in no_end)
    no_begin = Redactor().redact_lines([(7, body[0]), (8, body[1]), (9, end)])
    assert all(body[0] not in t for _, t in no_begin)


def test_code_that_reads_a_secret_is_not_a_secret() -> None:
    for line in ("secret = os.environ['SESSION_SECRET']", "token = settings.github_token", "key=getenv('K')"):
        assert Redactor().redact(line) == line


def test_ids_that_are_not_secrets_stay_readable() -> None:
    text = (
        "HEAD is now at 3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345 "
        "id=123e4567-e89b-12d3-a456-426614174000 "
        "digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 "
        "token_count=42 password_file=/etc/app/passwd"
    )
    assert Redactor().redact(text) == text


def test_redaction_is_idempotent() -> None:
    line = " ".join(CANARIES.values()) + " " + " ".join(t.format(s) for t, s in LINES_WITH_SECRETS.values())
    once = Redactor().redact(line)
    assert Redactor().redact(once) == once


@given(st.text(max_size=300))
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = Redactor(["s3cretvalue123"]).redact(text)
    assert Redactor(["s3cretvalue123"]).redact(once) == once


_B64_CANARY = base64.b64encode(f"x-access-token:{CANARIES['github-token']}".encode()).decode()
_LINESECRET_FRAGMENTS = [f for f in SECRET_FRAGMENTS if "PRIVATE KEY" not in f] + [
    _B64_CANARY,
    CANARIES["github-token"],
    "de79291f702ad40774f3a91a11d378d4505d7e39",
    "/home/runner/work/project/project/src/module",
    "my-own-service-key-Zz9!",
    quote("my-own-service-key-Zz9!", safe=""),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_LINESECRET_FRAGMENTS), max_size=8), max_size=12), st.booleans())
def test_a_block_of_lines_is_redacted_as_each_line_alone(lines: list[list[str]], own_secret: bool) -> None:
    # redact_lines looks at the whole block first and skips lines no rule can change.
    redactor = Redactor(["my-own-service-key-Zz9!"] if own_secret else [])
    numbered = [(n, "".join(parts)) for n, parts in enumerate(lines, 1)]
    assert redactor.redact_lines(numbered) == [(n, redactor.redact(text)) for n, text in numbered]


def test_a_secret_in_base64_among_harmless_lines_is_found() -> None:
    lines = [(n, f"   Compiling module_{n} v0.{n}.0 (/home/runner/work/app/crates/m{n})") for n in range(1, 60)]
    lines[30] = (31, f"remote: {_B64_CANARY}")
    out = Redactor().redact_lines(lines)
    assert out[30] == (31, "remote: [REDACTED:github-token-base64]")
    assert out[:30] == lines[:30] and out[31:] == lines[31:]


@given(st.text(alphabet="aB3+/_-=. \n:", max_size=200))
def test_base64_words_are_found_as_python_finds_them(text: str) -> None:
    found = redact_module._base64_tokens(text.encode())
    assert found == {token.encode() for token in redact_module._BASE64_TOKEN.findall(text)}


_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc", "Zl", "Zp"))


@settings(max_examples=200, deadline=None)
@given(
    st.text(_PRINTABLE, max_size=12),
    st.sampled_from(sorted(CANARIES)),
    st.booleans(),
)
def test_printable_text_holding_a_secret_is_found_in_base64(prefix: str, kind: str, url_safe: bool) -> None:
    # Tokens whose groups start with a character no printable text encodes to are passed over
    # undecoded: text that holds a secret, whatever precedes it, never is.
    text = prefix + " " + CANARIES[kind]
    if not text.isprintable():
        return
    encode = base64.urlsafe_b64encode if url_safe else base64.b64encode
    token = encode(text.encode()).decode().rstrip("=")
    assert redact_module._encoded_secret_kind(token) is not None


# Characters that render as nothing, one of each family: zero-width space, word joiner, bidi
# override, soft hyphen, a Unicode tag character, a variation selector.
HIDDEN = ["\u200b", "\u2060", "\u202e", "\u00ad", "\U000e0041", "\ufe0f"]


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("kind", "secret"), sorted(CANARIES.items()))
def test_a_secret_with_an_invisible_character_inside_is_redacted(kind: str, secret: str, hidden: str) -> None:
    spoiled = secret[:6] + hidden + secret[6:]
    out = Redactor().redact(f"Error: token {spoiled} was refused")
    assert out == Redactor().redact(f"Error: token {secret} was refused"), out
    assert "[REDACTED:" in out and secret[6:] not in out and hidden not in out


@pytest.mark.parametrize("hidden", HIDDEN)
def test_an_excerpt_line_loses_invisible_characters_before_redaction(hidden: str) -> None:
    token = CANARIES["github-token"]
    line = f"fatal: push refused for {token[:10]}{hidden}{token[10:]}\nError: push failed\n"
    ex = excerpt_of(line.encode())
    texts = [t for _, t in ex.lines]
    assert texts == ["fatal: push refused for [REDACTED:github-token]", "Error: push failed"]


@pytest.mark.parametrize("start", [280, 290, 295, 299, 300])
def test_a_token_across_the_line_cut_is_redacted_whole(start: int) -> None:
    token = CANARIES["github-token"]
    head = "Error: " + "x" * (start - len("Error: ") - 1) + " "
    line = f"{head}{token} {'y' * 400}"
    ex = excerpt_of((line + "\n").encode())
    [(_, text)] = ex.lines
    marked = f"{head}[REDACTED:github-token] {'y' * 400}"
    if start + len("[REDACTED:github-token]") <= 300 or start >= 300:  # the cut is not inside the mark
        assert text == f"{marked[:300]} …[{len(marked) - 300} more chars]"
    else:  # the mark would be cut: it goes whole, and no part of the token is shown
        assert text == f"{head.rstrip()} …[{len(marked) - len(head)} more chars]"


B64 = base64.b64encode


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        # vendor formats (gitleaks rule ids in redact.py)
        ("token dop_v1_" + "0a" * 32, "0a" * 32),
        ("SHOPIFY=shpat_" + "f1" * 16, "f1" * 16),
        ("docker login -p dckr_pat_" + "Xy3" * 10, "Xy3" * 10),
        ("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + "Kq8/" * 22 + "==;", "Kq8/" * 22),
        ("VAULT_TOKEN=hvs." + "CAESI" * 6, "CAESI" * 6),
        # key=value shapes
        ("map[Authorization:[Bearer " + "abcDEF123456" + "] Accept:[*/*]]", "abcDEF123456"),
        ('{"Authorization" => "Bearer abcDEF123456"}', "abcDEF123456"),
        ("    [Authorization] => Bearer abcDEF123456", "abcDEF123456"),
        ("headers: [(b'Authorization', b'Bearer abcDEF123456')]", "abcDEF123456"),
        ('{"password": "hunter22"}', "hunter22"),
        ("    [password] => hunter22", "hunter22"),
        ("mysql --password hunter22 -u root", "hunter22"),
        ("mysql --db-password=hunter22", "hunter22"),
        ("DB_PASS=hunter22", "hunter22"),
        ("export SMTP_PASSWORD=changeme", "changeme"),
        (
            '{"auths": {"ghcr.io": {"auth": "' + B64(b"bot:s3cr3tpass").decode() + '"}}}',
            B64(b"bot:s3cr3tpass").decode(),
        ),
        ("_auth=" + B64(b"bot:s3cr3tpass").decode(), B64(b"bot:s3cr3tpass").decode()),
        ("redis://:pw12345678@cache:6379/0", "pw12345678"),
        ("git clone https://" + "a1b2c3d4e5f6a7b8c9d0e1f2" + "@github.com/acme/x.git", "a1b2c3d4e5f6a7b8c9d0e1f2"),
        (
            "ci,AKIAQWERTYUIOPASDFGH,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        # encodings
        ("{\\u0022password\\u0022: \\u0022hunter22\\u0022}", "hunter22"),
        ('body={\\"password\\": \\"hunter22\\"}', "hunter22"),
        ("ENV " + B64(b"HOME=/root\nDB_PASSWORD=hunter22x\nPATH=/bin\n").decode(), "hunter22x"),
        (
            "client-key-data: "
            + B64(b"-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + b"Q" * 90 + b"\n-----END RSA").decode(),
            B64(b"-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + b"Q" * 90 + b"\n-----END RSA").decode()[20:60],
        ),
    ],
)
def test_more_secret_shapes_are_redacted(line: str, secret: str) -> None:
    out = Redactor().redact(line)
    assert secret not in out and "[REDACTED:" in out, out
    assert Redactor().redact(out) == out


@pytest.mark.parametrize(
    "line",
    [
        "--- PASS: TestLogin (0.01s)",
        'FATAL: password authentication failed for user "postgres"',
        "password: required",
        "docker login --password-stdin",
        "mysql -u root --password=$DB_PASS",
        '"password": "${{ secrets.DB_PASSWORD }}"',
        "password_file=/etc/app/passwd",
        "min_password_length: 12345",
        "auth: true",
        "pass_rate: 0.95",
        "bypass: 12345",
        "pytest --pass-rate 0.9",
    ],
)
def test_password_words_that_hold_no_password_stay(line: str) -> None:
    assert Redactor().redact(line) == line


def test_wrapped_base64_and_key_bodies_across_lines_are_redacted() -> None:
    env = B64(b"export GITHUB_TOKEN=" + CANARIES["github-token"].encode() + b"\nexport X=1\n" * 3).decode()
    wrapped = [env[i : i + 76] for i in range(0, len(env), 76)]
    lines = [(1, "$ env | base64"), *[(i + 2, text) for i, text in enumerate(wrapped)], (99, "done")]
    out = Redactor().redact_lines(lines)
    assert out == [
        (1, "$ env | base64"),
        *[(n, "[REDACTED:github-token-base64]") for n, _ in lines[1:-1]],
        (99, "done"),
    ]
    body = [(10 + i, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" * 2) for i in range(4)]
    assert Redactor().redact_lines([(9, "key:"), *body]) == [
        (9, "key:"),
        *[(n, "[REDACTED:private-key]") for n, _ in body],
    ]
    certificate = [(9, "-----BEGIN CERTIFICATE-----"), *body]
    assert Redactor().redact_lines(certificate) == certificate  # a certificate is public


def test_a_private_key_across_lines_of_one_text_is_redacted() -> None:
    key_body = "\n".join(["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" * 2] * 5)
    for text in (
        f"Here is the fix:\n-----BEGIN PRIVATE KEY-----\n{key_body}\n-----END PRIVATE KEY-----\nDone.",
        f"cut short:\n-----BEGIN RSA PRIVATE KEY-----\n{key_body}",
        f"no markers:\n{key_body}\nthe end",
    ):
        out = Redactor().redact(text)
        assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in out and "[REDACTED:private-key]" in out, out


def test_a_column_of_sha256_digests_is_no_key() -> None:
    digests = [(10 + i, f"{i:02d}" * 32) for i in range(5)]
    assert Redactor().redact_lines(digests) == digests
    text = "\n".join(t for _, t in digests) + "\n"
    assert Redactor().redact(text) == text
