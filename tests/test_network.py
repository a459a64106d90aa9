"""Networks against NEURON 9.0.2: NetCon, ExpSyn/Exp2Syn, NetStim drive, ParallelContext, busyring.

What is pinned (fixed step, dt 0.025 ms; the facts come from NEURON's source and were measured
with the installed wheel):

* event delivery: an event at te changes the state at the first step boundary t_j (the float t
  accumulated by half steps) with te <= t_j + dt/2; the sample recorded at t_j never contains it,
  except at t = 0 inside finitialize. So the first non-zero ExpSyn g sample, and g right after each
  fadvance, follow a table of delays (0.0124 / 0.0125 / 0.0126 / 0.025 / 0.0375 ms);
* synaptic traces (v, g, i, Exp2Syn A/B) every step within 1e-9 (conductances) and 1e-6 mV, spike
  times exactly; Exp2Syn's tau1 >= tau2 rewrite (tau1 := 0.9999·tau2, visible afterwards) and its
  recorded g lagging the states by one step (g is computed at the step midpoint from the old A, B);
* threshold detection: a spike is the start of the step whose initial v > threshold (strictly),
  plus 1e-10 ms; the threshold and the recording belong to the source, not to one NetCon;
* NetCon defaults, nc.event(t) (absolute time, the delay ignored, the past allowed, finitialize
  empties the queue), active(False), deleted targets, temporary NetCons;
* ParallelContext in one process: the 3-cell ring's (time, gid) list in detection order,
  gid_exists levels, pc.threshold, errors, psolve's step count, set_maxstep's value;
* nsuite's busyring (ring and kway) spike for spike, and identical under pc.nthread(1, 2, 4);
* bad NetCon input is refused with the right exception and changes nothing.

Every cross-check builds one model with one builder function for `nrn` and for `rb`.
"""

import gc
import math
import re

import numpy as np
import pytest

import rheobase
from conftest import assert_trace_close

DT = 0.025
G_AFTER_ONE_STEP = 0.009875778004938815  # 0.01 µS decayed by exp(-dt/tau) for ExpSyn tau 2 ms


def _arrays(*vecs):
    return [np.array(v, dtype=float) for v in vecs]


# --------------------------------------------------------------------------------------------
# (a) NetStim -> ExpSyn
# --------------------------------------------------------------------------------------------
def netstim_expsyn(sim, cell):
    """NetStim (start 2, interval 7, 5 spikes) -> NetCon (delay 1.5) -> ExpSyn (tau 2, e 0).

    cell "pas": one passive soma, synapse on it; cell "hh": hh soma + passive dendrite, synapse
    on the dendrite, strong enough to fire the soma."""
    sim.load_file("stdrun.hoc")
    soma = sim.Section("soma")
    soma.L = soma.diam = 20
    if cell == "pas":
        soma.insert("pas")
        site, weight = soma(0.5), 0.005
        dend = None
    else:
        soma.insert("hh")
        dend = sim.Section("dend")
        dend.L, dend.diam, dend.nseg = 200, 1, 11
        dend.insert("pas")
        dend.connect(soma(1))
        site, weight = dend(0.3), 0.05
    syn = sim.ExpSyn(site)
    syn.tau, syn.e = 2, 0
    ns = sim.NetStim()
    ns.start, ns.interval, ns.number = 2, 7, 5
    nc = sim.NetCon(ns, syn)
    nc.weight[0], nc.delay = weight, 1.5
    stim_times, soma_spikes = sim.Vector(), sim.Vector()
    nc.record(stim_times)
    detector = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
    detector.threshold = -20
    detector.record(soma_spikes)
    t = sim.Vector().record(sim._ref_t)
    v = sim.Vector().record(soma(0.5)._ref_v)
    vsite = sim.Vector().record(site._ref_v)
    g = sim.Vector().record(syn._ref_g)
    i = sim.Vector().record(syn._ref_i)
    sim.finitialize(-65)
    sim.continuerun(40)
    return _arrays(t, v, vsite, g, i, stim_times, soma_spikes)


@pytest.mark.parametrize("cell", ["pas", "hh"])
def test_netstim_expsyn_traces_match_neuron(nrn, rb, cell):
    want = netstim_expsyn(nrn, cell)
    got = netstim_expsyn(rb, cell)
    t, v, vsite, g, i, stims, spikes = got
    assert_trace_close(t, want[0], 1e-9, "t")
    assert_trace_close(v, want[1], 1e-6, "soma v")
    assert_trace_close(vsite, want[2], 1e-6, "v at the synapse")
    assert_trace_close(g, want[3], 1e-9, "syn.g")
    assert_trace_close(i, want[4], 1e-9, "syn.i")
    # NetStim times are sums of doubles, detector times step starts + 1e-10: both exact.
    np.testing.assert_array_equal(want[5], [2.0, 9.0, 16.0, 23.0, 30.0])
    np.testing.assert_array_equal(stims, want[5])
    np.testing.assert_array_equal(spikes, want[6])
    if cell == "hh":
        assert len(want[6]) == 5, f"every event should fire the hh soma: {want[6]}"
    else:
        assert len(want[6]) == 0


def delivery(sim, delay, start=1.0, steps=50):
    """Passive soma, ExpSyn tau 2, one NetStim spike at `start` -> NetCon weight 0.01 with `delay`.
    Returns the recorded g, t, syn.g right after finitialize and syn.g right after each fadvance."""
    sim.load_file("stdrun.hoc")
    soma = sim.Section("soma")
    soma.insert("pas")
    syn = sim.ExpSyn(soma(0.5))
    syn.tau = 2
    ns = sim.NetStim()
    ns.start, ns.number = start, 1
    nc = sim.NetCon(ns, syn)
    nc.weight[0], nc.delay = 0.01, delay
    g = sim.Vector().record(syn._ref_g)
    t = sim.Vector().record(sim._ref_t)
    sim.finitialize(-65)
    g_init = syn.g
    after = []
    for _ in range(steps):
        sim.fadvance()
        after.append(syn.g)
    return np.array(g), np.array(t), g_init, np.array(after)


# FACTS §3: delay -> (index of the first non-zero g sample, its t, index k of the fadvance after
# which syn.g first is non-zero (k = 0 is the first fadvance), whether that value is still the
# undecayed 0.01, i.e. the event came at the end of step k, after its sample).
DELIVERY_TABLE = [
    (0.0124, 41, 1.0249999999999984, 40, False),  # te <= t_40 + dt/2: start of step 40
    (0.0125, 42, 1.0499999999999983, 40, True),  # t_40 + dt/2 = 1.0124999999999984 < te
    (0.0126, 42, 1.0499999999999983, 40, True),
    (0.025, 42, 1.0499999999999983, 41, False),  # te = 1.025 > t_41: start of step 41
    (0.0375, 43, 1.0749999999999982, 41, True),
]


def _check_delivery(who, result, first, t_first):
    g, t, g_init, after = result
    nz = np.flatnonzero(g)
    assert nz[0] == first, f"{who}: first non-zero g at {nz[0]}"
    assert t[first] == t_first, f"{who}: t[{first}] = {t[first]!r}"
    assert g[first] == G_AFTER_ONE_STEP, f"{who}: g[{first}] = {g[first]!r}"


def _check_state_after_fadvance(who, result, k_after, undecayed):
    after = result[3]
    k = int(np.flatnonzero(after)[0])
    assert k == k_after, f"{who}: syn.g first non-zero right after fadvance {k} (expected {k_after})"
    assert after[k] == (0.01 if undecayed else G_AFTER_ONE_STEP), f"{who}: {after[k]!r}"


@pytest.mark.parametrize("delay, first, t_first, k_after, undecayed", DELIVERY_TABLE,
                         ids=[str(r[0]) for r in DELIVERY_TABLE])
def test_event_delivery_table_neuron(nrn, delay, first, t_first, k_after, undecayed):
    result = delivery(nrn, delay)
    _check_delivery("NEURON", result, first, t_first)
    _check_state_after_fadvance("NEURON", result, k_after, undecayed)


@pytest.mark.parametrize("delay, first, t_first, k_after, undecayed", DELIVERY_TABLE,
                         ids=[str(r[0]) for r in DELIVERY_TABLE])
def test_event_delivery_recorded_g(nrn, rb, delay, first, t_first, k_after, undecayed):
    want = delivery(nrn, delay)
    got = delivery(rb, delay)
    _check_delivery("rheobase", got, first, t_first)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


_EARLY = ("rheobase delivers an event with t_k < te <= t_k + dt/2 at the end of the step that "
          "reaches t_k (after recording) instead of at the start of the next fadvance, so syn.g "
          "read between fadvance calls already contains it")


@pytest.mark.parametrize(
    "delay, first, t_first, k_after, undecayed",
    DELIVERY_TABLE,
    ids=[str(r[0]) for r in DELIVERY_TABLE],
)
def test_event_delivery_state_between_steps(nrn, rb, delay, first, t_first, k_after, undecayed):
    """syn.g read right after each fadvance: an event due at the start of step k is not in the
    state yet when fadvance k−1 returns (it is delivered by the next fadvance)."""
    want = delivery(nrn, delay)
    got = delivery(rb, delay)
    _check_state_after_fadvance("rheobase", got, k_after, undecayed)
    np.testing.assert_array_equal(got[3], want[3])


@pytest.mark.parametrize("delay, g0", [(0.0, 0.01), (0.01, 0.0), (0.0125, 0.0)])
def test_netstim_start_zero(nrn, rb, delay, g0):
    """A NetStim spike at 0 with delay 0 is delivered inside finitialize (g[0] = 0.01); any
    positive delay waits for the first step."""
    want = delivery(nrn, delay, start=0.0, steps=4)
    got = delivery(rb, delay, start=0.0, steps=4)
    for who, (g, t, g_init, after) in (("NEURON", want), ("rheobase", got)):
        assert g_init == g0, f"{who}: syn.g after finitialize = {g_init!r}"
        assert g[0] == g0, f"{who}: g[0] = {g[0]!r}"
        assert g[1] == G_AFTER_ONE_STEP, f"{who}: g[1] = {g[1]!r}"
    np.testing.assert_array_equal(got[0], want[0])


# --------------------------------------------------------------------------------------------
# (b) Exp2Syn
# --------------------------------------------------------------------------------------------
def exp2syn(sim, tau1, tau2, drive="netstim"):
    """hh soma with an Exp2Syn (e 0). drive "netstim": NetStim start 1 interval 6 number 4 via a
    NetCon of weight 0.02 and delay 0.7; drive "event": one nc.event(0.5) of weight 0.01.
    Returns (tau1 before finitialize, tau1 after, tau2 after, t, v, g, A, B, i)."""
    sim.load_file("stdrun.hoc")
    soma = sim.Section("soma")
    soma.L = soma.diam = 20
    soma.insert("hh")
    syn = sim.Exp2Syn(soma(0.5))
    syn.tau1, syn.tau2, syn.e = tau1, tau2, 0
    keep = []
    if drive == "netstim":
        ns = sim.NetStim()
        ns.start, ns.interval, ns.number = 1, 6, 4
        nc = sim.NetCon(ns, syn)
        nc.weight[0], nc.delay = 0.02, 0.7
        keep.append(ns)
    else:
        nc = sim.NetCon(None, syn)
        nc.weight[0] = 0.01
    t = sim.Vector().record(sim._ref_t)
    v = sim.Vector().record(soma(0.5)._ref_v)
    g = sim.Vector().record(syn._ref_g)
    a = sim.Vector().record(syn._ref_A)
    b = sim.Vector().record(syn._ref_B)
    i = sim.Vector().record(syn._ref_i)
    tau1_before = syn.tau1
    sim.finitialize(-65)
    tau1_after, tau2_after = syn.tau1, syn.tau2
    if drive == "event":
        nc.event(0.5)
    sim.continuerun(30)
    return (tau1_before, tau1_after, tau2_after) + tuple(_arrays(t, v, g, a, b, i))


@pytest.mark.parametrize(
    "tau1, tau2, tau1_used",
    [(0.5, 2.0, 0.5), (0.1, 10.0, 0.1), (2.0, 2.0, 0.9999 * 2.0), (3.0, 2.0, 0.9999 * 2.0), (1e-12, 2.0, 2e-9)],
    ids=["0.5-2", "defaults", "equal", "tau1>tau2", "tiny-tau1"],
)
def test_exp2syn_traces_match_neuron(nrn, rb, tau1, tau2, tau1_used):
    want = exp2syn(nrn, tau1, tau2)
    got = exp2syn(rb, tau1, tau2)
    # INITIAL overwrites the tau1 PARAMETER (tau1 >= 0.9999·tau2 or < 1e-9·tau2); not before.
    assert want[0] == got[0] == tau1
    assert want[1] == tau1_used and got[1] == want[1], (want[1], got[1])
    assert got[2] == want[2] == tau2
    for name, k, tol in (("t", 3, 1e-9), ("v", 4, 1e-6), ("g", 5, 1e-9), ("A", 6, 1e-9), ("B", 7, 1e-9),
                         ("i", 8, 1e-9)):
        assert_trace_close(got[k], want[k], tol, name)
    assert got[5].max() > 0


def test_exp2syn_peak_normalised(nrn, rb):
    """tau1 = tau2 = 2 becomes 1.9998 / 2 with factor 27181.459…: one event of weight 0.01 peaks
    at 0.01 µS to within the sampling (NEURON: 0.009999999987584829)."""
    for sim in (nrn, rb):
        soma = sim.Section("soma")
        soma.L = soma.diam = 10
        soma.insert("pas")
        syn = sim.Exp2Syn(soma(0.5))
        syn.tau1 = syn.tau2 = 2
        nc = sim.NetCon(None, syn)
        nc.weight[0] = 0.01
        g = sim.Vector().record(syn._ref_g)
        sim.finitialize(-65)
        nc.event(0)
        sim.continuerun(30)
        assert syn.tau1 == 1.9998
        peak = max(g)
        assert peak == pytest.approx(0.009999999987584829, rel=1e-12, abs=0), f"{sim}: peak {peak!r}"
        del soma, syn, nc, g


def test_exp2syn_g_lags_states_by_one_step(nrn, rb):
    """g = B − A is computed in BREAKPOINT at the step midpoint from A, B at t_k, so the recorded
    g[k+1] is B[k] − A[k] (A, B are STATEs, current at their sample)."""
    want = exp2syn(nrn, 0.1, 10.0, drive="event")
    got = exp2syn(rb, 0.1, 10.0, drive="event")
    for who, (tau1_before, tau1, tau2, t, v, g, a, b, i) in (("NEURON", want), ("rheobase", got)):
        np.testing.assert_array_equal(g[1:], (b - a)[:-1], err_msg=who)
        # event at 0.5 = t_20: in the states from t_21 on, in g from t_22 on.
        assert g[21] == 0.0 and b[21] - a[21] > 0, f"{who}: g[21]={g[21]!r}, B-A={b[21] - a[21]!r}"
        assert g[22] == b[21] - a[21]
    assert_trace_close(got[5], want[5], 1e-12, "g")


# --------------------------------------------------------------------------------------------
# (c) NetCon: threshold detection, sharing, defaults, events, lifetime
# --------------------------------------------------------------------------------------------
def hh_soma(sim):
    soma = sim.Section("soma")
    soma.L = soma.diam = 20
    soma.insert("hh")
    return soma


def detection(sim, v_init, clamp):
    sim.load_file("stdrun.hoc")
    soma = hh_soma(sim)
    stim = sim.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 1, 0.5, (1.0 if clamp else 0.0)
    nc = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
    tvec = sim.Vector()
    nc.record(tvec)
    sim.finitialize(v_init)
    after_init = list(tvec)
    sim.fadvance()
    after_one = list(tvec)
    sim.continuerun(5)
    return after_init, after_one, list(tvec)


@pytest.mark.parametrize(
    "v_init, clamp, expected",
    [(20.0, False, [1e-10]), (-65.0, False, []), (-65.0, True, [1.6500000000999961])],
    ids=["v_init-above", "rest", "iclamp"],
)
def test_threshold_detection(nrn, rb, v_init, clamp, expected):
    """v_init above threshold: nothing during finitialize, 1e-10 after the first step. IClamp:
    the first sample above 10 mV is t_66 = 1.6499999999999961, spike = t_66 + 1e-10 (no
    interpolation)."""
    want = detection(nrn, v_init, clamp)
    got = detection(rb, v_init, clamp)
    assert want[0] == [] and got[0] == []
    assert want[2] == expected
    assert got == want  # exact floats


def test_threshold_is_shared_per_source(nrn, rb):
    def build(sim):
        soma = sim.Section("soma")  # nseg 1: soma(0.1) and soma(0.5) are the same node
        nc1 = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
        nc2 = sim.NetCon(soma(0.1)._ref_v, None, sec=soma)
        seen = [(nc1.threshold, nc2.threshold)]
        nc2.threshold = 5
        seen.append((nc1.threshold, nc2.threshold))
        nc3 = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)  # no threshold argument: keeps 5
        seen.append((nc1.threshold, nc3.threshold))
        nc1.threshold = -10
        seen.append((nc2.threshold, nc3.threshold))
        nc4 = sim.NetCon(soma(0.5)._ref_v, None, -20, 0, 1)  # explicit threshold: changes all
        seen.append((nc1.threshold, nc2.threshold, nc3.threshold, nc4.threshold))
        seen.append((nc4.delay, nc4.weight[0]))
        return seen

    want = build(nrn)
    assert want == [(10.0, 10.0), (5.0, 5.0), (5.0, 5.0), (-10.0, -10.0), (-20.0,) * 4, (0.0, 1.0)]
    assert build(rb) == want


def record_replacement(sim):
    sim.load_file("stdrun.hoc")
    soma = hh_soma(sim)
    stim = sim.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 1, 0.5, 1.0
    nc1 = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
    nc2 = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
    tv1, tv2, tva, tvb, idv = (sim.Vector() for _ in range(5))
    nc1.record(tv1)
    nc2.record(tv2)
    sim.finitialize(-65)
    sim.continuerun(3)
    first = (list(tv1), list(tv2))
    nc1.record(tva)
    nc1.record(tvb, idv, 7)
    sim.finitialize(-65)
    sim.continuerun(3)
    return first, (list(tva), list(tvb), list(idv)), list(tv2)


def test_record_replaces_per_source(nrn, rb):
    """A source has one recording vector: nc2.record(tv2) after nc1.record(tv1) (same source)
    takes over, and re-recording the same NetCon does too; the id vector gets the given id."""
    want = record_replacement(nrn)
    assert want[:2] == (([], [1.6500000000999961]), ([], [1.6500000000999961], [7.0]))
    got = record_replacement(rb)
    assert got[:2] == want[:2]


def test_replaced_record_vector_keeps_its_spikes(nrn, rb):
    want = record_replacement(nrn)
    assert want[2] == [1.6500000000999961]
    assert record_replacement(rb)[2] == want[2]


# NetCon(None, None) is left out: NEURON aborts the process on it ("source is missing").
DEFAULT_ENDS = [(s, t) for s in ("v", "NetStim", None) for t in ("ExpSyn", "Exp2Syn", "NetStim", None)
                if (s, t) != (None, None)]


def netcon_defaults(sim, source, target):
    soma = sim.Section("soma")
    src = {"v": soma(0.5)._ref_v, "NetStim": sim.NetStim(), None: None}[source]
    tgt = None if target is None else (sim.NetStim() if target == "NetStim" else getattr(sim, target)(soma(0.5)))
    nc = sim.NetCon(src, tgt, sec=soma) if source == "v" else sim.NetCon(src, tgt)
    values = (float(nc.wcnt()), list(nc.weight), nc.delay, nc.threshold, float(nc.srcgid()))
    names = (repr(nc), str(nc), nc.hname())
    return values, names, (float(nc.active()), float(nc.valid()))


@pytest.mark.parametrize("source, target", DEFAULT_ENDS, ids=[f"{s}-{t}" for s, t in DEFAULT_ENDS])
def test_netcon_defaults(nrn, rb, source, target):
    want, wnames, _ = netcon_defaults(nrn, source, target)
    got, gnames, _ = netcon_defaults(rb, source, target)
    assert want == (1.0, [0.0], 1.0, 10.0, -1.0)
    assert got == want
    assert len(set(gnames)) == 1 and re.fullmatch(r"NetCon\[\d+\]", gnames[0]), gnames


@pytest.mark.parametrize(
    "source, target",
    DEFAULT_ENDS,
    ids=[f"{s}-{t}" for s, t in DEFAULT_ENDS],
)
def test_netcon_active_valid_defaults(nrn, rb, source, target):
    """NEURON 9.0.2 (netcvode.cpp): active_ is true only when there is a target; valid() is
    src_ && target_, and NetCon(None, target) still gets a PreSyn."""
    want = netcon_defaults(nrn, source, target)[2]
    has_target = 1.0 if target is not None else 0.0
    assert want == (has_target, has_target)
    assert netcon_defaults(rb, source, target)[2] == want


def test_netcon_ends(nrn, rb):
    def build(sim):
        soma = sim.Section("soma")
        dend = sim.Section("dend")
        syn = sim.ExpSyn(dend(0.25))
        ns = sim.NetStim()
        nc_v = sim.NetCon(soma(0.5)._ref_v, syn, sec=soma)
        nc_pp = sim.NetCon(ns, syn)
        return [
            nc_v.pre() is None, nc_v.syn() == syn, str(nc_v.preseg()), str(nc_v.postseg()),
            nc_pp.pre() == ns, nc_pp.preseg() is None, str(nc_pp.postseg()),
        ]

    want = build(nrn)
    # nseg 1: the ExpSyn placed at dend(0.25) sits on the node of dend(0.5)
    assert want == [True, True, "soma(0.5)", "dend(0.5)", True, True, "dend(0.5)"]
    assert build(rb) == want


def event_run(sim, events, active=True, tstop=1.0, past=None):
    """Passive soma, ExpSyn (tau 2), NetCon(None, syn) weight 0.01 delay 5 (ignored by event()).
    `events` are given after finitialize; `past` = (at, te) gives event te once t reaches `at`."""
    sim.load_file("stdrun.hoc")
    soma = sim.Section("soma")
    soma.insert("pas")
    syn = sim.ExpSyn(soma(0.5))
    syn.tau = 2
    nc = sim.NetCon(None, syn)
    nc.weight[0], nc.delay = 0.01, 5
    nc.active(active)
    g = sim.Vector().record(syn._ref_g)
    sim.finitialize(-65)
    for te in events:
        nc.event(te)
    if past is not None:
        sim.continuerun(past[0])
        nc.event(past[1])
    sim.continuerun(tstop)
    return np.array(g)


@pytest.mark.parametrize(
    "te, first",
    [(0.5, 21), (0.5125, 21), (0.0, 1), (0.0125, 1), (0.01249, 1), (0.025, 2), (1.0249999999999984, 42)],
)
def test_netcon_event_timing(nrn, rb, te, first):
    """nc.event(te): absolute time, delay ignored, same delivery rule as a NetCon's events."""
    want = event_run(nrn, [te], tstop=1.2)
    got = event_run(rb, [te], tstop=1.2)
    assert np.flatnonzero(want)[0] == first
    assert want[first] == G_AFTER_ONE_STEP
    np.testing.assert_array_equal(got, want)


def test_netcon_event_in_the_past(nrn, rb):
    """nc.event(0.2) issued at t = 0.5: no error, delivered at the start of the next step."""
    want = event_run(nrn, [], past=(0.5, 0.2))
    got = event_run(rb, [], past=(0.5, 0.2))
    assert np.flatnonzero(want)[0] == 21
    np.testing.assert_array_equal(got, want)


def test_finitialize_clears_the_event_queue(nrn, rb):
    def build(sim):
        soma = sim.Section("soma")
        soma.insert("pas")
        syn = sim.ExpSyn(soma(0.5))
        nc = sim.NetCon(None, syn)
        nc.weight[0] = 0.01
        g = sim.Vector().record(syn._ref_g)
        sim.finitialize(-65)
        sim.continuerun(0.5)
        nc.event(1.0)  # pending ...
        sim.finitialize(-65)  # ... and dropped
        sim.continuerun(2)
        return np.array(g), syn.g

    for sim in (nrn, rb):
        g, last = build(sim)
        assert len(g) == 81 and not g.any() and last == 0.0, str(sim)


def test_event_on_inactive_netcon(nrn, rb):
    want = event_run(nrn, [0.3], active=False)
    assert not want.any()
    np.testing.assert_array_equal(event_run(rb, [0.3], active=False), want)


def test_inactive_netcon_delivers_nothing(nrn, rb):
    def build(sim):
        sim.load_file("stdrun.hoc")
        soma = sim.Section("soma")
        soma.insert("pas")
        syn = sim.ExpSyn(soma(0.5))
        ns = sim.NetStim()
        ns.start, ns.interval, ns.number = 0.5, 1, 10
        nc = sim.NetCon(ns, syn)
        nc.weight[0] = 0.01
        g = sim.Vector().record(syn._ref_g)
        sim.finitialize(-65)
        sim.continuerun(3)
        nc.active(False)
        sim.continuerun(6)
        nc.active(True)
        sim.continuerun(8)
        return np.array(g)

    want = build(nrn)
    got = build(rb)
    g = want
    # spikes at 0.5..2.5 arrive at 1.5..3.5; the one at 3.5 (sent at 2.5) is still delivered,
    # since the delay is applied when the spike is sent; 4.5, 5.5 are dropped; from 7.5 on again.
    np.testing.assert_array_equal(got, want)
    assert g[int(4.5 / DT) + 2] < g[int(3.5 / DT) + 2]


def active_returns(sim, target="ExpSyn"):
    """nc.active() / active(False) / active() / active(True) / active() for a NetCon whose target
    is an ExpSyn, None, or an ExpSyn deleted right after the NetCon was made."""
    soma = sim.Section("soma")
    syn = sim.ExpSyn(soma(0.5)) if target != "None" else None
    nc = sim.NetCon(None, syn)
    if target == "deleted":
        del syn
        gc.collect()
    return [float(x) for x in (nc.active(), nc.active(False), nc.active(), nc.active(True), nc.active())]


def test_active_returns_previous_state(nrn, rb):
    want = active_returns(nrn)
    assert want == [1.0, 1.0, 0.0, 0.0, 1.0]
    assert active_returns(rb) == want


@pytest.mark.parametrize("target", ["None", "deleted"])
def test_active_without_target(nrn, rb, target):
    want = active_returns(nrn, target)
    assert want == [0.0] * 5
    assert active_returns(rb, target) == want


def test_deleted_target(nrn, rb):
    """Deleting the target (last Python reference) invalidates the NetCon; running still works."""
    def build(sim):
        sim.load_file("stdrun.hoc")
        soma = sim.Section("soma")
        soma.insert("pas")
        syn = sim.ExpSyn(soma(0.5))
        ns = sim.NetStim()
        ns.start, ns.number = 0.5, 3
        nc = sim.NetCon(ns, syn)
        nc.weight[0] = 0.01
        spikes = sim.Vector()
        nc.record(spikes)
        before = float(nc.valid())
        del syn
        gc.collect()
        after = float(nc.valid())
        v = sim.Vector().record(soma(0.5)._ref_v)
        sim.finitialize(-65)
        sim.continuerun(5)
        return before, after, nc.syn() is None, np.array(v), list(spikes)

    want = build(nrn)
    got = build(rb)
    assert want[:3] == (1.0, 0.0, True)
    assert got[:3] == want[:3]
    assert_trace_close(got[3], want[3], 1e-9, "v")
    assert got[4] == want[4]


def test_temporary_netcon_has_no_effect(nrn, rb):
    """`NetCon(stim, syn).weight[0] = 0.05` without keeping the NetCon: it is gone at once."""
    def build(sim):
        sim.load_file("stdrun.hoc")
        soma = sim.Section("soma")
        soma.insert("pas")
        syn = sim.ExpSyn(soma(0.5))
        stim = sim.NetStim()
        stim.start, stim.number = 0.5, 3
        sim.NetCon(stim, syn).weight[0] = 0.05
        gc.collect()
        g = sim.Vector().record(syn._ref_g)
        sim.finitialize(-65)
        sim.continuerun(5)
        return np.array(g)

    want = build(nrn)
    assert len(want) == 201 and not want.any()
    np.testing.assert_array_equal(build(rb), want)


# --------------------------------------------------------------------------------------------
# (d) ParallelContext in one process
# --------------------------------------------------------------------------------------------
RING_T = [2.950000000100008, 8.925000000100027, 14.900000000099688, 20.85000000009935,
          26.80000000009901, 32.750000000098886, 38.70000000010024]
RING_ID = [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0]


def ring3(sim, run="psolve"):
    """FACTS §5: 3 hh somas, ExpSyn tau 2, gid i -> syn[(i+1) % 3] (weight 0.01, delay 5); a
    NetStim at 1 ms -> syn[0] (delay 1). run "temporary": psolve, and the spike detectors are
    NetCons given to pc.cell and not kept (the gid keeps its spike source)."""
    sim.load_file("stdrun.hoc")
    pc = sim.ParallelContext()
    somas, syns, ncs = [], [], []
    returns = []
    for gid in range(3):
        soma = sim.Section(name=f"soma{gid}")
        soma.L = soma.diam = 20
        soma.insert("hh")
        syn = sim.ExpSyn(soma(0.5))
        syn.tau = 2
        somas.append(soma)
        syns.append(syn)
        returns.append(pc.set_gid2node(gid, 0))
        detector = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
        returns.append(pc.cell(gid, detector))
        if run != "temporary":
            ncs.append(detector)
        del detector
    ncs = [None] * 3 if run == "temporary" else ncs
    gc.collect()
    for gid in range(3):
        nc = pc.gid_connect(gid, syns[(gid + 1) % 3])
        nc.weight[0], nc.delay = 0.01, 5
        ncs.append(nc)
    stim = sim.NetStim()
    stim.start, stim.number = 1, 1
    ncst = sim.NetCon(stim, syns[0])
    ncst.delay, ncst.weight[0] = 1, 0.01
    tvec, idvec = sim.Vector(), sim.Vector()
    returns.append(pc.spike_record(-1, tvec, idvec))
    maxstep = pc.set_maxstep(10)
    sim.dt = DT
    sim.finitialize(-65)
    if run in ("psolve", "temporary"):
        pc.psolve(40)
    else:
        sim.continuerun(40)
    t_end = sim.t
    srcgids = [float(nc.srcgid()) for nc in ncs[3:]]
    return list(tvec), list(idvec), t_end, maxstep, [float(r) for r in returns], srcgids


@pytest.mark.parametrize("run", ["psolve", "continuerun", "temporary"])
def test_ring3_spikes(nrn, rb, run):
    want = ring3(nrn, run)
    assert want[0] == RING_T and want[1] == RING_ID
    assert want[2] == 40.00000000000053 and want[3] == 10.0
    assert want[4] == [0.0] * 7 and want[5] == [0.0, 1.0, 2.0]
    got = ring3(rb, run)
    assert got[0] == want[0], "spike times"
    assert got[1] == want[1], "spike gids (in detection order)"
    assert got[2:] == want[2:]


def test_spike_record_order_is_detection_order(nrn, rb):
    """Two cells firing in one step are recorded in the order their thresholds are checked, and
    a NetStim's spike (its own time) sits where it happened, not sorted by gid."""
    def build(sim):
        sim.load_file("stdrun.hoc")
        pc = sim.ParallelContext()
        keep = []
        for gid, delay in ((5, 1.0), (3, 1.0), (4, 0.6)):
            soma = hh_soma(sim)
            stim = sim.IClamp(soma(0.5))
            stim.delay, stim.dur, stim.amp = delay, 0.5, 1.0
            pc.set_gid2node(gid, 0)
            detector = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
            pc.cell(gid, detector)
            keep += [soma, stim, detector]
        ns = sim.NetStim()
        ns.start, ns.number = 0.5, 1
        pc.set_gid2node(9, 0)
        nsnc = sim.NetCon(ns, None)
        pc.cell(9, nsnc)
        tvec, idvec = sim.Vector(), sim.Vector()
        pc.spike_record(-1, tvec, idvec)
        pc.set_maxstep(10)
        sim.finitialize(-65)
        pc.psolve(3)
        return list(tvec), list(idvec)

    want = build(nrn)
    # gids 5 and 3 cross in the same step: 5 (made first) comes first, not sorted by gid
    assert want == ([0.5, 1.2500000000999976, 1.6500000000999961, 1.6500000000999961], [9.0, 4.0, 5.0, 3.0])
    assert build(rb) == want


def test_gid_exists_levels(nrn, rb):
    def build(sim):
        pc = sim.ParallelContext()
        soma = sim.Section("soma")
        levels = [pc.gid_exists(10)]
        pc.set_gid2node(10, 0)
        levels.append(pc.gid_exists(10))
        nc = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
        pc.cell(10, nc, 0)  # not an output cell
        levels.append(pc.gid_exists(10))
        pc.outputcell(10)
        levels.append(pc.gid_exists(10))
        pc.set_gid2node(11, 0)
        nc2 = sim.NetStim()
        pc.cell(11, sim.NetCon(nc2, None))  # output by default
        levels.append(pc.gid_exists(11))
        levels.append(pc.gid_exists(12))
        return [float(x) for x in levels]

    want = build(nrn)
    assert want == [0.0, 1.0, 2.0, 3.0, 3.0, 0.0]
    assert build(rb) == want


def test_pc_threshold(nrn, rb):
    def build(sim):
        pc = sim.ParallelContext()
        somas, ncs = [], []
        for gid in range(2):
            soma = sim.Section(f"soma{gid}")
            pc.set_gid2node(gid, 0)
            nc = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
            pc.cell(gid, nc)
            somas.append(soma)
            ncs.append(nc)
        out = [pc.threshold(0), pc.threshold(1, -20), pc.threshold(1), ncs[1].threshold, ncs[0].threshold]
        ncs[0].threshold = 3  # the NetCon's threshold is the gid's
        out.append(pc.threshold(0))
        return out

    want = build(nrn)
    assert want == [10.0, -20.0, -20.0, -20.0, 10.0, 3.0]
    assert build(rb) == want


def _pc_cell_without_gid(sim, pc, soma):
    pc.cell(5, sim.NetCon(soma(0.5)._ref_v, None, sec=soma))


def _set_gid2node_twice(sim, pc, soma):
    pc.set_gid2node(7, 0)
    pc.set_gid2node(7, 0)


def _threshold_unknown_gid(sim, pc, soma):
    pc.threshold(123)


def _threshold_gid_without_cell(sim, pc, soma):
    pc.set_gid2node(8, 0)
    pc.threshold(8)


def _gid_connect_to_gid_without_cell(sim, pc, soma):
    pc.set_gid2node(9, 0)
    pc.gid_connect(9, sim.ExpSyn(soma(0.5)))


def _gid_exists_negative(sim, pc, soma):
    pc.gid_exists(-1)



# (call, regex both messages match, reason rheobase still differs or None)
PC_ERRORS = [
    ("cell-without-set_gid2node", _pc_cell_without_gid, r"gid\W*5"),
    ("set_gid2node-twice", _set_gid2node_twice, r"gid\W*7 already exists on this process"),
    ("threshold-unknown-gid", _threshold_unknown_gid, "gid"),
    ("threshold-gid-without-cell", _threshold_gid_without_cell, "gid"),
    ("gid_connect-gid-without-cell", _gid_connect_to_gid_without_cell, r"gid\W*9"),
    ("gid_exists(-1)", _gid_exists_negative, None),
]


@pytest.mark.parametrize("call, words", [(c, w) for _, c, w in PC_ERRORS], ids=[r[0] for r in PC_ERRORS])
def test_pc_errors_neuron(nrn, call, words):
    """What NEURON does (RuntimeError from hoc_execerror), pinned separately so that a known
    rheobase difference below cannot hide a change on NEURON's side."""
    pc = nrn.ParallelContext()
    soma = nrn.Section("soma")
    with pytest.raises(RuntimeError, match=words):
        call(nrn, pc, soma)
    del soma


@pytest.mark.parametrize(
    "call, words",
    [(c, w) for _, c, w in PC_ERRORS],
    ids=[r[0] for r in PC_ERRORS],
)
def test_pc_errors_rheobase(rb, call, words):
    """rheobase raises NEURON's exception type (the project's rule for errors NEURON also has)."""
    pc = rb.ParallelContext()
    soma = rb.Section("soma")
    with pytest.raises(RuntimeError, match=words):
        call(rb, pc, soma)


def test_pc_threshold_unknown_gid_is_an_error(rb):
    """Whatever the type, an unknown gid's threshold is refused and nothing is created."""
    pc = rb.ParallelContext()
    with pytest.raises(Exception, match="gid"):
        pc.threshold(123)
    assert pc.gid_exists(123) == 0.0


PSOLVE_T = [
    (0.1, 0.09999999999999999), (0.1125, 0.09999999999999999), (0.12, 0.09999999999999999),
    (10.0, 9.999999999999966), (10.01, 9.999999999999966), (10.0125, 9.999999999999966),
    (10.013, 9.999999999999966), (10.02, 9.999999999999966), (10.024, 9.999999999999966),
    (10.025, 10.024999999999965), (40.0, 40.00000000000053),
]


def psolve_ends(sim, tstops, successive=False):
    sim.load_file("stdrun.hoc")
    pc = sim.ParallelContext()
    soma = sim.Section("soma")
    soma.insert("pas")
    pc.set_maxstep(10)
    sim.dt = DT
    ends = []
    if successive:
        sim.finitialize(-65)
    for tstop in tstops:
        if not successive:
            sim.finitialize(-65)
        pc.psolve(tstop)
        ends.append(sim.t)
    return ends


def test_psolve_final_t(nrn, rb):
    """psolve takes int((tstop·(1+1e-11) − t)/dt + 1e-9) steps (or steps while t <= tstop − dt
    for at most 3), so it can stop one step short of continuerun."""
    tstops = [row[0] for row in PSOLVE_T]
    want = psolve_ends(nrn, tstops)
    assert want == [row[1] for row in PSOLVE_T]
    assert psolve_ends(rb, tstops) == want


def test_psolve_successive_calls(nrn, rb):
    tstops = [10.0, 10.0125, 10.02, 10.025, 10.05]
    want = psolve_ends(nrn, tstops, successive=True)
    assert want == [9.999999999999966] * 3 + [10.024999999999965, 10.049999999999963]
    assert psolve_ends(rb, tstops, successive=True) == want


def test_set_maxstep_value(nrn, rb):
    """With every source local, set_maxstep returns its argument; a gid_connect to a gid no host
    has (delay 2) counts as remote and caps it."""
    def build(sim):
        pc = sim.ParallelContext()
        soma = sim.Section("soma")
        pc.set_gid2node(0, 0)
        pc.cell(0, sim.NetCon(soma(0.5)._ref_v, None, sec=soma))
        syn = sim.ExpSyn(soma(0.5))
        local = pc.gid_connect(0, syn)
        local.delay = 1
        out = [pc.set_maxstep(10), pc.set_maxstep(0.5)]
        remote = pc.gid_connect(99, syn)
        remote.delay = 2
        out += [pc.set_maxstep(10), float(remote.valid()), float(remote.srcgid())]
        return out

    want = build(nrn)
    assert want == [10.0, 0.5, 2.0, 1.0, 99.0]
    assert build(rb) == want


# --------------------------------------------------------------------------------------------
# (e) nsuite busyring
# --------------------------------------------------------------------------------------------
def busyring_spikes(sim, ncells, depth, synapses=1, threads=1, tstop=200):
    from rheobase.busyring import NeuronNetwork

    net = NeuronNetwork(sim, ncells, depth, synapses)
    net.run(tstop, threads)
    spikes = net.spikes()
    net.pc.gid_clear()
    return spikes


@pytest.mark.parametrize("ncells, depth, synapses", [(64, 4, 1), (20, 2, 50)], ids=["ring", "kway"])
def test_busyring_matches_neuron(nrn, rb, ncells, depth, synapses):
    want = busyring_spikes(nrn, ncells, depth, synapses)
    assert len(want) > 3 * ncells  # the rings keep going
    got = busyring_spikes(rb, ncells, depth, synapses)
    assert len(got) == len(want)
    assert sorted(got) == sorted(want), "spike (time, gid) sets differ"
    assert got == want, "same spikes, different recording order"


@pytest.mark.parametrize("ncells, depth, synapses", [(64, 4, 1), (20, 2, 50)], ids=["ring", "kway"])
def test_busyring_threads_identical(ncells, depth, synapses):
    """pc.nthread(k) only changes who computes the cells, not a single spike or its order."""
    runs = {}
    for threads in (1, 2, 4):
        runs[threads] = busyring_spikes(rheobase.Model(), ncells, depth, synapses, threads=threads)
    assert len(runs[1]) > 3 * ncells
    assert runs[2] == runs[1]
    assert runs[4] == runs[1]


def test_nthread_value(rb):
    pc = rb.ParallelContext()
    assert pc.nthread() == 1.0
    assert pc.nthread(3) == 3.0 and pc.nthread() == 3.0
    with pytest.raises(ValueError):
        pc.nthread(0)
    assert pc.nthread() == 3.0


def test_cell_groups_follow_threads_and_delays():
    """One group per thread (whole cells); one group when the delay between groups would be
    under two steps, since spikes are exchanged between groups only every so many steps."""
    from rheobase.busyring import NeuronNetwork

    model = rheobase.Model()
    net = NeuronNetwork(model, 20, 2, 1)
    for threads, groups in ((1, 1), (2, 2), (3, 3)):
        net.pc.nthread(threads)
        model.finitialize(-65)
        assert model._engine.cell_groups() == groups
    for nc in net.netcons:
        nc.delay = 0.04  # < 2 dt between cells of different groups
    model.finitialize(-65)
    assert model._engine.cell_groups() == 1


# --------------------------------------------------------------------------------------------
# (f) bad input (rheobase only: NEURON's process is not reliable after some of these errors —
# a second NetCon after a refused NetCon(v, IClamp) crashes it)
# --------------------------------------------------------------------------------------------
def small(rb):
    soma = rb.Section("soma")
    soma.insert("hh")
    syn = rb.ExpSyn(soma(0.5))
    nc = rb.NetCon(soma(0.5)._ref_v, syn, sec=soma)
    return soma, syn, nc


def test_target_without_net_receive(rb):
    soma, syn, nc = small(rb)
    ic = rb.IClamp(soma(0.5))
    with pytest.raises(ValueError, match="NET_RECEIVE"):
        rb.NetCon(soma(0.5)._ref_v, ic, sec=soma)
    with pytest.raises(ValueError, match="NET_RECEIVE"):
        rb.NetCon(None, ic)


@pytest.mark.parametrize(
    "make",
    [lambda s: s(0.5)._ref_m_hh, lambda s: s, lambda s: s(0.5), lambda s: 3.0, lambda s: "soma"],
    ids=["_ref_m_hh", "section", "segment", "float", "str"],
)
def test_wrong_source_type(rb, make):
    soma, syn, nc = small(rb)
    with pytest.raises(TypeError, match="source"):
        rb.NetCon(make(soma), syn)


def test_wrong_target_type(rb):
    soma, syn, nc = small(rb)
    with pytest.raises(TypeError, match="target"):
        rb.NetCon(None, soma(0.5))


def test_weight_errors(rb):
    soma, syn, nc = small(rb)
    with pytest.raises(IndexError):
        nc.weight[1]
    with pytest.raises(IndexError):
        nc.weight[1] = 2.0
    with pytest.raises(IndexError):
        nc.weight[-1]
    with pytest.raises((AttributeError, TypeError)):
        nc.weight = 3
    with pytest.raises(TypeError):
        nc.weight[0] = "x"
    assert list(nc.weight) == [0.0] and nc.wcnt() == 1


@pytest.mark.parametrize("value", [-1.0, -1e-12, math.nan, math.inf])
def test_bad_delay_changes_nothing(rb, value):
    soma, syn, nc = small(rb)
    nc.delay = 2.5
    with pytest.raises(ValueError):
        nc.delay = value
    assert nc.delay == 2.5


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_bad_threshold_changes_nothing(rb, value):
    soma, syn, nc = small(rb)
    nc.threshold = -20
    with pytest.raises(ValueError):
        nc.threshold = value
    assert nc.threshold == -20.0


def test_failed_constructor_changes_nothing(rb):
    soma, syn, nc = small(rb)
    with pytest.raises(ValueError):
        rb.NetCon(soma(0.5)._ref_v, None, -20, -1, 0.5, sec=soma)
    assert nc.threshold == 10.0


def test_failed_constructor_leaves_no_netcon(rb):
    """The refused NetCon does not deliver: the model's run equals one that never saw it."""
    def run(bad):
        m = rheobase.Model()
        soma = m.Section("soma")
        soma.insert("pas")
        syn = m.ExpSyn(soma(0.5))
        ns = m.NetStim()
        ns.start, ns.number = 0.5, 1
        if bad:
            with pytest.raises(ValueError):
                m.NetCon(ns, syn, 10, -1, 0.5)
        g = m.Vector().record(syn._ref_g)
        m.finitialize(-65)
        m.continuerun(3)
        return np.array(g)

    np.testing.assert_array_equal(run(True), run(False))


def test_objects_from_another_model(rb):
    other = rheobase.Model()
    soma, syn, nc = small(rb)
    osoma = other.Section("osoma")
    osyn = other.ExpSyn(osoma(0.5))
    ons = other.NetStim()
    with pytest.raises(ValueError, match="another Model"):
        rb.NetCon(soma(0.5)._ref_v, osyn, sec=soma)
    with pytest.raises(ValueError, match="another Model"):
        rb.NetCon(osoma(0.5)._ref_v, syn)
    with pytest.raises(ValueError, match="another Model"):
        rb.NetCon(ons, syn)
    with pytest.raises(ValueError, match="another Model"):
        rb.ParallelContext().gid_connect(0, osyn)


def test_record_and_event_argument_errors(rb):
    soma, syn, nc = small(rb)
    with pytest.raises(TypeError):
        nc.record([1, 2])
    with pytest.raises(TypeError):
        nc.record(rb.Vector(), "ids")
    rb.finitialize(-65)
    with pytest.raises((TypeError, ValueError)):
        nc.event("soon")
    with pytest.raises(ValueError):
        nc.event(math.nan)
    rb.continuerun(1)  # nothing was queued or registered by the refused calls
    assert syn.g == 0.0


def fake_self_events(sim):
    cell = sim.IntFire1()
    cell.tau, cell.refrac = 10, 5
    out = sim.Vector()
    detector = sim.NetCon(cell, None)
    detector.record(out)
    nc = sim.NetCon(None, cell)
    nc.weight[0] = 0.6
    sim.finitialize(-65)
    returned = [nc.event(1.0), nc.event(2.0)]  # fires at 2 (m > 1), refractory until 7
    nc.event(3.0, 1)  # a self event with flag 1 ends the refractory period early
    nc.event(4.0)
    nc.event(4.5)
    sim.continuerun(12)
    return returned, list(out), cell.M()


def test_netcon_event_with_flag_is_a_self_event_of_an_artificial_cell(nrn, rb):
    want = fake_self_events(nrn)
    assert want[1][:1] == [2.0] and len(want[1]) == 2
    assert fake_self_events(rb) == want


def test_netcon_event_with_flag_needs_an_artificial_cell(rb):
    soma = rb.Section(name="soma")
    syn = rb.ExpSyn(soma(0.5))
    nc = rb.NetCon(None, syn)
    rb.finitialize(-65)
    with pytest.raises(ValueError, match="artificial cell"):
        nc.event(1.0, 1)
    assert nc.valid() == 1.0
