"""Mechanism metadata seen from Python: names, range variables, and how NEURON spells them.

Everything here is derived from the engine's registry (`_core.mechanism_list`), so a new
mechanism in the engine appears here without edits.
"""

from . import _core
from ._arrays import arrays_of

# name -> (kind, ions, electrode_current); kind is "density", "ion" or "point" (artificial cells
# are point processes without a location, listed in ARTIFICIAL too).
MECHANISMS = {}
ARTIFICIAL = set()
# name -> [(var, units, kind, default)] in psection order.
VARIABLES = {}
DENSITY = []
IONS = []
POINT = []
# A segment's range-variable names: "gnabar_hh" -> ("hh", "gnabar"); ion variables keep their
# plain names ("ena" -> ("na_ion", "ena")).
RANGE_NAMES = {}
# Array variables (each element is a variable `x[k]`): mechanism -> {"x": length}, and a segment's names of them:
# "ca_cdp" -> ("cdp", "ca").
ARRAYS = {}
RANGE_ARRAYS = {}
# NEURON's MechanismType lists: what exists, in NEURON's order. "morphology" and "capacitance"
# are built into every section (diam, cm) rather than engine mechanisms.
MECHANISM_TYPE_NAMES = {0: [], 1: []}


def refresh():
    """Re-reads the engine's registry (after a mechanism was loaded). The tables above are updated
    in place, so modules holding them see the change."""
    listed = _core.mechanism_list()
    MECHANISMS.clear()
    MECHANISMS.update({name: ("point" if kind == "artificial" else kind, tuple(ions), electrode)
                       for name, kind, ions, electrode in listed})
    ARTIFICIAL.clear()
    ARTIFICIAL.update(name for name, kind, *_ in listed if kind == "artificial")
    VARIABLES.clear()
    VARIABLES.update({name: _core.mechanism_vars(name) for name in MECHANISMS})
    DENSITY[:] = [m for m, (k, _, _) in MECHANISMS.items() if k == "density"]
    IONS[:] = [m for m, (k, _, _) in MECHANISMS.items() if k == "ion"]
    POINT[:] = [m for m, (k, _, _) in MECHANISMS.items() if k == "point"]
    RANGE_NAMES.clear()
    ARRAYS.clear()
    ARRAYS.update({m: arrays_of(v for v, *_ in VARIABLES[m]) for m in MECHANISMS})
    RANGE_ARRAYS.clear()
    for m in DENSITY:
        for v, *_ in VARIABLES[m]:
            RANGE_NAMES[f"{v}_{m}"] = (m, v)
        RANGE_ARRAYS.update({f"{v}_{m}": (m, v) for v in ARRAYS[m]})
    for m in IONS:
        for v, *_ in VARIABLES[m]:
            RANGE_NAMES[v] = (m, v)
    MECHANISM_TYPE_NAMES[0] = ["morphology", "capacitance"] + [m for m in MECHANISMS if MECHANISMS[m][0] != "point"]
    MECHANISM_TYPE_NAMES[1] = list(POINT)


refresh()

# Python names that differ from the mechanism's variable names (`del` is a Python keyword).
POINT_ALIASES = {"delay": "del"}


def var_names(mech):
    return [v for v, *_ in VARIABLES[mech]]


def ion_name(mech):
    """'na_ion' -> 'na'."""
    return mech[: -len("_ion")]


def suggestion(name, candidates):
    """' (did you mean 'x'?)' for a close candidate, else ''."""
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class DensityMechanism:
    """`n.hh`, `n.pas`: a density mechanism type, usable as `sec.insert(n.hh)`."""

    def __init__(self, name):
        self._name = name

    def insert(self, sec):
        return sec.insert(self._name)

    def uninsert(self, sec):
        return sec.uninsert(self._name)

    def ions(self):
        return {i: {} for i in MECHANISMS[self._name][1]}

    @property
    def name(self):
        return self._name

    def __repr__(self):
        return f"neuron.DensityMechanism('{self._name}')"

    __str__ = __repr__


class MechanismType:
    """`n.MechanismType(0)` (density mechanisms) or `(1)` (point processes), with NEURON's
    select/selected/count idiom for listing names."""

    def __init__(self, point_process):
        if point_process not in (0, 1):
            raise ValueError(f"MechanismType argument must be 0 or 1, got {point_process!r}")
        self._names = MECHANISM_TYPE_NAMES[int(point_process)]
        self._kind = int(point_process)
        self._selected = 0

    def count(self):
        return len(self._names)

    def select(self, which):
        if isinstance(which, str):
            if which not in self._names:
                raise ValueError(f"{which!r} is not a mechanism of MechanismType({self._kind})"
                                 + suggestion(which, self._names))
            self._selected = self._names.index(which)
        else:
            if not 0 <= int(which) < len(self._names):
                raise IndexError(f"MechanismType({self._kind}).select: index {which} out of range")
            self._selected = int(which)
        return 0.0

    def selected(self, strref=None):
        """The selected index; with a `n.ref("")` argument, also stores its name there."""
        if strref is not None:
            strref[0] = self._names[self._selected]
        return self._selected

    def is_ion(self):
        return self._names[self._selected].endswith("_ion")

    def is_artificial(self, i=None):
        name = self._names[self._selected if i is None else int(i)]
        return 1.0 if name in ARTIFICIAL else 0.0

    def hname(self):
        return f"MechanismType[{self._kind}]"

    def __repr__(self):
        return self.hname()

    def names(self):
        """All names in NEURON's order (a rheobase convenience)."""
        return list(self._names)


class Ref:
    """`n.ref(x)`: a mutable box passed to NEURON functions that return through arguments."""

    def __init__(self, value):
        self._value = value

    def __getitem__(self, i):
        if i != 0:
            raise IndexError("ref has only index 0")
        return self._value

    def __setitem__(self, i, value):
        if i != 0:
            raise IndexError("ref has only index 0")
        self._value = value

    def __repr__(self):
        return f"<ref {self._value!r}>"


# ---------------------------------------------------------------- n.units("name")
# Units NEURON reports for the built-in (non-mechanism) names rheobase has; "" where NEURON has the
# symbol but no units. Mechanism variables take theirs from the engine registry below.
_BUILTIN_UNITS = {
    "v": "mV", "t": "ms", "dt": "ms", "L": "um", "diam": "um", "Ra": "ohm-cm", "cm": "uF/cm2",
    "celsius": "degC", "tstop": "ms", "v_init": "mV", "realtime": "s",
    "nseg": "", "rallbranch": "", "secondorder": "", "steps_per_ms": "", "stoprun": "",
}


def _neuron_units(units):
    return "" if units == "1" else units  # the engine says "1" for dimensionless; NEURON prints ""


def units_of(name):
    """NEURON's units string for a variable name as hoc spells it: "gnabar_hh", "ena", "L",
    "IClamp.amp" (no `IClamp.delay`: hoc's name is `del`); None when there is no such name."""
    if name in _BUILTIN_UNITS:
        return _BUILTIN_UNITS[name]
    if name.startswith("usetable_") and name[len("usetable_"):] in MECHANISMS:
        return ""
    if name in RANGE_NAMES:
        mech, var = RANGE_NAMES[name]
    elif "." in name and name.split(".", 1)[0] in POINT:
        mech, var = name.split(".", 1)
    else:
        return None
    for v, units, *_ in VARIABLES[mech]:
        if v == var:
            return _neuron_units(units)
    return None


def units_names():
    """Every name units_of knows (for "did you mean")."""
    return (list(_BUILTIN_UNITS) + list(RANGE_NAMES)
            + [f"{m}.{v}" for m in POINT for v in var_names(m)])
