"""NetStim against NEURON 9.0.2 and against the bit-exact formula of /tmp/r123/SPEC.md.

What is pinned (fixed step, dt 0.025, `finitialize(-65); continuerun(tstop)`):

* noise = 0: spike times are start + invl − interval then repeated `t + interval` sums (doubles, so
  0.7-steps give 2.9000000000000004), number compared as a double (2.5 → 3 spikes), interval <= 0
  uses 0.01 between spikes but the original interval in the first offset, start < 0 never starts,
  noise is clamped into [0, 1] by INITIAL (visible in ns.noise);
* noise > 0: draws come from a Philox4x32-10 stream with counter [seq, id3, id1, id2], key [0, 0],
  words taken r0..r3, u01 = (u + 1)/(2^32 + 1), interval draw −ln(u01)·mean; one draw in INITIAL
  and one after every spike; `noiseFromRandom123(a, b[, c])` picks the ids; without it the k-th
  NetStim of a Model has ids (1, 0, k) (NEURON's counter is per process, so that part is checked
  against the formula, not against NEURON); INITIAL resets the stream position, so seed(x) only
  matters after finitialize, where it moves the stream to seq = x // 4, word x % 4;
* external events (flag 0): weight > 0 turns a stopped NetStim on, weight < 0 turns it off;
* the end of a run: an event is delivered iff te <= the final t (299.9999999998641 for 300).

The Philox known-answer vectors are pinned by the Rust unit tests; here a pure-Python Philox
(`_Stream`) recomputes the SPEC spike lists, so a wrong formula in this file would show too.
"""

import math
import random

import numpy as np
import pytest

import rheobase

DT = 0.025

# SPEC.md §3, tstop 300, interval 10, number 20, start 0, noise 1.
SPEC_A = [0.1932360674585515, 14.929075955876932, 35.73387044490417, 56.40463202768094, 58.90792191169873,
          63.12790894717023, 64.47667244698579, 66.47295839903501, 70.08400758686278, 87.03885181533501,
          100.93200657542714, 101.17711727320189, 104.94697407560326, 109.96276841840478, 115.30272320553114,
          128.36741197722296, 138.2154340940479, 150.33341219369402, 151.4957880233751, 160.28001819624714]
SPEC_B = [3.2278745384710685, 10.019215226430402, 18.088405775839462, 29.129419877752433, 30.786189032170373,
          54.40504620753954, 60.56506240972228, 90.60199632831083, 103.08819180681309, 105.6029887150569,
          110.97988375196412, 118.55404335437487, 124.60953998131009, 129.97805667962237, 134.59268530398677,
          135.91844344880423, 139.43337985931848, 141.01506603581052, 158.52787212631077, 159.3904517064126]
SPEC_D = [0.1932360674585515, 4.413223102930059, 5.761986602745616, 7.758272554794844, 11.369321742622615,
          28.324165971094843, 42.217320731186966, 42.462431428961715, 46.2322882313631, 51.24808257416461,
          56.588037361290965, 69.65272613298279, 79.50074824980776, 91.61872634945385, 92.78110217913492,
          101.56533235200695, 117.00093716426497, 117.13052638382713, 135.392270126566, 140.60176113334575]
SPEC_E = [7.42548410828236, 17.687848365455338, 26.888465842272055, 28.208186693310086, 34.10959171599554,
          34.59721907042243, 46.092103130358375, 58.52182802720974, 61.218002561242, 62.71356925839452,
          64.35639530751344, 72.65391408479387, 76.62588640273793, 77.27878107409934, 77.77497606292826,
          84.48491284551801, 87.91582636152671, 97.94656453262769, 105.58168052227613, 132.3017321437815]
SPEC_F_HEAD = [3.0198393260186673, 9.419718722822918, 15.182936344114923, 20.515399423886585, 25.857465549501434]
SPEC_G = [1.0001932360674586, 1.014929075955877, 1.0357338704449042, 1.056404632027681, 1.0589079219116988]
SPEC_H = [1.0966180337292757, 13.464537977938466, 28.866935222452085]
SPEC_EXT_B = [2.220907339445004, 5.171580702357205, 21.8075444702744, 27.148990763157023, 44.66172807229162,
              47.00166283507372, 65.4809113753481, 68.9050101966759, 82.30580901553215, 83.97378509982217]


# --------------------------------------------------------------------------------------------
# The formula (SPEC.md §1–3): Philox4x32-10, NEURON's stream layout, NetStim's INITIAL/NET_RECEIVE
# --------------------------------------------------------------------------------------------
_M32 = 0xFFFFFFFF


def _philox4x32_10(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for i in range(10):
        if i > 0:
            k0, k1 = (k0 + 0x9E3779B9) & _M32, (k1 + 0xBB67AE85) & _M32
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & _M32, (p0 >> 32) ^ c3 ^ k1, p0 & _M32
    return [c0, c1, c2, c3]


class _Stream:
    """nrnran123 with global index 0: counter [seq, id3, id1, id2], words used r0..r3."""

    def __init__(self, id1, id2, id3):
        self.c = [0, id3, id1, id2]
        self.setseq(0, 0)

    def setseq(self, seq, which):
        self.c[0], self.which = seq & _M32, which
        self.r = _philox4x32_10(self.c, (0, 0))

    def seed(self, x):  # random_setseq(ranvar, x): the double overload
        x = 0.0 if x < 0 or x > float(2**40 - 1) else float(x)
        v = int(x) & 0x3FFFFFFFF
        self.setseq(v >> 2, v & 3)

    def negexp(self):
        u = self.r[self.which]
        self.which += 1
        if self.which > 3:
            self.which = 0
            n = (self.c[0] | self.c[1] << 32 | self.c[2] << 64 | self.c[3] << 96) + 1  # 128-bit carry
            self.c = [(n >> s) & _M32 for s in (0, 32, 64, 96)]
            self.r = _philox4x32_10(self.c, (0, 0))
        return -math.log((float(u) + 1.0) * (1.0 / 4294967297.0))


def t_final(tstop, dt=DT):
    """stdrun's continuerun: while t < tstop − dt/2, two half steps."""
    t = 0.0
    while t < tstop - dt / 2:
        t += 0.5 * dt
        t += 0.5 * dt
    return t


def netstim_formula(start, interval, number, noise, ids, tstop=300.0, seed_after_init=None):
    """Spike times of one NetStim without external input (SPEC.md §3, transcribed)."""
    stream = _Stream(*ids)
    noise = min(max(noise, 0.0), 1.0)

    def invl(mean):
        if mean <= 0:
            mean = 0.01
        if noise == 0:
            return mean
        return (1 - noise) * mean + noise * mean * stream.negexp()

    spikes, end = [], t_final(tstop)
    if not (start >= 0 and number > 0):
        return spikes
    event = start + invl(interval) - interval * (1 - noise)
    te = max(event, 0.0) + 0.0  # flag-3 self event at 0 + event, then flag 1 at the same time
    if seed_after_init is not None:
        stream.seed(seed_after_init)
    ispike = 0
    while te <= end:
        ispike += 1
        spikes.append(te)
        event = invl(interval)  # number > 0 here: draws even after the last spike
        if ispike >= number:
            break
        te = te + event
    return spikes


def test_formula_reproduces_spec():
    """The transcription above gives SPEC's NEURON-measured lists (so it can stand in for
    NEURON where NEURON's process-wide stream counter gets in the way)."""
    assert netstim_formula(0, 10, 20, 1, (1, 2, 3)) == SPEC_A
    assert netstim_formula(0, 10, 20, 1, (1, 2, 0)) == SPEC_B
    assert netstim_formula(0, 10, 20, 1, (1, 2, 3), seed_after_init=5) == SPEC_D
    assert netstim_formula(0, 10, 20, 1, (1, 0, 1)) == SPEC_E
    assert netstim_formula(2, 7.5, 30, 0.3, (9, 8, 7))[:5] == SPEC_F_HEAD
    assert netstim_formula(1, 0, 5, 1, (1, 2, 3)) == SPEC_G
    assert netstim_formula(1, 10, 2.5, 0.5, (1, 2, 3)) == SPEC_H
    assert t_final(300) == 299.9999999998641 and t_final(5) == 5.000000000000037


# --------------------------------------------------------------------------------------------
# Running NetStims in NEURON and rheobase
# --------------------------------------------------------------------------------------------
def netstims(sim, cfgs, tstop=300.0, netcons=(), post_init=None):
    """cfgs: dicts with start, interval, number, noise and optionally ids (noiseFromRandom123)
    and seed (called before finitialize). netcons: (from, to, delay, weight) between them.
    Returns ([spike list per NetStim], final t, [ns.noise after the run])."""
    sim.load_file("stdrun.hoc")
    nss, vecs, ncs = [], [], []
    for c in cfgs:
        ns = sim.NetStim()
        ns.start, ns.interval, ns.number, ns.noise = c["start"], c["interval"], c["number"], c.get("noise", 0)
        if c.get("ids") is not None:
            ns.noiseFromRandom123(*c["ids"])
        if c.get("seed") is not None:
            ns.seed(c["seed"])
        tv = sim.Vector()
        nc = sim.NetCon(ns, None)
        nc.record(tv)
        nss.append(ns)
        vecs.append(tv)
        ncs.append(nc)
    for i, j, delay, weight in netcons:
        nc = sim.NetCon(nss[i], nss[j])
        nc.delay, nc.weight[0] = delay, weight
        ncs.append(nc)
    sim.finitialize(-65)
    if post_init is not None:
        post_init(nss)
    sim.continuerun(tstop)
    return [list(v) for v in vecs], sim.t, [ns.noise for ns in nss]


def cfg(start, interval, number, noise=0.0, ids=(1, 2, 3), seed=None):
    return dict(start=start, interval=interval, number=number, noise=noise, ids=ids, seed=seed)


NOISE0 = [
    ((5, 10, 3), [5.0, 15.0, 25.0]),
    ((5, 10, 0), []),
    ((-1, 10, 3), []),  # on is never set
    ((5, 10, 2.5), [5.0, 15.0, 25.0]),  # number is a double: stops when ispike >= 2.5
    ((5, 0, 3), [5.01, 5.02, 5.029999999999999]),  # invl clamps the mean to 0.01
    ((5, 0, 10), [5.01, 5.02, 5.029999999999999, 5.039999999999999, 5.049999999999999, 5.059999999999999,
                  5.0699999999999985, 5.079999999999998, 5.089999999999998, 5.099999999999998]),
    ((5, -3, 4), [8.01, 8.02, 8.03, 8.04]),  # first offset uses the original interval: 5 + .01 + 3
    ((0.1, 0.7, 5), [0.09999999999999998, 0.7999999999999999, 1.5, 2.2, 2.9000000000000004]),
    ((0, 10, 3), [0.0, 10.0, 20.0]),  # a spike at 0 is recorded as 0.0
]


@pytest.mark.parametrize("params, expected", NOISE0, ids=[str(p) for p, _ in NOISE0])
def test_noise0_table(nrn, rb, params, expected):
    want, tf_n, _ = netstims(nrn, [cfg(*params)])
    got, tf_r, _ = netstims(rb, [cfg(*params)])
    assert want[0] == expected
    assert got[0] == want[0]
    assert tf_r == tf_n == 299.9999999998641


def test_noise0_run_end_cuts_at_final_t(nrn, rb):
    """start 0, interval 10, number 40, continuerun(300): 300.0 > t_final = 299.9999999998641."""
    want, _, _ = netstims(nrn, [cfg(0, 10, 40)])
    assert want[0] == [10.0 * k for k in range(30)]
    got, _, _ = netstims(rb, [cfg(0, 10, 40)])
    assert got[0] == want[0]


@pytest.mark.parametrize(
    "start, tstop, recorded",
    [
        (299.99, 300.0, True),
        (300.0, 300.0, False),
        (300.01, 300.0, False),
        (300.02, 300.0, False),
        (5.0, 5.0, True),  # t_final(5) = 5.000000000000037 > 5
        (5.01, 5.0, False),
    ],
)
def test_run_end_cutoff(nrn, rb, start, tstop, recorded):
    """A spike is recorded by continuerun(tstop) iff its time <= the final t; a later
    continuerun picks it up."""
    def build(sim):
        ns = sim.NetStim()
        ns.start, ns.number = start, 1
        tv = sim.Vector()
        nc = sim.NetCon(ns, None)
        nc.record(tv)
        sim.finitialize(-65)
        sim.continuerun(tstop)
        first = list(tv)
        sim.continuerun(tstop + 1)
        return first, list(tv)

    want = build(nrn)
    assert (len(want[0]) == 1) == recorded and len(want[1]) == 1
    assert build(rb) == want


@pytest.mark.parametrize("noise, clamped", [(-0.4, 0.0), (1.7, 1.0), (0.3, 0.3)])
def test_noise_is_clamped_by_initial(nrn, rb, noise, clamped):
    want = netstims(nrn, [cfg(5, 10, 3, noise)])
    got = netstims(rb, [cfg(5, 10, 3, noise)])
    assert want[2] == [clamped]
    assert got[2] == want[2]
    assert got[0] == want[0]
    if noise == -0.4:
        assert want[0] == [[5.0, 15.0, 25.0]]
    if noise == 1.7:  # = noise 1
        assert want[0] == [netstim_formula(5, 10, 3, 1.0, (1, 2, 3))]


# --------------------------------------------------------------------------------------------
# noise > 0
# --------------------------------------------------------------------------------------------
NOISY = [
    ("A", cfg(0, 10, 20, 1, (1, 2, 3)), SPEC_A),
    ("B-two-ids", cfg(0, 10, 20, 1, (1, 2)), SPEC_B),
    ("noise-1.7", cfg(0, 10, 20, 1.7, (1, 2, 3)), SPEC_A),
    ("seed-before-finitialize", cfg(0, 10, 20, 1, (1, 2, 3), seed=12345), SPEC_A),  # INITIAL does seed(0)
    ("G-interval0", cfg(1, 0, 5, 1, (1, 2, 3)), SPEC_G),
    ("H-number2.5", cfg(1, 10, 2.5, 0.5, (1, 2, 3)), SPEC_H),
    ("F-noise0.3", cfg(2, 7.5, 30, 0.3, (9, 8, 7)), None),
    ("big-ids", cfg(3, 5, 50, 0.5, (4294967295, 123456789, 4000000000)), None),
]


@pytest.mark.parametrize("config, expected", [(c, e) for _, c, e in NOISY], ids=[n for n, _, _ in NOISY])
def test_noisy_netstim(nrn, rb, config, expected):
    want, _, _ = netstims(nrn, [config])
    got, _, _ = netstims(rb, [config])
    ids = tuple(config["ids"]) + (0,) * (3 - len(config["ids"]))
    formula = netstim_formula(config["start"], config["interval"], config["number"], config["noise"], ids)
    if expected is not None:
        assert want[0] == expected
    else:
        assert want[0] == formula
    assert got[0] == want[0]  # exact: every draw and every sum


def test_repeated_runs_are_identical(rb):
    """finitialize restarts every stream (INITIAL's seed(0)), ids are kept."""
    ns = rb.NetStim()
    ns.start, ns.interval, ns.number, ns.noise = 0, 10, 20, 1
    ns.noiseFromRandom123(1, 2, 3)
    nc = rb.NetCon(ns, None)
    tv = rb.Vector()
    nc.record(tv)
    runs = []
    for _ in range(2):
        rb.finitialize(-65)
        rb.continuerun(300)
        runs.append(list(tv))
    assert runs[0] == runs[1] == SPEC_A


def test_default_stream_ids(rb):
    """The k-th NetStim of a Model draws from ids (1, 0, k), whatever other Models did. NEURON's
    counter is per process (so its ids depend on every NetStim made before), hence the formula."""
    other = rheobase.Model()
    other.NetStim()  # another Model's NetStims do not move this Model's counter
    config = dict(start=0, interval=10, number=20, noise=1)
    spikes, _, _ = netstims(rb, [config, config])
    assert spikes[0] == SPEC_E  # ids (1, 0, 1), measured in a fresh NEURON process
    assert spikes[1] == netstim_formula(0, 10, 20, 1, (1, 0, 2))
    assert spikes[0] != spikes[1]


def test_default_stream_matches_neuron_with_explicit_ids(nrn, rb):
    config = dict(start=3, interval=5, number=50, noise=0.5)
    got, _, _ = netstims(rb, [config, config, config])
    want, _, _ = netstims(nrn, [dict(config, ids=(1, 0, k)) for k in (1, 2, 3)])
    assert got == want


@pytest.mark.parametrize(
    "x, expected",
    [(5, SPEC_D), (0, None), (2, None), (7.9, None), (-3, None), (2.0**41, None), (4 * 2**32 + 6, None)],
    ids=["5", "0", "2", "7.9", "negative", "2**41", "wraps"],
)
def test_seed_after_finitialize(nrn, rb, x, expected):
    """seed(x) after finitialize: the first spike used the INITIAL draw already; later intervals
    come from stream position x (seq x // 4, word x % 4; x < 0 or > 2^40 − 1 → 0)."""
    def reseed(nss):
        for ns in nss:
            ns.seed(x)

    want, _, _ = netstims(nrn, [cfg(0, 10, 20, 1, (1, 2, 3))], post_init=reseed)
    got, _, _ = netstims(rb, [cfg(0, 10, 20, 1, (1, 2, 3))], post_init=reseed)
    assert want[0] == (expected if expected is not None
                       else netstim_formula(0, 10, 20, 1, (1, 2, 3), seed_after_init=x))
    assert want[0][0] == SPEC_A[0]
    assert got[0] == want[0]


def test_noise_from_random123_after_finitialize(nrn, rb):
    """noiseFromRandom123 sets the ids and rewinds the stream; a later finitialize keeps them."""
    def switch(nss):
        nss[0].noiseFromRandom123(1, 2, 3)

    want = netstims(nrn, [cfg(0, 10, 20, 1, (9, 9, 9))], post_init=switch)
    got = netstims(rb, [cfg(0, 10, 20, 1, (9, 9, 9))], post_init=switch)
    # after the first spike (INITIAL's draw from 9,9,9) the intervals are stream (1,2,3)'s from draw 0
    np.testing.assert_allclose(np.diff(want[0][0])[:5], np.diff([0.0] + SPEC_A)[:5], rtol=0, atol=1e-9)
    assert got[0] == want[0]


# --------------------------------------------------------------------------------------------
# External events (flag 0)
# --------------------------------------------------------------------------------------------
def test_external_events_turn_on_and_off(nrn, rb):
    """A (start 1, interval 20, 5 spikes, noise 0) drives B (start −1 so never self-started,
    interval 3, number 2, noise .5, ids 4,4,4; delay .7, w +1: each A spike starts a 2-spike
    burst, continuing the stream) and C (start 0, interval 1.3, many spikes; delay 30.1, w −1:
    turned off at 31.1)."""
    cfgs = [cfg(1, 20, 5), cfg(-1, 3, 2, 0.5, (4, 4, 4)), cfg(0, 1.3, 1000)]
    nets = [(0, 1, 0.7, 1.0), (0, 2, 30.1, -1.0)]
    want, _, _ = netstims(nrn, cfgs, netcons=nets)
    assert want[0] == [1.0, 21.0, 41.0, 61.0, 81.0]
    assert want[1] == SPEC_EXT_B
    assert len(want[2]) == 24 and want[2][-1] == 29.90000000000001
    got, _, _ = netstims(rb, cfgs, netcons=nets)
    assert got == want


def test_external_event_restarts_a_finished_netstim(nrn, rb):
    """A NetStim that ran out of spikes (on = 0) is restarted by a positive event; a positive
    event while it is on changes nothing; weight 0 does nothing."""
    cfgs = [cfg(0.5, 4, 4), cfg(1, 1.5, 3), cfg(50, 1, 1)]
    nets = [(0, 1, 2.0, 0.5), (0, 1, 0.0, 0.0), (2, 0, 0.25, 1.0)]
    want, _, _ = netstims(nrn, cfgs, tstop=80, netcons=nets)
    got, _, _ = netstims(rb, cfgs, tstop=80, netcons=nets)
    assert want[0][:4] == [0.5, 4.5, 8.5, 12.5] and len(want[0]) == 8  # restarted at 50.25
    assert got == want


# --------------------------------------------------------------------------------------------
# A randomised sweep against NEURON (explicit ids on both sides)
# --------------------------------------------------------------------------------------------
def _random_case(seed):
    rng = random.Random(seed)
    cfgs = []
    for _ in range(rng.randint(1, 3)):
        ids = (rng.randrange(2**32), rng.randrange(2**32), rng.randrange(2**32))
        cfgs.append(cfg(round(rng.uniform(-2, 40), 3), round(rng.uniform(0.001, 30), 4),
                        rng.choice([1, 3, 7.5, 20, 1e9]), rng.choice([0, 1, 0.25, 0.5, rng.random()]), ids))
    nets = []
    if len(cfgs) > 1 and rng.random() < 0.7:
        nets.append((0, len(cfgs) - 1, round(rng.uniform(0, 5), 3), rng.choice([1.0, -1.0])))
    return cfgs, nets, rng.choice([100.0, 37.3, 61.0])


@pytest.mark.parametrize("seed", range(8))
def test_random_netstims_match_neuron(nrn, rb, seed):
    cfgs, nets, tstop = _random_case(seed)
    want = netstims(nrn, cfgs, tstop=tstop, netcons=nets)
    got = netstims(rb, cfgs, tstop=tstop, netcons=nets)
    assert got == want
