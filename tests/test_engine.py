"""The engine handle: Rust panics surface as RuntimeError naming the call; other errors pass."""

import pytest

from rheobase._engine import Engine


class PanicException(BaseException):
    """Stands for pyo3_runtime.PanicException (same name, also a BaseException)."""


class FakeRawEngine:
    def explode(self, x):
        raise PanicException(f"index out of bounds: {x}")

    def refuse(self):
        raise ValueError("nseg must be an integer in range 1 to 32767")

    def answer(self, a, b):
        return a + b


def test_panic_becomes_runtime_error_naming_the_call():
    eng = Engine(FakeRawEngine())
    with pytest.raises(RuntimeError, match=r"explode\(\): index out of bounds: 7"):
        eng.explode(7)


def test_other_errors_and_results_pass_through():
    eng = Engine(FakeRawEngine())
    with pytest.raises(ValueError, match="nseg"):
        eng.refuse()
    assert eng.answer(2, 3) == 5
    with pytest.raises(AttributeError):
        eng.no_such_method


def test_models_use_the_guarded_engine():
    import rheobase

    assert isinstance(rheobase.Model()._engine, Engine)
