"""Every error code answers one status, whether the error itself is at hand (a request
that raised it) or only its code (a failed job's error, answered by the synchronous
routes ``POST /v1/remove-background`` and ``/v1/images/*``)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import pictor
from pictor.api.errors import CLASS_BY_CODE, status_for, status_for_code
from pictor.errors import PictorError


def _modules() -> list[ModuleType]:
    """Every module of pictor but alembic's migration scripts (run by alembic only)."""
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(pictor.__path__, "pictor.")
        if not info.name.startswith("pictor.db.migrations")
    ]


def _error_classes(cls: type[PictorError] = PictorError) -> list[type[PictorError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_error_classes(sub))
    return found


def _raised_with_a_code(module: ModuleType) -> list[tuple[type[PictorError], str]]:
    """``SomeError(..., code="literal")`` calls in ``module``'s source, as (class, code)."""
    if module.__file__ is None:
        return []
    found = []
    for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        cls = getattr(module, node.func.id, None)
        if not (isinstance(cls, type) and issubclass(cls, PictorError)):
            continue
        for keyword in node.keywords:
            if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                found.append((cls, str(keyword.value.value)))
    return found


def _every_code() -> list[tuple[type[PictorError], str]]:
    modules = _modules()  # imported first: every error class is then a known subclass
    by_class = [(cls, cls.code) for cls in _error_classes() if "code" in cls.__dict__]
    at_raise = [pair for module in modules for pair in _raised_with_a_code(module)]
    return sorted(set(by_class + at_raise), key=lambda pair: (pair[1], pair[0].__name__))


EVERY_CODE = _every_code()


def _raised(cls: type[PictorError], code: str) -> PictorError:
    error = cls.__new__(cls)  # as raised; some classes take other constructor arguments
    PictorError.__init__(error, "raised", code=code)
    return error


@pytest.mark.parametrize(
    ("cls", "code"), EVERY_CODE, ids=[f"{code}-{cls.__name__}" for cls, code in EVERY_CODE]
)
def test_a_code_known_alone_answers_the_status_of_the_error_raised_with_it(
    cls: type[PictorError], code: str
) -> None:
    assert status_for_code(code) == status_for(_raised(cls, code))


def test_codes_given_where_they_are_raised_are_found_and_answer_their_class_status() -> None:
    codes = {code for _, code in EVERY_CODE}
    assert {"cannot_deactivate_self", "invalid_date_range", "invalid_request"} <= codes
    assert status_for_code("cannot_deactivate_self") == 409
    assert status_for_code("invalid_date_range") == 422
    assert status_for_code("studio_unavailable") == 503
    # Nothing listed that no code raises any more.
    assert set(CLASS_BY_CODE) <= codes


def test_an_unknown_code_is_an_internal_error() -> None:
    assert status_for_code("no_such_code") == 500
