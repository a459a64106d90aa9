"""PatternStim against NEURON 9.0.2: a recorded (time, gid) pattern replayed into NetCons made
by pc.gid_connect, only for gids without a cell here (fake_output changes nothing in 9.0.2),
in batches ahead of time; the Vectors are copied by play()."""

import numpy as np
import pytest


def replay(sim, fake_output, n_spikes=250):
    pc = sim.ParallelContext()
    cells, syns, ncs = [], [], []
    for k in range(3):
        soma = sim.Section(name=f"soma{k}")
        soma.insert("pas")
        syn = sim.ExpSyn(soma(0.5))
        syn.tau = 1
        cells.append(soma)
        syns.append(syn)
    # gid 7 is a cell of this model; gids 100 and 101 are inputs from elsewhere.
    pc.set_gid2node(7, pc.id())
    det = sim.NetCon(cells[0](0.5)._ref_v, None, sec=cells[0])
    pc.cell(7, det)
    for src, k, w, d in ((100, 0, 0.001, 1.0), (101, 1, 0.002, 2.5), (7, 2, 1.0, 1.5), (100, 2, 0.0005, 4.0)):
        nc = pc.gid_connect(src, syns[k])
        nc.weight[0], nc.delay = w, d
        ncs.append(nc)
    rng = np.random.default_rng(3)
    times = np.sort(rng.uniform(0, 40, n_spikes))
    gids = rng.choice([100, 101, 7], n_spikes)
    tvec, gidvec = sim.Vector(times), sim.Vector(gids.astype(float))
    ps = sim.PatternStim()
    ps.fake_output = fake_output
    ps.play(tvec, gidvec)
    tvec.fill(1e9)  # play() copied the pattern
    g = [sim.Vector().record(s._ref_g) for s in syns]
    pc.set_maxstep(10)
    sim.finitialize(-65)
    pc.psolve(50)
    out = [np.array(x) for x in g]
    pc.gid_clear()
    return out


def test_patternstim_replays_into_gid_connections(nrn, rb):
    for fake_output in (0, 1):
        want, got = replay(nrn, fake_output), replay(rb, fake_output)
        for w, r in zip(want, got):
            np.testing.assert_array_equal(r, w)
        assert want[0].max() > 0 and want[1].max() > 0
    # gid 7 has a cell here: its pattern spikes (weight 1 µS) do not reach syn 2, which only
    # sees gid 100's (weight 0.0005 µS).
    assert 0 < want[2].max() < 0.01


def test_patternstim_bad_input(rb):
    ps = rb.PatternStim()
    with pytest.raises(ValueError, match="gids"):
        ps.play(rb.Vector([1.0, 2.0]), rb.Vector([3.0]))
    with pytest.raises(TypeError):
        ps.play(rb.Vector([1.0]))
    with pytest.raises(TypeError):
        ps.play([1.0], [2.0])
