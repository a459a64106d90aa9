"""Rallpack 1: a uniform passive cable against its analytic solution, rheobase vs NEURON.

1 mm long, 1 µm diameter, Rm = 40000 Ω·cm² (g_pas = 1/40000 S/cm²), e_pas = v_init = -65 mV,
cm = 1 µF/cm², Ra = 100 Ω·cm; 0.1 nA injected at x = 0 from t = 0 for the whole run; nseg 1000,
dt 0.05 ms, 250 ms; v recorded at x = 0 and x = 1.

Analytic solution (sealed far end, current step I into the x = 0 end, V = v − e_pas, starting at 0).
With λ = sqrt(Rm·d / (4·Ra)), τ = Rm·Cm, X = x/λ, T = t/τ, ℓ = length/λ, and
R∞ = 4·Ra·λ / (π·d²) (input resistance of a semi-infinite cable), the cable equation
V_T = V_XX − V with V_X(0) = −I·R∞ and V_X(ℓ) = 0 has the steady state
    V∞(X) = I·R∞ · cosh(ℓ − X) / sinh(ℓ)
(so the input resistance is R∞·coth(ℓ)), and V − V∞ expands in the Neumann eigenfunctions
cos(k_n X), k_n = nπ/ℓ, each decaying as exp(−(1 + k_n²)·T). Projecting −V∞ onto them
(∫₀^ℓ cosh(ℓ−X) cos(k_n X) dX = sinh(ℓ)/(1 + k_n²)) gives
    V(X, T) = I·R∞ · [ cosh(ℓ−X)/sinh(ℓ) − e^{−T}/ℓ − (2/ℓ) Σ_{n≥1} cos(k_n X) e^{−(1+k_n²)T} / (1 + k_n²) ].
For T ≥ one time step the terms fall off like exp(−k_n² T), so a few hundred terms are exact to
double precision; at T = 0 the series is the Fourier series of V∞ and converges like 1/n².
"""

import math

import numpy as np
import pytest

from conftest import assert_trace_close

neuron = pytest.importorskip("neuron")

LENGTH_UM = 1000.0
DIAM_UM = 1.0
RM = 40000.0  # Ω·cm²
CM = 1.0  # µF/cm²
RA = 100.0  # Ω·cm
E_REST = -65.0  # mV
I_NA = 0.1  # nA
DT = 0.05  # ms
TSTOP = 250.0  # ms
NSEG = 1000
N_MODES = 2000


def cable_constants():
    d_cm = DIAM_UM * 1e-4
    lam_cm = math.sqrt(RM * d_cm / (4.0 * RA))
    tau_ms = RM * CM * 1e-3  # Ω·cm² · µF/cm² = µs → ms
    r_inf_mohm = 4.0 * RA * lam_cm / (math.pi * d_cm**2) * 1e-6
    ell = LENGTH_UM * 1e-4 / lam_cm
    return lam_cm, tau_ms, r_inf_mohm, ell


def analytic_v(t_ms, x_frac, n_modes=N_MODES):
    """Membrane potential (mV, absolute) at fractional position x_frac for the times t_ms."""
    _, tau, r_inf, ell = cable_constants()
    t = np.atleast_1d(np.asarray(t_ms, dtype=float))
    T = t / tau
    X = x_frac * ell
    steady = math.cosh(ell - X) / math.sinh(ell)
    series = np.exp(-T) / ell
    k = np.arange(1, n_modes + 1) * math.pi / ell
    coef = 2.0 / ell * np.cos(k * X) / (1.0 + k**2)
    for start in range(0, n_modes, 500):
        kk = k[start:start + 500]
        series = series + np.exp(-np.outer(T, 1.0 + kk**2)) @ coef[start:start + 500]
    v = I_NA * r_inf * (steady - series)
    v[T == 0] = 0.0  # initial condition (the truncated series is only ~1e-4 accurate there)
    return E_REST + v


def test_analytic_solution_is_consistent():
    lam, tau, r_inf, ell = cable_constants()
    assert lam == pytest.approx(0.1)  # cm: the cable is one length constant long
    assert tau == pytest.approx(40.0)
    # Long after the step: the input resistance formula R∞·coth(ℓ) and the far-end value.
    v_late0 = analytic_v([40.0 * tau], 0.0)[0]
    v_late1 = analytic_v([40.0 * tau], 1.0)[0]
    assert v_late0 - E_REST == pytest.approx(I_NA * r_inf / math.tanh(ell), rel=1e-12)
    assert v_late1 - E_REST == pytest.approx(I_NA * r_inf / math.sinh(ell), rel=1e-12)
    # Truncation: for t >= dt doubling the number of modes changes nothing.
    t = np.array([DT, 1.0, 10.0, 100.0, 250.0])
    for x in (0.0, 1.0):
        np.testing.assert_allclose(analytic_v(t, x, 500), analytic_v(t, x, 4000), rtol=0, atol=1e-12)
    # Near t = 0 the series converges to the initial condition V = 0 (slowly, like 1/n).
    v_early = analytic_v([1e-9], 0.5, 20000)[0] - E_REST
    assert abs(v_early) < 1e-2
    # Early time at the injection end: semi-infinite-cable limit I·R∞·erf(sqrt(T)).
    T = DT / tau
    semi_inf = I_NA * r_inf * math.erf(math.sqrt(T))
    assert analytic_v([DT], 0.0)[0] - E_REST == pytest.approx(semi_inf, rel=1e-6)


def rallpack1(sim):
    sim.load_file("stdrun.hoc")
    sim.dt = DT
    cable = sim.Section("cable")
    cable.nseg = NSEG
    cable.L = LENGTH_UM
    cable.diam = DIAM_UM
    cable.Ra = RA
    cable.cm = CM
    cable.insert("pas")
    cable.g_pas = 1.0 / RM
    cable.e_pas = E_REST
    stim = sim.IClamp(cable(0))
    stim.delay = 0
    stim.dur = 1e9
    stim.amp = I_NA
    t = sim.Vector().record(sim._ref_t)
    v0 = sim.Vector().record(cable(0)._ref_v)
    v1 = sim.Vector().record(cable(1)._ref_v)
    sim.finitialize(E_REST)
    sim.continuerun(TSTOP)
    return np.array(t), np.array(v0), np.array(v1)


def max_errors(t, v0, v1):
    return (
        float(np.max(np.abs(v0 - analytic_v(t, 0.0)))),
        float(np.max(np.abs(v1 - analytic_v(t, 1.0)))),
    )


def test_rallpack1_neuron_error_is_small(nrn):
    t, v0, v1 = rallpack1(nrn)
    assert len(t) == round(TSTOP / DT) + 1
    err0, err1 = max_errors(t, v0, v1)
    _, _, r_inf, ell = cable_constants()
    scale = I_NA * r_inf / math.tanh(ell)  # steady depolarisation at x=0, ≈167 mV
    print(f"NEURON Rallpack 1 max |error|: x=0 {err0:.4g} mV, x=1 {err1:.4g} mV (scale {scale:.4g} mV)")
    assert err0 < 0.01 * scale and err1 < 0.01 * scale


def test_rallpack1_rheobase_no_worse_than_neuron(nrn, rb):
    t_n, v0_n, v1_n = rallpack1(nrn)
    t_r, v0_r, v1_r = rallpack1(rb)
    assert len(t_r) == len(t_n)
    err_n = max_errors(t_n, v0_n, v1_n)
    err_r = max_errors(t_r, v0_r, v1_r)
    print(f"Rallpack 1 max |error| (x=0, x=1): rheobase {err_r}, NEURON {err_n}")
    assert err_r[0] <= err_n[0] + 1e-9, f"x=0: rheobase error {err_r[0]!r} > NEURON {err_n[0]!r}"
    assert err_r[1] <= err_n[1] + 1e-9, f"x=1: rheobase error {err_r[1]!r} > NEURON {err_n[1]!r}"


def test_rallpack1_matches_neuron(nrn, rb):
    t_n, v0_n, v1_n = rallpack1(nrn)
    t_r, v0_r, v1_r = rallpack1(rb)
    assert_trace_close(t_r, t_n, 1e-9, "t")
    assert_trace_close(v0_r, v0_n, 1e-6, "cable(0).v")
    assert_trace_close(v1_r, v1_n, 1e-6, "cable(1).v")
