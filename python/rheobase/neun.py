"""Point-neuron models with the API of neun_py (the Python bindings of the C++ library Neun).

    import rheobase.neun as neun_py

    args = neun_py.HHDoubleConstructorArgs()
    neuron = neun_py.HHDoubleRK4(args)
    neuron.set(neun_py.HHDoubleVariable.v, -65)
    neuron.add_synaptic_input(0.1)
    neuron.step(0.001)

Classes are generated from one table (models × precisions × integrators), as neun_py's are:

- neurons `{HH,HR,Iz}{Float,Double}{RK4,RK6,Euler}`, with `{Model}{Precision}Variable`,
  `{Model}{Precision}Parameter` and `{Model}{Precision}ConstructorArgs`;
- electrical synapses `ESyn{M1}{M2}{Precision}{Integrator}(n1, var1, n2, var2, g1, g2)` and
  diffusion synapses `DSyn{M1}{M2}{Precision}{Integrator}(n1, var1, n2, var2, args, steps)`.

Float classes compute in f32, Double classes in f64. Differences from neun_py, on purpose:
parameters start at documented defaults instead of 0 (see `get_model_info`; Izhikevich's
`threshold` is a parameter, 30 mV, where neun_py hides it at 0); variables start at 0; an Euler
integrator; `reset()`, `get_time()`, `set_time()`; `get_synaptic_current()` on synapses; DSyn can
be built; synapses keep their neurons alive; bad input raises TypeError/ValueError.
"""

import enum

import numpy as np

from . import _core

_MODELS = {
    "HH": ("HodgkinHuxleyModel", "Hodgkin-Huxley (1952) squid axon neuron; v in mV, time in ms"),
    "HR": ("HindmarshRoseModel", "Hindmarsh-Rose (1984) bursting neuron, dimensionless"),
    "Iz": ("IzhikevichModel", "Izhikevich (2003) simple spiking neuron; v in mV, time in ms"),
}
_PRECISIONS = ("Float", "Double")
_INTEGRATORS = ("RK4", "RK6", "Euler")

# {model: (variables, parameters)}, each a list of (name, unit, description, default).
_SPEC = _core.neun_models()
_ESYN = ((("i1", "nA", "current into neuron 1", 0.0), ("i2", "nA", "current into neuron 2", 0.0)),
         (("g1", "mS", "conductance for neuron 1's current, i1 = g1·(V2 − V1)", 0.0),
          ("g2", "mS", "conductance for neuron 2's current, i2 = g2·(V1 − V2)", 0.0)))


class NeunEnum(enum.IntEnum):
    """Enum members print as neun_py's do (`HHDoubleVariable.v`)."""

    def __str__(self):
        return f"{type(self).__name__}.{self.name}"


def _enum(name, fields):
    return NeunEnum(name, [(f[0], i) for i, f in enumerate(fields)], module=__name__)


class _ConstructorArgs:
    """Arguments of a constructor: `params`, one value per parameter in enum order (also
    readable and writable by name, e.g. `args.gna`)."""

    _fields = ()

    def __init__(self):
        object.__setattr__(self, "params", [f[3] for f in self._fields])

    def _index(self, name):
        for i, f in enumerate(self._fields):
            if f[0] == name:
                return i
        raise AttributeError(f"{type(self).__name__} has no parameter '{name}' "
                             f"(parameters: {', '.join(f[0] for f in self._fields)})")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.params[self._index(name)]

    def __setattr__(self, name, value):
        self.params[self._index(name)] = float(value)

    def __repr__(self):
        values = ", ".join(f"{f[0]}={v!r}" for f, v in zip(self._fields, self.params))
        return f"{type(self).__name__}({values})"


def _args_class(name, fields):
    return type(name, (_ConstructorArgs,), {"_fields": tuple(fields), "__module__": __name__})


def _params_of(args, args_class, who):
    if not isinstance(args, args_class):
        raise TypeError(f"{who} takes a {args_class.__name__}, got {type(args).__name__}")
    return [float(p) for p in args.params]


_NEURONS = {}  # (model, precision, integrator) -> class
_SYNAPSES = {}  # class name -> class
_all = {}


def _define_neurons():
    for model in _MODELS:
        variables, parameters = _SPEC[model]
        for precision in _PRECISIONS:
            prefix = f"{model}{precision}"
            var_enum = _all[f"{prefix}Variable"] = _enum(f"{prefix}Variable", variables)
            par_enum = _all[f"{prefix}Parameter"] = _enum(f"{prefix}Parameter", parameters)
            args_cls = _all[f"{prefix}ConstructorArgs"] = _args_class(f"{prefix}ConstructorArgs", parameters)
            for integrator in _INTEGRATORS:
                name = prefix + integrator

                def __new__(cls, args=None, _m=model, _p=precision, _i=integrator, _v=var_enum, _q=par_enum,
                            _a=args_cls):
                    params = None if args is None else _params_of(args, _a, cls.__name__)
                    return _core.NeunNeuron.__new__(cls, _m, _p, _i, _v, _q, params)

                cls = type(name, (_core.NeunNeuron,), {
                    "__new__": __new__,
                    "__module__": __name__,
                    "__doc__": f"{_MODELS[model][1]}; {precision.lower()} precision, {integrator} integrator.",
                    "Variable": var_enum,
                    "Parameter": par_enum,
                    "ConstructorArgs": args_cls,
                })
                _NEURONS[(model, precision, integrator)] = _all[name] = cls


def _define_synapses():
    for precision in _PRECISIONS:
        esyn_var = _all[f"ESyn{precision}Variable"] = _enum(f"ESyn{precision}Variable", _ESYN[0])
        esyn_par = _all[f"ESyn{precision}Parameter"] = _enum(f"ESyn{precision}Parameter", _ESYN[1])
        dsyn_vars, dsyn_params = _SPEC["DSyn"]
        dsyn_var = _all[f"DSyn{precision}Variable"] = _enum(f"DSyn{precision}Variable", dsyn_vars)
        dsyn_par = _all[f"DSyn{precision}Parameter"] = _enum(f"DSyn{precision}Parameter", dsyn_params)
        dsyn_args = _all[f"DSyn{precision}ConstructorArgs"] = _args_class(f"DSyn{precision}ConstructorArgs",
                                                                          dsyn_params)
        for integrator in _INTEGRATORS:
            for m1 in _MODELS:
                for m2 in _MODELS:
                    c1, c2 = _NEURONS[(m1, precision, integrator)], _NEURONS[(m2, precision, integrator)]
                    _synapse_class("ESyn", m1, m2, precision, integrator, c1, c2, esyn_var, esyn_par, None)
                    _synapse_class("DSyn", m1, m2, precision, integrator, c1, c2, dsyn_var, dsyn_par, dsyn_args)


def _synapse_class(kind, m1, m2, precision, integrator, c1, c2, var_enum, par_enum, args_cls):
    name = f"{kind}{m1}{m2}{precision}{integrator}"

    def check(n1, n2):
        for which, n, c in (("n1", n1, c1), ("n2", n2, c2)):
            if not isinstance(n, c):
                raise TypeError(f"{name}: {which} must be a {c.__name__}, got {type(n).__name__}")

    if kind == "ESyn":
        def __new__(cls, n1, var1, n2, var2, g1, g2):
            check(n1, n2)
            return _core.NeunSynapse.__new__(cls, kind, precision, integrator, n1, var1, n2, var2,
                                             [float(g1), float(g2)], 1, var_enum, par_enum)
        doc = "Electrical synapse: i1 = g1·(V2 − V1) into n1, i2 = g2·(V1 − V2) into n2."
    else:
        def __new__(cls, n1, var1, n2, var2, args, steps):
            check(n1, n2)
            params = _params_of(args, args_cls, name)
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise ValueError(f"{name}: steps must be an integer >= 1, got {steps!r}")
            return _core.NeunSynapse.__new__(cls, kind, precision, integrator, n1, var1, n2, var2, params,
                                             steps, var_enum, par_enum)
        doc = ("Diffusion synapse (Destexhe 1994): a threshold crossing of n1's variable releases "
               "transmitter; each step runs `steps` sub-steps of dt on r, then adds "
               "i = gsyn·r·(V2 − esyn) to n2's input.")
    cls = type(name, (_core.NeunSynapse,), {"__new__": __new__, "__module__": __name__, "__doc__": doc,
                                            "Variable": var_enum, "Parameter": par_enum})
    _SYNAPSES[name] = _all[name] = cls


_define_neurons()
_define_synapses()
globals().update(_all)


def get_available_neurons():
    """Names of every neuron class, models × precisions × integrators."""
    return [f"{m}{p}{i}" for m in _MODELS for p in _PRECISIONS for i in _INTEGRATORS]


def get_available_synapses():
    """Names of every synapse class: ESyn then DSyn × precisions × integrators × model pairs."""
    return [f"{k}{m1}{m2}{p}{i}" for k in ("ESyn", "DSyn") for p in _PRECISIONS for i in _INTEGRATORS
            for m1 in _MODELS for m2 in _MODELS]


def get_model_info(name):
    """Variables and parameters of a model ("HH", "HR", "Iz", or a class name such as
    "HHDoubleRK4"), with descriptions, units and defaults."""
    short = next((m for m in _MODELS if name == m or (isinstance(name, str) and name.startswith(m)
                                                        and name[len(m):].startswith(_PRECISIONS))), None)
    if short is None:
        raise ValueError(f"unknown model {name!r}; models: {', '.join(_MODELS)}")
    variables, parameters = _SPEC[short]

    def entries(fields, key):
        return [{"name": n, "unit": u, "description": d, key: v} for n, u, d, v in fields]

    return {
        "class_name": _MODELS[short][0],
        "short_name": short,
        "description": _MODELS[short][1],
        "variables": entries(variables, "initial"),
        "parameters": entries(parameters, "default"),
    }


class Population:
    """Many neurons of one model stepped together in Rust (threads for large n).

        pop = Population("HH", n=10_000, precision="double", integrator="rk4")
        pop.set("v", -65.0)
        traces = pop.run(steps=1000, dt=0.01, input=np.full(10_000, 0.1), record=["v"])

    Parameters and variables are numpy arrays (one value per neuron); `input` is a constant per
    neuron ([n]) or one row per step ([steps, n]); `set_coupling(G)` couples neurons
    electrically, I_k += G[k, j]·(V_j − V_k). A population gives the same numbers as stepping the
    single-neuron classes with the coupling currents added first, then the input.
    """

    def __init__(self, model, n, precision="double", integrator="rk4"):
        if model not in _MODELS:
            raise ValueError(f"unknown model {model!r}; models: {', '.join(_MODELS)}")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        self.model = model
        self._core = _core.NeunPopulation(model, int(n), precision, integrator)
        self._variables = [f[0] for f in _SPEC[model][0]]

    def __len__(self):
        return len(self._core)

    def _array(self, name, values):
        arr = np.broadcast_to(np.asarray(values, dtype=np.float64), (len(self),))
        return np.ascontiguousarray(arr)

    def get(self, name):
        return self._core.values(name, False)

    def set(self, name, values):
        self._core.set_values(name, False, self._array(name, values))

    def get_param(self, name):
        return self._core.values(name, True)

    def set_param(self, name, values):
        self._core.set_values(name, True, self._array(name, values))

    def set_coupling(self, matrix, var=None):
        """Electrical coupling: G[k, j] is the conductance of the current into k from j (a dense
        array or a scipy.sparse matrix, n × n), or None to remove it. `var` is the coupled
        variable (default: the first, v or x)."""
        var = self._variables[0] if var is None else var
        if matrix is None:
            self._core.set_coupling(None, None, None, var)
            return
        if hasattr(matrix, "tocsr"):
            csr = matrix.tocsr()
            csr.sort_indices()
            indptr, indices, data = csr.indptr, csr.indices, csr.data
        else:
            dense = np.asarray(matrix, dtype=np.float64)
            if dense.shape != (len(self), len(self)):
                raise ValueError(f"coupling must be {len(self)}×{len(self)}, got shape {dense.shape}")
            rows, cols = np.nonzero(dense)
            indptr = np.searchsorted(rows, np.arange(len(self) + 1))
            indices, data = cols, dense[rows, cols]
        self._core.set_coupling([int(i) for i in indptr], [int(j) for j in indices],
                                [float(g) for g in data], var)

    @property
    def time(self):
        return self._core.time()

    def run(self, steps, dt, input=None, record=(), neurons=None, every=1):
        """Runs `steps` steps of dt; returns {variable: array [steps // every, len(neurons)]} of the
        values after every `every`-th step, for `neurons` (default: all)."""
        if input is not None:
            input = np.asarray(input, dtype=np.float64)
            if input.ndim == 0:
                input = np.full(len(self), float(input))
            input = np.ascontiguousarray(input)
        if isinstance(record, str):
            record = [record]
        return self._core.run(int(steps), float(dt), input, list(record),
                              None if neurons is None else [int(k) for k in neurons], int(every))
