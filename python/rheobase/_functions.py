"""FUNCTIONs and PROCEDUREs callable from Python: the built-in hh's (`seg.hh.rates(v)`) and those of
mechanisms loaded from NMODL (`seg.kd.rates(v)`, `syn.M()`), which run on rheobase's interpreter
with the instance's values and write back what they change, as NEURON's calls do."""

import math

from . import _core


def hh_function(mech, name):
    seg = mech.segment()
    model = seg.sec._model

    def rates(v):
        """hh.mod's rates(v): sets minf, hinf, ninf, mtau, htau, ntau of this instance."""
        values = _core.hh_rates(float(v), model.celsius, bool(model.usetable_hh))
        for var, value in zip(("minf", "hinf", "ninf", "mtau", "htau", "ntau"), values):
            seg._mech_set("hh", var, value)
        return 0.0

    def vtrap(x, y):
        """hh.mod's vtrap: x/(exp(x/y) - 1), with its limit near x = 0."""
        x, y = float(x), float(y)
        if abs(x / y) < 1e-6:
            return y * (1 - x / y / 2)
        return x / (math.exp(x / y) - 1)

    return {"rates": rates, "vtrap": vtrap}[name]


def nmodl_functions(mech):
    """{name: number of arguments} of a mechanism loaded from NMODL ({} for the others)."""
    try:
        return _core.nmodl_functions(mech)[0]
    except ValueError:
        return {}


def nmodl_function(model, mech, name, get, set_, v):
    """A FUNCTION or PROCEDURE of one instance: `get(var)`/`set_(var, value)` reach its variables
    (every one, hidden ones included) and `v()` its membrane potential."""
    funcs, global_names = _core.nmodl_functions(mech)
    all_vars = _core.mechanism_all_vars(mech)

    def call(*args):
        if len(args) != funcs[name]:
            raise TypeError(f"{name}_{mech}() takes {funcs[name]} arguments, {len(args)} given")
        args = [float(a) for a in args]
        row = [get(var) for var in all_vars]
        exposed = [model._engine.global_get(g) for g in global_names]
        value, new_row, new_exposed = _core.nmodl_call(mech, name, args, row, exposed, v(), model.t, model.dt,
                                                       model.celsius)
        for var, old, new in zip(all_vars, row, new_row):
            if new != old and not (new != new and old != old):
                set_(var, new)
        for g, old, new in zip(global_names, exposed, new_exposed):
            if new != old:
                model._engine.global_set(g, new)
        return value

    call.__name__ = name
    return call


def function_table_setter(name):
    """`n.table_<f>_<suffix>`: sets the values of FUNCTION_TABLE f of a mechanism loaded from NMODL, as
    NEURON's hoc: `(value)` a constant; `(yvec, xvec)` values at the points of xvec (ascending); `(yvec, n, min,
    max)` the first n values of yvec at even points from min to max. The values are copied: later changes to
    the Vectors need another call (NEURON keeps reading the Vectors)."""
    from .nmodl import loaded_mechanisms

    for mech in loaded_mechanisms():
        try:
            tables = _core.nmodl_function_tables(mech)
        except ValueError:
            continue
        for func in tables:
            if name == f"table_{func}_{mech}":
                return _table_setter(mech, func)
    return None


def _numbers(what, values):
    try:
        return [float(x) for x in values]
    except (TypeError, ValueError):
        raise TypeError(f"{what}: expected a Vector or a sequence of numbers") from None


def _table_setter(mech, func):
    what = f"table_{func}_{mech}"

    def set_table(*args):
        if len(args) == 1 and isinstance(args[0], (int, float)) and not isinstance(args[0], bool):
            _core.nmodl_set_function_table(mech, func, [float(args[0])])
        elif len(args) == 2:
            _core.nmodl_set_function_table(mech, func, _numbers(what, args[0]), xs=_numbers(what, args[1]))
        elif len(args) == 4:
            ys, n = _numbers(what, args[0]), args[1]
            if isinstance(n, bool) or not isinstance(n, (int, float)) or n != int(n) or not 1 <= n <= len(ys):
                raise ValueError(f"{what}: the size must be an integer from 1 to the Vector's size, got {n!r}")
            lo, hi = _numbers(what, args[2:])
            _core.nmodl_set_function_table(mech, func, ys[:int(n)], span=(lo, hi))
        else:
            raise TypeError(f"{what} takes (value), (yvec, xvec) or (yvec, n, min, max)")
        return 0.0

    set_table.__name__ = what
    return set_table
