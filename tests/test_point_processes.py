"""Built-in point processes beyond IClamp and the synapses: SEClamp, APCount, AlphaSynapse and
VecStim, cross-checked against NEURON 9.0.2 in the same test.

Pinned: SEClamp's current trace (three levels, the after-step recomputation NEURON records, the
clamp switching off), APCount's count, crossing times and `record`, AlphaSynapse's current, and
VecStim's spikes (NEURON's wheel has no VecStim, so its side plays the same times with
`nc.event`).
"""

import numpy as np
import pytest


def clamped_cell(sim, rs=0.5):
    """An hh soma with a passive dendrite clamped through an SEClamp; an AlphaSynapse on the soma."""
    soma = sim.Section(name="soma")
    soma.L = soma.diam = 20
    soma.insert("hh")
    dend = sim.Section(name="dend")
    dend.connect(soma(1))
    dend.L, dend.diam, dend.nseg = 100, 1, 5
    dend.insert("pas")
    se = sim.SEClamp(dend(0.3))
    se.dur1, se.amp1, se.dur2, se.amp2, se.dur3, se.amp3 = 1, -65, 1, -20, 0.5, -50
    se.rs = rs
    alpha = sim.AlphaSynapse(soma(0.5))
    alpha.onset, alpha.tau, alpha.gmax = 3, 0.5, 0.02
    recs = {"i": sim.Vector().record(se._ref_i), "vc": sim.Vector().record(se._ref_vc),
            "v": sim.Vector().record(soma(0.5)._ref_v), "alpha_i": sim.Vector().record(alpha._ref_i)}
    sim.finitialize(-70)
    sim.continuerun(10)
    return {k: np.array(v) for k, v in recs.items()}


@pytest.mark.parametrize("rs", [0.5, 1.0])
def test_seclamp_and_alphasynapse_traces(nrn, rb, rs):
    want, got = clamped_cell(nrn, rs), clamped_cell(rb, rs)
    np.testing.assert_array_equal(got["vc"], want["vc"])
    # i = (vc − v)/rs with rs 0.5 MΩ amplifies v's rounding differences twofold.
    np.testing.assert_allclose(got["i"], want["i"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(got["v"], want["v"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(got["alpha_i"], want["alpha_i"], rtol=0, atol=1e-12)
    assert want["i"][0] == 5.0 / rs  # (amp1 − v_init)/rs at t = 0
    assert want["vc"][-1] == 0.0 and want["i"][-1] == 0.0  # off after dur1 + dur2 + dur3


def apcount_run(sim, v_init=-65.0, thresh=None):
    soma = sim.Section(name="soma")
    soma.L = soma.diam = 20
    soma.insert("hh")
    stim = sim.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 1, 30, 0.3
    apc = sim.APCount(soma(0.5))
    if thresh is not None:
        apc.thresh = thresh
    times = sim.Vector()
    apc.record(times)
    detector = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
    detector.threshold = apc.thresh
    spikes = sim.Vector()
    detector.record(spikes)
    sim.finitialize(v_init)
    first = (apc.n, apc.time, apc.firing)
    sim.continuerun(25)
    return first, (apc.n, apc.time, apc.firing), list(times), list(spikes)


@pytest.mark.parametrize("v_init, thresh", [(-65.0, None), (-65.0, 0.0), (-10.0, None)])
def test_apcount(nrn, rb, v_init, thresh):
    want, got = apcount_run(nrn, v_init, thresh), apcount_run(rb, v_init, thresh)
    assert got == want
    first, last, times, spikes = want
    assert last[0] == len(times) >= 2
    if v_init < -20:
        # APCount's time is the first sample at or above thresh; the NetCon adds 1e-10 ms.
        np.testing.assert_allclose(np.array(times) + 1e-10, spikes, rtol=0, atol=1e-12)
    else:
        assert first == (1.0, 0.0, 1.0)  # v_init above thresh counts at finitialize


def test_apcount_record_stops_and_restarts(rb):
    soma = rb.Section(name="s")
    soma.insert("hh")
    soma.L = soma.diam = 20
    stim = rb.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 1, 30, 0.3
    apc = rb.APCount(soma(0.5))
    vec = rb.Vector()
    apc.record(vec)
    rb.finitialize(-65)
    rb.continuerun(10)
    kept = list(vec)
    apc.record()  # detach: vec keeps what it had, later crossings are not added
    rb.continuerun(25)
    assert list(vec) == kept and apc.n > len(kept)
    with pytest.raises(TypeError):
        apc.record([1.0])


VECSTIM_TIMES = [0.5, 1.0, 1.0125, 2.3333, 7.0, 7.0, 12.5]


def vecstim_run(sim, times, via_vecstim):
    soma = sim.Section(name="soma")
    soma.insert("pas")
    syn = sim.ExpSyn(soma(0.5))
    syn.tau = 2
    out = sim.Vector()
    if via_vecstim:
        vs = sim.VecStim()
        vs.play(sim.Vector(times))
        nc = sim.NetCon(vs, syn)
        sim.NetCon(vs, None).record(out)
    else:
        nc = sim.NetCon(None, syn)
    nc.weight[0], nc.delay = 0.01, 0
    g = sim.Vector().record(syn._ref_g)
    sim.finitialize(-65)
    if not via_vecstim:
        for t in times:
            nc.event(t)
    sim.continuerun(15)
    return np.array(g), list(out)


def test_vecstim_plays_its_times(nrn, rb):
    want_g, _ = vecstim_run(nrn, VECSTIM_TIMES, via_vecstim=False)
    got_g, spikes = vecstim_run(rb, VECSTIM_TIMES, via_vecstim=True)
    assert spikes == VECSTIM_TIMES
    np.testing.assert_array_equal(got_g, want_g)


def test_vecstim_sees_vector_changes_at_finitialize_and_stops(rb):
    soma = rb.Section(name="soma")
    vs = rb.VecStim()
    tvec = rb.Vector([1.0, 2.0])
    vs.play(tvec)
    out = rb.Vector()
    nc = rb.NetCon(vs, None)
    nc.record(out)
    rb.finitialize(-65)
    rb.continuerun(5)
    assert list(out) == [1.0, 2.0]
    tvec.append(3.0)
    rb.finitialize(-65)
    rb.continuerun(5)
    assert list(out) == [1.0, 2.0, 3.0]
    vs.play()
    rb.finitialize(-65)
    rb.continuerun(5)
    assert list(out) == []
    with pytest.raises(TypeError):
        vs.play([1.0, 2.0])
    del soma


def vclamped(sim, tau2, fac):
    soma = sim.Section(name="soma")
    soma.L = soma.diam = 20
    soma.insert("hh")
    dend = sim.Section(name="dend")
    dend.connect(soma(1))
    dend.L, dend.diam, dend.nseg = 200, 1, 5
    dend.insert("pas")
    vc = sim.VClamp(soma(0.5))
    for j, (dur, amp) in enumerate([(2, -65), (3, -10), (2, -40)]):
        vc.dur[j], vc.amp[j] = dur, amp
    vc.tau2, vc.fac = tau2, fac
    recs = [sim.Vector().record(r) for r in (vc._ref_i, vc._ref_vo, soma(0.5)._ref_v, dend(0.9)._ref_v)]
    sim.finitialize(-70)
    sim.continuerun(10)
    return [np.array(r) for r in recs] + [(vc.dur[1], vc.amp[2])]


@pytest.mark.parametrize("tau2, fac", [(0.0, 0.0), (0.01, 0.0), (0.005, 0.5)])
def test_vclamp(nrn, rb, tau2, fac):
    want, got = vclamped(nrn, tau2, fac), vclamped(rb, tau2, fac)
    assert got[4] == want[4] == (3.0, -40.0)
    scale = np.abs(want[0]).max()  # the clamp current reaches 1e5 nA at the steps
    np.testing.assert_allclose(got[0], want[0], rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(got[1], want[1], rtol=0, atol=1e-10 * np.abs(want[1]).max())
    np.testing.assert_allclose(got[2], want[2], rtol=0, atol=1e-6)
    np.testing.assert_allclose(got[3], want[3], rtol=0, atol=1e-6)
    if fac == 0:
        assert abs(want[2][int(4 / 0.025)] - (-10)) < 0.5  # the soma follows the command


def test_vclamp_levels_are_three(rb):
    soma = rb.Section(name="soma")
    vc = rb.VClamp(soma(0.5))
    assert list(vc.dur) == [0.0, 0.0, 0.0] and vc.gain == 1e5 and vc.rstim == 1.0
    with pytest.raises(IndexError):
        vc.dur[3] = 1
    with pytest.raises(TypeError):
        vc.amp[0] = "x"
