"""NMODL mechanisms against NEURON (issue 5): the `.mod` files the neuron 9.0.2 wheel ships, loaded
by rheobase at run time and compiled for NEURON by its nrnivmodl, give the same voltage traces
(max |Δv| ≤ 1e-6 mV). Files named like a NEURON built-in (hh, pas) get another SUFFIX in both
engines, since NEURON cannot load a second `hh`. Skipped when nrnivmodl cannot compile (no C
compiler)."""

import os
import shutil
import subprocess

import numpy as np
import pytest

import rheobase
import rheobase.nmodl

neuron = pytest.importorskip("neuron")
SHARE = os.path.join(os.path.dirname(neuron.__file__), ".data", "share")
RELEASE = os.path.join(SHARE, "nrn", "demo", "release")
MODFILE = os.path.join(SHARE, "modfile")

# file -> {old SUFFIX: new SUFFIX} for names NEURON has built in.
RENAMED = {
    os.path.join(MODFILE, "hh.mod"): {"hh": "hh_mod"},
    os.path.join(MODFILE, "passive.mod"): {"pas": "pas_mod"},
}
DENSITY_FILES = [os.path.join(MODFILE, "hh.mod"), os.path.join(MODFILE, "passive.mod")] + [
    os.path.join(RELEASE, f) for f in ("nachan.mod", "khhchan.mod", "cachan1.mod", "camchan.mod", "capump.mod",
                                       "nacaex.mod")]


def source_of(path):
    with open(path) as f:
        text = f.read()
    for old, new in RENAMED.get(path, {}).items():
        text = text.replace(f"SUFFIX {old}", f"SUFFIX {new}")
    return text


@pytest.fixture(scope="session")
def nrn_mechanisms(tmp_path_factory):
    """NEURON with the files compiled by nrnivmodl (once per session)."""
    if shutil.which("nrnivmodl") is None:
        pytest.skip("nrnivmodl is not available")
    folder = tmp_path_factory.mktemp("nrnivmodl")
    for path in DENSITY_FILES:
        (folder / os.path.basename(path)).write_text(source_of(path))
    done = subprocess.run(["nrnivmodl"], cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"nrnivmodl could not compile the .mod files: {done.stderr[-500:]}")
    assert neuron.load_mechanisms(str(folder), warn_if_already_loaded=False)
    return folder


@pytest.fixture(scope="module")
def rb_mechanisms():
    return [rheobase.compile_mod(source_of(p), p) for p in DENSITY_FILES]


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
