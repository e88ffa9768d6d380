"""The error tree: every error knows its HTTP status and code, and the docstring draws them all."""

from __future__ import annotations

import inspect
import re

import chalicelib.errors as errors
from chalicelib.errors import ConfigurationError, SelfHealingError


def tree() -> list[type[SelfHealingError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, SelfHealingError)]


def test_every_error_is_drawn_in_the_docstring_with_its_status_and_code() -> None:
    doc = errors.__doc__ or ""
    for cls in tree():
        row = re.search(rf"── {cls.__name__}\s+(\d{{3}}) (\w+)|^    {cls.__name__}\s+(\d{{3}}) (\w+)", doc, re.M)
        assert row is not None, cls.__name__
        status, code = (row.group(1), row.group(2)) if row.group(1) else (row.group(3), row.group(4))
        assert (int(status), code) == (cls.http_status, cls.error_code), cls.__name__


def test_no_error_class_lives_outside_the_tree() -> None:
    import pkgutil
    from importlib import import_module

    import chalicelib

    outside = []
    for info in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        if info.name.endswith("__main__"):
            continue  # running it is the command line
        module = import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Exception) and cls.__module__ == info.name and info.name != "chalicelib.errors":
                outside.append(f"{info.name}.{name}")
    assert outside == []


def test_only_a_configuration_error_is_a_5xx_that_names_its_cause() -> None:
    assert ConfigurationError.http_status == 500
    assert {c.__name__ for c in tree() if c.http_status < 500} == {
        "BadInputError",
        "PayloadTooLargeError",
        "UnauthorizedError",
        "ForbiddenError",
        "NotFoundError",
        "InProgressError",
        "LogReadError",
        "PatchRejectedError",
    }
