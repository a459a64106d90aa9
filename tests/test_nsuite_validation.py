"""nsuite's synapse validation models (../shared/reference/arbor.md §4.3) against independent
reference solutions, plus the same models against NEURON.

Both models are built exactly as nsuite's NEURON implementations (validation/rc-expsyn/
neuron-rc-expsyn.py and validation/rc-exp2syn-spike/neuron-rc-exp2syn-spike.py, first-order tag):

* one RC compartment = a soma with L = diam = 18 µm (so its area π·d·L equals the 9 µm sphere's
  4πr² = 1017.9 µm² nsuite uses), `pas` with g = 1/(Rm·area) for Rm = 100 MΩ and
  cm = Cm/area for Cm = 0.01 nF (τ = Rm·Cm = 1 ms), e_pas = E = −65 mV, v_init = E;
* rc-expsyn: an ExpSyn (τ 1 ms, e 0) on it, fired at t = 0 by a NetStim (start 0, number 1) through
  a NetCon of delay 0 and weight g0 (0.1 µS, `highcurrent` 10 µS), so g(0) = g0 (the event is
  delivered inside finitialize); dt 0.0025 ms, 10 ms, v sampled every 0.05 ms (nsuite's sample_dt,
  Vector.record with Dt). Reference: LSODA (rtol = atol = 1e-10) of
  C dv/dt = −(v − E)/Rm − g0·e^{−t/τ}·v at the sample times. Pass: nsuite's
  relerr = max|v − v_ref| / max|v_ref| < 1 % (nsuite subtracts an interpolation-error estimate
  first; the reference here is evaluated at the sample times, so there is none). The samples
  matter for `highcurrent`: the synaptic time constant C/g0 is 0.001 ms < dt, so in the first
  steps the implicit step lags the exact solution by up to 13 mV (NEURON's too); by the first
  sample at 0.05 ms both are on the slow manifold (relerr 0.05 %).
* rc-exp2syn-spike: cell 0 and 100 targets, each such a compartment with an Exp2Syn (τ1 0.5,
  τ2 4 ms, e 0; NEURON normalises the peak of one event of weight g0 to g0). Cell 0 gets the
  NetStim event at 0 (weight g0 = 0.1 µS); its v crossing −10 mV upwards is its spike T0. NetCons
  from cell 0 (threshold −10 mV) reach target k with weight g0 and delay d_k = 3.3 + {k·φ},
  φ = (√5 − 1)/2 (accumulated as nsuite does). A target starts at rest, so it repeats cell 0's
  trajectory shifted by its event time: its spike is 2·T0 + d_k. dt 0.01 ms, 8 ms. Reference:
  T0 from LSODA with event detection (direction +1) on C dv/dt = −(v − E)/Rm − g0·N·(e^{−t/τ2} −
  e^{−t/τ1})·v with NEURON's peak normaliser N. Pass: every |Δspike| < 0.05 ms (max_error), for
  nsuite's default NEURON run (secondorder 2, max error here 0.032 ms). First order (nsuite's
  `firstorder` tag) misses that by a hair — NEURON 9.0.2 itself gives 0.0524 ms: each detection is
  the first step start past the crossing (up to dt late, twice) plus backward Euler's lag — so it
  is held to 0.06 ms, and to NEURON's exact spike times in the cross-check.

The NEURON cross-checks additionally pin rheobase to NEURON sample for sample.
"""

import math

import numpy as np
import pytest

from conftest import assert_trace_close

RM = 100.0  # MΩ
CM = 0.01  # nF
E_REV = -65.0  # mV
SOMA_UM = 18.0  # µm, L and diam (2·9 µm radius)
AREA_M2 = 4 * math.pi * (9e-6) ** 2  # m², = π·18 µm·18 µm


def rc_soma(sim, name="soma"):
    soma = sim.Section(name)
    soma.L = soma.diam = SOMA_UM
    soma.cm = CM * 1e-7 / AREA_M2  # µF/cm² (1 nF/m² = 1e-7 µF/cm²)
    soma.insert("pas")
    soma.g_pas = 1e-10 / (RM * AREA_M2)  # S/cm² (1/(MΩ·m²) = 1e-10 S/cm²)
    soma.e_pas = E_REV
    return soma


def test_rc_compartment_constants(rb):
    """The chosen geometry gives nsuite's totals: area 4π·81 µm², Rm 100 MΩ, Cm 0.01 nF."""
    soma = rc_soma(rb)
    area_cm2 = soma(0.5).area() * 1e-8
    assert area_cm2 == pytest.approx(AREA_M2 * 1e4, rel=1e-12)
    assert 1 / (soma.g_pas * area_cm2) * 1e-6 == pytest.approx(RM, rel=1e-12)  # MΩ
    assert soma.cm * 1e-6 * area_cm2 * 1e9 == pytest.approx(CM, rel=1e-12)  # nF


# --------------------------------------------------------------------------------------------
# rc-expsyn
# --------------------------------------------------------------------------------------------
SYN_TAU = 1.0  # ms


SAMPLE_DT = 0.05  # ms, nsuite's sample_dt


def rc_expsyn(sim, g0, dt=0.0025, tstop=10.0, secondorder=0):
    sim.load_file("stdrun.hoc")
    sim.dt = dt
    sim.secondorder = secondorder
    soma = rc_soma(sim)
    syn = sim.ExpSyn(soma(0.5))
    syn.tau, syn.e = SYN_TAU, 0
    stim = sim.NetStim()
    stim.number, stim.start = 1, 0
    nc = sim.NetCon(stim, syn, 0, 0, g0)
    t = sim.Vector().record(sim._ref_t)
    v = sim.Vector().record(soma(0.5)._ref_v)
    g = sim.Vector().record(syn._ref_g)
    ts = sim.Vector().record(sim._ref_t, SAMPLE_DT)
    vs = sim.Vector().record(soma(0.5)._ref_v, SAMPLE_DT)
    sim.finitialize(E_REV)
    sim.continuerun(tstop)
    assert nc.valid()  # (and kept alive until here)
    return np.array(t), np.array(v), np.array(g), np.array(ts), np.array(vs)


def rc_expsyn_reference(g0, t):
    integrate = pytest.importorskip("scipy.integrate")

    def rhs(tt, v):
        return [(-(v[0] - E_REV) / RM - g0 * math.exp(-tt / SYN_TAU) * v[0]) / CM]

    def jac(tt, v):
        return [[-(1 / RM + g0 * math.exp(-tt / SYN_TAU)) / CM]]

    sol = integrate.solve_ivp(rhs, (0.0, float(t[-1])), [E_REV], method="LSODA", t_eval=np.clip(t, 0, t[-1]),
                              jac=jac, rtol=1e-10, atol=1e-10)
    assert sol.success, sol.message
    return sol.y[0]


@pytest.mark.parametrize("secondorder", [0, 2], ids=["firstorder", "secondorder2"])
@pytest.mark.parametrize("g0", [0.1, 10.0], ids=["default", "highcurrent"])
def test_rc_expsyn_against_lsoda(rb, g0, secondorder):
    t, v, g, ts, vs = rc_expsyn(rb, g0, secondorder=secondorder)
    assert len(t) == 4001 and t[-1] == pytest.approx(10.0, abs=1e-9)
    assert len(ts) == 201 and ts[-1] == pytest.approx(10.0, abs=1e-9)
    assert g[0] == g0  # the event at 0 (delay 0) is in the t = 0 sample
    # ExpSyn's cnexp update is exact: g(t) = g0·e^{−t/τ} at every step (up to t's rounding)
    np.testing.assert_allclose(g, g0 * np.exp(-t / SYN_TAU), rtol=1e-9, atol=0)
    v_ref = rc_expsyn_reference(g0, ts)
    relerr = np.max(np.abs(vs - v_ref)) / np.max(np.abs(v_ref))
    assert relerr < 0.01, f"nsuite relerr {relerr:.4%} (max |Δv| {np.max(np.abs(vs - v_ref)):.4g} mV)"
    # The depolarisation is real: the synapse pulls v well away from rest.
    assert vs.max() > E_REV + (20 if g0 == 0.1 else 60)


@pytest.mark.parametrize("secondorder", [0, 2], ids=["firstorder", "secondorder2"])
@pytest.mark.parametrize("g0", [0.1, 10.0], ids=["default", "highcurrent"])
def test_rc_expsyn_matches_neuron(nrn, rb, g0, secondorder):
    want = rc_expsyn(nrn, g0, secondorder=secondorder)
    got = rc_expsyn(rb, g0, secondorder=secondorder)
    for k, (name, tol) in enumerate([("t", 1e-9), ("v", 1e-6), ("g", 1e-9), ("sample t", 1e-9),
                                     ("sampled v", 1e-6)]):
        assert_trace_close(got[k], want[k], tol, name)


# --------------------------------------------------------------------------------------------
# rc-exp2syn-spike
# --------------------------------------------------------------------------------------------
TAU1, TAU2 = 0.5, 4.0  # ms
G0 = 0.1  # µS
THRESHOLD = -10.0  # mV
MINDELAY = 3.3  # ms
NTARGETS = 100
MAX_ERROR = 0.05  # ms


def nsuite_delays(n=NTARGETS, mindelay=MINDELAY):
    """d_k = mindelay + {k·φ}, accumulated exactly as nsuite's scripts do."""
    delays, delta = [], 0.0
    for _ in range(n):
        delta += (math.sqrt(5) - 1) / 2
        delta -= math.floor(delta)
        delays.append(mindelay + delta)
    return delays


def rc_exp2syn_spike(sim, secondorder=2, dt=0.01, tstop=8.0):
    """Returns (first spike time of every cell, 0 first (nan if none), the delays, t, v0, spike
    counts)."""
    sim.load_file("stdrun.hoc")
    sim.dt = dt
    sim.secondorder = secondorder
    cells = []
    for k in range(NTARGETS + 1):
        soma = rc_soma(sim, f"soma{k}")
        syn = sim.Exp2Syn(soma(0.5))
        syn.tau1, syn.tau2, syn.e = TAU1, TAU2, 0
        cells.append((soma, syn))
    stim = sim.NetStim()
    stim.number, stim.start = 1, 0
    nc_stim = sim.NetCon(stim, cells[0][1], 0, 0, G0, sec=cells[0][0])
    delays = nsuite_delays()
    links = [sim.NetCon(cells[0][0](0.5)._ref_v, cells[k][1], THRESHOLD, delays[k - 1], G0, sec=cells[0][0])
             for k in range(1, NTARGETS + 1)]
    records = []
    for soma, _ in cells:
        tvec = sim.Vector()
        detector = sim.NetCon(soma(0.5)._ref_v, None, THRESHOLD, 0, 0, sec=soma)
        detector.record(tvec)
        records.append((detector, tvec))
    t = sim.Vector().record(sim._ref_t)
    v0 = sim.Vector().record(cells[0][0](0.5)._ref_v)
    sim.finitialize(E_REV)
    sim.continuerun(tstop)
    assert nc_stim.valid() and all(nc.valid() for nc in links)
    first = [tv[0] if len(tv) else math.nan for _, tv in records]
    counts = [len(tv) for _, tv in records]
    return np.array(first), np.array(delays), np.array(t), np.array(v0), counts


def exp2syn_normaliser(tau1=TAU1, tau2=TAU2):
    """exp2syn.mod's factor: 1/(e^{−tp/τ2} − e^{−tp/τ1}) at the peak time tp."""
    tp = tau1 * tau2 / (tau2 - tau1) * math.log(tau2 / tau1)
    return 1 / (math.exp(-tp / tau2) - math.exp(-tp / tau1))


def source_spike_reference(tstop=8.0):
    """T0: first upward crossing of −10 mV by cell 0, LSODA with event location."""
    integrate = pytest.importorskip("scipy.integrate")
    gn = G0 * exp2syn_normaliser()

    def conductance(t):
        return 1 / RM + gn * (math.exp(-t / TAU2) - math.exp(-t / TAU1))

    def rhs(t, v):
        return [-(conductance(t) * v[0] - E_REV / RM) / CM]

    def jac(t, v):
        return [[-conductance(t) / CM]]

    def crossing(t, v):
        return v[0] - THRESHOLD

    crossing.direction = 1
    sol = integrate.solve_ivp(rhs, (0.0, tstop), [E_REV], method="LSODA", jac=jac, rtol=1e-10, atol=1e-10,
                              events=crossing, dense_output=True)
    assert sol.success and sol.t_events[0].size == 1, sol.t_events
    return float(sol.t_events[0][0]), sol


def test_exp2syn_normaliser_is_nsuites():
    """nsuite writes the normaliser as 1/N = (τ1/τ2)^(τ1/(τ2−τ1)) − (τ1/τ2)^(τ2/(τ2−τ1)); it is
    exp2syn.mod's factor (so NEURON's Exp2Syn with weight g0 is nsuite's g0·N·(…))."""
    r = TAU1 / TAU2
    nsuite = 1 / (r ** (TAU1 / (TAU2 - TAU1)) - r ** (TAU2 / (TAU2 - TAU1)))
    assert exp2syn_normaliser() == pytest.approx(nsuite, rel=1e-13)


@pytest.mark.parametrize("secondorder, max_error", [(2, MAX_ERROR), (0, 0.06)], ids=["secondorder2", "firstorder"])
def test_rc_exp2syn_spike_against_lsoda(rb, secondorder, max_error):
    first, delays, t, v0, counts = rc_exp2syn_spike(rb, secondorder)
    t0, sol = source_spike_reference()
    expected = np.concatenate([[t0], 2 * t0 + delays])
    assert 0.5 < t0 < 3.0  # the source does fire, and before the 3.3 ms minimum delay
    assert counts == [1] * (NTARGETS + 1), "each cell spikes exactly once"
    err = np.abs(first - expected)
    k = int(np.nanargmax(err))
    assert np.all(err < max_error), (f"max |Δspike| {err[k]:.4f} ms at cell {k}: {first[k]!r} vs {expected[k]!r}")
    # v of cell 0 follows the reference too (nsuite records it, without a criterion). Exp2Syn's g
    # is computed at the step midpoint from the previous step's states, so the simulated rise
    # lags by about one step: 0.8 mV (second order) / 1.2 mV (first order) at most, < 2 %.
    v_ref = sol.sol(t)[0]
    assert np.max(np.abs(v0 - v_ref)) / np.max(np.abs(v_ref)) < 0.02


@pytest.mark.parametrize("secondorder", [2, 0], ids=["secondorder2", "firstorder"])
def test_rc_exp2syn_spike_matches_neuron(nrn, rb, secondorder):
    want = rc_exp2syn_spike(nrn, secondorder)
    got = rc_exp2syn_spike(rb, secondorder)
    np.testing.assert_array_equal(got[1], want[1])
    assert got[4] == want[4]
    np.testing.assert_array_equal(got[0], want[0])  # spike times exactly: step start + 1e-10
    assert_trace_close(got[3], want[3], 1e-6, "v0")
