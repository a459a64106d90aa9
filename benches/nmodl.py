#!/usr/bin/env python3
"""NMODL benchmarks (issue 5): rheobase's run-time NMODL against NEURON's nrnivmodl.

Three measurements:

  load     time to load + compile each .mod file the neuron 9.0.2 wheel ships, with
           rheobase.compile_mod (median of --repeat), against nrnivmodl compiling the same file alone
           (once; it runs a C compiler). Files rheobase does not support yet are listed as such.
  hh_jit   the hh axon of benches/single_cell.py (L 1000 um, diam 1 um, nseg 1000, IClamp 0.1 nA,
           250 ms at dt 0.025) with the built-in hh, with hh.mod compiled by the JIT, and with hh.mod
           on the interpreter (one run: it is the slow reference).
  mod_cell the same axon with every mechanism from the wheel's .mod files (passive.mod, nachan.mod,
           khhchan.mod, camchan.mod, capump.mod): rheobase against NEURON running the same files
           compiled by nrnivmodl.

Every timed run is a separate process (NEURON cannot load a mechanism twice); run = CPU time of
finitialize + continuerun, one thread. The traces of the engines are compared (max |dv|).

Usage:
  python benches/nmodl.py --repeat 5
  python benches/nmodl.py --only hh_jit --repeat 3
"""

import argparse
import json
import re
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))


def wheel_share():
    import importlib.util

    spec = importlib.util.find_spec("neuron")
    return os.path.join(os.path.dirname(spec.origin), ".data", "share")


def wheel_mod_files():
    share = wheel_share()
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(share) for f in fs if f.endswith(".mod"))


# Names NEURON has built in get another SUFFIX in both engines.
RENAME = {"hh.mod": ("hh", "hh_mod"), "passive.mod": ("pas", "pas_mod")}
CELL_FILES = ["passive.mod", "nachan.mod", "khhchan.mod", "camchan.mod", "capump.mod"]


def source(path):
    with open(path) as f:
        text = f.read()
    old, new = RENAME.get(os.path.basename(path), (None, None))
    return text.replace(f"SUFFIX {old}", f"SUFFIX {new}") if old else text


def by_name(name):
    return next(p for p in wheel_mod_files() if os.path.basename(p) == name)


# ------------------------------------------------------------------------------------------- the model


def build_axon(sim, mechs, setup=None):
    sim.load_file("stdrun.hoc")
    sim.dt = 0.025
    sim.celsius = 6.3
    axon = sim.Section(name="axon")
    axon.L, axon.diam, axon.nseg, axon.Ra, axon.cm = 1000, 1, 1000, 100, 1
    for m in mechs:
        axon.insert(m)
    if setup:
        setup(axon)
    stim = sim.IClamp(axon(0))
    stim.delay, stim.dur, stim.amp = 0, 1e9, 0.1
    v0 = sim.Vector().record(axon(0)._ref_v)
    v1 = sim.Vector().record(axon(1)._ref_v)
    return {"keep": (axon, stim), "v": (v0, v1), "tstop": 250.0}


def cell_setup(axon):
    for seg in axon:
        seg.pas_mod.g, seg.pas_mod.e = 1e-4, -65
        seg.cachan.pcabar = 2e-6
        seg.capump.vmax = 0.01


def run(sim, model):
    sim.finitialize(-65)
    t0 = time.process_time()
    sim.continuerun(model["tstop"])
    cpu = time.process_time() - t0
    return cpu, [list(v) for v in model["v"]]


# ------------------------------------------------------------------------------------------- workers


def worker(engine, case, folder):
    """One timed run in this process; prints JSON."""
    if engine == "neuron":
        import neuron
        from neuron import n as sim

        neuron.load_mechanisms(folder)
    else:
        import rheobase

        sim = rheobase.Model()
        jit = engine != "interp"
        if case == "hh_jit" and engine != "builtin":
            rheobase.compile_mod(source(by_name("hh.mod")), "hh.mod", jit=jit)
        if case == "mod_cell":
            for f in CELL_FILES:
                rheobase.compile_mod(source(by_name(f)), f, jit=jit)
    if case == "hh_jit":
        model = build_axon(sim, ["hh" if engine == "builtin" else "hh_mod"])
    else:
        model = build_axon(sim, ["pas_mod", "HHna", "HHk", "cachan", "capump"], cell_setup)
    cpu, traces = run(sim, model)
    print(json.dumps({"cpu": cpu, "traces": traces}))


def spawn(engine, case, folder=""):
    out = subprocess.run([sys.executable, __file__, "--worker", engine, case, folder], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{engine} {case} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def max_dv(a, b):
    import numpy as np

    return max(float(np.abs(np.array(x) - np.array(y)).max()) for x, y in zip(a, b))


# ------------------------------------------------------------------------------------------- cases


def bench_load(repeat):
    import rheobase

    print("## load + compile, per file (rheobase median of %d; nrnivmodl once)\n" % repeat)
    print("| file | rheobase ms | nrnivmodl s | |")
    print("|---|---:|---:|---|")
    worst = 0.0
    for path in wheel_mod_files():
        name = os.path.basename(path)
        # A name of its own: files of rheobase's built-ins (hh, ExpSyn, NetStim, ...) would be skipped.
        with open(path) as f:
            text = re.sub(r"(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\s+(\w+)", r"\1 \2_bench", f.read())
        times = []
        status = "loaded"
        for _ in range(repeat):
            t0 = time.perf_counter()
            try:
                rheobase.compile_mod(text, path)
            except NotImplementedError as e:
                status = "not supported yet: " + str(e).splitlines()[0].split(": ", 1)[-1]
                break
            times.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
            t0 = time.perf_counter()
            done = subprocess.run(["nrnivmodl"], cwd=tmp, capture_output=True)
            nrn = time.perf_counter() - t0 if done.returncode == 0 else float("nan")
        ms = statistics.median(times) * 1e3 if times else float("nan")
        if times:
            worst = max(worst, ms)
        print(f"| {name} | {ms:.2f} | {nrn:.2f} | {status} |")
    print(f"\nslowest rheobase load: {worst:.2f} ms (target < 50 ms): {'met' if worst < 50 else 'NOT met'}\n")


def bench_hh_jit(repeat):
    runs = {"builtin": [], "jit": []}
    for _ in range(repeat):  # alternating, as in bench_mod_cell
        for engine in runs:
            runs[engine].append(spawn(engine, "hh_jit"))
    rows = {e: (statistics.median(r["cpu"] for r in rs), rs[0]["traces"]) for e, rs in runs.items()}
    interp = spawn("interp", "hh_jit")
    rows["interp"] = (interp["cpu"], interp["traces"])
    print("## hh axon: built-in hh against hh.mod (CPU s, median of %d)\n" % repeat)
    print("| kernel | run CPU s | vs built-in | max abs dv vs built-in (mV) |")
    print("|---|---:|---:|---:|")
    base, base_traces = rows["builtin"]
    for k, label in (("builtin", "built-in hh"), ("jit", "hh.mod, JIT"), ("interp", "hh.mod, interpreter (1 run)")):
        cpu, tr = rows[k]
        print(f"| {label} | {cpu:.3f} | {cpu / base:.2f}x | {max_dv(tr, base_traces):.2e} |")
    ratio = rows["jit"][0] / base
    print(f"\nJIT / built-in = {ratio:.2f} (target <= 1.5): {'met' if ratio <= 1.5 else 'NOT met'}\n")


def bench_mod_cell(repeat):
    folder = tempfile.mkdtemp(prefix="rb_nrnivmodl_")
    try:
        for f in CELL_FILES:
            with open(os.path.join(folder, f), "w") as out:
                out.write(source(by_name(f)))
        subprocess.run(["nrnivmodl"], cwd=folder, capture_output=True, check=True)
        # Engines alternate run by run, so a change in the machine's load reaches both alike.
        runs = {"jit": [], "neuron": []}
        for _ in range(repeat):
            for engine in runs:
                runs[engine].append(spawn(engine, "mod_cell", folder))
        rows = {e: (statistics.median(r["cpu"] for r in rs), rs[0]["traces"]) for e, rs in runs.items()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rb, nrn = rows["jit"][0], rows["neuron"][0]
    print("## axon with every mechanism from .mod files (%s), CPU s, median of %d\n" % (", ".join(CELL_FILES), repeat))
    print("| engine | run CPU s |")
    print("|---|---:|")
    print(f"| rheobase (JIT) | {rb:.3f} |")
    print(f"| NEURON 9.0.2 (nrnivmodl) | {nrn:.3f} |")
    dv = max_dv(rows["jit"][1], rows["neuron"][1])
    print(f"\nrheobase is {nrn / rb:.2f}x faster (target >= 2x): {'met' if nrn / rb >= 2 else 'NOT met'}; "
          f"max |dv| between the engines {dv:.2e} mV\n")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:5])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", choices=["load", "hh_jit", "mod_cell"])
    args = ap.parse_args()
    cases = [args.only] if args.only else ["load", "hh_jit", "mod_cell"]
    for case in cases:
        {"load": bench_load, "hh_jit": bench_hh_jit, "mod_cell": bench_mod_cell}[case](args.repeat)


if __name__ == "__main__":
    main()
