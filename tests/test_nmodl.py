"""NMODL from Python (issue 5): a source compiles into a mechanism used exactly like a built-in;
parser and analysis errors reach Python as NmodlError (a SyntaxError) with file, line, column and
a caret; valid NMODL that rheobase does not implement yet raises NotImplementedError."""

import math
import os
import re
import warnings

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


def test_compile_insert_and_run_like_a_builtin(rb):
    assert rheobase.compile_mod(KD) == "kd"
    soma = rb.Section(name="soma")
    soma.insert("kd")
    soma.gkdbar_kd = 0.02
    assert soma(0.5).kd.gkdbar == 0.02 and soma(0.5).gkdbar_kd == 0.02
    rb.finitialize(-65)
    assert soma(0.5).kd.n == 0.0  # a state starts at 0 unless INITIAL sets it
    rb.fadvance()
    # n' = (1 - n)/5 by cnexp: exactly 1 - exp(-dt/5) after one step.
    assert soma(0.5).kd.n == pytest.approx(1 - math.exp(-0.025 / 5), rel=1e-14)
    assert "kd" in soma.psection()["density_mechs"]
    assert soma.psection()["density_mechs"]["kd"]["n"] == [soma(0.5).kd.n]


def test_an_external_no_mechanism_defines_is_refused_at_finitialize(rb):
    rheobase.compile_mod("NEURON { SUFFIX extnone  EXTERNAL zz_nowhere  RANGE y }\nASSIGNED { y }\n"
                         "INITIAL { y = zz_nowhere }\n")
    soma = rb.Section(name="soma")
    soma.insert("extnone")
    with pytest.raises(ValueError, match="extnone: EXTERNAL zz_nowhere is not a GLOBAL of any loaded mechanism"):
        rb.finitialize(-65)
    with pytest.raises(AttributeError):
        rb.zz_nowhere


def test_a_destructor_is_for_point_processes_only():
    """nocmodl refuses a DESTRUCTOR in a density mechanism (its CONSTRUCTOR runs per instance: test_nmodl_crosscheck)."""
    src = "NEURON { SUFFIX ct }\nDESTRUCTOR {\n}\n"
    with pytest.raises(rheobase.NmodlError, match=r"ct.mod:2:12: DESTRUCTOR only permitted for POINT_PROCESS"):
        rheobase.compile_mod(src, "ct.mod")


def test_linear_and_nonlinear_blocks_are_solved_where_solve_names_them(rb):
    """SOLVE of a LINEAR or NONLINEAR block solves its `~ lhs = rhs` equations for the STATEs in them, each time
    the SOLVE runs (BREAKPOINT: every step), from the states' current values."""
    src = """
NEURON { SUFFIX alg  RANGE c }
PARAMETER { c = 3 }
STATE { a b x y }
INITIAL { a = 0  b = 0  x = 1  y = 1 }
BREAKPOINT { SOLVE lin  SOLVE nonlin }
LINEAR lin { ~ a + b = c  ~ a - 2 * b = 0 }
NONLINEAR nonlin { LOCAL k  k = 2  ~ x * x = k  ~ x * y = exp(y) - 1 }
"""
    rheobase.compile_mod(src)
    soma = rb.Section(name="soma")
    soma.insert("alg")
    rb.finitialize(-65)
    rb.fadvance()
    seg = soma(0.5).alg
    assert (seg.a, seg.b) == pytest.approx((2, 1), abs=1e-12)
    assert seg.x == pytest.approx(math.sqrt(2), abs=1e-12)
    assert seg.x * seg.y == pytest.approx(math.exp(seg.y) - 1, abs=1e-10)
    seg.c = 6
    rb.fadvance()
    assert (seg.a, seg.b) == pytest.approx((4, 2), abs=1e-12)
    with pytest.raises(rheobase.NmodlError, match=r"2 equations in 1 STATE values"):
        rheobase.compile_mod("NEURON { SUFFIX bad }\nSTATE { a }\nBREAKPOINT { SOLVE l }\n"
                             "LINEAR l { ~ a = 1  ~ 2 * a = 3 }\n")


def test_a_point_process_with_net_receive(rb):
    src = """
NEURON { POINT_PROCESS Kick  NONSPECIFIC_CURRENT i  RANGE g, count }
ASSIGNED { v (mV)  i (nA)  count }
STATE { g (uS) }
INITIAL { g = 0  count = 0 }
BREAKPOINT { SOLVE s METHOD cnexp  i = g * (v - 0) }
DERIVATIVE s { g' = -g / 2 }
NET_RECEIVE (w (uS)) { g = g + w  count = count + 1 }
"""
    assert rheobase.compile_mod(src) == "Kick"
    soma = rb.Section(name="soma")
    kick = rb.Kick(soma(0.5))
    stim = rb.NetStim()
    stim.start, stim.number, stim.interval = 1, 3, 2
    nc = rb.NetCon(stim, kick)
    nc.weight[0] = 0.01
    rb.finitialize(-65)
    rb.continuerun(10)
    assert kick.count == 3
    # After the last event at 5 ms (+ the NetCon's 1 ms delay), g decays by cnexp for 4 ms.
    assert 0 < kick.g < 0.01


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
    assert rheobase.load_mod(tmp_path / "kd.mod") == "kd"
    assert rheobase.load_mechanisms(tmp_path) == ["kd"]
    (tmp_path / "broken.mod").write_text("NEURON { SUFFIX b ")
    with pytest.raises(NmodlError) as err:
        rheobase.load_mechanisms(tmp_path)
    assert err.value.filename.endswith("broken.mod")


def test_every_mod_file_of_the_neuron_wheel_loads_or_says_what_is_missing():
    neuron = pytest.importorskip("neuron")
    share = os.path.join(os.path.dirname(neuron.__file__), ".data", "share")
    files = [os.path.join(d, f) for d, _, fs in os.walk(share) for f in fs if f.endswith(".mod")]
    assert len(files) >= 10
    loaded = []
    for path in files:
        with open(path) as f:
            # Names of their own: these are built into rheobase, and tests must not replace the built-ins.
            source = re.sub(r"(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\s+(\w+)", r"\1 \2_wheel", f.read())
        try:
            loaded.append(rheobase.compile_mod(source, path))
        except NotImplementedError as e:
            assert os.path.basename(path) in str(e) and "not supported" in str(e)
    expected = ["hh", "pas", "HHna", "HHk", "cachan1", "cachan", "capump", "nacax", "ExpSyn", "Exp2Syn", "IClamp",
                "SEClamp", "NetStim", "IntervalFire", "capmpr", "cadifpmp", "trel"]
    assert {f"{m}_wheel" for m in expected} <= set(loaded)
    assert len(loaded) == len(files) - 1  # pattern.mod: VERBATIM C in its INITIAL (PatternStim is built in)


def test_every_mod_file_of_the_neuron_wheel_loads_under_its_own_name():
    """As a user's folder would hold them: the files that define rheobase's built-ins (pattern.mod's PatternStim
    among them) keep the built-in, with a warning; the others compile."""
    neuron = pytest.importorskip("neuron")
    share = os.path.join(os.path.dirname(neuron.__file__), ".data", "share")
    folders = sorted({d for d, _, fs in os.walk(share) if any(f.endswith(".mod") for f in fs)})
    names = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for folder in folders:
            names += rheobase.load_mechanisms(folder)
    kept = [str(w.message) for w in caught if issubclass(w.category, rheobase.nmodl.NmodlWarning)]
    assert any("PatternStim is built into rheobase" in w for w in kept)
    assert "PatternStim" in names and "hh" in names and "cachan" in names
    m = rheobase.Model()
    sec = m.Section(name="s")
    sec.insert("cachan")
    assert m.PatternStim() is not None


def test_functions_and_procedures_are_callable_from_python(rb):
    src = """
NEURON { SUFFIX gate  RANGE ninf, scale  GLOBAL calls }
PARAMETER { scale = 2 }
ASSIGNED { v (mV)  ninf  calls }
PROCEDURE rates(v (mV)) { ninf = 1 / (1 + exp(-(v + 40) / 5))  calls = calls + 1 }
FUNCTION twice(x) { twice = scale * x }
"""
    assert rheobase.compile_mod(src) == "gate"
    soma = rb.Section(name="soma")
    soma.insert("gate")
    seg = soma(0.5)
    assert seg.gate.twice(3.5) == 7.0
    seg.gate.scale = 3
    assert seg.gate.twice(1) == 3.0
    assert seg.gate.rates(-40) == 0.0 and seg.gate.ninf == 0.5  # the PROCEDURE wrote this instance's variable
    assert rb.calls_gate == 1.0  # ... and the GLOBAL
    with pytest.raises(TypeError):
        seg.gate.twice()
    with pytest.raises(AttributeError):
        seg.gate.thrice(1)


def test_loading_again_replaces_the_mechanism_where_it_is_inserted(rb):
    first = "NEURON { SUFFIX reload  RANGE g, x }\nPARAMETER { g = 1 }\nASSIGNED { x }\nINITIAL { x = g }"
    second = ("NEURON { SUFFIX reload  RANGE g, h, x }\nPARAMETER { g = 1  h = 7 }\nASSIGNED { x }\n"
              "INITIAL { x = 2 * g + h }")
    rheobase.compile_mod(first)
    soma = rb.Section(name="soma")
    soma.insert("reload")
    soma(0.5).reload.g = 5
    rb.finitialize(-65)
    assert soma(0.5).reload.x == 5
    rheobase.compile_mod(second)
    assert soma(0.5).reload.g == 5 and soma(0.5).reload.h == 7  # values kept by name; new ones at defaults
    rb.finitialize(-65)
    assert soma(0.5).reload.x == 17


def test_netstim_mod_with_its_random_stream_equals_the_builtin_netstim():
    """The wheel's netstim.mod (NEURON 9's RANDOM ranvar, random_negexp) draws from the same Random123 stream as
    the built-in NetStim (ids (1, 0, 1) for a Model's first stream), which matches NEURON's spike times."""
    neuron = pytest.importorskip("neuron")
    path = os.path.join(os.path.dirname(neuron.__file__), ".data", "share", "modfile", "netstim.mod")
    with open(path) as f:
        src = f.read().replace("ARTIFICIAL_CELL NetStim", "ARTIFICIAL_CELL NetStim_mod")
    rheobase.compile_mod(src, path)
    trains = []
    for mech in ("NetStim", "NetStim_mod"):
        m = rheobase.Model()
        ns = getattr(m, mech)()
        ns.start, ns.interval, ns.number, ns.noise = 1, 5, 30, 1
        tvec = m.Vector()
        nc = m.NetCon(ns, None)
        nc.record(tvec)
        m.finitialize(-65)
        m.continuerun(300)
        trains.append(list(tvec))
    assert len(trains[0]) == 30 and trains[0] == trains[1]
    # Its PROCEDURE with VERBATIM C loads, but cannot be called.
    with pytest.raises(NotImplementedError, match="noiseFromRandom: line 174.*VERBATIM"):
        rheobase.Model().NetStim_mod().noiseFromRandom()



def test_a_file_defining_a_builtin_keeps_the_builtin_unless_asked(rb):
    src = "NEURON { SUFFIX pas  NONSPECIFIC_CURRENT i }\nASSIGNED { i }\nBREAKPOINT { i = 0 }"
    with pytest.warns(rheobase.nmodl.NmodlWarning, match="pas is built into rheobase"):
        assert rheobase.compile_mod(src, "pas.mod") == "pas"
    soma = rb.Section(name="soma")
    soma.insert("pas")
    assert soma(0.5).pas.g == 0.001  # still the built-in (an NMODL pas would have no g)


def test_neuron_style_loading_from_the_model(tmp_path, rb):
    (tmp_path / "kd.mod").write_text(KD.replace("SUFFIX kd", "SUFFIX kd_dll"))
    assert rb.load_mechanisms(str(tmp_path)) == 1.0
    lib = tmp_path / "x86_64" / ".libs"
    lib.mkdir(parents=True)
    assert rb.nrn_load_dll(str(lib / "libnrnmech.so")) == 1.0  # what nrnivmodl would have built there
    soma = rb.Section(name="soma")
    soma.insert("kd_dll")
    assert soma(0.5).kd_dll.gkdbar == 0.01
    with pytest.raises(FileNotFoundError):
        rb.nrn_load_dll(str(tmp_path / "elsewhere" / "libnrnmech.so").replace(str(tmp_path), "/nonexistent"))


RUNGE = """
NEURON { SUFFIX rk  RANGE tau, rate }
PARAMETER { tau = 3 (ms) }
ASSIGNED { v (mV)  rate (1/ms) }
STATE { a }
INITIAL { a = 0.2 }
BREAKPOINT { SOLVE states METHOD runge }
DERIVATIVE states { rate = (sin(t) + v * 0.001 - a) / tau  a' = rate }
"""


def test_method_runge_is_scopmaths_rk4_from_the_new_time(rb):
    """NEURON's runge: classical RK4 over [t, t + dt] where t is already the step's end (nrn_state runs after t
    advanced), v held; the block runs once more at the new state, so ASSIGNED values follow it."""
    rheobase.compile_mod(RUNGE)
    soma = rb.Section(name="soma")
    soma.insert("rk")
    a = rb.Vector().record(soma(0.5)._ref_a_rk)
    rb.dt = 0.1
    rb.finitialize(-65)
    rb.continuerun(5)

    def f(t, y):
        return (math.sin(t) + -65 * 0.001 - y) / 3

    y, h, expected = 0.2, 0.1, [0.2]
    for n in range(50):
        t = (n + 1) * h
        k1 = f(t, y)
        k2 = f(t + h / 2, y + h / 2 * k1)
        k3 = f(t + h / 2, y + h / 2 * k2)
        k4 = f(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        expected.append(y)
    assert list(a) == pytest.approx(expected, abs=1e-12)
    assert soma(0.5).rk.rate == pytest.approx(f(5.0, y), abs=1e-12)


def test_before_after_points_neuron_lacks_are_errors():
    src = "NEURON { SUFFIX ab }\nASSIGNED { x }\nAFTER BREAKPOINT { x = 1 }\n"
    with pytest.raises(rheobase.NmodlError, match=r"ab.mod:3:7: AFTER BREAKPOINT does not exist in NEURON"):
        rheobase.compile_mod(src, "ab.mod")


def test_random_variables_from_python_as_neuron(rb):
    """`pp.ranvar` (NEURON 9's NMODLRandom) on the built-in NetStim and on a RANDOM variable of a loaded .mod:
    set_ids / set_seq chain, get_ids / get_seq read back, uniform() draws from the stream as NEURON does."""
    neuron = pytest.importorskip("neuron")
    ns = neuron.h.NetStim()
    theirs = ns.ranvar.set_ids(5, 6, 7).set_seq(3)
    expected = [theirs.uniform() for _ in range(3)]
    src = """
NEURON { ARTIFICIAL_CELL Poiss  RANDOM ranvar  RANGE mean }
PARAMETER { mean = 10 (ms) }
INITIAL { net_send(mean * random_negexp(ranvar), 1) }
NET_RECEIVE (w) { net_event(t)  net_send(mean * random_negexp(ranvar), 1) }
"""
    rheobase.compile_mod(src)
    for pp in (rb.NetStim(), rb.Poiss()):
        r = pp.ranvar.set_ids(5, 6, 7).set_seq(3)
        assert list(r.get_ids()) == [5, 6, 7] and r.get_seq() == 3
        assert [r.uniform() for _ in range(3)] == expected
        assert r.get_seq() == 6
        with pytest.raises(ValueError, match="integers"):
            r.set_ids(1.5, 0, 0)
