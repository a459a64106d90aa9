"""rheobase.units must match neuron.units name for name, value for value and
type for type (int vs float).  Run with PYTHONPATH=python."""

import importlib.util
import pathlib

import pytest

try:
    from rheobase import units
except ImportError:
    # rheobase/__init__.py may import the compiled extension, which may not be
    # built yet; units.py is pure Python, so load the file directly.
    _path = pathlib.Path(__file__).resolve().parents[1] / "python" / "rheobase" / "units.py"
    _spec = importlib.util.spec_from_file_location("rheobase_units_standalone", _path)
    units = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(units)


def public(module):
    return {k: v for k, v in vars(module).items() if not k.startswith("_")}


def test_same_names_values_and_types_as_neuron():
    pytest.importorskip("neuron")
    import neuron.units

    ours, theirs = public(units), public(neuron.units)
    assert sorted(ours) == sorted(theirs)
    for name, value in theirs.items():
        assert ours[name] == value, name
        assert type(ours[name]) is type(value), name


def test_base_units_are_one():
    for name in ("ms", "mV", "um", "mM", "\u03bcm"):
        assert getattr(units, name) == 1
        assert type(getattr(units, name)) is int


def test_hard_coded_values():
    assert units.s == 1000.0 and type(units.s) is float
    assert units.sec == 1000.0
    assert units.minute == 60000.0
    assert units.hour == 3600000.0
    assert units.day == 86400000.0
    assert units.us == 0.001
    assert units.V == 1000.0 and units.uV == 0.001
    assert units.M == 1000.0 and units.uM == 0.001 and units.nM == 1e-06
    assert units.nm == 0.001
    assert (units.mm, units.cm, units.m) == (1000, 10000, 1000000)
    assert type(units.m) is int


def test_micro_spellings():
    # The Greek mu (U+03BC) names exist and equal the ASCII "u" spellings.
    for unit in ("m", "M", "s", "V"):
        assert getattr(units, "\u03bc" + unit) == getattr(units, "u" + unit)
    # Identifiers typed with the micro sign (U+00B5) are NFKC-normalised to mu.
    namespace = {"units": units}
    exec("x = units.\u00b5m", namespace)
    assert namespace["x"] == 1


def test_star_import_exports_units():
    if units.__name__ != "rheobase.units":
        pytest.skip("rheobase package not importable; units.py was loaded by path")
    namespace = {}
    exec("from rheobase.units import *", namespace)
    assert namespace["ms"] == 1 and namespace["\u03bcm"] == 1


def test_module_has_docstring():
    assert units.__doc__ and "ms" in units.__doc__
