"""NMODL mechanisms against NEURON (issue 5): the `.mod` files the neuron 9.0.2 wheel ships, loaded
by rheobase at run time and compiled for NEURON by its nrnivmodl, give the same voltage traces
(max |Δv| ≤ 1e-6 mV). Files named like a NEURON built-in (hh, pas) get another SUFFIX in both
engines, since NEURON cannot load a second `hh`. Skipped when nrnivmodl cannot compile (no C
compiler)."""

import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import rheobase
import rheobase.nmodl

neuron = pytest.importorskip("neuron")
SHARE = os.path.join(os.path.dirname(neuron.__file__), ".data", "share")
RELEASE = os.path.join(SHARE, "nrn", "demo", "release")
MODFILE = os.path.join(SHARE, "modfile")

# file -> {old name: new name} for names NEURON has built in.
RENAMED = {
    os.path.join(MODFILE, "hh.mod"): {"SUFFIX hh": "SUFFIX hh_mod"},
    os.path.join(MODFILE, "passive.mod"): {"SUFFIX pas": "SUFFIX pas_mod"},
    os.path.join(MODFILE, "expsyn.mod"): {"POINT_PROCESS ExpSyn": "POINT_PROCESS ExpSyn_mod"},
    os.path.join(MODFILE, "exp2syn.mod"): {"POINT_PROCESS Exp2Syn": "POINT_PROCESS Exp2Syn_mod"},
    os.path.join(MODFILE, "stim.mod"): {"POINT_PROCESS IClamp": "POINT_PROCESS IClamp_mod"},
    os.path.join(MODFILE, "svclmp.mod"): {"POINT_PROCESS SEClamp": "POINT_PROCESS SEClamp_mod"},
}
DENSITY_FILES = [os.path.join(MODFILE, "hh.mod"), os.path.join(MODFILE, "passive.mod")] + [
    os.path.join(RELEASE, f) for f in ("nachan.mod", "khhchan.mod", "cachan1.mod", "camchan.mod", "capump.mod",
                                       "nacaex.mod")]
KINETIC_FILES = [os.path.join(RELEASE, f) for f in ("capmpr.mod", "cabpump.mod", "release.mod")]
POINT_FILES = [os.path.join(MODFILE, f) for f in ("expsyn.mod", "exp2syn.mod", "stim.mod", "svclmp.mod")] + [
    os.path.join(RELEASE, "invlfire.mod")]


# Small mechanisms of this file's own, compiled for NEURON with the wheel's files.
NET_INIT = """
NEURON { POINT_PROCESS NetInitSyn  RANGE tau, e, i  NONSPECIFIC_CURRENT i }
PARAMETER { tau = 2 (ms)  e = 0 (mV) }
ASSIGNED { v (mV)  i (nA) }
STATE { g (uS) }
INITIAL { g = 0 }
BREAKPOINT { SOLVE s METHOD cnexp  i = g * (v - e) }
DERIVATIVE s { g' = -g / tau }
NET_RECEIVE (w (uS), count, tlast (ms)) {
    INITIAL { count = 10  tlast = -1 }
    g = g + w * (1 + count / 100)
    count = count + 1
    tlast = t
}
"""
NET_COUNT = """
NEURON { POINT_PROCESS NetCountSyn  RANGE tau, i  NONSPECIFIC_CURRENT i }
PARAMETER { tau = 3 (ms) }
ASSIGNED { v (mV)  i (nA) }
STATE { g (uS) }
BREAKPOINT { SOLVE s METHOD cnexp  i = g * v }
DERIVATIVE s { g' = -g / tau }
NET_RECEIVE (w (uS), n) { g = g + w  n = n + 1 }
"""
WATCH = """
NEURON { POINT_PROCESS WatchCount  RANGE thresh, count, tup, tdown }
PARAMETER { thresh = -20 (mV) }
ASSIGNED { v (mV)  count  tup (ms)  tdown (ms) }
INITIAL { count = 0  tup = -1  tdown = -1  net_send(0, 1) }
NET_RECEIVE (w) {
    if (flag == 1) {
        WATCH (v > thresh) 2, (v < thresh - 30) 3
    } else if (flag == 2) {
        count = count + 1
        tup = t
    } else if (flag == 3) {
        tdown = t
    }
}
"""
GAP = """
NEURON { POINT_PROCESS GapJ  POINTER vgap  RANGE g, i  NONSPECIFIC_CURRENT i }
PARAMETER { g = 0.001 (uS) }
ASSIGNED { v (mV)  vgap (mV)  i (nA) }
BREAKPOINT { i = g * (v - vgap) }
"""
BEFORE_AFTER = """
NEURON { SUFFIX bacount  RANGE nbi, nai, nbb, nas, nbs, vbb, vas, tas }
ASSIGNED { v (mV)  nbi  nai  nbb  nas  nbs  vbb (mV)  vas (mV)  tas (ms) }
BEFORE INITIAL { nbi = nbi + 1 }
AFTER INITIAL { nai = nai + 1 }
BEFORE BREAKPOINT { nbb = nbb + 1  vbb = v }
AFTER SOLVE { nas = nas + 1  vas = v  tas = t }
BEFORE STEP { nbs = nbs + 1 }
"""
# BEFORE/AFTER blocks of mechanisms with ions: nocmodl wraps each block in the current routine's ion statements.
BA_IONS = {
    "bareads": """
NEURON { SUFFIX bareads  USEION ca READ cai WRITE ica  RANGE gbar, rica, rcai }
PARAMETER { gbar = 0.001 (S/cm2) }
ASSIGNED { v (mV)  ica (mA/cm2)  cai (mM)  rica  rcai }
BREAKPOINT { ica = gbar * (v - 50) }
BEFORE STEP { rica = ica  rcai = cai }
AFTER SOLVE { rica = ica }
""",
    "baconc": """
NEURON { SUFFIX baconc  USEION ca READ cai WRITE ica, cai  RANGE gbar }
PARAMETER { gbar = 0.002 (S/cm2) }
ASSIGNED { v (mV)  ica (mA/cm2)  cai (mM) }
BREAKPOINT { ica = gbar * (v - 50) }
AFTER SOLVE { cai = cai + 0.001 }
BEFORE BREAKPOINT { ica = 7 }
""",
    "bareads2": """
NEURON { SUFFIX bareads2  USEION ca READ cai, cao WRITE ica  RANGE rcai }
ASSIGNED { v (mV)  ica (mA/cm2)  cai (mM)  cao (mM)  rcai }
BREAKPOINT { ica = 0.003 * (v - 50) }
BEFORE STEP { rcai = cai  ica = ica + 1 }
AFTER INITIAL { ica = 5 }
""",
    "baonly": """
NEURON { SUFFIX baonly  USEION ca READ ica WRITE cai }
ASSIGNED { ica (mA/cm2)  cai (mM) }
AFTER SOLVE { cai = cai + 0.01 }
""",
    "BaPP": """
NEURON { POINT_PROCESS BaPP  USEION ca READ cai WRITE ica }
ASSIGNED { v (mV)  ica (nA)  cai (mM) }
BREAKPOINT { ica = 0.0001 * (v - 50) }
BEFORE STEP { }
""",
}
# A KINETIC block integrated by nocmodl's explicit methods (its derivative form): a v-dependent rate, two
# molecules of o per d, d in a compartment of volume 2 and a CONSERVE, which these methods ignore.
KINETIC_EXPLICIT = """
NEURON { SUFFIX kin_@M@ }
ASSIGNED { v (mV) }
STATE { c  o  d }
INITIAL { c = 1  o = 0  d = 0 }
BREAKPOINT { SOLVE kin METHOD @M@ }
KINETIC kin {
    COMPARTMENT 2 { d }
    ~ c <-> o (0.5, 0.2 * exp(-(v + 65) / 20))
    ~ 2 o <-> d (0.3, 0.1)
    CONSERVE c + o + 2 d = 1
}
"""
ALGEBRAIC_ARRAYS = """
NEURON { SUFFIX linarr  RANGE a }
PARAMETER { a = 2 }
STATE { x[3]  z[3]  w[2] }
INITIAL { w[0] = 1  w[1] = 0 }
BREAKPOINT { SOLVE lin  SOLVE chain  SOLVE nonlin }
LINEAR lin { ~ x[0] + x[1] = 1  ~ x[1] - x[2] = 0.5  ~ x[0] + 2 * x[2] = a }
LINEAR chain { LOCAL i  ~ z[0] = a  FROM i = 1 TO 2 { ~ z[i] - 2 * z[i-1] = 0 } }
NONLINEAR nonlin { ~ w[0] * w[0] = 4 * a / 2  ~ w[0] + w[1] = 3 }
"""
ARRAY_POINT = """
NEURON { POINT_PROCESS ArrPP  RANGE k, n }
PARAMETER { k[2] }
ASSIGNED { n[3] }
INITIAL { FROM i = 0 TO 2 { n[i] = k[0] * i + k[1] } }
"""
DENSITY_RANDOM = """
NEURON { SUFFIX rdens  RANDOM r  RANGE x }
ASSIGNED { x }
INITIAL { x = random_uniform(r) }
BREAKPOINT { x = random_uniform(r) }
"""
NO_CURRENT = """
NEURON { SUFFIX nocur  RANGE a }
ASSIGNED { v (mV)  a }
STATE { s }
INITIAL { s = 0  a = -1 }
BREAKPOINT { a = v + s  SOLVE d METHOD cnexp }
DERIVATIVE d { s' = 1 }
"""
# LONGITUDINAL_DIFFUSION of calcium along the cable (a scalar state, and cadifus-style shells in an array).
_CA_UNITS = """
UNITS { (molar) = (1/liter)  (mM) = (millimolar)  (um) = (micron)  (mA) = (milliamp)
        FARADAY = (faraday) (10000 coulomb)  PI = (pi) (1) }
"""
DIFFUSION = {
    "cadif": """
NEURON { SUFFIX cadif  USEION ca READ ica WRITE cai  RANGE D, ca0 }
""" + _CA_UNITS + """
PARAMETER { D = 0.6 (um2/ms)  ca0 = 0 (mM) }
ASSIGNED { diam (um)  ica (mA/cm2)  cai (mM) }
STATE { ca (mM) }
INITIAL { ca = ca0  cai = ca }
BREAKPOINT { SOLVE st METHOD sparse }
KINETIC st {
    COMPARTMENT diam*diam*PI/4 { ca }
    LONGITUDINAL_DIFFUSION D*diam*diam*PI/4 { ca }
    ~ ca << (-ica*PI*diam/(2*FARADAY))
    cai = ca
}
""",
    "cashell": """
NEURON { SUFFIX cashell  USEION ca READ ica WRITE cai  RANGE D, ca0, k  GLOBAL vol }
DEFINE NANN 4
""" + _CA_UNITS + """
PARAMETER { D = 0.6 (um2/ms)  ca0 = 0 (mM)  k = 0.3 (um2/ms) }
ASSIGNED { diam (um)  ica (mA/cm2)  cai (mM)  vol[NANN] (1) }
STATE { ca[NANN] (mM) }
INITIAL {
    FROM i = 0 TO NANN-1 { vol[i] = 0.1 * (i + 1)  ca[i] = 0 }
    ca[0] = ca0
    cai = ca[0]
}
BREAKPOINT { SOLVE st METHOD sparse }
KINETIC st {
    COMPARTMENT i, diam*diam*vol[i] { ca }
    LONGITUDINAL_DIFFUSION i, D*diam*diam*vol[i] { ca }
    ~ ca[0] << (-ica*PI*diam/(2*FARADAY))
    FROM i = 0 TO NANN-2 { ~ ca[i] <-> ca[i+1] (k, k) }
    cai = ca[0]
}
""",
}
LIFECYCLE = """
NEURON { POINT_PROCESS Lifecycle  GLOBAL count  RANGE x }
PARAMETER { x = 3 }
ASSIGNED { count }
CONSTRUCTOR { count = count + 1  x = x * 2 }
DESTRUCTOR { count = count - 1 }
"""
DENSITY_LIFECYCLE = {
    "dcons": "NEURON { SUFFIX dcons  RANDOM r  GLOBAL count  RANGE x }\nPARAMETER { x = 3 }\nASSIGNED { count }\n"
             "CONSTRUCTOR { count = count + 1  x = x * 2 }\n",
    "dcons2": "NEURON { SUFFIX dcons2  RANDOM r  RANGE y }\nPARAMETER { y = 5 }\nCONSTRUCTOR { y = y + 1 }\n",
}
EXTERNALS = {
    "extowner": "NEURON { SUFFIX extowner  GLOBAL q }\nPARAMETER { q = 4 }\n",
    "extuser": "NEURON { SUFFIX extuser  EXTERNAL q_extowner  RANGE y }\nASSIGNED { y }\nINITIAL { y = 2 * q_extowner }\n",
}
FOR_NETCONS = """
NEURON { POINT_PROCESS AllCons  RANGE tau, i  NONSPECIFIC_CURRENT i }
PARAMETER { tau = 2 (ms) }
ASSIGNED { v (mV)  i (nA) }
STATE { g (uS) }
INITIAL { g = 0 }
BREAKPOINT { SOLVE s METHOD cnexp  i = g * v }
DERIVATIVE s { g' = -g / tau }
NET_RECEIVE (w (uS), nrecv, tlast (ms)) {
    INITIAL { nrecv = 0  tlast = -1 }
    g = g + w
    nrecv = nrecv + 1
    FOR_NETCONS (w1 (uS), n1, t1 (ms)) {
        t1 = t
        w1 = w1 * 1.1
    }
}
"""
FOR_NETCONS_INITIAL = """
NEURON { POINT_PROCESS ConsInit  RANGE n }
ASSIGNED { n }
INITIAL { n = 0 }
NET_RECEIVE (w, k) {
    INITIAL {
        k = 10 * w
        FOR_NETCONS (w1, k1) { k1 = k1 + 1  n = n + w1 }
    }
    n = n + k
}
"""
FUNCTION_TABLE = """
NEURON { SUFFIX ftab  RANGE y }
FUNCTION_TABLE tau1(v (mV)) (ms)
ASSIGNED { v (mV)  y (ms) }
INITIAL { y = tau1(v) }
"""
FUNCTION_TABLES_2D_3D = """
NEURON { SUFFIX ftab2  RANGE y, z, a, b }
FUNCTION_TABLE f2(a, b)
FUNCTION_TABLE f3(a, b, c)
PARAMETER { a = 0  b = 0 }
ASSIGNED { y  z }
INITIAL { y = f2(a, b)  z = f3(a, b, a) }
"""
STATE_DISCONTINUITY = """
NEURON { SUFFIX sdisc  NONSPECIFIC_CURRENT i  RANGE gbump, period, tnext, n }
UNITS { (mA) = (milliamp)  (mV) = (millivolt) }
PARAMETER { gbump = 0.0005 (S/cm2)  period = 2 (ms) }
ASSIGNED { v (mV)  i (mA/cm2)  tnext (ms)  n }
STATE { g (S/cm2) }
INITIAL { g = 0  n = 0  tnext = period  state_discontinuity(n, 10) }
BREAKPOINT {
  SOLVE decay METHOD cnexp
  if (t >= tnext) {
    state_discontinuity(g, g + gbump * (1 + 0.01 * v))
    state_discontinuity(n, n + 1)
    tnext = tnext + period
  }
  i = g * (v - 0)
}
DERIVATIVE decay { g' = -g / 1 }
"""
RANDOM_FUNCTIONS = """
NEURON { POINT_PROCESS RFun  RANDOM r  RANGE x1, x2, x3, x4, x5, x6, x7, x8 }
ASSIGNED { x1 x2 x3 x4 x5 x6 x7 x8 }
INITIAL {
  random_setids(r, 7, 8, 9)
  random_setseq(r, 5)
  x1 = random_uniform(r)
  x2 = random_uniform(r, -1, 3)
  x3 = random_normal(r)
  x4 = random_normal(r, 2, 0.5)
  x5 = random_negexp(r, 4)
  x6 = random_ipick(r)
  x7 = random_dpick(r)
  x8 = random_negexp(r)
}
"""
TWO_RANDOMS = """
NEURON { POINT_PROCESS RTwo  RANDOM ra, rb  RANGE x1, x2, x3, x4 }
ASSIGNED { x1 x2 x3 x4 }
INITIAL { x1 = random_uniform(ra)  x2 = random_uniform(rb)  x3 = random_negexp(ra)  x4 = random_normal(rb) }
"""
STEADY_DERIVATIVE = """
NEURON { SUFFIX ssd  RANGE tau, xinf }
PARAMETER { tau = 5 (ms)  xinf = 0.7 }
STATE { x }
INITIAL { x = 0.1  SOLVE states STEADYSTATE derivimplicit }
BREAKPOINT { SOLVE states METHOD derivimplicit }
DERIVATIVE states { x' = (xinf - x)/tau }
"""
POINTER_SINK = """
NEURON { SUFFIX psink  NONSPECIFIC_CURRENT i  RANGE x, g }
UNITS { (mA) = (milliamp)  (mV) = (millivolt) }
PARAMETER { g = 0.002 (S/cm2) }
ASSIGNED { v (mV)  i (mA/cm2)  x }
INITIAL { x = 0 }
BREAKPOINT { i = g * x * (v + 80) }
"""
POINTER_RATE = """
NEURON { SUFFIX prate  POINTER q  RANGE r }
PARAMETER { r = 0.05 (/ms) }
ASSIGNED { q }
BREAKPOINT { SOLVE bump }
PROCEDURE bump() { q = q + dt * r }
"""
POINTER_PUSH = """
NEURON { POINT_PROCESS PtrPush  POINTER p }
ASSIGNED { p }
NET_RECEIVE (w) { p = p + w }
"""
PROBES = {"netinit.mod": NET_INIT, "netcount.mod": NET_COUNT, "watch.mod": WATCH, "gapj.mod": GAP,
          "bacount.mod": BEFORE_AFTER, "allcons.mod": FOR_NETCONS, "consinit.mod": FOR_NETCONS_INITIAL,
          **{f"{name.lower()}.mod": text for name, text in BA_IONS.items()},
          "linarr.mod": ALGEBRAIC_ARRAYS, "rdens.mod": DENSITY_RANDOM, **{f"{n}.mod": t for n, t in EXTERNALS.items()}, "lifecycle.mod": LIFECYCLE, **{f"{n}.mod": t for n, t in DENSITY_LIFECYCLE.items()}, **{f"{n}.mod": t for n, t in DIFFUSION.items()}, "nocur.mod": NO_CURRENT, "arrpp.mod": ARRAY_POINT,
          **{f"kin_{m}.mod": KINETIC_EXPLICIT.replace("@M@", m) for m in ("euler", "runge")}, "ftab.mod": FUNCTION_TABLE,
          "ssd.mod": STEADY_DERIVATIVE, "psink.mod": POINTER_SINK, "prate.mod": POINTER_RATE,
          "ptrpush.mod": POINTER_PUSH, "ftab2.mod": FUNCTION_TABLES_2D_3D, "sdisc.mod": STATE_DISCONTINUITY,
          "rfun.mod": RANDOM_FUNCTIONS, "rtwo.mod": TWO_RANDOMS}


def ensure_loaded(name, text):
    """Compiles a probe's source for rheobase unless a mechanism of that name is loaded already."""
    if name not in rheobase.nmodl.loaded_mechanisms():
        rheobase.compile_mod(text)


def source_of(path):
    with open(path) as f:
        text = f.read()
    for old, new in RENAMED.get(path, {}).items():
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="session")
def nrn_mechanisms(tmp_path_factory):
    """NEURON with the files compiled by nrnivmodl (once per session)."""
    if shutil.which("nrnivmodl") is None:
        pytest.skip("nrnivmodl is not available")
    folder = tmp_path_factory.mktemp("nrnivmodl")
    for path in DENSITY_FILES + POINT_FILES + KINETIC_FILES:
        (folder / os.path.basename(path)).write_text(source_of(path))
    for name, text in PROBES.items():
        (folder / name).write_text(text)
    done = subprocess.run(["nrnivmodl"], cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"nrnivmodl could not compile the .mod files: {done.stderr[-500:]}")
    assert neuron.load_mechanisms(str(folder), warn_if_already_loaded=False)
    return folder


@pytest.fixture(scope="module")
def rb_mechanisms():
    return [rheobase.compile_mod(source_of(p), p) for p in DENSITY_FILES + POINT_FILES + KINETIC_FILES]


def build_and_run(m, mechs, setup, tstop=30.0):
    """A 3-segment cable with `mechs` inserted, a 10 ms current step, v at the middle and an end."""
    sec = m.Section(name="cable")
    sec.L, sec.diam, sec.nseg = 60, 10, 3
    for mech in mechs:
        sec.insert(mech)
    setup(m, sec)
    stim = m.IClamp(sec(0.5))
    stim.delay, stim.dur, stim.amp = 1, 10, 0.2
    vm = m.Vector().record(sec(0.5)._ref_v)
    ve = m.Vector().record(sec(0.1)._ref_v)
    m.finitialize(-65)
    m.continuerun(tstop)
    return np.array(vm), np.array(ve)


def nothing(m, sec):
    pass


def leak(m, sec):
    for seg in sec:
        seg.pas.g = 1e-4
        seg.pas.e = -65


def hh_pieces(m, sec):
    leak(m, sec)
    for seg in sec:
        seg.HHna.gnabar = 0.12
        seg.HHk.gkbar = 0.036


def calcium(m, sec):
    leak(m, sec)
    for seg in sec:
        seg.cachan1.imax = 0.01
        seg.cachan.pcabar = 2e-6
        seg.capump.vmax = 0.01


def exchanger(m, sec):
    leak(m, sec)
    for seg in sec:
        seg.nacax.k = 0.001


CASES = {
    "hh.mod": (["hh_mod"], nothing),
    "passive.mod": (["pas_mod"], nothing),
    "nachan.mod + khhchan.mod": (["pas", "HHna", "HHk"], hh_pieces),
    "cachan1.mod + camchan.mod + capump.mod": (["pas", "cachan1", "cachan", "capump"], calcium),
    "nacaex.mod": (["pas", "nacax"], exchanger),
}


@pytest.mark.parametrize("case", list(CASES))
def test_wheel_mechanism_traces_equal_neuron(case, nrn_mechanisms, rb_mechanisms, nrn, rb):
    mechs, setup = CASES[case]
    mine = build_and_run(rb, mechs, setup)
    theirs = build_and_run(nrn, mechs, setup)
    for a, b, where in zip(mine, theirs, ("middle", "end")):
        assert a.shape == b.shape
        dv = np.abs(a - b).max()
        assert dv <= 1e-6, f"{case}, v at the {where}: max |Δv| = {dv:.3g} mV"
    assert np.ptp(mine[0]) > 1.0  # the stimulus moved v: the comparison is not between two flat lines


@pytest.mark.parametrize("celsius", [6.3, 16.0])
def test_tables_follow_temperature_like_neuron(celsius, nrn_mechanisms, rb_mechanisms, nrn, rb):
    """TABLEs DEPEND on celsius: at another temperature both engines rebuild them."""
    for m in (nrn, rb):
        m.celsius = celsius
    mine = build_and_run(rb, ["pas", "HHna", "HHk"], hh_pieces)
    theirs = build_and_run(nrn, ["pas", "HHna", "HHk"], hh_pieces)
    assert np.abs(mine[0] - theirs[0]).max() <= 1e-6


@pytest.mark.parametrize("path", DENSITY_FILES, ids=os.path.basename)
def test_jit_equals_interpreter(path, rb):
    """The native code and the interpreter (the reference) run the same kernel IR: same traces."""
    text = source_of(path)
    name = rheobase.nmodl.check(text, path)[1]
    jit = rheobase.compile_mod(text.replace(f"SUFFIX {name}", f"SUFFIX {name}_jit"), path)
    interp = rheobase.compile_mod(text.replace(f"SUFFIX {name}", f"SUFFIX {name}_interp"), path, jit=False)
    traces = [build_and_run(rb, ["pas", "hh", mech], leak) for mech in (jit, interp)]
    assert np.abs(traces[0][0] - traces[1][0]).max() <= 1e-9
    assert np.ptp(traces[0][0]) > 1.0


def soma_with(m, setup, tstop=40.0):
    """An hh soma, `setup(m, soma)` adds point processes (returned to keep them alive); v and the recorded
    extras come back as arrays."""
    soma = m.Section(name="soma")
    soma.L = soma.diam = 20
    soma.insert("hh")
    keep, extra = setup(m, soma)
    v = m.Vector().record(soma(0.5)._ref_v)
    m.finitialize(-65)
    m.continuerun(tstop)
    return [np.array(v)] + [np.array(x) for x in extra]


def synapses(m, soma):
    stim = m.NetStim()
    stim.start, stim.interval, stim.number, stim.noise = 2, 7, 5, 0
    syn1 = m.ExpSyn_mod(soma(0.5))
    syn1.tau = 2
    syn2 = m.Exp2Syn_mod(soma(0.5))
    syn2.tau1, syn2.tau2, syn2.e = 0.5, 4, -10
    nc1 = m.NetCon(stim, syn1)
    nc1.weight[0], nc1.delay = 0.004, 1
    nc2 = m.NetCon(stim, syn2)
    nc2.weight[0], nc2.delay = 0.002, 3
    i1 = m.Vector().record(syn1._ref_i)
    g2 = m.Vector().record(syn2._ref_g)
    return (stim, syn1, syn2, nc1, nc2), (i1, g2)


def clamps(m, soma):
    ic = m.IClamp_mod(soma(0.5))
    ic.delay, ic.dur, ic.amp = 1, 3, 0.3
    se = m.SEClamp_mod(soma(0.5))
    se.dur1, se.amp1, se.dur2, se.amp2, se.dur3, se.amp3, se.rs = 15, -65, 10, -20, 5, -70, 1
    i = m.Vector().record(se._ref_i)
    return (ic, se), (i,)


def interval_fire(m, soma):
    cells = [m.IntervalFire() for _ in range(3)]
    for k, c in enumerate(cells):
        c.tau, c.invl = 5 + k, 6 + 2 * k
    stim = m.NetStim()
    stim.start, stim.interval, stim.number, stim.noise = 3, 4, 6, 0
    syn = m.ExpSyn_mod(soma(0.5))
    syn.tau = 3
    ncs = [m.NetCon(stim, cells[0])]
    ncs[0].weight[0] = 0.4
    tvec, idvec = m.Vector(), m.Vector()
    for k, c in enumerate(cells):
        nc = m.NetCon(c, syn)
        nc.weight[0], nc.delay = 0.003, 1
        ncs.append(nc)
        rec = m.NetCon(c, None)
        rec.record(tvec, idvec, k)
        ncs.append(rec)
    return (cells, stim, syn, ncs), (tvec, idvec)


@pytest.mark.parametrize("setup", [synapses, clamps, interval_fire], ids=lambda f: f.__name__)
def test_wheel_point_processes_equal_neuron(setup, nrn_mechanisms, rb_mechanisms, nrn, rb):
    mine = soma_with(rb, setup)
    theirs = soma_with(nrn, setup)
    if setup is interval_fire:
        # Spikes at the same time are listed in rheobase's tie order (by source), not NEURON's queue order.
        for trace in (mine, theirs):
            order = np.lexsort((trace[2], trace[1]))
            trace[1], trace[2] = trace[1][order], trace[2][order]
    for k, (a, b) in enumerate(zip(mine, theirs)):
        assert a.shape == b.shape, f"{setup.__name__}: trace {k}: {a.shape} != {b.shape}"
        assert np.abs(a - b).max() <= 1e-6, f"{setup.__name__}: trace {k}: max |Δ| = {np.abs(a - b).max():.3g}"
    assert np.ptp(mine[0]) > 1.0


def calcium_dynamics(pump):
    """hh, a GHK calcium channel (camchan.mod), a pump that integrates cai (capmpr or cadifpmp, KINETIC with
    COMPARTMENT, CONSERVE and STEADYSTATE) and transmitter release driven by cai (release.mod)."""

    def build(m):
        m.celsius = 16
        soma = m.Section(name="soma")
        soma.L = soma.diam = 10
        for mech in ("hh", "cachan", pump, "trel"):
            soma.insert(mech)
        soma(0.5).cachan.pcabar = 2e-5
        stim = m.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 1, 20, 0.05
        recs = [m.Vector().record(soma(0.5)._ref_v), m.Vector().record(soma(0.5)._ref_cai),
                m.Vector().record(soma(0.5)._ref_eca), m.Vector().record(soma(0.5).trel._ref_Ach)]
        m.finitialize(-65)
        m.continuerun(30)
        del stim
        return [np.array(r) for r in recs]

    return build


@pytest.mark.parametrize("pump", ["capmpr", "cadifpmp"])
def test_wheel_kinetic_schemes_and_calcium_equal_neuron(pump, nrn_mechanisms, rb_mechanisms, nrn, rb):
    build = calcium_dynamics(pump)
    mine, theirs = build(rb), build(nrn)
    names = ["v", "cai", "eca", "Ach"]
    for name, a, b in zip(names, mine, theirs):
        assert a.shape == b.shape
        scale = max(np.abs(b).max(), 1e-300)
        assert np.abs(a - b).max() <= 1e-6 * (1 if name in ("v", "eca") else scale), \
            f"{pump}: {name}: max |Δ| = {np.abs(a - b).max():.3g} (scale {scale:.3g})"
    assert np.ptp(mine[0]) > 10 and np.ptp(mine[1]) > 0 and np.ptp(mine[3]) > 0


MASKED = """
NEURON { SUFFIX masked  NONSPECIFIC_CURRENT i  RANGE g, x }
PARAMETER { g = 0.001 (S/cm2) }
ASSIGNED { v (mV)  i (mA/cm2) }
STATE { x }
INITIAL { x = 0.5 }
BREAKPOINT {
    SOLVE s METHOD cnexp
    if (v > -60 || x > 0.6) { i = g * x * (v + 70) } else if (v < -80) { i = 0 } else { i = g * (v + 70) }
}
DERIVATIVE s { LOCAL k  k = rate(v)  x' = (k - x) / (1 + fabs(v) / 10) }
FUNCTION rate(v (mV)) { if (fabs(v + 40) < 1e-6) { rate = 0.5 } else { rate = 1 / (1 + exp(-(v + 40) / 5)) } }
"""

SYN = """
NEURON { POINT_PROCESS Syn2  NONSPECIFIC_CURRENT i  RANGE tau, e }
PARAMETER { tau = 2 (ms)  e = 0 (mV) }
ASSIGNED { v (mV)  i (nA) }
STATE { g (uS) }
BREAKPOINT { SOLVE s METHOD cnexp  i = g * (v - e) }
DERIVATIVE s { g' = -g / tau }
NET_RECEIVE (w (uS)) { g = g + w }
"""


@pytest.mark.parametrize("nseg", [1, 4, 7])
def test_jit_two_instance_loops_equal_the_interpreter(nseg, rb):
    """The JIT runs two instances at once (f64x2) with IF branches as lane masks and the odd one alone; point
    processes on the same node add their currents one after the other. The interpreter is the reference."""
    for suffix, jit in (("_j", True), ("_i", False)):
        rheobase.compile_mod(MASKED.replace("SUFFIX masked", f"SUFFIX masked{suffix}"), jit=jit)
        rheobase.compile_mod(SYN.replace("POINT_PROCESS Syn2", f"POINT_PROCESS Syn2{suffix}"), jit=jit)
    traces = []
    for suffix in ("_j", "_i"):
        sec = rb.Section(name="cable")
        sec.L, sec.diam, sec.nseg = 100, 2, nseg
        sec.insert("hh")
        sec.insert(f"masked{suffix}")
        rb.usetable_hh = 0
        stim = rb.NetStim()
        stim.start, stim.interval, stim.number = 1, 3, 8
        syns = [getattr(rb, f"Syn2{suffix}")(sec(x)) for x in (0.5, 0.5, 0.9)]  # two on one node
        ncs = [rb.NetCon(stim, s) for s in syns]
        for nc in ncs:
            nc.weight[0] = 0.002
        vs = [rb.Vector().record(sec(x)._ref_v) for x in (0.1, 0.5)]
        rb.finitialize(-65)
        rb.continuerun(25)
        traces.append([np.array(v) for v in vs])
        rb.usetable_hh = 1
        del sec, stim, syns, ncs
    for a, b in zip(*traces):
        assert np.abs(a - b).max() <= 1e-9
    assert np.ptp(traces[0][1]) > 10


def test_a_global_counter_is_never_split_across_lanes(rb):
    """A global read before it is written (a counter) carries from one instance to the next: such a loop stays
    one instance at a time, so every instance counts (a two-instance loop would count each pair once)."""
    src = """
NEURON { SUFFIX counter  GLOBAL count }
ASSIGNED { count }
STATE { x }
INITIAL { x = 1 }
BREAKPOINT { SOLVE s METHOD cnexp }
DERIVATIVE s { count = count + 1  x' = -x }
"""
    rheobase.compile_mod(src)
    sec = rb.Section(name="cable")
    sec.nseg = 4
    sec.insert("counter")
    rb.finitialize(-65)
    rb.count_counter = 0
    for _ in range(10):
        rb.fadvance()
    assert rb.count_counter == 40


SPLIT = """
NEURON { SUFFIX split  NONSPECIFIC_CURRENT i  RANGE g  GLOBAL ainf, atau }
PARAMETER { g = 0.002 (S/cm2) }
ASSIGNED { v (mV)  i (mA/cm2)  ainf  atau (ms) }
STATE { a b }
INITIAL { rates(v)  a = ainf  b = 1 - ainf }
BREAKPOINT { SOLVE s METHOD cnexp  i = g * a * b * (v + 70) }
DERIVATIVE s {
    LOCAL q
    rates(v)
    a' = (ainf - a) / atau
    q = 2 * atau
    b' = (1 - ainf - b) / q
}
PROCEDURE rates(v (mV)) { ainf = 1 / (1 + exp(-(v + 50) / 6))  atau = 1 + 4 * exp(-((v + 60) / 20)^2) }
"""


@pytest.mark.parametrize("nseg", [1, 4, 7])
def test_a_split_state_loop_equals_the_interpreter(nseg, rb):
    """The JIT runs the statements of a DERIVATIVE block as separate loops over the instances where no LOCAL
    crosses between them (here: rates, a's update, then q and b's update); the globals rates() writes per
    instance pass between those loops per instance, and keep the last instance's value, as in sequential order."""
    for suffix, jit in (("_j", True), ("_i", False)):
        rheobase.compile_mod(SPLIT.replace("SUFFIX split", f"SUFFIX split{suffix}"), jit=jit)
    traces, globals_after = [], []
    for suffix in ("_j", "_i"):
        sec = rb.Section(name="cable")
        sec.L, sec.diam, sec.nseg = 200, 2, nseg
        sec.insert("hh")
        sec.insert(f"split{suffix}")
        stim = rb.IClamp(sec(0))
        stim.delay, stim.dur, stim.amp = 1, 20, 0.3
        vs = [rb.Vector().record(sec(x)._ref_v) for x in (0.1, 0.9)]
        rb.finitialize(-65)
        rb.continuerun(25)
        traces.append([np.array(v) for v in vs])
        globals_after.append([getattr(rb, f"{name}_split{suffix}") for name in ("ainf", "atau")])
        del sec, stim
    for a, b in zip(*traces):
        assert np.abs(a - b).max() <= 1e-9
    assert np.ptp(traces[0][1]) > 10
    assert globals_after[0] == pytest.approx(globals_after[1], rel=1e-12)


GHK = """
NEURON { SUFFIX ghkprobe  RANGE z, ci, co, flux }
PARAMETER { z = 2  ci = 1e-4 (mM)  co = 2 (mM) }
ASSIGNED { v (mV)  flux }
INITIAL { flux = nrn_ghk(v, ci, co, z) }
"""


@pytest.mark.parametrize("celsius", [6.3, 37.0])
@pytest.mark.parametrize("v", [-80.0, -20.0, 0.0, 1e-9, 30.0])
def test_nrn_ghk_equals_neurons(celsius, v, rb):
    """nrn_ghk(v, ci, co, z) is NEURON's eion.cpp function (hoc's ghk): same value, including at v = 0 where
    its efun switches to 1 − x/2."""
    neuron = pytest.importorskip("neuron")
    ensure_loaded("ghkprobe", GHK)
    soma = rb.Section(name="soma")
    soma.insert("ghkprobe")
    rb.celsius = celsius
    rb.finitialize(v)
    neuron.h.celsius = celsius
    assert soma(0.5).ghkprobe.flux == pytest.approx(neuron.h.ghk(v, 1e-4, 2, 2), rel=1e-13)


def test_net_receive_initial_and_weights_as_neuron(nrn_mechanisms, nrn, rb):
    """NET_RECEIVE's INITIAL runs at finitialize once per NetCon on that NetCon's weights; what NET_RECEIVE
    assigns to its arguments stays in the NetCon's weight vector; without an INITIAL block finitialize sets the
    elements after the first to 0 (NEURON's init_events). Weights, spikes' effects and v as NEURON's."""
    for name in ("NetInitSyn", "NetCountSyn"):
        ensure_loaded(name, PROBES[name.lower().replace("syn", "") + ".mod"])

    def build(m):
        soma = m.Section(name="soma")
        soma.L = soma.diam = 20
        soma.insert("pas")
        stim = m.NetStim()
        stim.start, stim.interval, stim.number, stim.noise = 2, 4, 4, 0
        syns = [m.NetInitSyn(soma(0.5)), m.NetCountSyn(soma(0.5))]
        ncs = [m.NetCon(stim, syns[0]), m.NetCon(stim, syns[0]), m.NetCon(stim, syns[1])]
        for nc, w in zip(ncs, (0.002, 0.001, 0.003)):
            nc.weight[0] = w
            nc.weight[1] = 7  # INITIAL sets it to 10; without INITIAL it becomes 0
        v = m.Vector().record(soma(0.5)._ref_v)
        m.finitialize(-65)
        after_init = [list(nc.weight) for nc in ncs]
        m.continuerun(20)
        return after_init, [list(nc.weight) for nc in ncs], np.array(v), (soma, stim, syns, ncs)

    mine, theirs = build(rb), build(nrn)
    assert mine[0] == theirs[0] == [[0.002, 10, -1], [0.001, 10, -1], [0.003, 0]]
    assert [w for ws in mine[1] for w in ws] == pytest.approx([w for ws in theirs[1] for w in ws], abs=1e-12)
    assert mine[1][0][1:] == [14, 15.0] and mine[1][2][1] == 4  # four spikes, the last delivered at 15 ms
    assert np.abs(mine[2] - theirs[2]).max() <= 1e-6


def test_watch_as_neuron(nrn_mechanisms, nrn, rb):
    """WATCH (set from NET_RECEIVE after INITIAL's net_send(0, 1)): checked at each step's start on the state the
    last step left, it delivers its flag when its condition turns true (edge-triggered, re-armed after turning
    false), at that step's time, as NEURON's fixed step."""
    ensure_loaded("WatchCount", WATCH)

    def build(m):
        soma = m.Section(name="soma")
        soma.L = soma.diam = 20
        soma.insert("hh")
        stim = m.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 2, 40, 0.3
        w = m.WatchCount(soma(0.5))
        count, tup = m.Vector().record(w._ref_count), m.Vector().record(w._ref_tup)
        tdown = m.Vector().record(w._ref_tdown)
        m.finitialize(-65)
        m.continuerun(50)
        return [np.array(x) for x in (count, tup, tdown)], (soma, stim, w)

    mine, theirs = build(rb)[0], build(nrn)[0]
    for a, b in zip(mine, theirs):
        assert np.array_equal(a, b)
    assert mine[0][-1] >= 3  # several spikes, each counted once


def test_gap_junctions_through_pointers_as_neuron(nrn_mechanisms, nrn, rb):
    """A gap junction as ModelDB writes it: a POINTER to the other cell's v, set with setpointer (or NEURON 9's
    gap._ref_vgap = ...). The coupled cell's trace equals NEURON's."""
    ensure_loaded("GapJ", GAP)

    def build(m, modern):
        cells = []
        for name in ("a", "b"):
            s = m.Section(name=name)
            s.L = s.diam = 20
            s.insert("hh")
            cells.append(s)
        stim = m.IClamp(cells[0](0.5))
        stim.delay, stim.dur, stim.amp = 1, 20, 0.3
        gaps = [m.GapJ(cells[0](0.5)), m.GapJ(cells[1](0.5))]
        for gap in gaps:
            gap.g = 0.005
        m.setpointer(cells[1](0.5)._ref_v, "vgap", gaps[0])
        if modern:
            gaps[1]._ref_vgap = cells[0](0.5)._ref_v
        else:
            m.setpointer(cells[0](0.5)._ref_v, "vgap", gaps[1])
        v = [m.Vector().record(c(0.5)._ref_v) for c in cells]
        m.finitialize(-65)
        m.continuerun(30)
        return [np.array(x) for x in v], (cells, stim, gaps)

    mine, theirs = build(rb, True)[0], build(nrn, False)[0]
    for a, b in zip(mine, theirs):
        assert np.abs(a - b).max() <= 1e-6
    assert np.ptp(mine[1]) > 30  # the coupled cell fires too


def test_assigning_through_pointers_as_neuron(nrn_mechanisms, nrn, rb):
    """POINTERs written by a density mechanism's SOLVEd PROCEDURE (each step) and by a point process's
    NET_RECEIVE (each event) change the variable they point to, which a third mechanism's current reads: x and
    v equal NEURON's."""
    for name, text in (("psink", POINTER_SINK), ("prate", POINTER_RATE), ("PtrPush", POINTER_PUSH)):
        ensure_loaded(name, text)

    def build(m):
        soma = m.Section(name="soma")
        soma.L = soma.diam = 20
        soma.insert("pas")
        soma.insert("psink")
        soma.insert("prate")
        m.setpointer(soma(0.5).psink._ref_x, "q", soma(0.5).prate)
        push = m.PtrPush(soma(0.5))
        m.setpointer(soma(0.5).psink._ref_x, "p", push)
        stim = m.NetStim()
        stim.start, stim.interval, stim.number, stim.noise = 2, 3, 4, 0
        nc = m.NetCon(stim, push)
        nc.weight[0] = 0.5
        x = m.Vector().record(soma(0.5).psink._ref_x)
        v = m.Vector().record(soma(0.5)._ref_v)
        m.finitialize(-65)
        m.continuerun(20)
        return np.array(x), np.array(v), (soma, push, stim, nc)

    (x, v, _), (x_nrn, v_nrn, _) = build(rb), build(nrn)
    np.testing.assert_allclose(x, x_nrn, rtol=1e-12, atol=1e-15)
    assert np.abs(v - v_nrn).max() <= 1e-6
    assert x[-1] == pytest.approx(4 * 0.5 + 20 * 0.05, rel=1e-9)  # four events and 20 ms of rate


def test_pointer_errors(rb):
    ensure_loaded("GapJ", GAP)
    soma = rb.Section(name="soma")
    gap = rb.GapJ(soma(0.5))
    with pytest.raises(ValueError, match=r"GapJ\[\d+\]\.vgap wasn't made to point to anything"):
        rb.finitialize(-65)
    with pytest.raises(ValueError, match="not a POINTER"):
        rb.setpointer(soma(0.5)._ref_v, "g", gap)
    with pytest.raises(TypeError, match="reference such as seg._ref_v"):
        gap._ref_vgap = 3.0
    with pytest.raises(TypeError, match="point process or a density mechanism"):
        rb.setpointer(soma(0.5)._ref_v, "vgap", soma)
    rb.setpointer(soma(0.5)._ref_v, "vgap", gap)
    rb.finitialize(-65)
    assert gap.vgap == -65


def test_before_and_after_blocks_as_neuron(nrn_mechanisms, nrn, rb):
    """BEFORE INITIAL / AFTER INITIAL once per finitialize, BEFORE BREAKPOINT with every current evaluation (one at
    finitialize), AFTER SOLVE after every state update, BEFORE STEP before every recording: counts, the v and t
    they see, and the traces equal NEURON's."""
    ensure_loaded("bacount", BEFORE_AFTER)

    def build(m):
        soma = m.Section(name="soma")
        soma.L = soma.diam = 20
        soma.insert("hh")
        soma.insert("bacount")
        stim = m.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 0.5, 5, 0.3
        vbb = m.Vector().record(soma(0.5)._ref_vbb_bacount)
        m.dt = 0.025
        m.finitialize(-65)
        m.continuerun(1)  # 40 steps
        seg = soma(0.5).bacount
        return [seg.nbi, seg.nai, seg.nbb, seg.nas, seg.nbs, seg.vbb, seg.vas, seg.tas], np.array(vbb), (soma, stim)

    mine, theirs = build(rb), build(nrn)
    assert mine[0][:5] == theirs[0][:5] == [1, 1, 41, 40, 41]
    assert mine[0][5:] == pytest.approx(theirs[0][5:], abs=1e-9)
    assert np.abs(mine[1] - theirs[1]).max() <= 1e-9


def test_for_netcons_as_neuron(nrn_mechanisms, nrn, rb):
    """FOR_NETCONS visits every NetCon that targets the point process (creation order) with its weight vector,
    the delivering NetCon's being NET_RECEIVE's own arguments: weights and v as NEURON's."""
    ensure_loaded("AllCons", FOR_NETCONS)

    def build(m):
        soma = m.Section(name="soma")
        soma.L = soma.diam = 20
        soma.insert("pas")
        stims = [m.NetStim() for _ in range(2)]
        for s, start in zip(stims, (2, 3.3)):
            s.start, s.interval, s.number, s.noise = start, 5, 3, 0
        syns = [m.AllCons(soma(0.5)), m.AllCons(soma(0.5))]
        ncs = [m.NetCon(stims[0], syns[0]), m.NetCon(stims[1], syns[0]), m.NetCon(stims[1], syns[1])]
        for nc, w in zip(ncs, (0.001, 0.002, 0.004)):
            nc.weight[0] = w
        v = m.Vector().record(soma(0.5)._ref_v)
        m.finitialize(-65)
        m.continuerun(20)
        return [list(nc.weight) for nc in ncs], np.array(v), (soma, stims, syns, ncs)

    mine, theirs = build(rb), build(nrn)
    assert [w for ws in mine[0] for w in ws] == pytest.approx([w for ws in theirs[0] for w in ws], rel=1e-12)
    assert mine[0][0][1] == 3 and mine[0][1][1] == 3  # each counted its own deliveries
    assert mine[0][0][0] == pytest.approx(0.001 * 1.1 ** 6)  # six events reached syns[0], each scaled both
    assert np.abs(mine[1] - theirs[1]).max() <= 1e-9


def test_before_after_blocks_and_ions_as_neuron(nrn_mechanisms, nrn, rb):
    """After a BEFORE/AFTER block NEURON adds the mechanism's written currents to the ion once more (so the ion's
    ica holds extra copies after AFTER SOLVE and BEFORE STEP until the next step zeroes it) and assigns written
    concentrations; it copies ion variables in first -- each only when its list of statements has two or more:
    bareads sees its stale cai, baonly's write is lost."""
    for name, text in BA_IONS.items():
        ensure_loaded(name, text)

    def run(m):
        soma, other = m.Section(name="soma"), m.Section(name="other")
        for sec in (soma, other):
            sec.L = sec.diam = 10
        for mech in ("bareads", "baconc", "bareads2"):
            soma.insert(mech)
        other.insert("baonly")
        pp = m.BaPP(other(0.5))
        seg = soma(0.5)
        recs = [m.Vector().record(ref) for ref in (seg._ref_ica, seg._ref_cai, seg._ref_v, seg.bareads._ref_rica,
                                                   seg.bareads._ref_rcai, seg.bareads2._ref_rcai,
                                                   other(0.5)._ref_ica, other(0.5)._ref_cai)]
        m.finitialize(-65)
        for _ in range(4):
            m.fadvance()
        return np.array([np.array(r) for r in recs]), pp

    (mine, _), (theirs, _) = run(rb), run(nrn)
    assert mine == pytest.approx(theirs, rel=1e-12, abs=1e-12)
    ica, cai, v = theirs[0], theirs[1], theirs[2]
    own = (0.001 + 0.002 + 0.003) * (v[:-1] - 50)  # the currents of each step, at its start's v
    # after a step: the currents, then bareads's and baconc's added again at AFTER SOLVE, bareads's and
    # bareads2's (which adds 1 to its own first) at BEFORE STEP; baconc's `ica = 7` BEFORE BREAKPOINT is wiped
    assert ica[1:] == pytest.approx(own + (0.001 + 0.002 + 0.001 + 0.003) * (v[:-1] - 50) + 1)
    assert cai[1:] == pytest.approx(5e-5 + 0.001 * np.arange(1, 5))
    assert theirs[5][1:] == pytest.approx(cai[1:])  # bareads2 copies cai in (two statements)
    assert theirs[4][2:] == pytest.approx(cai[1:-1])  # bareads does not: the copy its state phase made
    assert list(theirs[7]) == [5e-5] * 5  # baonly's assignment is a single statement: dropped


@pytest.mark.parametrize("method", ["euler", "runge"])
def test_kinetic_block_by_explicit_methods_as_neuron(nrn_mechanisms, nrn, rb, method):
    """SOLVE of a KINETIC block with METHOD euler or runge integrates its derivative form (fluxes over
    compartment volumes; CONSERVE ignored), as nocmodl does: the states equal NEURON's through a spike."""
    name = f"kin_{method}"
    ensure_loaded(name, KINETIC_EXPLICIT.replace("@M@", method))

    def run(m):
        soma = m.Section(name="soma")
        soma.L = soma.diam = 20
        soma.insert("hh")
        soma.insert(name)
        stim = m.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 0.5, 0.5, 0.5
        seg = soma(0.5)
        recs = [m.Vector().record(getattr(seg, f"_ref_{x}_{name}")) for x in ("c", "o", "d")]
        v = m.Vector().record(seg._ref_v)
        m.finitialize(-65)
        m.continuerun(5)
        return np.array([np.array(r) for r in recs]), np.array(v), stim

    (mine, v, _), (theirs, _, _) = run(rb), run(nrn)
    assert v.max() > 0  # the rate follows a spike
    assert np.abs(mine - theirs).max() <= 1e-12
    c, o, d = theirs
    # the equations conserve c + o + 2·vol·d (as the CONSERVE, which weights by volume), to the method's error
    assert abs(c[-1] + o[-1] + 4 * d[-1] - 1) < 1e-3 and d[-1] > 0.1


def test_linear_and_nonlinear_blocks_of_state_arrays_as_neuron(nrn_mechanisms, nrn, rb):
    """LINEAR and NONLINEAR blocks whose unknowns are STATE arrays (every element), equations in FROM loops
    included, solved in BREAKPOINT (so after each step), as NEURON's simeq and newton."""
    ensure_loaded("linarr", ALGEBRAIC_ARRAYS)

    def run(m):
        soma = m.Section(name="soma")
        soma.insert("linarr")
        mech = soma(0.5).linarr
        m.finitialize(-65)
        m.fadvance()
        first = [mech.x[k] for k in range(3)] + [mech.z[k] for k in range(3)] + [mech.w[k] for k in range(2)]
        mech.a = 3
        m.fadvance()
        return first + [mech.x[k] for k in range(3)] + [mech.z[k] for k in range(3)] + [mech.w[k] for k in range(2)]

    mine, theirs = run(rb), run(nrn)
    assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    assert mine[:8] == pytest.approx([-1, 2, 1.5, 2, 4, 8, 2, 1])


def test_array_variables_from_python_as_neuron(nrn_mechanisms, nrn, rb):
    """Array variables read, written and recorded NEURON's ways: seg.mech.x[k], seg.x_mech[k], pp.x[k] and the
    _ref_ forms; a bad index is an IndexError."""
    ensure_loaded("linarr", ALGEBRAIC_ARRAYS)
    ensure_loaded("ArrPP", ARRAY_POINT)

    def run(m):
        soma = m.Section(name="soma")
        soma.insert("linarr")
        seg = soma(0.5)
        pp = m.ArrPP(seg)
        pp.k[0], pp.k[1] = 2, 0.5
        recs = [m.Vector().record(r) for r in (seg._ref_x_linarr[1], seg.linarr._ref_z[2], pp._ref_n[2])]
        m.finitialize(-65)
        seg.linarr.w[0] = 3  # Newton starts from here
        m.fadvance()
        seg.x_linarr[0] = 7
        values = [seg.linarr.x[0], len(seg.linarr.x), *seg.linarr.w, *pp.n, len(pp.k)]
        return values, [list(r) for r in recs], (soma, pp)

    mine, theirs = run(rb), run(nrn)
    assert mine[0] == pytest.approx(theirs[0], rel=1e-9)  # NEURON's Newton stops at 1e-10 of w = (2, 1)
    assert mine[1] == theirs[1]
    assert mine[0] == pytest.approx([7, 3, 2, 1, 0.5, 2.5, 4.5, 2], rel=1e-9)
    with pytest.raises(IndexError, match=r"linarr.x\[3\]: index out of range \(0 to 2\)"):
        mine[2][0](0.5).linarr.x[3]
    with pytest.raises(TypeError, match="references cannot be assigned"):
        mine[2][1]._ref_n[0] = 1


def test_for_netcons_in_net_receive_initial_as_neuron(nrn_mechanisms, nrn, rb):
    """FOR_NETCONS in NET_RECEIVE's INITIAL block: each NetCon's INITIAL (creation order) visits every NetCon of
    its target, its own weights being the block's arguments (assigned before the loop, seen in it)."""
    ensure_loaded("ConsInit", FOR_NETCONS_INITIAL)

    def build(m):
        soma = m.Section(name="soma")
        stim = m.NetStim()
        stim.start, stim.number = 1, 1
        syn = m.ConsInit(soma(0.5))
        ncs = [m.NetCon(stim, syn) for _ in range(3)]
        for nc, w in zip(ncs, (1, 2, 4)):
            nc.weight[0] = w
        m.finitialize(-65)
        after_init = ([list(nc.weight) for nc in ncs], syn.n)
        m.continuerun(3)
        return after_init, ([list(nc.weight) for nc in ncs], syn.n)

    mine, theirs = build(rb), build(nrn)
    assert mine == theirs
    # nc0: k = 10, then every k + 1 and n = 7; nc1: k = 20 then + 1 ...; nc2: k = 40, + 1
    assert mine[0] == ([[1, 13], [2, 22], [4, 41]], 21)
    assert mine[1][1] == 21 + 13 + 22 + 41


DENSITY_POINTER = """
NEURON { SUFFIX follow  POINTER src  RANGE k, x }
PARAMETER { k = 0.5 (/ms) }
ASSIGNED { src (mV) }
STATE { x (mV) }
INITIAL { x = src }
BREAKPOINT { SOLVE s METHOD cnexp }
DERIVATIVE s { x' = k * (src - x) }
"""


def test_density_pointers(rb):
    """A POINTER of a density mechanism, per segment (`setpointer(ref, name, seg.mech)`): here x relaxes toward the
    v of another section's segment, read at the start of each phase; every segment must be set."""
    rheobase.compile_mod(DENSITY_POINTER)
    a, b = rb.Section(name="a"), rb.Section(name="b")
    a.nseg = 2
    a.insert("follow")
    b.L = b.diam = 20
    b.insert("hh")
    stim = rb.IClamp(b(0.5))
    stim.delay, stim.dur, stim.amp = 1, 5, 0.5
    rb.setpointer(b(0.5)._ref_v, "src", a(0.25).follow)
    with pytest.raises(ValueError, match=r"a\(0.75\).follow.src wasn't made to point to anything"):
        rb.finitialize(-65)
    rb.setpointer(b(0.5)._ref_v, "src", a(0.75).follow)
    vb, x = rb.Vector().record(b(0.5)._ref_v), rb.Vector().record(a(0.25)._ref_x_follow)
    rb.finitialize(-65)
    rb.continuerun(10)
    vb, x = np.array(vb), np.array(x)
    assert x[0] == -65 and np.ptp(vb) > 50
    # cnexp with the pointer's value at the step's end (nrn_state reads src after v is updated)
    dt, expected = rb.dt, [-65.0]
    for n in range(1, len(vb)):
        expected.append(expected[-1] + (1 - math.exp(-0.5 * dt)) * (vb[n] - expected[-1]))
    assert np.abs(x - np.array(expected)).max() <= 1e-9


def test_function_table_as_neuron(nrn_mechanisms, nrn, rb):
    """FUNCTION_TABLE values from Python: a constant, or values at points (ends held, linear between), as NEURON's
    hoc_func_table; `(yvec, n, min, max)` spreads n values evenly."""
    ensure_loaded("ftab", FUNCTION_TABLE)

    def values(m, setup):
        soma = m.Section(name="soma")
        soma.insert("ftab")
        vectors = setup(m)  # noqa: F841 (NEURON's table points into them: they must stay alive)
        out = []
        for v in (-90, -70, -65.5, -40, 0, 30):
            m.finitialize(v)
            out.append(soma(0.5).ftab.y)
        return out

    def points(m):
        vectors = m.Vector([5, 3, 1, 0.5]), m.Vector([-80, -60, -20, 20])
        m.table_tau1_ftab(*vectors)
        return vectors

    def changed_after(m):
        # NEURON's table points into the Vectors: a change after the call counts (rheobase: at finitialize)
        ys, xs = m.Vector([5, 3, 1, 0.5]), m.Vector([-80, -60, -20, 20])
        m.table_tau1_ftab(ys, xs)
        ys.x[1], xs.x[3] = 4, 40
        return ys, xs

    assert values(rb, points) == pytest.approx(values(nrn, points), rel=1e-15)
    assert values(rb, changed_after) == pytest.approx(values(nrn, changed_after), rel=1e-15)
    assert values(rb, changed_after) != values(rb, points)
    assert values(rb, lambda m: m.table_tau1_ftab(2.5)) == values(nrn, lambda m: m.table_tau1_ftab(2.5)) == [2.5] * 6
    even = values(rb, lambda m: m.table_tau1_ftab(m.Vector([0, 10, 20, 99]), 3, -100, 100))
    assert even == pytest.approx([1, 3, 3.45, 6, 10, 13])
    with pytest.raises(ValueError, match="not same size"):
        rb.table_tau1_ftab(rb.Vector([1, 2]), rb.Vector([1, 2, 3]))
    with pytest.raises(TypeError, match=r"\(value\), \(yvec, xvec\) or \(yvec, n, min, max\)"):
        rb.table_tau1_ftab()


def test_function_tables_of_two_and_three_arguments_as_neuron(nrn_mechanisms, nrn, rb):
    """FUNCTION_TABLEs of several arguments, given NEURON's way (values and points as vec._ref_x[0], each
    argument by its size and range or points): bilinear interpolation in two arguments (NEURON's order of
    operations), the grid value below the arguments in three."""
    ensure_loaded("ftab2", FUNCTION_TABLES_2D_3D)

    def values(m):
        soma = m.Section(name="soma")
        soma.insert("ftab2")
        ys, y3, xs = m.Vector([1, 2, 3, 10, 20, 30]), m.Vector(range(12)), m.Vector([0, 0.2, 2])
        m.table_f2_ftab2(ys._ref_x[0], 2, 0, 1, 3, xs._ref_x[0])
        m.table_f3_ftab2(y3._ref_x[0], 2, 0, 1, 2, 0, 2, 3, 0, 1)
        out = []
        for a, b in [(0, 0), (0.5, 0.5), (0.25, 1.5), (1, 2), (-1, 5), (0.3, 0), (0.7, 0.1), (0.99, 0.19)]:
            soma(0.5).ftab2.a, soma(0.5).ftab2.b = a, b
            m.finitialize(-65)
            out.append((soma(0.5).ftab2.y, soma(0.5).ftab2.z))
        return out

    mine, theirs = values(rb), values(nrn)
    assert mine == theirs
    assert mine[1] == (pytest.approx(11.916666666666668), 1.0)  # checked by hand: bilinear between 4 values
    with pytest.raises(TypeError, match="argument 2 needs min, max or a Vector of points"):
        rb.table_f2_ftab2(rb.Vector([1, 2]), 2, 0, 1, 2)
    with pytest.raises(ValueError, match="the grid has 6 points but only 4 values"):
        rb.table_f2_ftab2(rb.Vector([1, 2, 3, 4]), 2, 0, 1, 3, 0, 1)
    with pytest.raises(ValueError, match="min > max for argument 1"):
        rb.table_f2_ftab2(rb.Vector([1, 2, 3, 4]), 2, 1, 0, 2, 0, 1)


def test_state_discontinuity_outside_net_receive_as_neuron(nrn_mechanisms, nrn, rb):
    """The old-style state_discontinuity in BREAKPOINT assigns once per step, in the first of NEURON's two
    current evaluations (so at v + 0.001 mV, which the bump here depends on), and never in finitialize's
    current evaluation; in INITIAL it assigns (NEURON skips that only in a session's very first finitialize,
    before its flag is first set: both engines initialise twice here)."""
    ensure_loaded("sdisc", STATE_DISCONTINUITY)

    def run(m):
        soma = m.Section(name="soma")
        soma.L = soma.diam = 20
        soma.insert("pas")
        soma.insert("sdisc")
        traces = [m.Vector().record(ref) for ref in (soma(0.5)._ref_v, soma(0.5)._ref_g_sdisc, soma(0.5)._ref_n_sdisc)]
        m.finitialize(-65)
        m.finitialize(-65)
        m.continuerun(7)
        return [np.array(x) for x in traces], soma

    (v, g, n), _ = run(rb)
    (v_nrn, g_nrn, n_nrn), _ = run(nrn)
    assert list(n) == list(n_nrn) and n[0] == 10 and n[-1] == 13  # INITIAL, then one bump per period
    np.testing.assert_allclose(g, g_nrn, rtol=1e-12, atol=1e-18)
    assert np.abs(v - v_nrn).max() <= 1e-6


def test_random_stream_functions_as_neuron(nrn_mechanisms, nrn, rb):
    """Every random_* function of a RANDOM variable, with and without its optional arguments, draws NEURON's
    numbers from the same Random123 stream."""
    ensure_loaded("RFun", RANDOM_FUNCTIONS)

    def draws(m):
        soma = m.Section(name="soma")
        f = m.RFun(soma(0.5))
        m.finitialize(-65)
        return [getattr(f, f"x{k}") for k in range(1, 9)], (soma, f)

    mine, theirs = draws(rb)[0], draws(nrn)[0]
    assert mine == theirs
    assert mine[5] == int(mine[5]) and 0 < mine[6] < 1


def test_two_random_variables_as_neuron(nrn_mechanisms, nrn, rb):
    """Each RANDOM variable has a stream of its own: new ones get ids (1, 0, serial) in declaration order, one
    serial per variable (NEURON's nrnran123_newstream); set from Python, both give NEURON's draws."""
    ensure_loaded("RTwo", TWO_RANDOMS)

    def draws(m):
        soma = m.Section(name="soma")
        first, second = m.RTwo(soma(0.5)), m.RTwo(soma(0.5))
        ids = [list(r.get_ids()) for r in (first.ra, first.rb, second.ra)]
        first.ra.set_ids(1, 2, 3).set_seq(0)
        first.rb.set_ids(4, 5, 6).set_seq(7)
        m.finitialize(-65)
        return [first.x1, first.x2, first.x3, first.x4], ids, (soma, first, second)

    (mine, my_ids, _), (theirs, their_ids, _) = draws(rb), draws(nrn)
    assert mine == theirs
    for ids in (my_ids, their_ids):
        serial = ids[0][2]
        assert ids == [[1, 0, serial], [1, 0, serial + 1], [1, 0, serial + 2]]

    # NEURON's set_ids keeps the block of four words the stream has computed (only set_seq or reaching the
    # next block computes anew): the rest of that block still comes from the old ids.
    pp = rb.RTwo(rb.Section(name="other")(0.5))
    old = [int(x) for x in pp.ra.get_ids()]
    pp.ra.set_ids(7, 8, 9)
    got = [pp.ra.uniform() for _ in range(5)]
    pp.rb.set_ids(*old).set_seq(0)
    want = [pp.rb.uniform() for _ in range(4)]
    pp.rb.set_ids(7, 8, 9).set_seq(4)
    assert got == want + [pp.rb.uniform()]


def test_random_variables_of_density_mechanisms_as_neuron(nrn_mechanisms, nrn, rb):
    """A density mechanism's RANDOM variable: one stream per segment, new ones numbered as NEURON's insert
    allocates them (last segment first, sections in insertion order); when nseg grows, segments NEURON keeps keep
    their streams and the others get new ones in order. Without a current, BREAKPOINT runs once per step, after
    the SOLVEs (NEURON's nrn_state), so the draws are NEURON's."""
    ensure_loaded("rdens", DENSITY_RANDOM)

    def run(m):
        a, b = m.Section(name="a"), m.Section(name="b")
        a.nseg, b.nseg = 3, 2
        b.insert("rdens")
        a.insert("rdens")
        segs = list(a) + list(b)
        serials = [seg.rdens.r.get_ids()[2] for seg in segs]
        for k, seg in enumerate(segs):
            seg.rdens.r.set_ids(2, 0, 100 + k).set_seq(0)
        m.finitialize(-65)
        xs = []
        for _ in range(3):
            m.fadvance()
            xs.append([seg.rdens.x for seg in segs])
        b.nseg = 4
        first = serials[-1]  # b(0.75)'s, the first allocated
        grown = [(*seg.rdens.r.get_ids(), seg.rdens.r.get_seq()) for seg in b]
        grown = [(id3 - first + 1 if id1 == 1 else id3, seq) for id1, _, id3, seq in grown]  # ids (1, 0, new)
        return [s - first + 1 for s in serials], xs, grown, (a, b)

    mine, theirs = run(rb), run(nrn)
    assert mine[0] == theirs[0] == [5, 4, 3, 2, 1]
    assert mine[1] == theirs[1]
    # b(0.25) (ids set to (2, 0, 103)) now at 0.375, b(0.75) (…104) at 0.875, with their positions; new streams
    # between
    assert mine[2] == theirs[2] == [(6, 0), (103, 4), (7, 0), (104, 4)]


def test_density_constructor_and_new_instances_when_nseg_grows_as_neuron(nrn_mechanisms, nrn, rb):
    """A density mechanism's CONSTRUCTOR runs on each instance NEURON allocates, on the defaults: at insert, and for
    the segments nseg adds, whose values NEURON then copies from their source segment (so only the GLOBAL count
    shows it there). Those new instances are allocated segment by segment, each in its source node's order of
    mechanisms (the last inserted first; a node cloned earlier lists them reversed): their RANDOM streams are
    numbered as NEURON's over two growths."""
    for name, text in DENSITY_LIFECYCLE.items():
        ensure_loaded(name, text)

    def run(m):
        s = m.Section(name="s")
        m.count_dcons = 0
        s.insert("dcons")
        s.insert("dcons2")
        first = s(0.5).dcons.r.get_ids()[2]
        seen = [m.count_dcons, s(0.5).dcons.x, s(0.5).dcons2.y]
        s(0.5).dcons.x, s(0.5).dcons2.y = 10, 20
        s.nseg = 3
        seen += [m.count_dcons, [seg.dcons.x for seg in s], [seg.dcons2.y for seg in s]]
        s.nseg = 9
        seen += [m.count_dcons, [(seg.dcons.r.get_ids()[2] - first, seg.dcons2.r.get_ids()[2] - first) for seg in s]]
        return seen, s

    mine, theirs = run(rb)[0], run(nrn)[0]
    assert mine == theirs
    assert mine[:6] == [1, 6, 6, 3, [10, 10, 10], [20, 20, 20]]
    assert mine[6:] == [9, [(6, 7), (3, 2), (8, 9), (11, 10), (0, 1), (13, 12), (14, 15), (5, 4), (16, 17)]]


def test_breakpoint_without_currents_runs_after_the_solve_as_neuron(nrn_mechanisms, nrn, rb):
    """A BREAKPOINT that sets no current is all nrn_state in NEURON: its SOLVEs first, then its other statements,
    at the step's end (new v, new states), and not in finitialize."""
    ensure_loaded("nocur", NO_CURRENT)

    def run(m):
        soma = m.Section(name="soma")
        soma.insert("hh")
        soma.insert("nocur")
        stim = m.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 0.1, 1, 0.3
        a, v = m.Vector().record(soma(0.5)._ref_a_nocur), m.Vector().record(soma(0.5)._ref_v)
        m.finitialize(-65)
        m.continuerun(2)
        return np.array(a), np.array(v), stim

    (a, v, _), (their_a, _, _) = run(rb), run(nrn)
    assert np.abs(a - their_a).max() <= 1e-9
    t = np.arange(len(a)) * rb.dt
    assert a[0] == -1 and np.abs(a[1:] - (v[1:] + t[1:])).max() <= 1e-9


def test_longitudinal_diffusion_as_neuron(nrn_mechanisms, nrn, rb):
    """LONGITUDINAL_DIFFUSION: after the step's solves, each state diffuses between neighbouring segments in one
    backward-Euler step, across sections (attached at 1, mid-section, at the root's 0 end; rallbranch; tapering),
    sealed at the ends and cut where a section lacks the mechanism; the ion keeps the value from before the
    diffusion, as NEURON's."""
    for name, text in DIFFUSION.items():
        ensure_loaded(name, text)

    def run(m):
        a, b, c, e, s, f = (m.Section(name=n) for n in "abcesf")
        a.L, a.nseg = 10, 3
        for seg, d in zip(a, [1.0, 0.8, 0.6]):
            seg.diam = d
        b.L, b.nseg, b.diam, b.rallbranch = 10, 2, 0.5, 2
        c.L, c.nseg, c.diam = 6, 2, 0.4
        e.L, e.nseg, e.diam = 4, 1, 0.7
        s.L, s.nseg, s.diam = 5, 1, 0.5
        f.L, f.nseg, f.diam = 5, 2, 0.5
        b.connect(a(1))
        c.connect(a(0.5))
        e.connect(a(0))
        s.connect(b(1))
        f.connect(s(1))
        for sec in (a, b, c, e, f):
            sec.insert("cadif")
        a(0.5).cadif.ca0, f(0.25).cadif.ca0, e(0.5).cadif.ca0 = 1, 0.5, 0.25
        shells = m.Section(name="shells")
        shells.L, shells.diam, shells.nseg = 10, 1, 3
        shells.insert("cashell")
        shells(0.5).cashell.ca0 = 1
        segs = [seg for sec in (a, b, c, e, f) for seg in sec]
        m.finitialize(-65)
        out = []
        for _ in range(4):
            m.fadvance()
            out.append([seg.cadif.ca for seg in segs] + [seg.cai for seg in segs]
                       + [seg.cashell.ca[i] for seg in shells for i in range(4)] + [seg.cai for seg in shells])
        return np.array(out), (a, b, c, e, s, f, shells)

    (mine, _), (theirs, _) = run(rb), run(nrn)
    assert np.abs(mine - theirs).max() <= 1e-15
    n = 10  # cadif segments: a's 3, b's 2, c's 2, e's 1, f's 2
    assert abs(theirs[-1][n - 2:n].sum() - 0.5) < 1e-12 < theirs[-1][n - 1]  # f: on its own, behind s
    assert theirs[-1][3:8].min() > 0  # b, c and e took calcium from a
    assert list(theirs[1][n:2 * n]) == list(theirs[0][:n])  # cai: before this step's diffusion


def test_constructor_and_destructor_of_a_point_process_as_neuron(nrn_mechanisms, nrn, rb):
    """A point process's CONSTRUCTOR runs as it is created (on its default values) and its DESTRUCTOR as it is
    deleted, as NEURON's: here they count the live instances in a GLOBAL."""
    ensure_loaded("Lifecycle", LIFECYCLE)

    def run(m):
        soma = m.Section(name="soma")
        m.count_Lifecycle = 0
        a = m.Lifecycle(soma(0.5))
        b = m.Lifecycle(soma(0.5))
        seen = [m.count_Lifecycle, a.x, b.x]
        del a
        return seen + [m.count_Lifecycle], (soma, b)

    (mine, _), (theirs, _) = run(rb), run(nrn)
    assert mine == theirs == [2, 6, 6, 1]


def test_external_variables_as_neuron(nrn_mechanisms, nrn, rb):
    """EXTERNAL names another mechanism's GLOBAL: its default, and what Python sets, whether or not that mechanism
    is inserted anywhere."""
    for name in ("extuser", "extowner"):  # the user first: resolved when the model runs, not at load
        ensure_loaded(name, EXTERNALS[name])

    def run(m):
        soma = m.Section(name="soma")
        soma.insert("extuser")
        m.finitialize(-65)
        first = soma(0.5).extuser.y
        m.q_extowner = 7
        m.finitialize(-65)
        m.q_extowner = 4
        return [first, soma(0.5).extuser.y], soma

    assert run(rb)[0] == run(nrn)[0] == [8, 14]


def test_derivative_steady_state_as_neuron(nrn_mechanisms, rb):
    """STEADYSTATE derivimplicit: NEURON 9's threaded solver sets dt to 1e-9 ms (not the 1e9 of its old
    non-threaded one), so INITIAL's x = 0.1 moves by only 1e-9·(0.7 − 0.1)/5; rheobase gives the same numbers.
    NEURON runs in a process of its own: once such a mechanism's instances are freed, its next run crashes."""
    ensure_loaded("ssd", STEADY_DERIVATIVE)

    def run(m):
        soma = m.Section(name="soma")
        soma.insert("ssd")
        x = m.Vector().record(soma(0.5)._ref_x_ssd)
        m.finitialize(-65)
        m.continuerun(2)
        return np.array(x)

    script = (
        "import json, neuron\n"
        "from neuron import h\n"
        f"neuron.load_mechanisms({str(nrn_mechanisms)!r}, warn_if_already_loaded=False)\n"
        "h.load_file('stdrun.hoc')\n"
        "soma = h.Section(name='soma')\n"
        "soma.insert('ssd')\n"
        "x = h.Vector().record(soma(0.5)._ref_x_ssd)\n"
        "h.finitialize(-65)\n"
        "h.continuerun(2)\n"
        "print(json.dumps(list(x)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    theirs = np.array(json.loads(done.stdout.strip().splitlines()[-1]))
    mine = run(rb)
    assert mine[0] == pytest.approx(0.1 + 1e-9 * 0.6 / 5, rel=1e-12)
    np.testing.assert_allclose(mine, theirs, rtol=1e-13)
