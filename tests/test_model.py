"""`rheobase.Model()`: independent simulations, runs in threads with the GIL released, Ctrl-C,
progress bars, stdrun's run()/setdt(), fadvance, and recording (intervals, garbage-collected
Vectors, mechanism/ion/point-process variables, references), with parameter and structural
changes between runs cross-checked against NEURON 9.0.2.
"""

import _thread
import gc
import sys
import threading
import time

import numpy as np
import pytest

import rheobase
from conftest import assert_trace_close

V_TOL = 1e-6  # mV
TUTORIAL_STEPS_200 = 8000  # 200 ms at dt 0.025


# --------------------------------------------------------------------------------------------
# Builders (the same code drives NEURON's n and a rheobase Model)
# --------------------------------------------------------------------------------------------
def tutorial(sim, amp=0.9):
    """Scripting NEURON basics: hh soma L = diam = 20 µm, IClamp(0.5) 2 ms / 0.1 ms / amp nA."""
    sim.load_file("stdrun.hoc")
    soma = sim.Section("soma")
    soma.L = soma.diam = 20
    soma.insert("hh")
    ic = sim.IClamp(soma(0.5))
    ic.delay = 2
    ic.dur = 0.1
    ic.amp = amp
    return soma, ic


def run_tutorial(sim, tstop=200, amp=0.9):
    soma, ic = tutorial(sim, amp)
    t = sim.Vector().record(sim._ref_t)
    v = sim.Vector().record(soma(0.5)._ref_v)
    sim.finitialize(-65)
    sim.continuerun(tstop)
    return np.array(t), np.array(v)


def big_model(m, nseg=1000):
    """One long hh cable: big enough that a run of 1e6 ms takes far longer than any test."""
    axon = m.Section("axon")
    axon.L = 10000
    axon.diam = 1
    axon.nseg = nseg
    axon.insert("hh")
    ic = m.IClamp(axon(0))
    ic.delay = 1
    ic.dur = 1e9
    ic.amp = 0.05
    return axon, ic


# --------------------------------------------------------------------------------------------
# Independence
# --------------------------------------------------------------------------------------------
def test_default_model_names():
    assert rheobase.n is rheobase.h
    assert isinstance(rheobase.n, rheobase.Model)
    assert rheobase.Model() is not rheobase.n


def test_models_are_independent():
    a, b = rheobase.Model(), rheobase.Model()
    a.dt = 0.01
    a.celsius = 20
    a.secondorder = 2
    a.tstop = 7
    a.v_init = -70
    sa = a.Section("sa")
    sb1, sb2 = b.Section("sb1"), b.Section("sb2")
    assert [s.name() for s in a.allsec()] == ["sa"]
    assert [s.name() for s in b.allsec()] == ["sb1", "sb2"]
    assert (b.dt, b.celsius, b.secondorder, b.tstop, b.v_init) == (0.025, 6.3, 0, 5.0, -65.0)
    assert (a.dt, a.celsius, a.secondorder, a.tstop, a.v_init) == (0.01, 20.0, 2, 7.0, -70.0)
    assert rheobase.n.dt == 0.025 and rheobase.n.celsius == 6.3
    a.finitialize(-65)
    a.continuerun(1)
    assert b.t == 0.0 and rheobase.Model().t == 0.0
    b.finitialize(-65)
    assert a.t == pytest.approx(1.0) and b.t == 0.0
    b.continuerun(0.5)
    assert a.t == pytest.approx(1.0) and b.t == pytest.approx(0.5)
    # deleting in one model does not touch the other
    b.delete_section(sec=sb1)
    assert [s.name() for s in a.allsec()] == ["sa"]
    assert [s.name() for s in b.allsec()] == ["sb2"]
    # mechanisms inserted in one are not in the other
    sa.insert("hh")
    assert not sb2.has_membrane("hh")
    del sa, sb2


def test_same_model_in_two_models_gives_same_trace():
    t1, v1 = run_tutorial(rheobase.Model(), tstop=40)
    other = rheobase.Model()
    other.celsius = 30  # a different model alongside changes nothing
    run_tutorial(other, tstop=40, amp=0.2)
    t2, v2 = run_tutorial(rheobase.Model(), tstop=40)
    assert np.array_equal(t1, t2) and np.array_equal(v1, v2)


# --------------------------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------------------------
def _threaded_tutorial(amp, celsius, repeats):
    """Build the tutorial in a new Model and run it for 200 ms `repeats` times."""
    m = rheobase.Model()
    m.celsius = celsius
    soma, ic = tutorial(m, amp)
    t = m.Vector().record(m._ref_t)
    v = m.Vector().record(soma(0.5)._ref_v)
    out = []
    for _ in range(repeats):
        m.finitialize(-65)
        m.continuerun(200)
        out.append((np.array(t), np.array(v)))
    return out


def test_two_models_in_two_threads():
    configs = [(0.9, 6.3), (0.5, 16.3)]
    alone = [_threaded_tutorial(amp, celsius, 1)[0] for amp, celsius in configs]
    assert len(alone[0][1]) == TUTORIAL_STEPS_200 + 1
    assert not np.array_equal(alone[0][1], alone[1][1])
    repeats = 20
    barrier = threading.Barrier(len(configs))
    results, errors = [None] * len(configs), []

    def work(i, amp, celsius):
        try:
            barrier.wait()
            results[i] = _threaded_tutorial(amp, celsius, repeats)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i, *cfg)) for i, cfg in enumerate(configs)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    for i, runs in enumerate(results):
        assert runs is not None and len(runs) == repeats
        for t, v in runs:
            assert np.array_equal(t, alone[i][0])
            assert np.array_equal(v, alone[i][1])


def _calibrated_tstop(m, seconds):
    """A tstop (ms) from the model's current t that takes about `seconds` of wall time."""
    t0 = time.perf_counter()
    m.continuerun(m.t + 5)
    per_ms = max(time.perf_counter() - t0, 1e-6) / 5
    return m.t + seconds / per_ms


def test_gil_released_during_run():
    m = rheobase.Model()
    axon, ic = big_model(m, nseg=500)
    m.finitialize(-65)
    tstop = _calibrated_tstop(m, 0.6)
    count = [0]
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1

    th = threading.Thread(target=counter)
    th.start()
    try:
        time.sleep(0.02)
        c0 = count[0]
        t0 = time.perf_counter()
        m.continuerun(tstop)
        elapsed = time.perf_counter() - t0
        c1 = count[0]
    finally:
        stop.set()
        th.join()
    assert elapsed > 0.2, f"run too short to tell ({elapsed:.3f} s)"
    # Holding the GIL for the whole run would leave the counter still (a few switch intervals at most).
    assert c1 - c0 > 100_000, f"counter advanced only {c1 - c0} during a {elapsed:.2f} s run"


# --------------------------------------------------------------------------------------------
# Ctrl-C
# --------------------------------------------------------------------------------------------
def test_ctrl_c_stops_run_and_keeps_model_usable():
    m = rheobase.Model()
    axon, ic = big_model(m)
    t = m.Vector().record(m._ref_t)
    v = m.Vector().record(axon(0.5)._ref_v)
    m.finitialize(-65)
    done = threading.Event()

    def interrupter():
        # Python drops an interrupt that lands in a finalizer (a point process's __del__ run by the GC, say): one
        # more every 2 s until the run has stopped.
        wait = 0.2
        while not done.wait(wait):
            _thread.interrupt_main()
            wait = 2.0

    thread = threading.Thread(target=interrupter)
    started = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            thread.start()
            m.continuerun(1e6)
    finally:
        done.set()
        thread.join()
    waited = time.perf_counter() - started
    assert waited < 10, f"Ctrl-C took {waited:.1f} s to stop the run"
    t_stop = m.t
    assert 0 < t_stop < 1e6
    steps = round(t_stop / m.dt)
    assert steps > 0
    assert len(t) == len(v) == steps + 1
    assert t[-1] == t_stop
    assert np.all(np.diff(np.array(t)) > 0)
    # usable afterwards: continue ...
    m.continuerun(t_stop + 1)
    assert m.t == pytest.approx(t_stop + 1, abs=m.dt)
    assert len(t) == len(v) == steps + 1 + 40
    # ... and re-initialise: the normal trace, as a model that was never interrupted
    m.finitialize(-65)
    m.continuerun(5)
    fresh = rheobase.Model()
    faxon, fic = big_model(fresh)
    ft = fresh.Vector().record(fresh._ref_t)
    fv = fresh.Vector().record(faxon(0.5)._ref_v)
    fresh.finitialize(-65)
    fresh.continuerun(5)
    assert np.array_equal(np.array(t), np.array(ft))
    assert np.array_equal(np.array(v), np.array(fv))


# --------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------
def test_progress_bar_tqdm(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    from rheobase import _model

    calls = []
    original = _model._ProgressBar.update

    def update(self, t):
        calls.append(t)
        return original(self, t)

    monkeypatch.setattr(_model._ProgressBar, "update", update)
    m = rheobase.Model()
    soma, ic = tutorial(m)
    v = m.Vector().record(soma(0.5)._ref_v)
    m.finitialize(-65)
    capsys.readouterr()
    assert m.continuerun(200, progress=True) == 0.0
    err = capsys.readouterr().err
    assert "continuerun" in err and "100%" in err, err
    assert "200.0/200.0" in err, err
    # reported every few thousand steps: 8000 steps -> a handful of updates, ending at tstop
    assert 2 <= len(calls) <= 40, calls
    assert calls == sorted(calls) and calls[-1] == m.t
    # same trace as without the bar
    _, v_plain = run_tutorial(rheobase.Model(), tstop=200)
    assert np.array_equal(np.array(v), v_plain)


def test_progress_without_tqdm(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm -> ImportError
    m = rheobase.Model()
    tutorial(m)
    m.finitialize(-65)
    capsys.readouterr()
    m.continuerun(100, progress=True)
    err = capsys.readouterr().err
    assert "continuerun: t = 100.0 / 100.0 ms" in err, err


# --------------------------------------------------------------------------------------------
# stdrun: load_file, run, setdt, fadvance
# --------------------------------------------------------------------------------------------
def test_load_file_stdrun(nrn, rb):
    assert rb.load_file("stdrun.hoc") == nrn.load_file("stdrun.hoc") == 1.0


def test_run_uses_tstop_and_v_init(nrn, rb):
    out = {}
    for name, sim in (("nrn", nrn), ("rb", rb)):
        soma, ic = tutorial(sim)
        t = sim.Vector().record(sim._ref_t)
        v = sim.Vector().record(soma(0.5)._ref_v)
        sim.tstop = 10
        sim.v_init = -70
        assert sim.run() == 0.0
        out[name] = (sim.t, np.array(t), np.array(v))
        del soma, ic
    (nt, ntv, nv), (rt, rtv, rv) = out["nrn"], out["rb"]
    assert rt == nt == 9.999999999999966
    assert len(rtv) == len(ntv) == 401
    assert rv[0] == nv[0] == -70.0
    assert_trace_close(rtv, ntv, 1e-12, "t")
    assert_trace_close(rv, nv, V_TOL, "v")


def test_setdt_changes_dt_as_neuron(nrn, rb, capsys):
    out = {}
    for name, sim in (("nrn", nrn), ("rb", rb)):
        soma, ic = tutorial(sim)
        t = sim.Vector().record(sim._ref_t)
        sim.dt = 0.01
        sim.tstop = 1
        capsys.readouterr()
        sim.run()
        printed = capsys.readouterr().out
        out[name] = (sim.dt, sim.t, np.array(t), printed)
        del soma, ic
    (ndt, nt, ntv, _), (rdt, rt, rtv, printed) = out["nrn"], out["rb"]
    assert "Changed dt" in printed
    assert rdt == ndt == 0.0125
    assert rt == nt
    assert len(rtv) == len(ntv) == 81
    assert_trace_close(rtv, ntv, 1e-12, "t")
    # dt 0.03 -> 0.025; a dt that divides 1/steps_per_ms is kept silently
    rb.dt = 0.03
    rb.setdt()
    assert rb.dt == 0.025 and "Changed dt" in capsys.readouterr().out
    rb.setdt()
    assert rb.dt == 0.025 and capsys.readouterr().out == ""
    # continuerun alone does not call setdt
    rb.dt = 0.03
    rb.finitialize(-65)
    rb.continuerun(1)
    assert rb.dt == 0.03 and rb.t == pytest.approx(0.99)


def test_fadvance(nrn, rb):
    out = {}
    for name, sim in (("nrn", nrn), ("rb", rb)):
        soma, ic = tutorial(sim)
        t = sim.Vector().record(sim._ref_t)
        v = sim.Vector().record(soma(0.5)._ref_v)
        sim.finitialize(-65)
        assert len(t) == len(v) == 1
        assert sim.fadvance() == 1.0
        assert sim.t == sim.dt
        assert len(t) == len(v) == 2
        for _ in range(99):
            sim.fadvance()
        out[name] = (sim.t, np.array(t), np.array(v))
        del soma, ic
    (nt, ntv, nv), (rt, rtv, rv) = out["nrn"], out["rb"]
    assert rt == nt
    assert len(rtv) == len(ntv) == 101
    assert np.array_equal(rtv, ntv)
    assert_trace_close(rv, nv, V_TOL, "v")


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------
def test_record_interval_every_fourth_sample(nrn, rb):
    out = {}
    for name, sim in (("nrn", nrn), ("rb", rb)):
        soma, ic = tutorial(sim)
        v = sim.Vector().record(soma(0.5)._ref_v)
        v01 = sim.Vector().record(soma(0.5)._ref_v, 0.1)
        t01 = sim.Vector().record(sim._ref_t, 0.1)
        sim.finitialize(-65)
        sim.continuerun(40)
        out[name] = np.array(v), np.array(v01), np.array(t01)
        del soma, ic
    (nv, nv01, nt01), (rv, rv01, rt01) = out["nrn"], out["rb"]
    assert len(rv01) == len(nv01) == 401
    assert np.array_equal(rv01, rv[::4])
    assert np.array_equal(nv01, nv[::4])
    assert_trace_close(rv01, nv01, V_TOL, "v every 0.1 ms")
    # recorded t with an interval is the accumulated sample time, exactly as NEURON's
    assert np.array_equal(rt01, nt01)
    assert rt01[3] == 0.30000000000000004


def test_garbage_collected_recording_vector(rb):
    soma, ic = tutorial(rb)
    keep = rb.Vector().record(soma(0.5)._ref_v)
    gone = rb.Vector().record(soma(0.5)._ref_v)
    gone_t = rb.Vector().record(rb._ref_t, 0.1)
    del gone, gone_t
    gc.collect()
    rb.finitialize(-65)
    rb.continuerun(20)
    assert len(keep) == 801
    # a Vector dropped between two runs
    mid = rb.Vector().record(soma(0.5).hh._ref_m)
    rb.continuerun(30)
    del mid
    gc.collect()
    rb.continuerun(40)
    assert len(keep) == 1601
    _, v_ref = run_tutorial(rheobase.Model(), tstop=40)
    assert np.array_equal(np.array(keep), v_ref)


def test_record_mechanism_ion_and_point_variables(nrn, rb):
    out = {}
    for name, sim in (("nrn", nrn), ("rb", rb)):
        soma, ic = tutorial(sim)
        seg = soma(0.5)
        vecs = {
            "m": sim.Vector().record(seg.hh._ref_m),
            "m_hh": sim.Vector().record(seg._ref_m_hh),
            "ina": sim.Vector().record(seg._ref_ina),
            "ik": sim.Vector().record(seg._ref_ik),
            "i": sim.Vector().record(ic._ref_i),
            "gnabar": sim.Vector().record(seg._ref_gnabar_hh),
        }
        sim.finitialize(-65)
        sim.continuerun(40)
        out[name] = {k: np.array(vec) for k, vec in vecs.items()}
        del soma, ic, seg
    nrn_out, rb_out = out["nrn"], out["rb"]
    for k in nrn_out:
        assert len(rb_out[k]) == len(nrn_out[k]) == 1601, k
    assert np.array_equal(rb_out["m"], rb_out["m_hh"])
    assert_trace_close(rb_out["m"], nrn_out["m"], 1e-9, "m")
    assert rb_out["m"][:3] == pytest.approx([0.05293248525724958, 0.05293297694493361, 0.052933903335217705], abs=1e-12)
    assert_trace_close(rb_out["ina"], nrn_out["ina"], 1e-7, "ina")
    assert_trace_close(rb_out["ik"], nrn_out["ik"], 1e-7, "ik")
    assert rb_out["ina"][0] == rb_out["ina"][1]
    assert np.array_equal(rb_out["i"], nrn_out["i"])
    assert np.nonzero(rb_out["i"])[0].tolist() == [81, 82, 83, 84]
    assert np.all(rb_out["gnabar"] == 0.12)


def test_ref_reads_current_value(nrn, rb):
    out = {}
    for name, sim in (("nrn", nrn), ("rb", rb)):
        soma, ic = tutorial(sim)
        sim.finitialize(-65)
        sim.continuerun(2.05)
        seg = soma(0.5)
        refs = {"v": seg._ref_v, "t": sim._ref_t, "m": seg.hh._ref_m, "ina": seg._ref_ina, "i": ic._ref_i,
                "gnabar": seg._ref_gnabar_hh}
        vals = {k: r[0] for k, r in refs.items()}
        direct = {"v": seg.v, "t": sim.t, "m": seg.hh.m, "ina": seg.ina, "i": ic.i, "gnabar": seg.gnabar_hh}
        assert vals == direct
        refs["v"][0] = -50
        assert seg.v == -50
        out[name] = vals
        del soma, ic, seg, refs
    assert out["rb"]["t"] == out["nrn"]["t"]
    assert out["rb"]["i"] == out["nrn"]["i"] == 0.9
    for k in ("v", "m", "ina"):
        assert out["rb"][k] == pytest.approx(out["nrn"][k], abs=1e-7), k


# --------------------------------------------------------------------------------------------
# Changes between runs without finitialize
# --------------------------------------------------------------------------------------------
def _continue_with_change(sim, change, t_change, tstop=30):
    soma, ic = tutorial(sim)
    t = sim.Vector().record(sim._ref_t)
    v = sim.Vector().record(soma(0.5)._ref_v)
    sim.finitialize(-65)
    sim.continuerun(t_change)
    change(sim, soma, ic)
    sim.continuerun(tstop)
    return np.array(t), np.array(v)


def _crosscheck_change(nrn, rb, change, t_change):
    nt, nv = _continue_with_change(nrn, change, t_change)
    rt, rv = _continue_with_change(rb, change, t_change)
    assert_trace_close(rt, nt, 1e-9, "t")
    assert_trace_close(rv, nv, V_TOL, "v")
    return rv


def test_parameter_change_mid_run(nrn, rb):
    def change(sim, soma, ic):
        ic.amp = 0.3  # mid-pulse: the rest of the pulse is weaker
        ic.dur = 5

    rv = _crosscheck_change(nrn, rb, change, t_change=2.05)
    _, v_unchanged = run_tutorial(rheobase.Model(), tstop=30)
    assert not np.array_equal(rv, v_unchanged)


def test_mechanism_parameter_change_mid_run(nrn, rb):
    def change(sim, soma, ic):
        soma(0.5).hh.gkbar = 0.01
        ic.delay = 12
        ic.amp = 2

    _crosscheck_change(nrn, rb, change, t_change=10)


def test_structural_change_mid_run(nrn, rb):
    def change(sim, soma, ic):
        soma.insert("pas")
        soma(0.5).pas.g = 0.002

    rv = _crosscheck_change(nrn, rb, change, t_change=5)
    _, v_unchanged = run_tutorial(rheobase.Model(), tstop=30)
    assert np.array_equal(rv[:201], v_unchanged[:201])
    assert not np.array_equal(rv, v_unchanged)
