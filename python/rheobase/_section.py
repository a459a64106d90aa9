"""NEURON's Section, Segment and Mechanism, as light handles into the engine's description.

A Section lives while Python references it (a Segment keeps its Section alive, as in NEURON);
when the last reference goes, the engine deletes it, its children become roots and its point
processes lose their location.
"""

import contextlib
import math
import operator
import weakref

from . import _mechanisms as M
from ._arrays import array_attribute
from ._functions import construct_density, has_constructor
from ._refs import DensityRef, VoltageRef


def _fmt_x(x):
    """x as NEURON prints it in a segment's name (%g)."""
    return f"{x:g}"


def _number(what, value):
    if isinstance(value, (str, bytes)):  # NEURON refuses "3" where it wants a number
        raise TypeError(f"{what} must be a real number, not {type(value).__name__}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be a real number, not {type(value).__name__}") from None
    return float(value)


@contextlib.contextmanager
def _at(where):
    """An engine ValueError raised inside gets the location appended: '... (soma(0.5))'."""
    try:
        yield
    except ValueError as e:
        suffix = f"({where})"
        if suffix in str(e):
            raise
        raise ValueError(f"{e} {suffix}") from None


class Section:
    """A cable section: `n.Section("soma")`."""

    __slots__ = ("_model", "_id", "_name", "_cell", "__weakref__")

    def __init__(self, model, name=None, cell=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"argument 1 must be str, not {type(name).__name__}")
        object.__setattr__(self, "_model", model)
        # NEURON keeps only a weak reference to the cell (and refuses objects that can't have one):
        # the usual `self.soma = n.Section("soma", self)` must not make a cell <-> section cycle,
        # or rebinding `my_cell = BallAndStick()` would leave the old sections alive until the
        # cyclic GC runs (Ball and stick 1 tutorial: n.topology() then lists them).
        object.__setattr__(self, "_cell", None if cell is None else weakref.ref(cell))
        if name is None:
            name = f"__nrnsec_0x{id(self):x}"
        if cell is not None:
            name = f"{cell}.{name}"
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_id", model._engine.section_new(name))
        model._register_section(self)

    # ---------------------------------------------------------------- lifetime
    def __del__(self):
        try:
            self._model._forget_section(self._id)
        except Exception:  # interpreter shutdown: the engine may already be gone
            pass

    def _alive(self):
        return self._model._engine.section_exists(self._id)

    def _checked_id(self):
        if not self._model._engine.section_exists(self._id):
            raise ReferenceError("can't access a deleted section")
        return self._id

    @property
    def _eng(self):
        self._checked_id()
        return self._model._engine

    # ---------------------------------------------------------------- names
    def name(self):
        self._checked_id()
        return self._name

    hname = name

    def hoc_internal_name(self):
        return f"__nrnsec_0x{id(self):x}"

    def cell(self):
        """The cell object given at creation, or None (also once that object is gone)."""
        return None if self._cell is None else self._cell()

    def is_pysec(self):
        return True

    def same(self, other):
        return self is other or (isinstance(other, Section) and other._model is self._model and other._id == self._id)

    def __repr__(self):
        return self._name if self._alive() else "<deleted section>"

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, Section) and other._model is self._model and other._id == self._id

    def __lt__(self, other):
        return (id(self._model), self._id) < (id(other._model), other._id)

    def __hash__(self):
        return hash((id(self._model), self._id))

    # ---------------------------------------------------------------- geometry
    def _props(self):
        return self._eng.section_props(self._id)

    @property
    def L(self):
        return self._props()[0]

    @L.setter
    def L(self, value):
        value = _number("L", value)
        if not value > 0:
            raise ValueError(f"L must be > 0, got {value} ({self._name})")
        with _at(self):
            self._eng.set_length(self._id, value)

    @property
    def Ra(self):
        return self._props()[1]

    @Ra.setter
    def Ra(self, value):
        value = _number("Ra", value)
        if not value > 0:
            raise ValueError(f"Ra must be > 0, got {value} ({self._name})")
        with _at(self):
            self._eng.set_ra(self._id, value)

    @property
    def nseg(self):
        return self._props()[2]

    @nseg.setter
    def nseg(self, value):
        count = value
        if isinstance(count, float) and count.is_integer():
            count = int(count)
        try:
            count = operator.index(count)  # int, bool (True is 1, as NEURON) and numpy integers
        except TypeError:
            count = None
        if count is None or not 1 <= count <= 32767:
            raise ValueError(f"nseg must be an integer in range 1 to 32767, got {value!r} ({self._name})")
        construct_density(self, self._eng.set_nseg(self._id, count), cloned=True)

    @property
    def rallbranch(self):
        return self._props()[3]

    @rallbranch.setter
    def rallbranch(self, value):
        value = _number("rallbranch", value)
        if not value > 0:
            raise ValueError(f"rallbranch must be > 0, got {value} ({self._name})")
        with _at(self):
            self._eng.set_rallbranch(self._id, value)

    def orientation(self):
        return float(self._props()[5])

    def n3d(self):
        """Number of 3-D points: rheobase sections have none until 3-D morphology lands."""
        self._checked_id()
        return 0

    def _no_3d(self, *args, **kwargs):
        raise NotImplementedError("3-D points (pt3dadd, x3d, ...) arrive with the morphology issue; "
                                  "set L and diam instead")

    pt3dadd = pt3dchange = pt3dclear = pt3dinsert = pt3dremove = pt3dstyle = _no_3d
    x3d = y3d = z3d = diam3d = arc3d = spine3d = _no_3d

    def push(self):
        raise NotImplementedError("the section stack (push/pop_section) is not supported: pass sec=... instead")

    # ---------------------------------------------------------------- segments
    def __call__(self, x):
        x = _number("segment position", x)
        if 1.0 < x < 1.0001:  # NEURON's tolerance for rounding above 1
            x = 1.0
        if not 0.0 <= x <= 1.0:
            raise ValueError(f"segment position range is 0 <= x <= 1, got {x} ({self._name})")
        self._checked_id()
        return Segment(self, x)

    def __iter__(self):
        nseg = self.nseg
        return iter([Segment(self, (i + 0.5) / nseg) for i in range(nseg)])

    def allseg(self):
        nseg = self.nseg
        return iter([Segment(self, 0.0)] + [Segment(self, (i + 0.5) / nseg) for i in range(nseg)]
                    + [Segment(self, 1.0)])

    def __contains__(self, seg):
        return isinstance(seg, Segment) and seg.sec == self

    # ---------------------------------------------------------------- topology
    def connect(self, parent, x=None, end=None):
        """`child.connect(parent(x), end=0)` or `child.connect(parent_sec, x=1, end=0)`."""
        if isinstance(parent, Segment):
            parent_sec, parent_x = parent.sec, parent.x
            end = 0.0 if x is None else x
        elif isinstance(parent, Section):
            parent_sec = parent
            parent_x = 1.0 if x is None else _number("connect x", x)
            end = 0.0 if end is None else end
        else:
            raise TypeError(f"connect: the parent must be a Section or a Segment, got {type(parent).__name__}")
        if parent_sec._model is not self._model:
            raise ValueError(f"connect: the parent {parent_sec} belongs to another Model than {self}")
        end = _number("connect end", end)
        if end not in (0.0, 1.0):
            raise ValueError(f"child connection end must be 0 or 1, got {end} ({self._name})")
        if not 0.0 <= parent_x <= 1.0:
            raise ValueError(f"segment position range is 0 <= x <= 1, got {parent_x} ({parent_sec._name})")
        parent_id = parent_sec._checked_id()
        with _at(f"{self._name}({_fmt_x(end)}) to {parent_sec._name}({_fmt_x(parent_x)})"):
            self._eng.connect(self._id, end, parent_id, parent_x)
        return self

    def disconnect(self):
        self._eng.disconnect(self._id)

    def parentseg(self):
        parent = self._props()[4]
        if parent is None:
            return None
        psec = self._model._section_object(parent[0])
        return None if psec is None else Segment(psec, parent[1])

    def trueparentseg(self):
        """The parent segment, skipping parents attached at their own connecting end."""
        seg = self.parentseg()
        while seg is not None and seg.x == seg.sec.orientation():
            seg = seg.sec.parentseg()
        return seg

    def children(self):
        return [self._model._section_object(c) for c in self._eng.children(self._id)]

    def subtree(self):
        out = [self]
        for c in self.children():
            out.extend(c.subtree())
        return out

    def wholetree(self):
        root = self
        while (p := root.parentseg()) is not None:
            root = p.sec
        return root.subtree()

    # ---------------------------------------------------------------- mechanisms
    def insert(self, mech):
        if hasattr(mech, "insert") and not isinstance(mech, str):
            if isinstance(mech, M.DensityMechanism):
                mech = mech.name
            else:
                mech.insert(self)
                return self
        if not isinstance(mech, str):
            raise TypeError("insert argument must be either a string or an object with an insert method")
        if M.MECHANISMS.get(mech, ("point",))[0] == "point":
            raise ValueError(f"argument not a density mechanism name: '{mech}'"
                             + M.suggestion(mech, M.DENSITY + M.IONS))
        if self._eng.insert(self._id, mech) and has_constructor(mech):
            construct_density(self, [(i, mech) for i in reversed(range(self.nseg))], cloned=False)  # NEURON's mech_insert1 order
        return self

    def uninsert(self, mech):
        if isinstance(mech, M.DensityMechanism):
            mech = mech.name
        if not isinstance(mech, str) or M.MECHANISMS.get(mech, ("point",))[0] == "point":
            raise ValueError(f"argument not a density mechanism name: {mech!r}"
                             + (M.suggestion(mech, M.DENSITY + M.IONS) if isinstance(mech, str) else ""))
        self._eng.uninsert(self._id, mech)
        return self

    def has_membrane(self, mech):
        return mech in self._eng.mechanisms_in(self._id)

    def _mechs(self):
        return self._eng.mechanisms_in(self._id)

    def psection(self):
        from ._introspection import psection

        return psection(self)

    # ---------------------------------------------------------------- section-wide range variables
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in ("diam", "cm", "v") or name in M.RANGE_NAMES:
            return getattr(self(0.5), name)
        raise AttributeError(f"'nrn.Section' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name in type(self).__dict__ and isinstance(type(self).__dict__[name], property):
            object.__setattr__(self, name, value)
        elif name in ("diam", "cm"):
            value = _number(name, value)
            with _at(self):
                getattr(self._eng, f"set_{name}")(self._id, None, value)
        elif name == "v":
            for seg in self:
                seg.v = value
        elif name in M.RANGE_NAMES:
            mech, var = M.RANGE_NAMES[name]
            if mech not in self._eng.mechanisms_in(self._id):
                raise AttributeError(f"{name}, the mechanism does not exist at {self}(0.5)")
            value = _number(name, value)
            with _at(self):
                self._eng.density_set(self._id, None, mech, var, value)
        else:
            raise AttributeError(f"'nrn.Section' object has no attribute '{name}'")

    def __dir__(self):
        return sorted(["L", "Ra", "allseg", "arc3d", "cell", "children", "connect", "diam3d", "disconnect",
                       "has_membrane", "hname", "hoc_internal_name", "insert", "is_pysec", "n3d", "name",
                       "nseg", "orientation", "parentseg", "psection", "pt3dadd", "pt3dchange", "pt3dclear",
                       "pt3dinsert", "pt3dremove", "pt3dstyle", "push", "rallbranch", "same", "spine3d",
                       "subtree", "trueparentseg", "uninsert", "wholetree", "x3d", "y3d", "z3d"])


class Segment:
    """`sec(x)`: a location on a section. Reading and writing range variables goes through it."""

    __slots__ = ("_sec", "_x")

    def __init__(self, sec, x):
        object.__setattr__(self, "_sec", sec)
        object.__setattr__(self, "_x", x)

    @property
    def sec(self):
        return self._sec

    @property
    def x(self):
        return self._x

    def _place(self):
        """Which node this segment lands on: ('start'|'end', -1) or ('seg', index)."""
        nseg = self._sec.nseg
        if self._x == 0.0:
            return (0, -1)
        if self._x == 1.0:
            return (2, -1)
        return (1, min(int(self._x * nseg), nseg - 1))

    def _mech_x(self):
        """The x used for mechanism variables: the ends read the first or last segment, as NEURON."""
        nseg = self._sec.nseg
        if self._x == 0.0:
            return 0.5 / nseg
        if self._x == 1.0:
            return (nseg - 0.5) / nseg
        return self._x

    def __repr__(self):
        if not self._sec._alive():
            return "<segment of deleted section>"
        return f"{self._sec._name}({_fmt_x(self._x)})"

    __str__ = __repr__

    def __eq__(self, other):
        if not isinstance(other, Segment) or other._sec != self._sec:
            return False
        return self.node_index() == other.node_index()

    def __hash__(self):
        return hash((self._sec, self.node_index()))

    # ---------------------------------------------------------------- node quantities
    @property
    def v(self):
        return self._sec._eng.v(self._sec._id, self._x)

    @v.setter
    def v(self, value):
        value = _number("v", value)
        with _at(self):
            self._sec._eng.set_v(self._sec._id, self._x, value)

    @property
    def diam(self):
        return self._sec._eng.diam(self._sec._id, self._x)

    @diam.setter
    def diam(self, value):
        value = _number("diam", value)
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"diam must be a finite number > 0, got {value} ({self})")
        self._sec._eng.set_diam(self._sec._id, self._mech_x(), value)

    @property
    def cm(self):
        return self._sec._eng.cm(self._sec._id, self._x)

    @cm.setter
    def cm(self, value):
        value = _number("cm", value)
        with _at(self):
            self._sec._eng.set_cm(self._sec._id, self._mech_x(), value)

    def area(self):
        return self._sec._eng.area(self._sec._id, self._x)

    def ri(self):
        return self._sec._eng.ri(self._sec._id, self._x)

    def volume(self):
        return self._sec._eng.volume(self._sec._id, self._x)

    def node_index(self):
        return self._sec._eng.node_index(self._sec._id, self._x)

    def point_processes(self):
        return self._sec._model._points_at(self)

    # ---------------------------------------------------------------- mechanisms
    def _mech_get(self, mech, var):
        return self._sec._eng.density_get(self._sec._id, self._mech_x(), mech, var)

    def _mech_set(self, mech, var, value):
        value = _number(var, value)
        with _at(self):
            self._sec._eng.density_set(self._sec._id, self._mech_x(), mech, var, value)

    def _has(self, mech):
        return mech in self._sec._eng.mechanisms_in(self._sec._id)

    def __iter__(self):
        """Mechanisms at this node, most recently inserted first (as NEURON lists them)."""
        if self._x in (0.0, 1.0):
            return iter([])
        return iter([Mechanism(self, m) for m in reversed(self._sec._mechs())])

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.startswith("_ref_"):
            var = name[len("_ref_"):]
            if var == "v":
                self._sec._checked_id()
                return VoltageRef(self)
            if var in M.RANGE_NAMES:
                mech, mvar = M.RANGE_NAMES[var]
                if not self._has(mech):
                    raise AttributeError(f"{var}, the mechanism does not exist at {self}")
                return DensityRef(self, mech, mvar)
            if var in M.RANGE_ARRAYS:
                mech, mvar = M.RANGE_ARRAYS[var]
                return getattr(self.__getattr__(mech), f"_ref_{mvar}")
        elif name in M.RANGE_ARRAYS:
            mech, mvar = M.RANGE_ARRAYS[name]
            return getattr(self.__getattr__(mech), mvar)
        elif name in M.MECHANISMS and M.MECHANISMS[name][0] != "point":
            if not self._has(name) or self._x in (0.0, 1.0):
                raise AttributeError(f"{name}, the mechanism does not exist at {self}")
            return Mechanism(self, name)
        elif name in M.RANGE_NAMES:
            mech, var = M.RANGE_NAMES[name]
            if not self._has(mech):
                raise AttributeError(f"{name}, the mechanism does not exist at {self}")
            return self._mech_get(mech, var)
        raise AttributeError(f"'nrn.Segment' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name in ("v", "diam", "cm"):
            object.__setattr__(self, name, value)
        elif name in M.RANGE_NAMES:
            mech, var = M.RANGE_NAMES[name]
            if not self._has(mech):
                raise AttributeError(f"{name}, the mechanism does not exist at {self}")
            self._mech_set(mech, var, value)
        else:
            raise AttributeError(f"'nrn.Segment' object has no attribute '{name}'")

    def __dir__(self):
        names = ["area", "cm", "diam", "node_index", "point_processes", "ri", "sec", "v", "volume", "x"]
        if self._sec._alive():
            names += self._sec._mechs()
        return sorted(names)


class Mechanism:
    """`seg.hh`: one density mechanism (or ion) at one segment."""

    __slots__ = ("_seg", "_mech")

    def __init__(self, seg, mech):
        object.__setattr__(self, "_seg", seg)
        object.__setattr__(self, "_mech", mech)

    def name(self):
        return self._mech

    def is_ion(self):
        return M.MECHANISMS[self._mech][0] == "ion"

    def segment(self):
        return self._seg

    def __repr__(self):
        return self._mech

    __str__ = __repr__

    def __iter__(self):
        """(name, value) pairs would differ from NEURON; NEURON iterates RangeVar objects."""
        raise TypeError("iterating a Mechanism is not supported; use dir() or psection()")

    def _names(self):
        return M.var_names(self._mech)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.startswith("_ref_") and name[5:] in self._names():
            return DensityRef(self._seg, self._mech, name[5:])
        if name in self._names():
            return self._seg._mech_get(self._mech, name)
        seg, mech = self._seg, self._mech
        array = array_attribute(M.ARRAYS[mech], name, f"{seg}.{mech}", lambda var: DensityRef(seg, mech, var),
                                lambda var: seg._mech_get(mech, var), lambda var, value: seg._mech_set(mech, var, value))
        if array is not None:
            return array
        from ._point import NMODLRandom, random_variables

        if name in random_variables(mech):
            return NMODLRandom(f"{seg}.{mech}", name, lambda var: seg._mech_get(mech, var),
                               lambda var, value: seg._mech_set(mech, var, value))
        if self._mech == "hh" and name in ("rates", "vtrap"):
            from ._functions import hh_function

            return hh_function(self, name)
        from ._functions import nmodl_function, nmodl_functions

        if name in nmodl_functions(self._mech):
            seg = self._seg
            return nmodl_function(seg.sec._model, self._mech, name, lambda var: seg._mech_get(self._mech, var),
                                  lambda var, value: seg._mech_set(self._mech, var, value), lambda: seg.v)
        raise AttributeError(f"'nrn.Mechanism' object has no attribute '{name}'"
                             + M.suggestion(name, self._names()))

    def __setattr__(self, name, value):
        if name in self._names():
            self._seg._mech_set(self._mech, name, value)
        else:
            raise AttributeError(f"'nrn.Mechanism' object has no attribute '{name}'"
                                 + M.suggestion(name, self._names()))

    def __dir__(self):
        extra = ["rates", "vtrap"] if self._mech == "hh" else []
        return sorted(self._names() + ["is_ion", "name", "segment"] + extra)
