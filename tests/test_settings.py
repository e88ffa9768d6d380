from __future__ import annotations

import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.settings import Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.provider, settings.excerpt_max_chars, settings.max_body_bytes, settings.actions_mode) == (
        "heuristic",
        8000,
        5 * 1024 * 1024,
        "auto",
    )


def test_values_and_lists() -> None:
    settings = Settings.from_env(
        {
            "MAIL_TO": "a@x.io, b@x.io,",
            "EXCERPT_MAX_CHARS": "4000",
            "PROVIDER": "Groq",
            "LLM_API_KEY": "k" * 20,
            "GITHUB_TOKEN": "short",
        }
    )
    assert settings.mail_to == ("a@x.io", "b@x.io") and settings.excerpt_max_chars == 4000
    assert settings.provider == "groq"
    assert settings.runtime_secrets() == ("k" * 20,)


@pytest.mark.parametrize(
    ("name", "value"), [("EXCERPT_MAX_CHARS", "many"), ("MAX_BODY_BYTES", "-1"), ("ACTIONS_MODE", "yolo")]
)
def test_bad_values_are_clear_errors(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value})
