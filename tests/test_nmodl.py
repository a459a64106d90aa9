"""NMODL from Python (issue 5, first part): parser and analysis errors reach Python as
NmodlError (a SyntaxError) with file, line, column and a caret; valid sources name their
mechanism and then say clearly that compilation is not there yet."""

import os

import pytest

import rheobase
from rheobase import NmodlError

KD = """
NEURON { SUFFIX kd  USEION k READ ek WRITE ik  RANGE gkdbar }
PARAMETER { gkdbar = 0.01 (S/cm2) }
STATE { n }
BREAKPOINT { SOLVE states METHOD cnexp  ik = gkdbar * n^4 * (v - ek) }
DERIVATIVE states { n' = (1 - n) / 5 }
"""


def test_a_valid_source_is_checked_then_refused_with_a_clear_message():
    with pytest.raises(NotImplementedError, match="SUFFIX kd.*does not compile NMODL"):
        rheobase.compile_mod(KD)


def test_syntax_error_position_and_caret():
    bad = KD.replace("n' = (1 - n) / 5 }", "n' = (1 - n / 5 }")
    with pytest.raises(NmodlError) as err:
        rheobase.compile_mod(bad, "kd.mod")
    e = err.value
    assert isinstance(e, SyntaxError)
    assert (e.filename, e.lineno) == ("kd.mod", 6)
    assert e.offset > 1 and e.text.startswith("DERIVATIVE states")
    report = str(e)
    assert report.startswith("kd.mod:6:") and "^" in report
    assert e.errors[0][:3] == ("kd.mod", 6, e.offset)


def test_undeclared_name_is_reported_at_its_position():
    bad = KD.replace("ik = gkdbar * n^4 * (v - ek)", "ik = gkbar * n^4 * (v - ek)")
    with pytest.raises(NmodlError) as err:
        rheobase.compile_mod(bad, "kd.mod")
    e = err.value
    assert (e.lineno, e.text.index("gkbar") + 1) == (5, e.offset)
    assert "gkbar" in e.msg


def test_missing_declaration_and_bad_types(tmp_path):
    with pytest.raises(NmodlError, match="SUFFIX"):
        rheobase.compile_mod("PARAMETER { g = 1 }")
    with pytest.raises(TypeError):
        rheobase.compile_mod(b"NEURON { SUFFIX x }")
    with pytest.raises(FileNotFoundError):
        rheobase.load_mechanisms(tmp_path / "nothing-here")
    with pytest.raises(FileNotFoundError):
        rheobase.load_mod(tmp_path / "absent.mod")


def test_load_mod_and_folder(tmp_path):
    (tmp_path / "kd.mod").write_text(KD)
    with pytest.raises(NotImplementedError, match="kd"):
        rheobase.load_mod(tmp_path / "kd.mod")
    (tmp_path / "broken.mod").write_text("NEURON { SUFFIX b ")
    with pytest.raises(NmodlError) as err:
        rheobase.load_mechanisms(tmp_path)
    assert err.value.filename.endswith("broken.mod")


def test_every_mod_file_of_the_neuron_wheel_parses():
    neuron = pytest.importorskip("neuron")
    share = os.path.join(os.path.dirname(neuron.__file__), ".data", "share")
    files = [os.path.join(d, f) for d, _, fs in os.walk(share) for f in fs if f.endswith(".mod")]
    assert len(files) >= 10
    for path in files:
        with pytest.raises(NotImplementedError):
            rheobase.load_mod(path)
