"""A Population of 10 000 HH neurons (RK4, double) for 10 000 steps of 0.001 ms, against the
same work as a Python loop over single neurons (rheobase.neun's classes, and neun_py's when
importable). The loop is timed on a subset and scaled: its cost per neuron-step is constant.

Target (issue 3): Population ≥ 50× faster than the Python loop, taken against the peer (neun_py),
as every ratio in BENCHMARKS.md is; the loop over rheobase.neun's own singles is printed beside it.

    python benches/neun_population.py [--neurons 10000] [--steps 10000] [--repeat 3]
"""

import argparse
import os
import sys

# OpenBLAS worker threads spin after numpy calls, on the cores the benchmark needs.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _neun_common import HH_PARAMS, hh_neuron, load_neun_py, median_time  # noqa: E402

import rheobase.neun  # noqa: E402

DT = 0.001  # ms


def population_run(n, steps, precision):
    pop = rheobase.neun.Population("HH", n, precision=precision, integrator="rk4")
    for name, value in HH_PARAMS.items():
        pop.set_param(name, value)
    pop.set("v", -65.0)
    inputs = np.linspace(0.0, 0.5, n)
    return lambda: pop.run(steps, DT, input=inputs, record=["v"], neurons=[0], every=100)


def python_loop(mod, n, steps):
    neurons = [hh_neuron(mod) for _ in range(n)]
    inputs = np.linspace(0.0, 0.5, n).tolist()

    def run():
        for _ in range(steps):
            for neuron, i in zip(neurons, inputs):
                neuron.add_synaptic_input(i)
                neuron.step(DT)

    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = args.neurons * args.steps
    print(f"# {args.neurons} HH neurons x {args.steps} steps, RK4, dt {DT} ms; threads: all cores "
          f"({os.cpu_count()}); medians of {args.repeat}")
    # The Python loops run first: after a population run, the pool's threads spin for a while on
    # the cores a loop would use.
    subset_n, subset_steps = 200, 500
    loops = {}
    for name, mod in (("rheobase.neun", rheobase.neun), ("neun_py", load_neun_py())):
        if mod is None:
            print(f"Python loop over {name}: not importable, skipped (set NEUN_PY to a built extension)")
            continue
        wall, _ = median_time(python_loop(mod, subset_n, subset_steps), args.repeat)
        loops[name] = wall / (subset_n * subset_steps)
    pop = {}
    for precision in ("double", "float"):
        wall, cpu = median_time(population_run(args.neurons, args.steps, precision), args.repeat)
        pop[precision] = wall
        print(f"Population {precision:6s} wall {wall:8.3f} s  CPU {cpu:8.3f} s  "
              f"({wall / work * 1e9:.1f} ns per neuron-step, wall)")
    for name, per in loops.items():
        print(f"Python loop over {name:13s} {per * 1e9:7.1f} ns per neuron-step -> {per * work:8.1f} s for "
              f"the same work; Population (double) is {per * work / pop['double']:.1f}x faster")
    if "neun_py" in loops:
        ratio = loops["neun_py"] * work / pop["double"]
        print(f"target: >= 50x a Python loop over neun_py's singles -> {'met' if ratio >= 50 else 'not met'}")

if __name__ == "__main__":
    main()
