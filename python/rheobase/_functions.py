"""FUNCTIONs and PROCEDUREs callable from Python: the built-in hh's (`seg.hh.rates(v)`) and those of
mechanisms loaded from NMODL (`seg.kd.rates(v)`, `syn.M()`), which run on rheobase's interpreter
with the instance's values and write back what they change, as NEURON's calls do."""

import math
import weakref

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
    """{name: number of arguments} of the FUNCTIONs and PROCEDUREs of a mechanism loaded from NMODL ({} for the
    others)."""
    try:
        funcs = _core.nmodl_functions(mech)[0]
    except ValueError:
        return {}
    return {name: n for name, n in funcs.items() if name not in LIFECYCLE}


# NMODL's CONSTRUCTOR and DESTRUCTOR blocks, as the engine names them.
LIFECYCLE = ("<CONSTRUCTOR>", "<DESTRUCTOR>")


def run_lifecycle(pp, block):
    """NMODL's CONSTRUCTOR (as `pp` is created) or DESTRUCTOR (as it is deleted) block of a point process, if its
    mechanism has one: it runs on the instance's values, as NEURON's nrn_alloc and destructor run it."""
    if _core.nmodl_has_function(pp._mech, block):
        engine = pp._model._engine
        nmodl_function(pp._model, pp._mech, block, lambda v: engine.point_get(pp._id, v),
                       lambda v, x: engine.point_set(pp._id, v, x), lambda: 0.0)()


def has_constructor(mech):
    return _core.nmodl_has_function(mech, "<CONSTRUCTOR>")


def construct_density(sec, instances, cloned):
    """NMODL's CONSTRUCTOR of new density-mechanism instances, [(segment index, mechanism)] in NEURON's allocation
    order, as its nrn_alloc runs it: on the mechanism's defaults (and the instance's RANDOM streams). A `cloned`
    instance (nseg grew) then takes its source segment's values, as NEURON's node_clone copies them: of what its
    CONSTRUCTOR does, only what it does to GLOBALs and RANDOM streams remains."""
    defaults = {mech: dict(_core.mechanism_all_vars(mech)) for mech in {m for _, m in instances} if has_constructor(mech)}
    if not defaults:
        return
    engine, nseg = sec._eng, sec.nseg

    def kept(var):  # RANDOM stream slots are named "<variable>:<slot>"
        return not cloned or ":" in var

    for i, mech in instances:
        if mech not in defaults:
            continue
        x = (i + 0.5) / nseg

        def get(var):
            return engine.density_get(sec._id, x, mech, var) if kept(var) else defaults[mech][var]

        def set_(var, value):
            if kept(var):
                engine.density_set(sec._id, x, mech, var, value)

        nmodl_function(sec._model, mech, "<CONSTRUCTOR>", get, set_, lambda: 0.0)()


def nmodl_function(model, mech, name, get, set_, v):
    """A FUNCTION or PROCEDURE of one instance: `get(var)`/`set_(var, value)` reach its variables
    (every one, hidden ones included) and `v()` its membrane potential."""
    funcs, global_names = _core.nmodl_functions(mech)
    all_vars = [var for var, _ in _core.mechanism_all_vars(mech)]

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
    NEURON's hoc_spec_table: `(value)` a constant; for f of one argument `(yvec, xvec)` values at the points of
    xvec (ascending); and for any number of arguments `(yvec, n1, min1, max1, n2, min2, max2, …)`, each argument
    given by its size and either its range (even points) or a Vector of its points (`n1, xvec1`). yvec holds the
    values in row order (the last argument's index varies fastest). NEURON takes `vec._ref_x[0]` for the Vectors
    of that form; so does rheobase, and the Vectors themselves too. The Vectors are read again at each
    finitialize (see `sync_function_tables`)."""
    from .nmodl import loaded_mechanisms

    for mech in loaded_mechanisms():
        try:
            tables = _core.nmodl_function_tables(mech)
        except ValueError:
            continue
        for func, arity in tables:
            if name == f"table_{func}_{mech}":
                return _table_setter(mech, func, arity)
    return None


# (mech, func) -> the last table_<func>_<mech> call that gave Vectors: its setter and arguments, the Vectors
# held weakly (as NEURON's table, which points into their memory, does not keep them either).
_vector_tables = {}


def sync_function_tables():
    """Re-reads the Vectors of every FUNCTION_TABLE given Vectors. NEURON's tables point into the Vectors'
    memory and see every change; rheobase reads them at finitialize, as it reads played Vectors. A table whose
    Vectors are gone keeps the values it had."""
    for key, (setter, weak_args) in list(_vector_tables.items()):
        args = [a() if isinstance(a, _WeakArg) else a for a in weak_args]
        if any(a is None for a in args):
            del _vector_tables[key]
        else:
            setter(*args)


class _WeakArg:
    """A Vector argument, or a `vec._ref_x[i]`, held without keeping its Vector alive; calling gives it back
    (None once the Vector is gone)."""

    __slots__ = ("vector", "index")

    def __init__(self, arg):
        from .vector import VectorElementRef

        self.vector = weakref.ref(arg.vector if isinstance(arg, VectorElementRef) else arg)
        self.index = arg.index if isinstance(arg, VectorElementRef) else None

    def __call__(self):
        from .vector import VectorElementRef

        vec = self.vector()
        return vec if vec is None or self.index is None else VectorElementRef(vec, self.index)


def forget_function_tables(mech):
    for key in [k for k in _vector_tables if k[0] == mech]:
        del _vector_tables[key]


def _numbers(what, values):
    from .vector import VectorElementRef

    if isinstance(values, VectorElementRef):  # NEURON's way: vec._ref_x[0]
        return values.values()
    try:
        return [float(x) for x in values]
    except (TypeError, ValueError):
        raise TypeError(f"{what}: expected a Vector or a sequence of numbers") from None


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _table_setter(mech, func, arity):
    what = f"table_{func}_{mech}"
    forms = "(value), (yvec, xvec) or (yvec, n, min, max)" if arity == 1 else \
        f"(value) or (yvec, then for each of its {arity} arguments: n, min, max or n, xvec)"

    def axes_of(rest):
        axes = []
        for k in range(arity):
            if not rest or not _is_number(rest[0]) or rest[0] != int(rest[0]):
                raise TypeError(f"{what} takes {forms}: argument {k + 1} needs its size")
            n = int(rest[0])
            if len(rest) >= 3 and _is_number(rest[1]) and _is_number(rest[2]):
                axes.append((n, None, float(rest[1]), float(rest[2])))
                rest = rest[3:]
            elif len(rest) >= 2 and not _is_number(rest[1]):
                axes.append((n, _numbers(what, rest[1]), 0.0, 0.0))
                rest = rest[2:]
            else:
                raise TypeError(f"{what} takes {forms}: argument {k + 1} needs min, max or a Vector of points")
        if rest:
            raise TypeError(f"{what} takes {forms}: {len(rest)} arguments too many")
        return axes

    def set_table(*args):
        apply(*args)
        from .vector import Vector, VectorElementRef

        if any(isinstance(a, (Vector, VectorElementRef)) for a in args):
            weak = tuple(_WeakArg(a) if isinstance(a, (Vector, VectorElementRef)) else a for a in args)
            _vector_tables[(mech, func)] = (apply, weak)
        else:
            _vector_tables.pop((mech, func), None)
        return 0.0

    def apply(*args):
        if len(args) == 1 and _is_number(args[0]):
            _core.nmodl_set_function_table(mech, func, [float(args[0])])
        elif arity == 1 and len(args) == 2:
            ys, xs = _numbers(what, args[0]), _numbers(what, args[1])
            if len(ys) != len(xs):
                raise ValueError(f"{what}: Vector arguments not same size")
            _core.nmodl_set_function_table(mech, func, ys, axes=[(len(xs), xs, 0.0, 0.0)])
        elif len(args) >= 2:
            ys = _numbers(what, args[0])
            axes = axes_of(list(args[1:]))
            if any(n < 1 or n > len(ys) for n, *_ in axes):
                raise ValueError(f"{what}: the size must be an integer from 1 to the Vector's size")
            _core.nmodl_set_function_table(mech, func, ys, axes=axes)
        else:
            raise TypeError(f"{what} takes {forms}")

    set_table.__name__ = what
    return set_table
