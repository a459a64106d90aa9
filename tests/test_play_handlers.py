"""Vector.play, FInitializeHandler and CVode.event against NEURON 9.0.2 in the same test.

Pinned: discrete plays (an interval, a time Vector, times between steps and on half steps)
and continuous plays (interpolation within the segment of the last delivered time, extended
beyond it, repeated times) into IClamp.amp, their effect on v, a play into a density
parameter; the order of the four FInitializeHandler types relative to INITIAL, the t = 0
events and record; the step at which a CVode.event callback runs and what t it sees.
"""

import numpy as np
import pytest

AMPS = [0, 3, -1, 4, 4, 2, 7, 0, 1]
PLAY_TIMES = {
    "on-grid": [0, 0.025, 0.05, 0.1, 0.1, 0.15, 0.2, 0.3, 0.325],
    "between-steps": [0, 0.03, 0.05, 0.1, 0.1, 0.16, 0.2125, 0.3, 0.33],
    "half-steps-and-negative": [-0.1, 0.0125, 0.05, 0.0875, 0.1, 0.16, 0.2125, 0.3, 0.5],
}


def played_clamp(sim, times, continuous):
    soma = sim.Section(name="soma")
    soma.insert("pas")
    stim = sim.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 0, 1e9, -99
    y = sim.Vector(AMPS)
    if times is None:
        y.play(stim._ref_amp, 0.05)
    else:
        tvec = sim.Vector(times)
        y.play(stim._ref_amp, tvec, continuous)
    recs = [sim.Vector().record(stim._ref_amp), sim.Vector().record(stim._ref_i),
            sim.Vector().record(soma(0.5)._ref_v)]
    sim.finitialize(-65)
    sim.continuerun(0.6)
    return [np.array(r) for r in recs]


@pytest.mark.parametrize("times", [None] + list(PLAY_TIMES), ids=["dt"] + list(PLAY_TIMES))
@pytest.mark.parametrize("continuous", [False, True], ids=["discrete", "continuous"])
def test_play_into_iclamp_amp(nrn, rb, times, continuous):
    if times is None and continuous:
        pytest.skip("a continuous play needs times (tested in test_play_errors)")
    tv = None if times is None else PLAY_TIMES[times]
    want, got = played_clamp(nrn, tv, continuous), played_clamp(rb, tv, continuous)
    np.testing.assert_array_equal(got[0], want[0])  # amp, sample by sample
    np.testing.assert_array_equal(got[1], want[1])  # i, evaluated at the step midpoints
    np.testing.assert_allclose(got[2], want[2], rtol=0, atol=1e-9)
    assert len(set(want[0])) > 3  # the play did change amp


def played_gbar(sim):
    soma = sim.Section(name="soma")
    soma.L = soma.diam = 20
    soma.insert("hh")
    stim = sim.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 1, 20, 0.2
    gk = sim.Vector([0.036, 0.01, 0.05])
    tvec = sim.Vector([0, 5, 12])
    gk.play(soma(0.5)._ref_gkbar_hh, tvec, True)
    v = sim.Vector().record(soma(0.5)._ref_v)
    g = sim.Vector().record(soma(0.5)._ref_gkbar_hh)
    sim.finitialize(-65)
    sim.continuerun(20)
    return np.array(v), np.array(g)


def test_continuous_play_into_a_density_parameter(nrn, rb):
    (v_n, g_n), (v_r, g_r) = played_gbar(nrn), played_gbar(rb)
    np.testing.assert_array_equal(g_r, g_n)
    np.testing.assert_allclose(v_r, v_n, rtol=0, atol=1e-6)


def test_play_remove_and_vector_changes(rb):
    soma = rb.Section(name="soma")
    stim = rb.IClamp(soma(0.5))
    y = rb.Vector([1.0, 2.0])
    y.play(stim._ref_amp, 0.1)
    amp = rb.Vector().record(stim._ref_amp)
    rb.finitialize(-65)
    rb.continuerun(0.3)
    assert set(amp) == {1.0, 2.0}
    y.x[1] = 5.0  # seen from the next finitialize on, as NEURON reads the live Vector
    rb.finitialize(-65)
    rb.continuerun(0.3)
    assert set(amp) == {1.0, 5.0}
    y.play_remove()
    stim.amp = 0.5
    rb.finitialize(-65)
    rb.continuerun(0.3)
    assert set(amp) == {0.5}


def test_play_errors(rb):
    soma = rb.Section(name="soma")
    stim = rb.IClamp(soma(0.5))
    y = rb.Vector([1.0, 2.0])
    with pytest.raises(ValueError, match="continuous"):
        y.play(stim._ref_amp, 0.1, True)
    with pytest.raises(ValueError, match="non-decreasing"):
        y.play(stim._ref_amp, rb.Vector([1.0, 0.5]))
    with pytest.raises(ValueError, match="continuous"):
        y.play(stim._ref_amp, rb.Vector([0.0, 1.0, 2.0]), True)  # 3 times, 2 values
    with pytest.raises(ValueError):
        y.play(stim._ref_amp, 0.0)
    with pytest.raises(ValueError):
        y.play(rb._ref_t, 0.1)
    with pytest.raises(TypeError):
        y.play(stim._ref_amp, "0.1")
    with pytest.raises(TypeError):
        y.play(3.0, 0.1)


def handler_order(sim):
    """What each FInitializeHandler type and a CVode event at 0 see during finitialize, and the
    time each later CVode event sees."""
    out = []
    soma = sim.Section(name="soma")
    soma.insert("hh")
    syn = sim.ExpSyn(soma(0.5))
    stim = sim.NetStim()
    stim.start, stim.number = 0, 1
    nc = sim.NetCon(stim, syn)
    nc.weight[0], nc.delay = 0.01, 0
    vrec = sim.Vector().record(soma(0.5)._ref_v)

    def seen(kind):
        out.append((kind, sim.t, soma(0.5).m_hh, syn.g, len(vrec)))

    handlers = [sim.FInitializeHandler(k, lambda k=k: seen(k)) for k in (2, 0, 3, 1)]
    cv = sim.CVode()

    def schedule():
        cv.event(0.0, lambda: seen("event at 0"))
        for te in (0.5, 0.5124, 0.5125, 0.52, 1.0, 1.1999):
            cv.event(te, lambda te=te: out.append((te, sim.t)))

    handlers.append(sim.FInitializeHandler(schedule))
    sim.finitialize(-65)
    sim.continuerun(1.2)
    cv.event(0.2, lambda: out.append("in the past"))
    sim.continuerun(1.3)
    out.append(("end", sim.t, len(vrec)))
    return out


def test_finitialize_handlers_and_cvode_events(nrn, rb):
    want, got = handler_order(nrn), handler_order(rb)
    assert got == want
    assert [w[0] for w in want[:5]] == [3, 0, 1, "event at 0", 2]
    assert (1.0, 0.9999999999999984) in want


def test_cvode_is_the_fixed_step(rb):
    assert rb.cvode.active() == 0 and rb.CVode().active() == 0
    with pytest.raises(NotImplementedError, match="variable time step"):
        rb.cvode.active(1)
    with pytest.raises(TypeError):
        rb.cvode.event(1.0, "hoc statement")
    with pytest.raises(ValueError):
        rb.FInitializeHandler(5, lambda: None)
    with pytest.raises(TypeError):
        rb.FInitializeHandler(1, 3)


def test_handler_stops_when_garbage_and_events_in_psolve(rb):
    calls = []
    handler = rb.FInitializeHandler(lambda: calls.append("init"))
    rb.Section(name="soma")
    rb.finitialize(-65)
    del handler
    rb.finitialize(-65)
    assert calls == ["init"]
    pc = rb.ParallelContext()
    pc.set_maxstep(10)
    rb.cvode.event(0.5, lambda: calls.append(rb.t))
    pc.psolve(1)
    assert calls == ["init", 0.5000000000000002] and rb.t == pytest.approx(1.0)
