#!/usr/bin/env python3
"""Single-cell benchmarks: rheobase against NEURON, side by side, same model code.

Three cases, each built by ONE builder function that takes the simulator namespace
``sim`` -- NEURON's ``n`` or a fresh ``rheobase.Model()`` -- so both engines run
literally the same model-building code:

  hh_axon     Rallpack 1 cable geometry (L 1000 um, diam 1 um, Ra 100, cm 1) with hh at
              NEURON's defaults instead of pas (i.e. Rallpack 3), nseg 1000, IClamp 0.1 nA
              at x=0 for the whole run, 250 ms, dt 0.025; v recorded at x=0 and x=1.
  soma_10s    one hh soma (L = diam = 12.6157 um), IClamp 0.1 nA from t=2 ms on (fires
              repeatedly), 10 s of simulated time, dt 0.025; v recorded.
  cells_1000  1000 independent one-compartment hh cells, IClamp amplitudes spread over
              0..0.3 nA, 100 ms, dt 0.025; v of one cell recorded.

For every case and engine we report the median over --repeat runs of
  cpu_ms    time.process_time() of finitialize + continuerun only
  wall_ms   time.perf_counter() of the same
  build_ms  wall time of the builder (sections, mechanisms, stimuli, recorders)
and check that both engines produce the same voltage traces (max |dv|).

Usage:
  python benches/single_cell.py                       # all cases, both engines, 5 repeats
  python benches/single_cell.py --engines neuron --repeat 3
  python benches/single_cell.py --cases soma_10s --markdown >> BENCHMARKS.md
"""

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time

# OpenBLAS worker threads spin after numpy calls and their CPU time would be charged to whichever
# engine runs next; one thread keeps CPU time honest for both engines.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

DT = 0.025  # ms, every case
V_INIT = -65.0  # mV, hh resting potential
SOMA_SIZE = 12.6157  # um; L = diam gives an area of ~500 um^2 (the classic NEURON soma)


# ---------------------------------------------------------------------------------------------
# Builders. Each takes the namespace `sim` and returns a dict with
#   keep    -- every object that must stay alive for the run (sections, clamps, vectors);
#              dropping this dict is what deletes the model again on NEURON
#   traces  -- {label: Vector} recorded voltages to compare across engines
#   tstop   -- ms to run
# Only NEURON-style API calls that a user script would make appear here, so the same code is a
# fair test of both engines' Python front ends as well as their solvers.
# ---------------------------------------------------------------------------------------------


def _common_setup(sim):
    # stdrun provides continuerun; load_file is idempotent on NEURON, so calling it per build
    # costs nothing after the first time and keeps each builder self-contained.
    sim.load_file("stdrun.hoc")
    sim.dt = DT
    # Set explicitly (6.3 is NEURON's default) so both engines integrate hh at the same
    # temperature even if a previous script in the same process changed it.
    sim.celsius = 6.3


def build_hh_axon(sim):
    _common_setup(sim)
    axon = sim.Section("axon")
    axon.L = 1000
    axon.diam = 1
    axon.nseg = 1000
    axon.Ra = 100
    axon.cm = 1
    axon.insert("hh")  # NEURON's default gnabar/gkbar/gl/el, ena/ek
    stim = sim.IClamp(axon(0))  # x=0: the zero-area end node, as in the Rallpacks
    stim.delay = 0
    stim.dur = 1e9  # on for the whole run
    stim.amp = 0.1
    v0 = sim.Vector().record(axon(0)._ref_v)
    v1 = sim.Vector().record(axon(1)._ref_v)
    return {"keep": [axon, stim, v0, v1], "traces": {"v(0)": v0, "v(1)": v1}, "tstop": 250.0}


def build_soma_10s(sim):
    _common_setup(sim)
    soma = sim.Section("soma")
    soma.L = soma.diam = SOMA_SIZE
    soma.insert("hh")
    stim = sim.IClamp(soma(0.5))
    stim.delay = 2
    stim.dur = 1e9  # never switches off: the cell fires repeatedly for the whole 10 s
    stim.amp = 0.1
    v = sim.Vector().record(soma(0.5)._ref_v)
    return {"keep": [soma, stim, v], "traces": {"v": v}, "tstop": 10000.0}


N_CELLS = 1000
RECORDED_CELL = N_CELLS - 1  # the most strongly driven cell, so the trace check covers spikes


def build_cells_1000(sim):
    _common_setup(sim)
    cells, stims = [], []
    for i in range(N_CELLS):
        soma = sim.Section(f"cell{i}")
        soma.L = soma.diam = SOMA_SIZE
        soma.insert("hh")
        stim = sim.IClamp(soma(0.5))
        stim.delay = 2
        stim.dur = 1e9
        stim.amp = 0.3 * i / (N_CELLS - 1)  # 0 .. 0.3 nA: silent, subthreshold and firing cells
        cells.append(soma)
        stims.append(stim)
    v = sim.Vector().record(cells[RECORDED_CELL](0.5)._ref_v)
    return {"keep": [cells, stims, v], "traces": {f"v(cell{RECORDED_CELL})": v}, "tstop": 100.0}


CASES = {
    "hh_axon": (build_hh_axon, "Rallpack-1 cable with hh (Rallpack 3): 1 mm, nseg 1000, 250 ms"),
    "soma_10s": (build_soma_10s, "1 hh soma, tonic firing, 10 s simulated"),
    "cells_1000": (build_cells_1000, "1000 independent 1-compartment hh cells, 100 ms"),
}


# ---------------------------------------------------------------------------------------------
# Engines. A factory returns (namespace, cleanup). NEURON has one global namespace, so "fresh
# model" means deleting the previous sections; rheobase gives a new independent Model per run.
# ---------------------------------------------------------------------------------------------


def load_engines(names):
    engines = {}
    for name in names:
        if name == "neuron":
            try:
                import neuron
                from neuron import n
            except ImportError as exc:
                print(f"# skipping neuron: cannot import it ({exc})", file=sys.stderr)
                continue

            def neuron_cleanup(n=n):
                # Python-created sections vanish once no Python reference is left; check it so a
                # leak cannot silently make later runs simulate extra sections.
                gc.collect()
                left = sum(1 for _ in n.allsec())
                if left:
                    raise RuntimeError(f"{left} NEURON sections survived a rebuild")

            engines["neuron"] = {
                "factory": lambda n=n: n,
                "cleanup": neuron_cleanup,
                "version": neuron.__version__,
            }
        elif name == "rheobase":
            try:
                import rheobase

                rheobase.Model  # the engine proper, not just an empty package directory
            except (ImportError, AttributeError) as exc:
                print(f"# skipping rheobase: cannot import it ({exc})", file=sys.stderr)
                continue
            engines["rheobase"] = {
                "factory": rheobase.Model,
                "cleanup": gc.collect,
                "version": getattr(rheobase, "__version__", _dist_version("rheobase")),
            }
        else:
            sys.exit(f"unknown engine {name!r} (choose from neuron, rheobase)")
    return engines


def _dist_version(dist):
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "?"


def to_numpy(vec):
    # Copy: NEURON's as_numpy() aliases the Vector's memory, which is freed with the model.
    as_numpy = getattr(vec, "as_numpy", None)
    return np.array(as_numpy() if as_numpy is not None else list(vec), dtype=float)


def run_once(engine, builder):
    """Build a fresh model, time finitialize+continuerun, return timings and traces."""
    sim = engine["factory"]()
    # Collect garbage outside the timed regions so one run's debris is not billed to the next.
    gc.collect()
    b0 = time.perf_counter()
    model = builder(sim)
    build_ms = (time.perf_counter() - b0) * 1e3

    c0, w0 = time.process_time(), time.perf_counter()
    sim.finitialize(V_INIT)
    sim.continuerun(model["tstop"])
    cpu_ms = (time.process_time() - c0) * 1e3
    wall_ms = (time.perf_counter() - w0) * 1e3

    traces = {label: to_numpy(vec) for label, vec in model["traces"].items()}
    del model, sim
    engine["cleanup"]()
    return cpu_ms, wall_ms, build_ms, traces


def compare_traces(ref, other):
    """max |dv| per trace label; a length mismatch is reported rather than hidden."""
    parts = []
    worst = 0.0
    for label, a in ref.items():
        b = other.get(label)
        if b is None:
            parts.append(f"{label}: missing")
            worst = float("inf")
            continue
        k = min(len(a), len(b))
        d = float(np.max(np.abs(a[:k] - b[:k]))) if k else float("nan")
        worst = max(worst, d)
        note = "" if len(a) == len(b) else f" (lengths {len(a)} vs {len(b)})"
        if len(a) != len(b):
            worst = float("inf")
        parts.append(f"{label} {d:.3g} mV{note}")
    return worst, ", ".join(parts)


def machine_info(engines):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or "?"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical ({usable} usable by this process)",
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    for name, eng in engines.items():
        info[name] = eng["version"]
    return info


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", default=",".join(CASES),
                   help=f"comma-separated subset of: {', '.join(CASES)}")
    p.add_argument("--repeat", type=int, default=5,
                   help="runs per case and engine, each on a freshly built model; median reported")
    p.add_argument("--engines", default="neuron,rheobase", help="comma-separated: neuron, rheobase")
    p.add_argument("--markdown", action="store_true",
                   help="print a markdown table (with machine info) for BENCHMARKS.md on stdout; "
                        "the plain result lines then go to stderr")
    args = p.parse_args(argv)

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    for c in cases:
        if c not in CASES:
            p.error(f"unknown case {c!r}; choose from {', '.join(CASES)}")
    if args.repeat < 1:
        p.error("--repeat must be >= 1")
    engines = load_engines([e.strip() for e in args.engines.split(",") if e.strip()])
    if not engines:
        sys.exit("no engine could be imported")

    # In --markdown mode stdout is reserved for the table so it can be appended to a file.
    out = sys.stderr if args.markdown else sys.stdout

    def emit(line):
        print(line, file=out, flush=True)

    emit("# case engine cpu_ms wall_ms build_ms   (medians of %d runs)" % args.repeat)
    results = {}  # (case, engine) -> (cpu, wall, build)
    checks = {}  # case -> text
    for case in cases:
        builder = CASES[case][0]
        first_traces = {}
        for name, eng in engines.items():
            cpu, wall, build = [], [], []
            for r in range(args.repeat):
                c, w, b, traces = run_once(eng, builder)
                cpu.append(c)
                wall.append(w)
                build.append(b)
                if r == 0:
                    first_traces[name] = traces
            med = (statistics.median(cpu), statistics.median(wall), statistics.median(build))
            results[case, name] = med
            emit(f"{case} {name} {med[0]:.1f} {med[1]:.1f} {med[2]:.1f}")
        if "neuron" in engines and "rheobase" in engines:
            ratio = results[case, "neuron"][0] / max(results[case, "rheobase"][0], 1e-9)
            emit(f"{case} ratio neuron/rheobase cpu = {ratio:.2f}")
            worst, text = compare_traces(first_traces["neuron"], first_traces["rheobase"])
            checks[case] = (worst, text)
            emit(f"{case} max|dv| neuron-rheobase: {text}")
        else:
            # Still useful with one engine: shows the traces were recorded and are sane.
            (name, traces), = list(first_traces.items())[:1]
            summary = ", ".join(f"{k} n={len(v)} min={v.min():.2f} max={v.max():.2f}"
                                for k, v in traces.items())
            emit(f"{case} traces {name}: {summary}")

    if args.markdown:
        print_markdown(cases, engines, results, checks, args.repeat)


def print_markdown(cases, engines, results, checks, repeat):
    info = machine_info(engines)
    both = "neuron" in engines and "rheobase" in engines
    print(f"### Single-cell benchmarks ({info['date']})")
    print()
    print(f"- Machine: {info['cpu']}, {info['cores']}; {info['os']}")
    versions = ", ".join(f"{k} {info[k]}" for k in ["python", "numpy", *engines])
    print(f"- Versions: {versions}")
    print(f"- Median of {repeat} runs, each on a freshly built model; CPU = process_time and wall "
          "of finitialize + continuerun only; build = wall time of model construction; dt 0.025 ms.")
    print("- Command: `python benches/single_cell.py " + " ".join(sys.argv[1:]) + "`")
    print()
    header = "| case | model | engine | CPU ms | wall ms | build ms |"
    rule = "|---|---|---|---:|---:|---:|"
    if both:
        header += " NEURON/rheobase CPU | max \\|Δv\\| (mV) |"
        rule += "---:|---:|"
    print(header)
    print(rule)
    for case in cases:
        for i, name in enumerate(engines):
            cpu, wall, build = results[case, name]
            # Name and describe the case on its first row only, to keep the table readable.
            label, desc = (case, CASES[case][1]) if i == 0 else ("", "")
            row = f"| {label} | {desc} | {name} | {cpu:.1f} | {wall:.1f} | {build:.1f} |"
            if both:
                if name == "rheobase":
                    ratio = results[case, "neuron"][0] / max(cpu, 1e-9)
                    worst = checks[case][0]
                    row += f" {ratio:.2f} | {worst:.3g} |"
                else:
                    row += " | |"
            print(row)
    print()


if __name__ == "__main__":
    main()
