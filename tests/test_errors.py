"""Bad input gets a Python exception that says what was wrong and where (DESIGN.md, Errors), and a
failed call leaves the model as it was.

For every rejected call below: the exception has the documented type, its message names the
offending quantity and the place (section, segment, point process), the model's description and
globals are unchanged afterwards, and a run gives exactly the trace of a model that never saw the
bad call. Where NEURON 9.0.2 rejects the same call, rheobase raises the same exception type (or a
subclass) and its message contains NEURON's (`.neuron_facts.md` §4). rheobase is stricter than
NEURON on purpose in a few places: NaN and infinity are errors everywhere (NEURON accepts
`L = inf`, `diam = nan`, `dt = 0`), and a loop is refused at `connect` time rather than at the
next `finitialize`.
"""

import gc
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest

import rheobase
from rheobase._introspection import topology_text

NAN = float("nan")
INF = float("inf")


# --------------------------------------------------------------------------------------------
# A small model, its state, its trace
# --------------------------------------------------------------------------------------------
def build(m):
    """hh soma (tutorial geometry) + passive 3-segment dendrite at soma(1), IClamp at soma(0.5)."""
    soma = m.Section("soma")
    soma.L = soma.diam = 20
    soma.insert("hh")
    dend = m.Section("dend")
    dend.L = 100
    dend.diam = 1
    dend.nseg = 3
    dend.insert("pas")
    dend.connect(soma(1))
    ic = m.IClamp(soma(0.5))
    ic.delay = 2
    ic.dur = 0.1
    ic.amp = 0.9
    return SimpleNamespace(m=m, soma=soma, dend=dend, ic=ic)


def state(m):
    """Everything a user can observe about a model's description and globals, comparable across
    Models (no object identities)."""
    secs = []
    for sec in m.allsec():
        ps = sec.psection()
        ps.pop("hoc_internal_name")
        ps["point_processes"] = {k: len(v) for k, v in ps["point_processes"].items()}
        ps["morphology"]["parent"] = repr(ps["morphology"]["parent"])
        ps["morphology"]["trueparent"] = repr(ps["morphology"]["trueparent"])
        secs.append((sec.name(), repr(ps), sec.rallbranch, sec.orientation(), [c.name() for c in sec.children()]))
    glob = {name: getattr(m, name) for name in ("t", "dt", "celsius", "secondorder", "tstop", "v_init",
                                                "steps_per_ms", "usetable_hh")}
    points = sorted((repr(p.get_segment()), p.amp, p.delay, p.dur) for p in m._live_points())
    return secs, topology_text(m), repr(glob), points


def trace(ns, tstop=10):
    """soma and dend voltages and t from finitialize(-65) to tstop."""
    m = ns.m
    t = m.Vector().record(m._ref_t)
    vs = m.Vector().record(ns.soma(0.5)._ref_v)
    vd = m.Vector().record(ns.dend(0.5)._ref_v)
    m.finitialize(-65)
    m.continuerun(tstop)
    return np.array(t), np.array(vs), np.array(vd)


def assert_same_trace(a, b):
    for name, x, y in zip(("t", "soma v", "dend v"), a, b):
        assert x.shape == y.shape, f"{name}: {x.shape} != {y.shape}"
        assert np.array_equal(x, y), f"{name}: max |Δ| {np.max(np.abs(x - y))}"


def message_has(exc, *fragments):
    msg = str(exc.value)
    for frag in fragments:
        assert frag in msg, f"message {msg!r} does not mention {frag!r}"


# --------------------------------------------------------------------------------------------
# Bad calls: (id, call, exception type, fragments the message must contain)
# --------------------------------------------------------------------------------------------
def _set(obj_name, attr, value):
    def call(ns):
        setattr(getattr(ns, obj_name) if obj_name != "m" else ns.m, attr, value)

    return call


def _seg_set(sec_name, x, attr, value):
    return lambda ns: setattr(getattr(ns, sec_name)(x), attr, value)


BAD_CALLS = [
    # nseg: NEURON: ValueError: nseg must be an integer in range 1 to 32767
    ("nseg=0", _set("soma", "nseg", 0), ValueError, ["nseg", "1 to 32767", "soma"]),
    ("nseg=-1", _set("soma", "nseg", -1), ValueError, ["nseg", "soma"]),
    ("nseg=2.5", _set("dend", "nseg", 2.5), ValueError, ["nseg", "2.5", "dend"]),
    ("nseg='3'", _set("dend", "nseg", "3"), ValueError, ["nseg", "dend"]),
    ("nseg=40000", _set("dend", "nseg", 40000), ValueError, ["nseg", "40000", "dend"]),
    ("nseg=nan", _set("dend", "nseg", NAN), ValueError, ["nseg", "dend"]),
    ("nseg=None", _set("dend", "nseg", None), ValueError, ["nseg", "dend"]),
    # L: NEURON: ValueError: L must be > 0. (inf: NEURON accepts; rheobase refuses)
    ("L=0", _set("dend", "L", 0), ValueError, ["L must be > 0", "dend"]),
    ("L=-1", _set("dend", "L", -1), ValueError, ["L must be > 0", "-1", "dend"]),
    ("L=nan", _set("dend", "L", NAN), ValueError, ["L", "nan", "dend"]),
    ("L=inf", _set("dend", "L", INF), ValueError, ["L", "inf", "dend"]),
    ("L=-inf", _set("dend", "L", -INF), ValueError, ["L", "dend"]),
    ("L='a'", _set("dend", "L", "a"), TypeError, ["L", "str"]),
    ("L='3'", _set("dend", "L", "3"), TypeError, ["L", "str"]),
    # diam: NEURON raises RuntimeError (and sets 1e-6) for 0/-1 and accepts nan; rheobase: ValueError
    ("diam=0", _set("dend", "diam", 0), ValueError, ["diam", "dend"]),
    ("diam=-1", _set("dend", "diam", -1), ValueError, ["diam", "-1", "dend"]),
    ("diam=nan", _set("dend", "diam", NAN), ValueError, ["diam", "dend"]),
    ("diam=inf", _set("dend", "diam", INF), ValueError, ["diam", "inf", "dend"]),
    ("seg.diam=0", _seg_set("dend", 0.5, "diam", 0), ValueError, ["diam", "dend(0.5)"]),
    ("seg.diam=-1", _seg_set("dend", 0.9, "diam", -1), ValueError, ["diam", "dend(0.9)"]),
    ("seg.diam=nan", _seg_set("soma", 0.5, "diam", NAN), ValueError, ["diam", "soma(0.5)"]),
    # Ra: NEURON: ValueError: Ra must be > 0.
    ("Ra=0", _set("dend", "Ra", 0), ValueError, ["Ra must be > 0", "dend"]),
    ("Ra=-1", _set("dend", "Ra", -1), ValueError, ["Ra must be > 0", "dend"]),
    ("Ra=nan", _set("dend", "Ra", NAN), ValueError, ["Ra", "dend"]),
    ("Ra=inf", _set("dend", "Ra", INF), ValueError, ["Ra", "dend"]),
    # cm
    ("cm=nan", _set("dend", "cm", NAN), ValueError, ["cm", "dend"]),
    ("cm=inf", _set("soma", "cm", INF), ValueError, ["cm", "soma"]),
    ("seg.cm=nan", _seg_set("dend", 0.5, "cm", NAN), ValueError, ["cm", "dend(0.5)"]),
    # rallbranch: NEURON: ValueError: rallbranch must be > 0
    ("rallbranch=0", _set("dend", "rallbranch", 0), ValueError, ["rallbranch must be > 0", "dend"]),
    ("rallbranch=-1", _set("dend", "rallbranch", -1), ValueError, ["rallbranch", "dend"]),
    ("rallbranch=nan", _set("dend", "rallbranch", NAN), ValueError, ["rallbranch", "dend"]),
    # segment positions: NEURON: ValueError: segment position range is 0 <= x <= 1
    ("sec(1.5)", lambda ns: ns.soma(1.5), ValueError, ["0 <= x <= 1", "1.5", "soma"]),
    ("sec(-0.1)", lambda ns: ns.soma(-0.1), ValueError, ["0 <= x <= 1", "-0.1", "soma"]),
    ("sec(nan)", lambda ns: ns.dend(NAN), ValueError, ["0 <= x <= 1", "dend"]),
    ("sec(1e308)", lambda ns: ns.dend(1e308), ValueError, ["0 <= x <= 1", "dend"]),
    ("sec('a')", lambda ns: ns.soma("a"), TypeError, ["position", "str"]),
    ("sec(None)", lambda ns: ns.soma(None), TypeError, ["position"]),
    # v and mechanism parameters
    ("seg.v=nan", _seg_set("soma", 0.5, "v", NAN), ValueError, ["v", "soma(0.5)"]),
    ("seg.v='x'", _seg_set("soma", 0.5, "v", "x"), TypeError, ["v", "str"]),
    ("sec.v=inf", _set("dend", "v", INF), ValueError, ["v", "dend"]),
    ("hh.gnabar=nan", lambda ns: setattr(ns.soma(0.5).hh, "gnabar", NAN), ValueError, ["gnabar", "soma(0.5)"]),
    ("gnabar_hh=inf", _seg_set("soma", 0.5, "gnabar_hh", INF), ValueError, ["gnabar", "soma(0.5)"]),
    ("sec.g_pas=nan", _set("dend", "g_pas", NAN), ValueError, ["g", "dend"]),
    ("hh.gnabar='x'", lambda ns: setattr(ns.soma(0.5).hh, "gnabar", "x"), TypeError, ["gnabar", "str"]),
    ("hh.gnabr=1", lambda ns: setattr(ns.soma(0.5).hh, "gnabr", 1), AttributeError, ["gnabr", "did you mean 'gnabar'"]),
    ("dend.gnabar_hh=1", _set("dend", "gnabar_hh", 0.2), AttributeError,
     ["gnabar_hh, the mechanism does not exist at dend(0.5)"]),
    ("dend(0.5).gnabar_hh=1", _seg_set("dend", 0.5, "gnabar_hh", 0.2), AttributeError,
     ["gnabar_hh, the mechanism does not exist at dend(0.5)"]),
    ("seg.foo=1", _seg_set("soma", 0.5, "foo", 1), AttributeError, ["foo"]),
    ("sec.foo=1", _set("soma", "foo", 1), AttributeError, ["foo"]),
    # insert / uninsert: NEURON: ValueError: argument not a density mechanism name.
    ("insert('hhh')", lambda ns: ns.soma.insert("hhh"), ValueError,
     ["argument not a density mechanism name", "hhh", "did you mean 'hh'"]),
    ("insert('IClamp')", lambda ns: ns.dend.insert("IClamp"), ValueError,
     ["argument not a density mechanism name", "IClamp"]),
    ("insert('')", lambda ns: ns.dend.insert(""), ValueError, ["argument not a density mechanism name"]),
    ("insert(123)", lambda ns: ns.soma.insert(123), TypeError,
     ["insert argument must be either a string or an object with an insert method"]),
    ("uninsert('xyz')", lambda ns: ns.soma.uninsert("xyz"), ValueError, ["argument not a density mechanism name"]),
    # point processes
    ("ic.amp='x'", _set("ic", "amp", "x"), TypeError, ["amp", "str"]),
    ("ic.amp=nan", _set("ic", "amp", NAN), ValueError, ["amp", "IClamp["]),
    ("ic.dur=inf", _set("ic", "dur", INF), ValueError, ["dur", "IClamp["]),
    ("ic.foo=1", _set("ic", "foo", 1), LookupError, ["foo"]),
    ("IClamp(2.0)", lambda ns: ns.m.IClamp(ns.dend(2.0)), ValueError, ["0 <= x <= 1", "dend"]),
    ("IClamp(sec)", lambda ns: ns.m.IClamp(ns.soma), TypeError, ["IClamp"]),
    # connect: NEURON: ValueError: child connection end must be  0 or 1
    ("connect loop", lambda ns: ns.soma.connect(ns.dend(1)), ValueError, ["loop", "soma", "dend"]),
    ("connect self", lambda ns: ns.dend.connect(ns.dend(0.5)), ValueError, ["loop", "dend"]),
    ("connect end 0.5", lambda ns: ns.dend.connect(ns.soma(1), 0.5), ValueError, ["0 or 1", "dend"]),
    ("connect end 2", lambda ns: ns.dend.connect(ns.soma(0.5), 2), ValueError, ["0 or 1", "dend"]),
    ("connect x 2", lambda ns: ns.dend.connect(ns.soma, 2), ValueError, ["0 <= x <= 1", "soma"]),
    ("connect x nan", lambda ns: ns.dend.connect(ns.soma, NAN), ValueError, ["0 <= x <= 1", "soma"]),
    ("connect 'soma'", lambda ns: ns.dend.connect("soma"), TypeError, ["Section or a Segment"]),
    # globals (rheobase validates dt although NEURON does not)
    ("dt=0", _set("m", "dt", 0), ValueError, ["dt", "0"]),
    ("dt=-1", _set("m", "dt", -1), ValueError, ["dt", "-1"]),
    ("dt=nan", _set("m", "dt", NAN), ValueError, ["dt"]),
    ("dt=inf", _set("m", "dt", INF), ValueError, ["dt"]),
    ("dt='a'", _set("m", "dt", "a"), TypeError, ["dt", "str"]),
    ("secondorder=3", _set("m", "secondorder", 3), ValueError, ["secondorder", "3"]),
    ("secondorder=-1", _set("m", "secondorder", -1), ValueError, ["secondorder"]),
    ("celsius='a'", _set("m", "celsius", "a"), TypeError, ["celsius", "str"]),
    ("celsius=nan", _set("m", "celsius", NAN), ValueError, ["celsius"]),
    ("t=nan", _set("m", "t", NAN), ValueError, ["t "]),
    ("tstop=nan", _set("m", "tstop", NAN), ValueError, ["tstop"]),
    ("tstop='a'", _set("m", "tstop", "a"), TypeError, ["tstop", "str"]),
    ("v_init=inf", _set("m", "v_init", INF), ValueError, ["v_init"]),
    ("steps_per_ms=0", _set("m", "steps_per_ms", 0), ValueError, ["steps_per_ms"]),
    ("m.foo=1", _set("m", "foo", 1), AttributeError, ["foo"]),
    # running
    ("finitialize('a')", lambda ns: ns.m.finitialize("a"), TypeError, ["finitialize", "str"]),
    ("finitialize(nan)", lambda ns: ns.m.finitialize(NAN), ValueError, ["finite"]),
    ("continuerun('x')", lambda ns: ns.m.continuerun("x"), TypeError, ["continuerun", "str"]),
    ("continuerun(nan)", lambda ns: ns.m.continuerun(NAN), ValueError, ["tstop"]),
    ("continuerun(inf)", lambda ns: ns.m.continuerun(INF), ValueError, ["tstop"]),
    # recording
    ("record(1.0)", lambda ns: ns.m.Vector().record(1.0), TypeError, ["record", "_ref_"]),
    ("record(ref, -1)", lambda ns: ns.m.Vector().record(ns.soma(0.5)._ref_v, -1), ValueError, ["interval", "-1"]),
    ("record(ref, 0)", lambda ns: ns.m.Vector().record(ns.soma(0.5)._ref_v, 0), ValueError, ["interval"]),
    ("record(ref, nan)", lambda ns: ns.m.Vector().record(ns.soma(0.5)._ref_v, NAN), ValueError, ["interval"]),
    ("record(_ref_m not inserted)", lambda ns: ns.m.Vector().record(ns.dend(0.5)._ref_m_hh), AttributeError,
     ["m_hh, the mechanism does not exist at dend(0.5)"]),
    ("ref[0]=nan", lambda ns: ns.soma(0.5)._ref_v.__setitem__(0, NAN), ValueError, ["v", "soma(0.5)"]),
    ("ic._ref_amp[0]='x'", lambda ns: ns.ic._ref_amp.__setitem__(0, "x"), TypeError, ["amp"]),
    ("ref[1]", lambda ns: ns.soma(0.5)._ref_v[1], IndexError, ["index 0"]),
    # files
    ("load_file('foo.hoc')", lambda ns: ns.m.load_file("foo.hoc"), NotImplementedError, ["foo.hoc"]),
]


@pytest.mark.parametrize("call, exc_type, fragments", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_call_raises_and_leaves_model_unchanged(call, exc_type, fragments):
    ns = build(rheobase.Model())
    ns.m.finitialize(-65)
    ns.m.continuerun(1)  # some state and time to keep
    before = state(ns.m)
    v_before = ns.soma(0.5).v
    with pytest.raises(exc_type) as exc:
        call(ns)
    message_has(exc, *fragments)
    assert state(ns.m) == before
    assert ns.soma(0.5).v == v_before
    # ... and the model behaves exactly as one that never saw the bad call
    fresh = build(rheobase.Model())
    fresh.m.finitialize(-65)
    fresh.m.continuerun(1)
    assert state(fresh.m) == before
    assert_same_trace(trace(ns), trace(fresh))


def test_rejected_nseg_keeps_nseg_and_trace():
    """The brief's example, spelled out: after `soma.nseg = 0` is refused nseg is unchanged and a
    run gives the trace of a model that never saw the bad call."""
    ns = build(rheobase.Model())
    ns.dend.nseg = 5
    with pytest.raises(ValueError, match="nseg"):
        ns.dend.nseg = 0
    assert ns.dend.nseg == 5
    assert len(list(ns.dend)) == 5
    fresh = build(rheobase.Model())
    fresh.dend.nseg = 5
    assert_same_trace(trace(ns), trace(fresh))


def test_rejected_connect_keeps_tree():
    """A refused connect (loop) neither detaches the child from its old parent nor moves it."""
    m = rheobase.Model()
    soma, dend, tip = m.Section("soma"), m.Section("dend"), m.Section("tip")
    dend.connect(soma(1))
    tip.connect(dend(0.5))
    text = topology_text(m)
    for bad in (lambda: dend.connect(tip(1)), lambda: soma.connect(tip(0)), lambda: soma.connect(soma(0.5))):
        with pytest.raises(ValueError, match="loop"):
            bad()
        assert topology_text(m) == text
        assert repr(dend.parentseg()) == "soma(1)"
        assert repr(tip.parentseg()) == "dend(0.5)"
        assert soma.parentseg() is None


# --------------------------------------------------------------------------------------------
# NEURON parity: same exception type (rheobase may raise a subclass), NEURON's words in the message
# --------------------------------------------------------------------------------------------
PARITY = [
    ("nseg=0", lambda s, d, ic, sim: setattr(s, "nseg", 0)),
    ("nseg=-1", lambda s, d, ic, sim: setattr(s, "nseg", -1)),
    ("nseg=2.5", lambda s, d, ic, sim: setattr(s, "nseg", 2.5)),
    ("nseg='3'", lambda s, d, ic, sim: setattr(s, "nseg", "3")),
    ("nseg=1e9", lambda s, d, ic, sim: setattr(s, "nseg", 1e9)),
    ("L=0", lambda s, d, ic, sim: setattr(s, "L", 0)),
    ("L=-1", lambda s, d, ic, sim: setattr(s, "L", -1)),
    ("L=nan", lambda s, d, ic, sim: setattr(s, "L", NAN)),
    ("Ra=0", lambda s, d, ic, sim: setattr(s, "Ra", 0)),
    ("Ra=-1", lambda s, d, ic, sim: setattr(s, "Ra", -1)),
    ("rallbranch=0", lambda s, d, ic, sim: setattr(d, "rallbranch", 0)),
    ("sec(1.5)", lambda s, d, ic, sim: s(1.5)),
    ("sec(-0.1)", lambda s, d, ic, sim: s(-0.1)),
    ("insert('hhh')", lambda s, d, ic, sim: s.insert("hhh")),
    ("insert('IClamp')", lambda s, d, ic, sim: s.insert("IClamp")),
    ("insert(123)", lambda s, d, ic, sim: s.insert(123)),
    ("uninsert('xyz')", lambda s, d, ic, sim: s.uninsert("xyz")),
    ("soma(0.5).hh", lambda s, d, ic, sim: d(0.5).hh),
    ("soma(0.5).gnabar_hh", lambda s, d, ic, sim: d(0.5).gnabar_hh),
    ("soma.gnabar_hh", lambda s, d, ic, sim: d.gnabar_hh),
    ("soma(0.5).ena", lambda s, d, ic, sim: d(0.5).ena),
    ("dend(0).pas", lambda s, d, ic, sim: d(0).pas),
    ("dend(1).pas", lambda s, d, ic, sim: d(1).pas),
    ("seg.nonexistent", lambda s, d, ic, sim: s(0.5).nonexistent),
    ("seg.foo=1", lambda s, d, ic, sim: setattr(s(0.5), "foo", 1)),
    ("sec.nonexistent", lambda s, d, ic, sim: s.nonexistent),
    ("mech.nonexistent", lambda s, d, ic, sim: d(0.5).pas.nonexistent),
    ("ic.nonexistent", lambda s, d, ic, sim: ic.nonexistent),
    ("ic.foo=1", lambda s, d, ic, sim: setattr(ic, "foo", 1)),
    ("ic.amp='x'", lambda s, d, ic, sim: setattr(ic, "amp", "x")),
    ("celsius='a'", lambda s, d, ic, sim: setattr(sim, "celsius", "a")),
    ("connect end 0.5", lambda s, d, ic, sim: d.connect(s(0.5), 0.5)),
    ("connect end 2", lambda s, d, ic, sim: d.connect(s(1), 2)),
    ("Section(name=1)", lambda s, d, ic, sim: sim.Section(name=1)),
]


def _neuron_words(msg):
    """The part of NEURON's message rheobase is expected to repeat: whitespace collapsed, no
    trailing period, no hoc object type names (rheobase names the object itself)."""
    msg = re.sub(r"\s+", " ", msg).strip().rstrip(".")
    return msg


def _parity_model(sim):
    soma = sim.Section("soma")
    soma.insert("hh")
    dend = sim.Section("dend")
    dend.connect(soma(1))
    dend.insert("pas")
    ic = sim.IClamp(soma(0.5))
    return soma, dend, ic


@pytest.mark.parametrize("call", [c[1] for c in PARITY], ids=[c[0] for c in PARITY])
def test_same_exception_as_neuron(nrn, rb, call):
    soma, dend, ic = _parity_model(nrn)
    with pytest.raises(Exception) as nexc:
        call(soma, dend, ic, nrn)
    del soma, dend, ic
    rsoma, rdend, ric = _parity_model(rb)
    with pytest.raises(Exception) as rexc:
        call(rsoma, rdend, ric, rb)
    assert isinstance(rexc.value, type(nexc.value)), (
        f"NEURON raised {type(nexc.value).__name__}: {nexc.value}; rheobase {type(rexc.value).__name__}: {rexc.value}")
    nmsg, rmsg = _neuron_words(str(nexc.value)), re.sub(r"\s+", " ", str(rexc.value))
    # "'nrn.Segment' object has no attribute 'x'" etc.: compare from the attribute name on when the
    # object's type name differs ('hoc.HocObject' vs 'IClamp').
    if "object has no attribute" in nmsg:
        nmsg = nmsg[nmsg.index("has no attribute"):]
    if "is not a defined hoc variable name" in nmsg:
        nmsg = "'foo'"
    if nmsg.startswith("must be real number, not "):  # CPython's float() wording; rheobase names the variable
        nmsg = "real number, not " + nmsg.rsplit(" ", 1)[1]
    assert nmsg in rmsg, f"NEURON says {nmsg!r}; rheobase says {rmsg!r}"


def test_nseg_true_is_one_as_neuron(nrn, rb):
    for sim in (nrn, rb):
        s = sim.Section("s")
        s.nseg = 5
        s.nseg = True
        assert s.nseg == 1 and type(s.nseg) is int
        del s


def test_x_just_above_one_is_one_as_neuron(nrn, rb):
    for sim in (nrn, rb):
        s = sim.Section("s")
        assert s(1 + 1e-9).x == 1.0
        assert s(1.00005).x == 1.0
        with pytest.raises(ValueError):
            s(1.0001)
        with pytest.raises(ValueError):
            s(-1e-12)
        del s


def test_numpy_scalars_are_numbers(rb):
    s = rb.Section("s")
    s.nseg = np.int64(3)
    assert s.nseg == 3
    s.L = np.float32(50)
    s.diam = np.int32(2)
    assert (s.L, s.diam) == (50.0, 2.0)
    assert s(np.float64(0.25)).x == 0.25


# --------------------------------------------------------------------------------------------
# Missing mechanisms and variables
# --------------------------------------------------------------------------------------------
def test_mechanism_not_inserted_messages(rb):
    soma = rb.Section("soma")
    dend = rb.Section("dend")
    dend.insert("pas")
    with pytest.raises(AttributeError) as exc:
        soma(0.5).hh
    assert str(exc.value) == "hh, the mechanism does not exist at soma(0.5)"
    with pytest.raises(AttributeError) as exc:
        soma(0.5).gnabar_hh
    assert str(exc.value) == "gnabar_hh, the mechanism does not exist at soma(0.5)"
    with pytest.raises(AttributeError) as exc:
        soma(0.5).hh.gnabar
    assert str(exc.value) == "hh, the mechanism does not exist at soma(0.5)"
    for x in (0, 1):
        with pytest.raises(AttributeError) as exc:
            dend(x).pas
        assert str(exc.value) == f"pas, the mechanism does not exist at dend({x})"
        assert dend(x).g_pas == 0.001  # the range variable still reads the end segment, as NEURON
    assert not hasattr(soma(0.5), "hh")


def test_unknown_mechanism_variable_suggests(rb):
    soma = rb.Section("soma")
    soma.insert("hh")
    with pytest.raises(AttributeError) as exc:
        soma(0.5).hh.gnabr
    assert "gnabr" in str(exc.value) and "did you mean 'gnabar'" in str(exc.value)
    with pytest.raises(AttributeError):
        soma(0.5).hh.gnabr = 0.2
    assert soma(0.5).hh.gnabar == 0.12


def test_unknown_mechanism_suggests(rb):
    soma = rb.Section("soma")
    with pytest.raises(ValueError) as exc:
        soma.insert("hhh")
    assert "did you mean 'hh'" in str(exc.value)
    with pytest.raises(ValueError) as exc:
        soma.insert("psa")
    assert "did you mean 'pas'" in str(exc.value)
    assert soma.psection()["density_mechs"] == {}


# --------------------------------------------------------------------------------------------
# Deleted sections
# --------------------------------------------------------------------------------------------
def test_deleted_section(rb):
    s = rb.Section("s")
    d = rb.Section("d")
    d.connect(s)
    seg = s(0.5)
    ic = rb.IClamp(seg)
    v = rb.Vector().record(d(0.5)._ref_v)
    rb.delete_section(sec=s)
    assert [sec.name() for sec in rb.allsec()] == ["d"]
    assert d.parentseg() is None
    assert ic.get_segment() is None
    for access in (lambda: s.name(), lambda: s.L, lambda: setattr(s, "L", 5), lambda: s(0.5), lambda: seg.v,
                   lambda: s.insert("pas"), lambda: s.psection(), lambda: s.nseg, lambda: setattr(s, "nseg", 3),
                   lambda: setattr(s, "diam", 3), lambda: s.connect(d), lambda: d.connect(s), lambda: rb.IClamp(seg),
                   lambda: seg._ref_v, lambda: list(s), lambda: s.children(), lambda: s.v):
        with pytest.raises(ReferenceError) as exc:
            access()
        assert str(exc.value) == "can't access a deleted section"
    assert repr(s) == str(s) == "<deleted section>"
    assert repr(seg) == "<segment of deleted section>"
    assert s == s
    assert rb.delete_section(sec=s) == 0.0  # twice is harmless
    # the rest of the model still runs
    rb.finitialize(-65)
    rb.continuerun(1)
    assert len(v) == 41


def test_section_deleted_with_last_reference(rb):
    a = rb.Section("a")
    b = rb.Section("b")
    b.connect(a(1))
    c = rb.Section("c")
    c.connect(b(0.5))
    ic = rb.IClamp(a(0.5))
    vb = rb.Vector().record(b(0.5)._ref_v)
    assert [s.name() for s in rb.allsec()] == ["a", "b", "c"]
    del a
    gc.collect()
    assert [s.name() for s in rb.allsec()] == ["b", "c"]
    assert b.parentseg() is None  # the child became a root
    assert repr(c.parentseg()) == "b(0.5)"
    assert ic.get_segment() is None and ic.has_loc() == 0.0
    rb.finitialize(-65)
    rb.continuerun(1)
    assert len(vb) == 41
    # A Segment keeps its section alive, as in NEURON.
    f = rb.Section("f")
    sg = f(0.5)
    del f
    gc.collect()
    assert [s.name() for s in rb.allsec()] == ["b", "c", "f"]
    del sg
    gc.collect()
    assert [s.name() for s in rb.allsec()] == ["b", "c"]


# --------------------------------------------------------------------------------------------
# Point processes, globals, recording, files
# --------------------------------------------------------------------------------------------
def test_iclamp_errors(rb):
    soma = rb.Section("soma")
    ic = rb.IClamp(soma(0.5))
    with pytest.raises(AttributeError) as exc:
        ic.nonexistent
    assert "nonexistent" in str(exc.value)
    with pytest.raises(AttributeError) as exc:
        ic.foo = 1
    assert isinstance(exc.value, LookupError)  # NEURON raises LookupError here
    assert "foo" in str(exc.value)
    with pytest.raises(LookupError):
        ic.foo = 1
    with pytest.raises(AttributeError) as exc:
        ic.ampp = 1
    assert "did you mean 'amp'" in str(exc.value)
    with pytest.raises(TypeError):
        ic.amp = "x"
    with pytest.raises(ValueError) as exc:
        ic.amp = NAN
    assert "amp" in str(exc.value) and repr(ic) in str(exc.value)
    assert (ic.amp, ic.delay, ic.dur) == (0.0, 0.0, 0.0)
    # unlocated point process
    free = rb.IClamp()
    assert free.has_loc() == 0.0 and free.get_segment() is None
    with pytest.raises(RuntimeError, match="not located"):
        free.get_loc()


def test_globals_errors(rb):
    with pytest.raises(ValueError):
        rb.dt = 0
    with pytest.raises(ValueError):
        rb.dt = -1
    with pytest.raises(ValueError):
        rb.dt = NAN
    assert rb.dt == 0.025
    with pytest.raises(ValueError):
        rb.secondorder = 3
    assert rb.secondorder == 0
    with pytest.raises(TypeError):
        rb.celsius = "a"
    assert rb.celsius == 6.3
    with pytest.raises(TypeError):
        rb.finitialize("a")
    with pytest.raises(TypeError):
        rb.continuerun("x")
    assert rb.t == 0.0
    with pytest.raises(AttributeError) as exc:
        rb.nonexistent
    assert "nonexistent" in str(exc.value)
    with pytest.raises(TypeError, match="range variable"):
        rb.gnabar_hh


def test_record_errors(rb):
    soma = rb.Section("soma")
    with pytest.raises(TypeError) as exc:
        rb.Vector().record(1.0)
    assert "_ref_" in str(exc.value)
    with pytest.raises(ValueError):
        rb.Vector().record(soma(0.5)._ref_v, -1)
    rb.finitialize(-65)
    rb.continuerun(1)  # refused recordings were not registered


def test_other_model_errors(rb):
    import rheobase

    other = rheobase.Model()
    soma = rb.Section("soma")
    dend = rb.Section("dend")
    foreign = other.Section("foreign")
    with pytest.raises(ValueError, match="another Model"):
        dend.connect(foreign(1))
    with pytest.raises(ValueError, match="another Model"):
        foreign.connect(soma)
    with pytest.raises(ValueError, match="another Model"):
        other.IClamp(soma(0.5))
    assert dend.parentseg() is None and foreign.parentseg() is None
    assert other._live_points() == [] and rb._live_points() == []
    assert [s.name() for s in other.allsec()] == ["foreign"]


def test_load_file(rb):
    with pytest.raises(NotImplementedError) as exc:
        rb.load_file("foo.hoc")
    assert "foo.hoc" in str(exc.value)
    assert rb.load_file("stdrun.hoc") == 1.0
    assert rb.load_file("nrngui.hoc") == 1.0


# --------------------------------------------------------------------------------------------
# Nothing panics
# --------------------------------------------------------------------------------------------
DOCUMENTED = (ValueError, TypeError, AttributeError, LookupError, ReferenceError, NotImplementedError, IndexError)


def calm(call):
    """Run a wild call: returning is fine, a documented Python exception is fine; anything else (a
    pyo3 PanicException is a BaseException, a converted panic a RuntimeError) fails the test."""
    try:
        call()
    except DOCUMENTED:
        pass
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001
        pytest.fail(f"{type(e).__module__}.{type(e).__name__} escaped: {e}")


def test_wild_calls_do_not_panic():
    m = rheobase.Model()
    ns = build(m)
    s, d, ic = ns.soma, ns.dend, ns.ic
    v = m.Vector().record(s(0.5)._ref_v)
    mvec = m.Vector().record(s(0.5).hh._ref_m)
    ivec = m.Vector().record(ic._ref_i)
    wild = [
        lambda: setattr(d, "nseg", 40000),
        lambda: setattr(d, "nseg", 2**70),
        lambda: setattr(d, "nseg", -(2**70)),
        lambda: s(1e308),
        lambda: s(-1e308),
        lambda: setattr(d, "L", 1e308),
        lambda: setattr(d, "diam", 1e308),
        lambda: setattr(d, "diam", 1e-300),
        lambda: setattr(d, "Ra", 1e-300),
        lambda: setattr(s(0.5), "v", 1e308),
        lambda: setattr(ic, "amp", 1e308),
        lambda: setattr(ic, "dur", 1e308),
        lambda: setattr(ic, "delay", -1e308),
        lambda: setattr(m, "celsius", 1e308),
        lambda: m.finitialize(1e308),
        lambda: m.continuerun(1),
        lambda: m.finitialize(-1e308),
        lambda: m.fadvance(),
        lambda: setattr(m, "dt", 1e-300),
        lambda: m.fadvance(),
        lambda: setattr(m, "dt", 1e308),
        lambda: m.fadvance(),
        lambda: m.continuerun(-1e308),
        lambda: m.continuerun(1e308),  # t is already 1e308: nothing to do
        lambda: setattr(m, "dt", 0.025),
        lambda: setattr(m, "t", -1e308),
        lambda: setattr(m, "t", 0),
        lambda: m.IClamp(),  # unlocated
        lambda: m.Vector().record(m.IClamp()._ref_i),
        lambda: s.uninsert("hh"),  # mvec's target goes away
        lambda: m.continuerun(2),
        lambda: m.delete_section(sec=d),  # recorded and stimulated
        lambda: m.finitialize(-65),
        lambda: m.continuerun(1),
        lambda: setattr(d, "nseg", 32767),
    ]
    for value in (NAN, INF, -INF):
        wild += [lambda a=a, value=value: setattr(s, a, value)
                 for a in ("L", "diam", "Ra", "cm", "rallbranch", "nseg", "v")]
        wild += [lambda a=a, value=value: setattr(ic, a, value) for a in ("amp", "dur", "delay")]
        wild += [lambda a=a, value=value: setattr(m, a, value)
                 for a in ("dt", "celsius", "t", "tstop", "v_init", "secondorder", "steps_per_ms", "usetable_hh")]
        wild += [lambda value=value: s(value), lambda value=value: m.finitialize(value),
                 lambda value=value: m.continuerun(value),
                 lambda value=value: m.Vector().record(s(0.5)._ref_v, value),
                 lambda value=value: m.IClamp(value), lambda value=value: ic.loc(value),
                 lambda value=value: m.Section("q").connect(s, value),
                 lambda value=value: m.Section("q").connect(s(1), value)]
    for call in wild:
        calm(call)
    # NaN and infinities were refused with ValueError, not stored
    for value in (NAN, INF):
        for obj, attr in ((s, "L"), (s, "Ra"), (s, "cm"), (s, "v"), (ic, "amp"), (m, "dt"), (m, "celsius"),
                          (m, "t"), (m, "tstop"), (m, "v_init")):
            with pytest.raises(ValueError):
                setattr(obj, attr, value)
    # still usable, with sane numbers
    m.celsius = 6.3
    m.dt = 0.025
    s.L = s.diam = 20
    s.insert("hh")
    ic.amp, ic.delay, ic.dur = 0.9, 2, 0.1
    m.finitialize(-65)
    m.continuerun(5)
    assert math.isfinite(s(0.5).v)
    assert len(v) == 201 and np.all(np.isfinite(np.array(v)))
    del mvec, ivec


def test_huge_nseg_runs(rb):
    s = rb.Section("s")
    s.nseg = 32767
    s.insert("pas")
    with pytest.raises(ValueError):
        s.nseg = 32768
    assert s.nseg == 32767
    rb.finitialize(-65)
    rb.fadvance()
    assert s(0.5).v == pytest.approx(-65.0, abs=1)


def test_tiny_record_interval_does_not_abort():
    """`Vector.record(ref, 1e-300)` then finitialize: the engine must not try to store ~1e298
    samples in one step (that aborts the whole process on allocation failure, which no Python
    code can catch). Run in a child process with a memory cap so a failure cannot take pytest down."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        import rheobase
        m = rheobase.Model()
        s = m.Section("s")
        try:
            v = m.Vector().record(s(0.5)._ref_v, 1e-300)
            m.finitialize(-65)
            m.continuerun(0.1)
        except (ValueError, MemoryError) as e:
            print("refused:", type(e).__name__, e)
        print("alive")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "alive" in proc.stdout, (
        f"exit {proc.returncode}; stdout {proc.stdout[-500:]!r}; stderr {proc.stderr[-800:]!r}")
