"""Shared by the neun benchmarks: finding a neun_py to compare with, and timing helpers."""

import importlib
import importlib.util
import os
import statistics
import time


def load_neun_py():
    """The real neun_py if it can be imported (installed, or a built extension named by the
    NEUN_PY environment variable), else None. It is not on PyPI, so this is optional."""
    path = os.environ.get("NEUN_PY")
    if path:
        spec = importlib.util.spec_from_file_location("neun_py", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module("neun_py")
    except ImportError:
        return None


def median_time(fn, repeat):
    """Median (wall s, CPU s) of `repeat` calls of fn()."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


HH_PARAMS = dict(cm=7.854e-3, vna=50, vk=-77, vl=-54.387, gna=120 * 7.854e-3, gk=36 * 7.854e-3, gl=0.3 * 7.854e-3)


def hh_neuron(mod):
    """An HHDoubleRK4 with the documented parameters (neun_py starts them at 0)."""
    n = mod.HHDoubleRK4(mod.HHDoubleConstructorArgs())
    for name, value in HH_PARAMS.items():
        n.set_param(getattr(mod.HHDoubleParameter, name), value)
    n.set(mod.HHDoubleVariable.v, -65.0)
    return n
