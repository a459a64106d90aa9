"""Shared fixtures for the NEURON cross-check tests.

`nrn` is NEURON's `n` (stdrun loaded, globals reset, no sections leaking between tests);
`rb` is a fresh, independent `rheobase.Model()`. A cross-check test builds the same model with
one builder function for both and compares the arrays the builder returns.

NEURON is one global per process: a builder must keep its sections in local variables only (they
are deleted when the last Python reference goes away) and must not leave globals changed — the
`nrn` fixture resets the globals below after every test anyway.
"""

import gc

import numpy as np
import pytest

# NEURON 9.0.2 defaults (stdrun.hoc loaded), restored after every test that uses `nrn`.
NRN_GLOBAL_DEFAULTS = {
    "celsius": 6.3,
    "dt": 0.025,
    "secondorder": 0,
    "usetable_hh": 1,
    "tstop": 5.0,
    "v_init": -65.0,
    "steps_per_ms": 40.0,
}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Remember each phase's report on the item so fixtures can tell whether the test passed.
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _reset_nrn_globals(n):
    for name, value in NRN_GLOBAL_DEFAULTS.items():
        setattr(n, name, value)
    n.t = 0.0


def _delete_all_sections(n):
    for sec in list(n.allsec()):
        n.delete_section(sec=sec)


def _clear_gids(n):
    # NEURON keeps gids (set_gid2node, pc.cell, gid_connect) per process, not per object: forget
    # them so one test's network does not make the next one's set_gid2node fail.
    try:
        n.ParallelContext().gid_clear()
    except Exception:  # nothing to clear, or an older NEURON without it
        pass


@pytest.fixture
def nrn(request):
    """NEURON's `n` with stdrun.hoc loaded; globals reset and section leaks checked after the test."""
    pytest.importorskip("neuron")
    from neuron import n

    n.load_file("stdrun.hoc")
    gc.collect()
    _delete_all_sections(n)  # whatever an earlier failed test left behind
    _reset_nrn_globals(n)
    try:
        yield n
    finally:
        _reset_nrn_globals(n)
        _clear_gids(n)
        gc.collect()
        leaked = [sec.name() for sec in n.allsec()]
        _delete_all_sections(n)
        rep = getattr(request.node, "rep_call", None)
        # A failing test's traceback keeps its locals (and so its sections) alive: only a test
        # that passed is held responsible for leaking.
        if leaked and rep is not None and rep.passed:
            pytest.fail(f"test leaked NEURON sections (keep them local to the builder): {leaked}")


@pytest.fixture
def rb():
    """A fresh, independent rheobase model with NEURON's namespace (`m.Section`, `m.IClamp`, ...)."""
    import rheobase

    return rheobase.Model()


def assert_trace_close(actual, expected, atol, name="trace"):
    """Assert two 1-D traces have the same length and differ by at most `atol` everywhere.

    The message gives the largest |difference|, where it happens and both values there.
    """
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, (
        f"{name}: shape {actual.shape} (rheobase/actual) != {expected.shape} (NEURON/expected)"
    )
    if actual.size == 0:
        return
    diff = np.abs(actual - expected)
    bad = ~(diff <= atol)  # also catches NaN
    if bad.any():
        i = int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff)))
        first = int(np.argmax(bad))
        raise AssertionError(
            f"{name}: max |Δ| = {diff[i]:.3e} at index {i} (actual {actual[i]!r}, expected "
            f"{expected[i]!r}); tolerance {atol:g}; {int(bad.sum())} of {actual.size} samples "
            f"outside, first at index {first} (actual {actual[first]!r}, expected {expected[first]!r})"
        )


def assert_traces_close(actual, expected, atol, prefix=""):
    """Compare two dicts name -> trace; `atol` is a number or a function name -> tolerance."""
    assert list(actual) == list(expected), f"{prefix}recorded names differ: {list(actual)} != {list(expected)}"
    for key in expected:
        tol = atol(key) if callable(atol) else atol
        assert_trace_close(actual[key], expected[key], tol, name=f"{prefix}{key}")
