"""Vector.record schedules against NEURON: every step, every Dt, and at the times of a Vector.

NEURON takes timed samples through its event queue: a sample due at te is taken at the start of
the step from t when te <= t + dt/2, otherwise at the end of the step that reaches te. A recorded
`_ref_t` stores the scheduled time for Dt recordings and the (not yet advanced) global t for
Vector-of-times recordings; these tests pin both, including samples at the very end of a run.
"""

import numpy as np
import pytest

neuron = pytest.importorskip("neuron")


def recorded(sim, schedule, tstop, dt=0.025):
    sim.load_file("stdrun.hoc")
    sim.dt = dt
    soma = sim.Section("soma")
    soma.insert("hh")
    stim = sim.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 0.2, 1.0, 5.0
    arg = sim.Vector(schedule) if isinstance(schedule, list) else schedule
    v = sim.Vector().record(soma(0.5)._ref_v, arg)
    t = sim.Vector().record(sim._ref_t, arg)
    m = sim.Vector().record(soma(0.5).hh._ref_m, arg)
    sim.finitialize(-65)
    sim.continuerun(tstop)
    return np.array(t), np.array(v), np.array(m)


@pytest.mark.parametrize(
    "schedule, tstop, dt",
    [
        ([0, 0.5, 1.0, 1.7, 1.7, 2.0], 2.0, 0.025),  # repeated time; 2.0 falls after the last step
        ([0.01, 0.3333, 0.987654, 1.5], 3.0, 0.025),
        ([0.0, 0.05, 0.0999, 0.1], 1.0, 0.01),
        (0.1, 40.0, 0.025),  # Dt: every 4th step, t accumulated 0.1 at a time
        (0.03, 1.0, 0.025),  # Dt not a multiple of dt: nearest step
        (0.2, 3.0, 0.05),
    ],
    ids=["times", "times-offgrid", "times-dt0.01", "Dt0.1", "Dt0.03", "Dt0.2-dt0.05"],
)
def test_timed_recording_matches_neuron(nrn, rb, schedule, tstop, dt):
    want = recorded(nrn, schedule, tstop, dt)
    got = recorded(rb, schedule, tstop, dt)
    for name, w, g in zip(("t", "v", "m"), want, got):
        assert len(g) == len(w), f"{name}: {len(g)} samples, NEURON {len(w)}"
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-9 if name == "t" else 1e-7, err_msg=name)


def test_time_vector_argument_is_copied_and_checked(rb):
    soma = rb.Section("soma")
    times = rb.Vector([0.0, 0.5])
    v = rb.Vector().record(soma(0.5)._ref_v, times)
    times.append(0.75)  # later edits of the Vector do not change the recording
    rb.finitialize(-65)
    rb.continuerun(1.0)
    assert len(v) == 2
    with pytest.raises(ValueError, match="non-decreasing"):
        rb.Vector().record(soma(0.5)._ref_v, [1.0, 0.5])
    with pytest.raises(TypeError):
        rb.Vector().record(soma(0.5)._ref_v, "abc")
