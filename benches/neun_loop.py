"""Per-call overhead of the neun_py API: the README's 100 000-step Python loop
(add_synaptic_input, step, get) on one HHDoubleRK4 neuron.

Target (issue 3): no slower than a C++ pybind11 binding, ≤ 3.5 µs per iteration on this machine.
Compares with the real neun_py when importable (set NEUN_PY=/path/to/neun_py*.so to use a build).

    python benches/neun_loop.py [--repeat 5]
"""

import argparse
import os
import sys

# OpenBLAS worker threads spin after numpy calls, on the cores the benchmark needs.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(__file__))
from _neun_common import hh_neuron, load_neun_py, median_time  # noqa: E402

import rheobase.neun  # noqa: E402

STEPS = 100_000


def loop(mod):
    n = hh_neuron(mod)
    v_var = mod.HHDoubleVariable.v

    def run():
        for _ in range(STEPS):
            n.add_synaptic_input(0.1)
            n.step(0.001)
            n.get(v_var)

    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    engines = {"rheobase.neun": rheobase.neun, "neun_py": load_neun_py()}
    results = {}
    for name, mod in engines.items():
        if mod is None:
            print(f"{name}: not importable, skipped (set NEUN_PY to a built neun_py extension)")
            continue
        wall, cpu = median_time(loop(mod), args.repeat)
        results[name] = cpu
        print(f"{name:14s} {cpu / STEPS * 1e6:6.3f} us/iteration CPU  ({wall / STEPS * 1e6:6.3f} wall), "
              f"median of {args.repeat}")
    if len(results) == 2:
        print(f"ratio neun_py/rheobase CPU = {results['neun_py'] / results['rheobase.neun']:.2f}")
    print(f"target: <= 3.5 us/iteration -> {'met' if results['rheobase.neun'] / STEPS * 1e6 <= 3.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
