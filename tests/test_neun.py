"""rheobase.neun: neun_py's API and numbers.

Reference values come from neun_py 0.4.0 (GNB-UAM/neun_py at bf4d27f, built with pybind11 and
g++ 12) running neun_py's own example scripts. rheobase's exp is within a few ulps of glibc's and
its HH computes three exponentials where Neun computes six, so Double results differ from
neun_py's by about 1e-15 relative here (2.5e-11 mV at most over the 10⁵ steps of the basic example).
"""

import math

import numpy as np
import pytest

import rheobase.neun as neun_py

HH_PARAMS = dict(cm=7.854e-3, vna=50, vk=-77, vl=-54.387, gna=120 * 7.854e-3, gk=36 * 7.854e-3,
                 gl=0.3 * 7.854e-3)
REL = 1e-12


def upward_crossings(x, level=0.0):
    x = np.asarray(x)
    return int(((x[:-1] < level) & (x[1:] >= level)).sum())


def hh_neuron(cls=neun_py.HHDoubleRK4, prefix="HHDouble", **state):
    n = cls(getattr(neun_py, prefix + "ConstructorArgs")())
    params, variables = getattr(neun_py, prefix + "Parameter"), getattr(neun_py, prefix + "Variable")
    for name, value in HH_PARAMS.items():
        n.set_param(getattr(params, name), value)
    for name, value in state.items():
        n.set(getattr(variables, name), value)
    return n


# ------------------------------------------------------------------ neun_py's documented examples

@pytest.mark.parametrize("cls, first, middle, last", [
    (neun_py.HHDoubleRK4, -79.9537123693122, -55.9316889746301, -64.4957879700767),
    (neun_py.HHDoubleRK6, -79.95371236930968, -55.93168897460602, -64.49578797003956),
])
def test_hh_basic_example(cls, first, middle, last):
    """examples/basic.py: 0.1 input every step of 0.001 ms for 100 ms; 7 spikes."""
    n = hh_neuron(cls, v=-80, m=0.1, n=0.7, h=0.01)
    v = np.empty(100_000)
    for i in range(100_000):
        n.add_synaptic_input(0.1)
        n.step(0.001)
        v[i] = n.get(neun_py.HHDoubleVariable.v)
    assert v[0] == pytest.approx(first, rel=REL)
    assert v[49_999] == pytest.approx(middle, rel=REL)
    assert v[-1] == pytest.approx(last, rel=REL)
    assert upward_crossings(v) == 7


def test_two_hh_coupled_by_electrical_synapse():
    """examples/synapsis.py: h1 starts at -75 mV with 0.1 input, h2 at 0; ESyn g = -0.002 both ways."""
    V = neun_py.HHDoubleVariable
    h1, h2 = hh_neuron(v=-75, m=0, n=0, h=0), hh_neuron(v=0, m=0, n=0, h=0)
    syn = neun_py.ESynHHHHDoubleRK4(h1, V.v, h2, V.v, -0.002, -0.002)
    trace = np.empty((100_000, 3))
    for i in range(100_000):
        syn.step(0.001)
        h1.add_synaptic_input(0.1)
        h1.step(0.001)
        h2.step(0.001)
        trace[i] = h1.get(V.v), h2.get(V.v), syn.get(neun_py.ESynDoubleVariable.i1)
    np.testing.assert_allclose(trace[-1], [-69.35527807927411, -69.63537517871154, 0.0005651084674043431],
                               rtol=REL)
    assert (upward_crossings(trace[:, 0]), upward_crossings(trace[:, 1])) == (8, 3)
    assert syn.get_synaptic_current() == syn.get(neun_py.ESynDoubleVariable.i2)


def test_hindmarsh_rose_bursting():
    """examples/hindmarsh-rose-basic.py: dt 0.01 for 1000 time units from (-1.5, -10, 0)."""
    V = neun_py.HRDoubleVariable
    n = neun_py.HRDoubleRK4(neun_py.HRDoubleConstructorArgs())  # the example's parameters are the defaults
    n.set(V.x, -1.5)
    n.set(V.y, -10)
    x = np.empty(100_000)
    for i in range(100_000):
        n.step(0.01)
        x[i] = n.get(V.x)
    np.testing.assert_allclose([n.get(V.x), n.get(V.y), n.get(V.z)],
                               [-0.7169414582778407, -1.8219713840513938, 3.3282385439748134], rtol=1e-11)
    assert upward_crossings(x, 1.0) == 75  # spikes, grouped in bursts


def test_izhikevich_as_neun_py_runs_it():
    """examples/izhikevich-basic.py (I = 20, dt 0.1, 300 ms). neun_py hides `threshold`, which
    then stays 0: the example's numbers need threshold 0 here."""
    V, P = neun_py.IzDoubleVariable, neun_py.IzDoubleParameter
    n = neun_py.IzDoubleRK4(neun_py.IzDoubleConstructorArgs())
    n.set_param(P.threshold, 0.0)
    n.set(V.v, -65)
    n.set(V.u, -13)
    v = np.empty(3000)
    for i in range(3000):
        n.add_synaptic_input(20)
        n.step(0.1)
        v[i] = n.get(V.v)
    assert v[0] == pytest.approx(-63.31311173838671, rel=REL)
    assert v[-1] == pytest.approx(-65.47591397672635, rel=REL)
    assert n.get(V.u) == pytest.approx(3.178298119801372, rel=REL)
    assert int((np.diff(v) < -20).sum()) == 15


def izhikevich_rk4_oracle(v, u, current, dt, steps, a=0.02, b=0.2, c=-65.0, d=8.0, threshold=30.0):
    """Independent plain-Python RK4 of Izhikevich's model with the reset after each step."""
    def f(v, u):
        return 0.04 * v * v + 5 * v + 140 - u + current, a * (b * v - u)

    spikes = 0
    for _ in range(steps):
        k1 = f(v, u)
        k2 = f(v + k1[0] * dt / 2, u + k1[1] * dt / 2)
        k3 = f(v + k2[0] * dt / 2, u + k2[1] * dt / 2)
        k4 = f(v + k3[0] * dt, u + k3[1] * dt)
        v += dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        u += dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        if v >= threshold:
            v, u, spikes = c, u + d, spikes + 1
    return v, u, spikes


def test_izhikevich_regular_spiking_with_default_threshold():
    """Default parameters (a 0.02, b 0.2, c -65, d 8, threshold 30: regular spiking), I = 10 for
    1 s: v is reset to c whenever it reaches 30 mV and u grows by d."""
    V = neun_py.IzDoubleVariable
    n = neun_py.IzDoubleRK4(neun_py.IzDoubleConstructorArgs())
    n.set(V.v, -65)
    n.set(V.u, -13)
    spikes = 0
    for _ in range(10_000):
        u_before = n.get(V.u)
        n.add_synaptic_input(10)
        n.step(0.1)
        spikes += n.get(V.v) == -65.0 and n.get(V.u) > u_before + 7
        assert n.get(V.v) < 30.0
    v, u, oracle_spikes = izhikevich_rk4_oracle(-65.0, -13.0, 10.0, 0.1, 10_000)
    assert spikes == oracle_spikes == 23  # tonic firing at 23 Hz
    assert (n.get(V.v), n.get(V.u)) == pytest.approx((v, u), rel=1e-12)


# ------------------------------------------------------------------ integrators

def linear_hr(integrator, dt, t_end=2.0):
    """Hindmarsh-Rose with a = b = d = 0 is linear; returns the global error at t_end."""
    from scipy.linalg import expm

    cls = getattr(neun_py, f"HRDouble{integrator}")
    args = neun_py.HRDoubleConstructorArgs()
    args.a, args.b, args.d = 0.0, 0.0, 0.0
    e, c, mu, vh, s, xr = args.e, args.c, args.mu, args.vh, args.S, args.xr
    n = cls(args)
    x0 = np.array([0.3, -0.2, 0.1])
    for var, value in zip((neun_py.HRDoubleVariable.x, neun_py.HRDoubleVariable.y, neun_py.HRDoubleVariable.z), x0):
        n.set(var, value)
    steps = round(t_end / dt)
    for _ in range(steps):
        n.step(dt)
    # d/dt [x, y, z, 1] = M [x, y, z, 1]
    m = np.array([[0, 1, -1, e], [0, -1, 0, c], [mu * s, 0, -mu * vh, -mu * s * xr], [0, 0, 0, 0]])
    exact = expm(m * t_end) @ np.append(x0, 1.0)
    got = [n.get(neun_py.HRDoubleVariable.x), n.get(neun_py.HRDoubleVariable.y), n.get(neun_py.HRDoubleVariable.z)]
    return np.abs(np.array(got) - exact[:3]).max()


@pytest.mark.parametrize("integrator, dt, order", [("Euler", 0.01, 1), ("RK4", 0.2, 4), ("RK6", 0.2, 5)])
def test_convergence_order(integrator, dt, order):
    """Error ratio when dt halves: 2^order. Neun's six-stage 'RK6' is a fifth-order scheme."""
    observed = math.log2(linear_hr(integrator, dt) / linear_hr(integrator, dt / 2))
    assert observed == pytest.approx(order, abs=0.15)


def test_float_runs_in_single_precision_and_agrees_with_double():
    traces = {}
    for prefix in ("HHFloat", "HHDouble"):
        n = hh_neuron(getattr(neun_py, prefix + "RK4"), prefix, v=-80, m=0.1, n=0.7, h=0.01)
        var = getattr(neun_py, prefix + "Variable").v
        out = traces[prefix] = np.empty(20_000)
        for i in range(20_000):
            n.add_synaptic_input(0.1)
            n.step(0.001)
            out[i] = n.get(var)
    v_float, v_double = traces["HHFloat"], traces["HHDouble"]
    assert np.all(v_float.astype(np.float32) == v_float)  # every value is an f32
    # One step from the same state agrees to float precision...
    assert v_float[0] == pytest.approx(v_double[0], rel=1e-6)
    # ...and 20 000 steps through a spike stay within the accumulated rounding of f32.
    assert np.abs(v_float - v_double).max() < 0.1  # mV
    assert upward_crossings(v_float) == upward_crossings(v_double) >= 1


# ------------------------------------------------------------------ API surface

def test_class_matrix_and_model_info():
    neurons, synapses = neun_py.get_available_neurons(), neun_py.get_available_synapses()
    assert len(neurons) == 3 * 2 * 3 and len(synapses) == 2 * 2 * 3 * 9
    assert neurons[:3] == ["HHFloatRK4", "HHFloatRK6", "HHFloatEuler"]
    assert all(hasattr(neun_py, name) for name in neurons + synapses)
    info = neun_py.get_model_info("HH")
    assert [v["name"] for v in info["variables"]] == ["v", "h", "m", "n"]
    assert [p["name"] for p in info["parameters"]] == ["cm", "vna", "vk", "vl", "gna", "gk", "gl"]
    assert info["parameters"][4]["unit"] and info["parameters"][4]["description"]
    assert neun_py.get_model_info("IzFloatRK6")["short_name"] == "Iz"
    with pytest.raises(ValueError, match="unknown model"):
        neun_py.get_model_info("LIF")
    assert str(neun_py.HHDoubleVariable.v) == "HHDoubleVariable.v"


@pytest.mark.parametrize("model, defaults", [
    ("HH", dict(cm=7.854e-3, vna=50, vk=-77, vl=-54.387, gna=120 * 7.854e-3, gk=36 * 7.854e-3, gl=0.3 * 7.854e-3)),
    ("HR", dict(e=3.281, mu=0.0029, S=4, a=1, b=3, c=1, d=5, xr=-1.6, vh=1)),
    ("Iz", dict(a=0.02, b=0.2, c=-65, d=8, threshold=30)),
])
def test_documented_defaults(model, defaults):
    n = getattr(neun_py, f"{model}DoubleRK4")(getattr(neun_py, f"{model}DoubleConstructorArgs")())
    params = getattr(neun_py, f"{model}DoubleParameter")
    assert {p.name: n.get_param(p) for p in params} == pytest.approx(defaults, rel=1e-15)
    assert all(n.get(v) == 0.0 for v in getattr(neun_py, f"{model}DoubleVariable"))


def test_constructor_args_reset_time_and_input():
    args = neun_py.HHDoubleConstructorArgs()
    args.gna = 0.5
    args.params[neun_py.HHDoubleParameter.gk] = 0.25
    n = neun_py.HHDoubleRK4(args)
    assert n.get_param(neun_py.HHDoubleParameter.gna) == 0.5
    assert n.get_param(neun_py.HHDoubleParameter.gk) == 0.25
    n.add_synaptic_input(0.1)
    n.add_synaptic_input(0.2)
    assert n.get_synaptic_input() == 0.1 + 0.2
    n.set(neun_py.HHDoubleVariable.v, -65)
    n.set_param(neun_py.HHDoubleParameter.gna, 1.0)
    n.step(0.01)
    n.step(0.01)
    assert n.get_synaptic_input() == 0.0
    assert n.get_time() == pytest.approx(0.02)
    n.set_time(5.0)
    assert n.get_time() == 5.0
    n.reset()  # the state and parameters it was constructed with
    assert n.get_time() == 0.0 and n.get(neun_py.HHDoubleVariable.v) == 0.0
    assert n.get_param(neun_py.HHDoubleParameter.gna) == 0.5


def test_diffusion_synapse_release_and_current():
    """A presynaptic crossing of threshold starts a release of max_release_time; r follows
    r' = alpha·T·(1 − r) − beta·r during it (exact with Euler over one sub-step), then decays;
    i = gsyn·r·(V2 − esyn) is added to neuron 2's input."""
    V, S = neun_py.IzDoubleVariable, neun_py.DSynDoubleVariable
    pre, post = neun_py.IzDoubleEuler(), neun_py.IzDoubleEuler()
    args = neun_py.DSynDoubleConstructorArgs()
    args.alpha, args.beta, args.threshold, args.esyn, args.gsyn, args.T, args.max_release_time = (
        5.0, 0.2, 0.0, -80.0, -0.1, 1.0, 0.5)
    syn = neun_py.DSynIzIzDoubleEuler(pre, V.v, post, V.v, args, 2)
    pre.set(V.v, -70.0)
    post.set(V.v, -60.0)
    syn.step(0.1)  # below threshold: no release
    assert syn.get(S.r) == 0.0 and post.get_synaptic_input() == 0.0
    pre.set(V.v, 10.0)  # crossing
    syn.step(0.1)
    r = 0.0
    for _ in range(2):  # two Euler sub-steps while releasing
        r += 0.1 * (5.0 * 1.0 * (1 - r) - 0.2 * r)
    assert syn.get(S.r) == pytest.approx(r, rel=1e-14)
    assert syn.get_synaptic_current() == pytest.approx(-0.1 * r * (-60.0 + 80.0), rel=1e-14)
    assert post.get_synaptic_input() == pytest.approx(syn.get(S.i), rel=1e-14)
    for _ in range(10):
        syn.step(0.1)  # the release (0.5) is over after 5 sub-steps: r decays
    assert 0 < syn.get(S.r) < r * 3
    assert syn.get_param(neun_py.DSynDoubleParameter.gsyn) == -0.1


# ------------------------------------------------------------------ errors

def test_bad_inputs_raise_clear_errors():
    hh = neun_py.HHDoubleRK4(neun_py.HHDoubleConstructorArgs())
    with pytest.raises(TypeError, match="HHDoubleVariable"):
        hh.get(neun_py.HRDoubleVariable.x)
    with pytest.raises(TypeError, match="HHDoubleParameter"):
        hh.set_param(neun_py.HHDoubleVariable.v, 1.0)
    with pytest.raises(TypeError):
        hh.set("v", 1)
    with pytest.raises(TypeError):
        hh.get(0)  # a plain int is not a variable
    with pytest.raises(TypeError):
        hh.set(neun_py.HHDoubleVariable.v, "a")
    for bad in (0.0, -0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="dt"):
            hh.step(bad)
    with pytest.raises(ValueError):
        hh.set(neun_py.HHDoubleVariable.v, float("nan"))
    with pytest.raises(TypeError, match="HRDoubleConstructorArgs"):
        neun_py.HRDoubleRK4(neun_py.HHDoubleConstructorArgs())
    hr = neun_py.HRDoubleRK4(neun_py.HRDoubleConstructorArgs())
    with pytest.raises(TypeError, match="HHDoubleRK4"):
        neun_py.ESynHHHHDoubleRK4(hh, neun_py.HHDoubleVariable.v, hr, neun_py.HRDoubleVariable.x, 1, 1)
    with pytest.raises(TypeError):
        neun_py.ESynHHHRDoubleRK4(hh, neun_py.HHDoubleVariable.v, hr, neun_py.HHDoubleVariable.v, 1, 1)
    with pytest.raises(ValueError, match="steps"):
        neun_py.DSynHHHHDoubleRK4(hh, neun_py.HHDoubleVariable.v, hh, neun_py.HHDoubleVariable.v,
                                  neun_py.DSynDoubleConstructorArgs(), 0)
    with pytest.raises(AttributeError, match="parameters"):
        neun_py.HHDoubleConstructorArgs().gnaa = 1


# ------------------------------------------------------------------ Population

@pytest.mark.parametrize("precision", ["Double", "Float"])
def test_population_equals_single_neurons(precision):
    """Coupling row by row, then the external input, then the step: the same sums in the same
    order as the single-neuron classes with one-way ESyns (g2 = 0). 37 neurons: two full blocks of
    vector lanes and a padded one."""
    rng = np.random.default_rng(1)
    n, steps, dt = 37, 300, 0.01
    g = np.where(rng.random((n, n)) < 0.5, rng.random((n, n)) * 0.01, 0.0)
    np.fill_diagonal(g, 0.0)
    inputs = rng.random((steps, n)) * 0.3
    v0 = -65 + 10 * rng.random(n)

    pop = neun_py.Population("HH", n, precision=precision.lower(), integrator="rk6")
    pop.set("v", v0)
    pop.set_param("gna", 120 * 7.854e-3 * (1 + 0.1 * rng.random(n)))
    pop.set_coupling(g)
    traces = pop.run(steps, dt, input=inputs, record=["v", "m"])

    V = getattr(neun_py, f"HH{precision}Variable")
    cls = getattr(neun_py, f"HH{precision}RK6")
    singles = [cls() for _ in range(n)]
    for k, s in enumerate(singles):
        s.set(V.v, v0[k])
        s.set_param(getattr(neun_py, f"HH{precision}Parameter").gna, pop.get_param("gna")[k])
    esyn = getattr(neun_py, f"ESynHHHH{precision}RK6")
    synapses = [esyn(singles[k], V.v, singles[j], V.v, g[k, j], 0.0)
                for k in range(n) for j in range(n) if g[k, j] != 0.0]
    v = np.empty((steps, n))
    for step in range(steps):
        for syn in synapses:
            syn.step(dt)
        for k, s in enumerate(singles):
            s.add_synaptic_input(inputs[step, k])
            s.step(dt)
            v[step, k] = s.get(V.v)
    np.testing.assert_array_equal(traces["v"], v)
    assert traces["m"].shape == (steps, n)
    assert pop.time == pytest.approx(steps * dt)


def test_population_recording_options_and_errors():
    pop = neun_py.Population("Iz", 1000, precision="double", integrator="euler")
    pop.set("v", -65.0)
    pop.set("u", -13.0)
    out = pop.run(100, 0.1, input=10.0, record="v", neurons=[0, 999], every=10)
    assert out["v"].shape == (10, 2)
    assert np.all(pop.get("v") < 30)
    with pytest.raises(ValueError, match="unknown variable"):
        pop.run(1, 0.1, record=["w"])
    with pytest.raises(ValueError, match="input"):
        pop.run(2, 0.1, input=np.zeros((3, 1000)))
    with pytest.raises(ValueError, match="dt"):
        pop.run(1, -0.1)
    with pytest.raises(ValueError, match="unknown model"):
        neun_py.Population("LIF", 3)
    with pytest.raises(ValueError, match="coupling"):
        pop.set_coupling(np.zeros((3, 3)))
