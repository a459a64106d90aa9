"""A small branched cell run through NEURON and rheobase with the same code.

soma (hh, nseg 1) with four dendrites exercising the tree rules of reference/neuron.md §2:
- dend1: nseg 3, tapered per-segment diam, pas, at soma(1)
- dend2: nseg 8 (even), hh with other densities, cm 2, at soma(0.5) (an interior parent node)
- dend3: nseg 5, pas, connected by its 1 end to dend1(1) (orientation 1)
- dend4: nseg 2, pas, at soma(0)
- dend5: nseg 1, no mechanisms, at dend2(0.3) (interior node of a child)
Two IClamps (soma(0.5) and the tip dend3(0)). Recorded: v at x = 0, 0.5, 1 of every section,
hh gate m, ina, ik and both clamp currents.
"""

import numpy as np
import pytest

from conftest import assert_traces_close

neuron = pytest.importorskip("neuron")


def tolerance(name):
    if name == "t":
        return 1e-9  # ms
    if name.endswith(".v"):
        return 1e-6  # mV
    if name.endswith(".m"):
        return 1e-8  # dimensionless gate
    if name.endswith((".ina", ".ik")):
        return 1e-7  # mA/cm2
    return 1e-12  # IClamp.i (nA): either 0 or amp


def build_cell(sim):
    soma = sim.Section("soma")
    soma.L = 20
    soma.diam = 20
    soma.Ra = 123
    soma.insert("hh")

    dend1 = sim.Section("dend1")
    dend1.nseg = 3
    dend1.L = 150
    dend1.Ra = 150
    dend1.insert("pas")
    for seg, d in zip(dend1, [2.0, 1.5, 1.0]):
        seg.diam = d
        seg.pas.g = 1e-4
        seg.pas.e = -65
    dend1.connect(soma(1))

    dend2 = sim.Section("dend2")
    dend2.nseg = 8
    dend2.L = 300
    dend2.diam = 1.2
    dend2.Ra = 80
    dend2.cm = 2
    dend2.insert("hh")
    for seg in dend2:
        seg.hh.gnabar = 0.06 + 0.02 * seg.x
        seg.hh.gkbar = 0.02
        seg.hh.gl = 1e-4
    dend2.connect(soma(0.5))

    dend3 = sim.Section("dend3")
    dend3.nseg = 5
    dend3.L = 100
    dend3.diam = 0.8
    dend3.Ra = 200
    dend3.insert("pas")
    dend3.g_pas = 2e-4
    dend3.e_pas = -70
    dend3.connect(dend1(1), 1)

    dend4 = sim.Section("dend4")
    dend4.nseg = 2
    dend4.L = 60
    dend4.diam = 3
    dend4.insert("pas")
    dend4.connect(soma(0))

    dend5 = sim.Section("dend5")
    dend5.L = 40
    dend5.diam = 0.5
    dend5.connect(dend2(0.3))
    return [soma, dend1, dend2, dend3, dend4, dend5]


def branched(sim, secondorder=0):
    sim.load_file("stdrun.hoc")
    sim.secondorder = secondorder
    secs = build_cell(sim)
    soma, dend1, dend2, dend3 = secs[:4]

    ic_soma = sim.IClamp(soma(0.5))
    ic_soma.delay = 1
    ic_soma.dur = 2
    ic_soma.amp = 0.4
    ic_tip = sim.IClamp(dend3(0))  # the far tip: dend3 hangs from its 1 end
    ic_tip.delay = 12
    ic_tip.dur = 1
    ic_tip.amp = 0.3

    recs = {"t": sim.Vector().record(sim._ref_t)}
    for sec in secs:
        for x in (0, 0.5, 1):
            recs[f"{sec.name()}({x}).v"] = sim.Vector().record(sec(x)._ref_v)
    recs["soma(0.5).hh.m"] = sim.Vector().record(soma(0.5).hh._ref_m)
    recs["dend2(0.3).hh.m"] = sim.Vector().record(dend2(0.3).hh._ref_m)
    recs["soma(0.5).ina"] = sim.Vector().record(soma(0.5)._ref_ina)
    recs["dend2(0.9).ik"] = sim.Vector().record(dend2(0.9)._ref_ik)
    recs["ic_soma.i"] = sim.Vector().record(ic_soma._ref_i)
    recs["ic_tip.i"] = sim.Vector().record(ic_tip._ref_i)

    sim.finitialize(-65)
    sim.continuerun(30)
    return {name: np.array(vec) for name, vec in recs.items()}


def geometry(sim):
    """area(), ri(), volume() of every segment including the x=0 and x=1 ends."""
    secs = build_cell(sim)
    out = {}
    for sec in secs:
        for seg in sec.allseg():
            out[str(seg)] = (seg.area(), seg.ri(), seg.volume())
    return out


def test_branched_traces(nrn, rb):
    ref = branched(nrn)
    got = branched(rb)
    assert len(ref["t"]) == 1201
    # sanity: the soma spikes and the spike reaches the dend2 tip
    assert ref["soma(0.5).v"].max() > 0 and ref["dend2(1).v"].max() > 0
    # x=0 of a child is its parent's node
    np.testing.assert_array_equal(ref["dend1(0).v"], ref["soma(1).v"])
    np.testing.assert_array_equal(ref["dend2(0).v"], ref["soma(0.5).v"])
    assert_traces_close(got, ref, tolerance)


def test_branched_traces_secondorder_2(nrn, rb):
    ref = branched(nrn, secondorder=2)
    got = branched(rb, secondorder=2)
    assert_traces_close(got, ref, tolerance, prefix="secondorder=2: ")


def test_branched_geometry(nrn, rb):
    ref = geometry(nrn)
    got = geometry(rb)
    assert list(got) == list(ref)
    for name in ref:
        for what, a, b in zip(("area", "ri", "volume"), got[name], ref[name]):
            assert a == pytest.approx(b, rel=1e-12, abs=0), f"{name}.{what}(): {a!r} != NEURON {b!r}"
