"""nsuite's busyring benchmark network (models `ring` and `kway`), for any NEURON-style namespace.

One generator describes every cell (tree, synapse sites) and every connection with Python's
`random` seeded by gid, so rheobase, NEURON and Arbor (benches/busyring.py) simulate the same
network. The definition follows nsuite's NEURON engine (../shared/reference/arbor.md §4.2):

* soma: L = diam = 12.6157 µm (500 µm²), hh with its defaults, Ra 100 Ω·cm, cm 1 µF/cm²;
* dendrite level i of `depth` (p = i/(depth − 1)): every section of the previous level (the soma
  for level 0) draws once and, with probability (1 − p) + 0.5·p, gets two children at its distal
  end, of length (1 − p)·200 + p·20 µm, nseg round((1 − p)·20 + 2p), diam 1 µm, pas (g 0.001,
  e −65 mV); growth stops at the first level that adds nothing;
* synapses: ExpSyn (tau 2 ms) at soma(0.5); kway adds `synapses − 1` more at random sections and
  positions;
* network: rings of 10 consecutive gids, each cell listening to the previous one (weight 0.01 µS,
  delay 5 ms, threshold 10 mV at soma(0.5)); the first cell of each ring gets one event at 1 ms;
  kway adds `synapses − 1` connections per cell from random other cells with weight 0 and delay
  uniform in [5, 15) ms (they load the event machinery without changing the dynamics).

Run: 200 ms, dt 0.025 ms, v_init −65 mV, 6.3 °C.
"""

import random
from dataclasses import dataclass, field

RING_SIZE = 10
SOMA_UM = 12.6157  # µm, L and diam of the soma
RA_OHM_CM = 100.0
SYN_TAU_MS = 2.0
WEIGHT_US = 0.01
DELAY_MS = 5.0
THRESHOLD_MV = 10.0
STIM_TIME_MS = 1.0
TSTOP_MS = 200.0
DT_MS = 0.025
V_INIT_MV = -65.0


@dataclass
class Dendrite:
    parent: int  # index in CellSpec.dendrites, or -1 for the soma
    length_um: float
    nseg: int


@dataclass
class CellSpec:
    dendrites: list = field(default_factory=list)
    # (section, x): section -1 is the soma; the first synapse is the ring's, at soma(0.5).
    synapses: list = field(default_factory=list)


def cell_spec(gid, depth, synapses=1):
    """The tree and synapse sites of cell `gid`."""
    rng = random.Random(gid)
    spec = CellSpec()
    previous = [-1]  # the soma
    for level in range(depth):
        p = level / (depth - 1) if depth > 1 else 0.0
        prob = (1 - p) + 0.5 * p
        length = (1 - p) * 200 + p * 20
        nseg = int(round((1 - p) * 20 + p * 2))
        grown = []
        for parent in previous:
            if rng.random() < prob:
                for _ in range(2):
                    spec.dendrites.append(Dendrite(parent, length, nseg))
                    grown.append(len(spec.dendrites) - 1)
        if not grown:
            break
        previous = grown
    spec.synapses.append((-1, 0.5))
    nsec = len(spec.dendrites) + 1
    for _ in range(synapses - 1):
        spec.synapses.append((rng.randrange(nsec) - 1, rng.random()))
    return spec


def connections(ncells, synapses=1):
    """Every connection as (source gid, target gid, target synapse index, weight µS, delay ms)."""
    conns = []
    for gid in range(ncells):
        ring0 = gid - gid % RING_SIZE
        ring_len = min(RING_SIZE, ncells - ring0)
        src = ring0 + (gid - ring0 - 1) % ring_len
        conns.append((src, gid, 0, WEIGHT_US, DELAY_MS))
        rng = random.Random(1_000_003 + gid)
        for k in range(1, synapses):
            other = rng.randrange(ncells - 1) if ncells > 1 else gid
            other += other >= gid
            conns.append((other, gid, k, 0.0, rng.uniform(5.0, 15.0)))
    return conns


def stimulated(ncells):
    """Gids that get the single event at STIM_TIME_MS: the first cell of each ring."""
    return list(range(0, ncells, RING_SIZE))


class NeuronNetwork:
    """The network built in a NEURON-style namespace (`neuron.h` or `rheobase.n`) with a
    ParallelContext; keeps every object alive."""

    def __init__(self, sim, ncells, depth, synapses=1):
        self.sim = sim
        self.pc = sim.ParallelContext()
        self.cells = []
        for gid in range(ncells):
            self.cells.append(self._cell(gid, cell_spec(gid, depth, synapses)))
        self.netcons = []
        for src, tgt, k, w, d in connections(ncells, synapses):
            nc = self.pc.gid_connect(src, self.cells[tgt]["syns"][k])
            nc.weight[0] = w
            nc.delay = d
            self.netcons.append(nc)
        self.stims = []
        for gid in stimulated(ncells):
            stim = sim.NetStim()
            stim.number, stim.start = 1, 0
            nc = sim.NetCon(stim, self.cells[gid]["syns"][0])
            nc.weight[0], nc.delay = WEIGHT_US, STIM_TIME_MS  # the spike at 0 arrives at 1 ms
            self.stims.append((stim, nc))
        self.tvec, self.idvec = sim.Vector(), sim.Vector()
        self.pc.spike_record(-1, self.tvec, self.idvec)

    def _cell(self, gid, spec):
        sim = self.sim
        soma = sim.Section(name=f"soma_{gid}")
        soma.L = soma.diam = SOMA_UM
        soma.Ra = RA_OHM_CM
        soma.insert("hh")
        secs = [soma]
        dends = []
        for k, d in enumerate(spec.dendrites):
            sec = sim.Section(name=f"dend_{gid}_{k}")
            sec.L, sec.diam, sec.nseg, sec.Ra = d.length_um, 1.0, d.nseg, RA_OHM_CM
            sec.insert("pas")
            sec.g_pas, sec.e_pas = 0.001, -65.0
            parent = soma if d.parent < 0 else dends[d.parent]
            sec.connect(parent(1), 0)
            dends.append(sec)
            secs.append(sec)
        syns = []
        for s, x in spec.synapses:
            syn = sim.ExpSyn((soma if s < 0 else dends[s])(x))
            syn.tau = SYN_TAU_MS
            syns.append(syn)
        self.pc.set_gid2node(gid, self.pc.id())
        detector = sim.NetCon(soma(0.5)._ref_v, None, sec=soma)
        detector.threshold = THRESHOLD_MV
        self.pc.cell(gid, detector)
        return {"secs": secs, "syns": syns, "detector": detector}

    def run(self, tstop=TSTOP_MS, threads=1):
        sim = self.sim
        sim.load_file("stdrun.hoc")
        sim.dt = DT_MS
        sim.celsius = 6.3
        self.pc.nthread(threads)
        self.pc.set_maxstep(10)
        sim.finitialize(V_INIT_MV)
        self.pc.psolve(tstop)

    def spikes(self):
        """[(time ms, gid)] as recorded."""
        return list(zip(self.tvec.to_python(), (int(i) for i in self.idvec.to_python())))

    def n_compartments(self):
        return sum(sec.nseg for cell in self.cells for sec in cell["secs"])
