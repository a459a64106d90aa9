"""The reference run of DESIGN.md / reference/neuron.md §1.9: a 500 µm² hh soma.

L = diam = 12.6157 µm, hh, IClamp(0.5) 0.1 nA from 2 ms for 0.5 ms, finitialize(-65),
continuerun(40), dt 0.025. NEURON 9.0.2 gives 1601 samples, v(5 ms) = 2.072422956293058 mV and one
spike: a NetCon with its default threshold (10 mV) records 3.9500000001 — the first sample with
v > 10 mV is at t = 3.95 (index 158) and the spike time is that step's t + 1e-10.
"""

import numpy as np
import pytest

from conftest import assert_trace_close

neuron = pytest.importorskip("neuron")

V5_REFERENCE = 2.072422956293058  # mV at t = 5 ms (index 200), NEURON 9.0.2
SPIKE_REFERENCE = 3.95  # ms: first sample above the NetCon default threshold of 10 mV
THRESHOLD = 10.0  # mV, NetCon default


def reference_soma(sim, secondorder=0, celsius=6.3):
    sim.load_file("stdrun.hoc")
    sim.secondorder = secondorder
    sim.celsius = celsius
    soma = sim.Section("soma")
    soma.L = soma.diam = 12.6157
    soma.insert("hh")
    stim = sim.IClamp(soma(0.5))
    stim.delay = 2
    stim.dur = 0.5
    stim.amp = 0.1
    v = sim.Vector().record(soma(0.5)._ref_v)
    t = sim.Vector().record(sim._ref_t)
    sim.finitialize(-65)
    sim.continuerun(40)
    return np.array(t), np.array(v)


def reference_soma_netcon(sim):
    """Same model; spikes recorded by a NetCon watching soma(0.5).v (default threshold 10 mV)."""
    sim.load_file("stdrun.hoc")
    soma = sim.Section("soma")
    soma.L = soma.diam = 12.6157
    soma.insert("hh")
    stim = sim.IClamp(soma(0.5))
    stim.delay = 2
    stim.dur = 0.5
    stim.amp = 0.1
    nc = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
    spikes = sim.Vector()
    nc.record(spikes)
    sim.finitialize(-65)
    sim.continuerun(40)
    return np.array(spikes), nc.threshold


def upward_crossings(t, v, threshold=THRESHOLD):
    """Times of the samples where v first exceeds `threshold` after being at or below it (the step
    at whose start NEURON's threshold detection fires)."""
    k = np.nonzero((v[:-1] <= threshold) & (v[1:] > threshold))[0] + 1
    return t[k]


def _check_reference(t, v, who):
    assert len(t) == len(v) == 1601, f"{who}: {len(t)} samples"
    assert t[-1] == pytest.approx(40.0, abs=1e-9), who
    assert t[200] == pytest.approx(5.0, abs=1e-9), who
    assert abs(v[200] - V5_REFERENCE) <= 1e-6, f"{who}: v(5 ms) = {v[200]!r}, expected {V5_REFERENCE!r}"
    spikes = upward_crossings(t, v)
    assert len(spikes) == 1, f"{who}: spikes at {spikes}"
    assert spikes[0] == pytest.approx(SPIKE_REFERENCE, abs=1e-9), f"{who}: spike at {spikes[0]!r}"


def test_reference_soma_neuron(nrn):
    t, v = reference_soma(nrn)
    _check_reference(t, v, "NEURON")
    assert v.max() == pytest.approx(38.8346, abs=1e-4)


def test_reference_soma_rheobase(rb):
    t, v = reference_soma(rb)
    _check_reference(t, v, "rheobase")


def test_reference_soma_matches_neuron(nrn, rb):
    t_nrn, v_nrn = reference_soma(nrn)
    t_rb, v_rb = reference_soma(rb)
    assert_trace_close(t_rb, t_nrn, 1e-9, "t")
    assert_trace_close(v_rb, v_nrn, 1e-6, "soma(0.5).v")
    np.testing.assert_array_equal(upward_crossings(t_rb, v_rb), upward_crossings(t_nrn, v_nrn))


@pytest.mark.parametrize(
    "secondorder, celsius",
    [(2, 6.3), (1, 6.3), (0, 16.3)],
    ids=["secondorder2", "secondorder1", "celsius16.3"],
)
def test_reference_soma_variants_match_neuron(nrn, rb, secondorder, celsius):
    t_nrn, v_nrn = reference_soma(nrn, secondorder=secondorder, celsius=celsius)
    t_rb, v_rb = reference_soma(rb, secondorder=secondorder, celsius=celsius)
    assert_trace_close(t_rb, t_nrn, 1e-9, "t")
    assert_trace_close(v_rb, v_nrn, 1e-6, "soma(0.5).v")
    np.testing.assert_array_equal(upward_crossings(t_rb, v_rb), upward_crossings(t_nrn, v_nrn))


def test_reference_soma_spike_time_is_netcon_detection_step(nrn, rb):
    """NEURON's NetCon reports the spike at the start of the step whose initial v exceeds the
    threshold, plus 1e-10 ms; rheobase's NetCon reports the same time, and its trace puts the
    first sample above 10 mV at exactly that step."""
    spikes_nrn, thr_nrn = reference_soma_netcon(nrn)
    assert thr_nrn == 10.0
    np.testing.assert_allclose(spikes_nrn, [3.9500000001], rtol=0, atol=1e-12)
    spikes_rb, thr_rb = reference_soma_netcon(rb)
    assert thr_rb == 10.0
    np.testing.assert_array_equal(spikes_rb, spikes_nrn)
    t_rb, v_rb = reference_soma(rb)
    np.testing.assert_allclose(upward_crossings(t_rb, v_rb) + 1e-10, spikes_nrn, rtol=0, atol=1e-12)
