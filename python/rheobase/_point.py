"""Point processes (IClamp, ...): hoc-style objects at a location, with their variables as
attributes. A point process lives while Python references it, as in NEURON."""

import itertools
import math

from . import _mechanisms as M
from ._arrays import array_attribute
from ._functions import run_lifecycle
from ._hoc import HocObject
from ._refs import PointRef
from ._section import Segment, _at, _number

# NEURON numbers objects per type over the whole process: IClamp[0], IClamp[1], ...
_counters = {}


class UnknownVariableError(AttributeError, LookupError):
    """Setting a name a point process does not have: NEURON raises LookupError there, Python
    code expects AttributeError; this is both."""


class PointProcess(HocObject):
    __slots__ = ("_model", "_id", "_mech", "_index", "__weakref__")

    def __init__(self, model, mech, loc=None, sec=None):
        seg = None
        if isinstance(loc, Segment):
            seg = loc
        elif loc is not None:
            x = _number(f"{mech} location", loc)
            section = sec if sec is not None else model._default_section()
            seg = section(x)
        if seg is not None and seg.sec._model is not model:
            raise ValueError(f"{mech}: the segment {seg} belongs to another Model")
        engine = model._engine
        pid = (engine.point_new(mech, seg.sec._checked_id(), seg.x) if seg is not None
               else engine.point_new(mech))
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_id", pid)
        object.__setattr__(self, "_mech", mech)
        object.__setattr__(self, "_index", next(_counters.setdefault(mech, itertools.count())))
        model._register_point(self)
        run_lifecycle(self, "<CONSTRUCTOR>")

    def __del__(self):
        try:
            run_lifecycle(self, "<DESTRUCTOR>")
            self._model._forget_point(self._id)
        except Exception:  # interpreter shutdown
            pass

    def _var(self, name):
        var = M.POINT_ALIASES.get(name, name)
        return var if var in M.var_names(self._mech) else None

    def __getattr__(self, name):
        if name.startswith("_") and not name.startswith("_ref_"):
            raise AttributeError(name)  # internal names: no variable lookup, no suggestion
        if name.startswith("_ref_") and self._var(name[5:]):
            return PointRef(self, self._var(name[5:]))
        var = self._var(name)
        if var is None and name in random_variables(self._mech):
            return NMODLRandom.of_point(self, name)
        engine = self._model._engine
        if var is None:
            array = array_attribute(M.ARRAYS[self._mech], name, self, lambda v: PointRef(self, v),
                                    lambda v: engine.point_get(self._id, v), lambda v, x: setattr(self, v, x))
            if array is not None:
                return array
            from ._functions import nmodl_function, nmodl_functions

            if name in nmodl_functions(self._mech):
                seg = self.get_segment()
                return nmodl_function(self._model, self._mech, name, lambda v: engine.point_get(self._id, v),
                                      lambda v, x: engine.point_set(self._id, v, x),
                                      lambda: seg.v if seg is not None else 0.0)
            raise AttributeError(f"'{self._mech}' object has no attribute '{name}'"
                                 + M.suggestion(name, self._public_vars()))
        return self._model._engine.point_get(self._id, var)

    def __setattr__(self, name, value):
        if name.startswith("_ref_") and self._var(name[5:]):
            self._point(name[5:], value)  # NEURON 9: pp._ref_vgap = sec(0.5)._ref_v
            return
        var = self._var(name)
        if var is None:
            raise UnknownVariableError(f"'{name}' is not a variable of {self._mech}"
                                 + M.suggestion(name, self._public_vars()))
        value = _number(name, value)
        with _at(self):
            self._model._engine.point_set(self._id, var, value)

    def _point(self, var, ref):
        """POINTER `var` reads what `ref` (seg._ref_v, seg._ref_x_mech, pp._ref_x) refers to."""
        spec = _pointer_spec(ref, self._model, f"{self._mech}.{var}")
        with _at(self):
            self._model._engine.set_pointer(("point", self._id), self._var(var), spec)

    def _public_vars(self):
        aliases = {v: k for k, v in M.POINT_ALIASES.items()}
        return [aliases.get(v, v) for v in M.var_names(self._mech)]

    # ---------------------------------------------------------------- location
    def get_segment(self):
        loc = self._model._engine.point_loc(self._id)
        if loc is None:
            return None
        sec = self._model._section_object(loc[0])
        return None if sec is None else Segment(sec, loc[1])

    def has_loc(self):
        return 1.0 if self.get_segment() is not None else 0.0

    def get_loc(self):
        seg = self.get_segment()
        if seg is None:
            raise RuntimeError("point process not located in a section")
        return seg.x

    def loc(self, where, sec=None):
        """`pp.loc(seg)` or `pp.loc(x, sec=sec)`: move the point process; returns x."""
        if not isinstance(where, Segment):
            where = (sec if sec is not None else self._model._default_section())(_number("x", where))
        self._model._engine.point_locate(self._id, where.sec._checked_id(), where.x)
        return where.x

    # ---------------------------------------------------------------- identity
    def hname(self):
        return f"{self._mech}[{self._index}]"

    def baseattr(self, name):
        return getattr(self, name)

    def __dir__(self):
        return sorted(self._public_vars() + ["baseattr", "get_loc", "get_segment", "has_loc", "hname",
                                             "hocobjptr", "loc", "same"])


def _pointer_spec(ref, model, what):
    """The engine's description of what a POINTER set to `ref` reads."""
    spec = getattr(ref, "_pointer_spec", None)
    if spec is None:
        raise TypeError(f"{what}: a POINTER takes a reference such as seg._ref_v, got {type(ref).__name__}")
    if ref._model is not model:
        raise ValueError(f"{what}: the reference belongs to another Model")
    return spec()


class NMODLRandom(HocObject):
    """A RANDOM variable of a point process (`ns.ranvar`) or of a density mechanism at a segment
    (`seg.mech.r`): its Random123 stream's ids and position, as NEURON 9's NMODLRandom.
    finitialize does not move it; the mechanism's code does. `get(var)` and `set_(var, value)` reach the
    owner's variables."""

    __slots__ = ("_owner", "_name", "_get_var", "_set_var")

    _IDS = ("id1", "id2", "id3")
    # The stream's slots, as rheobase-core's random123::STREAM_SLOTS: ids, position, the ids of the block of
    # four words the stream is in (NEURON keeps that block when set_ids changes the ids).
    _STREAM = _IDS + ("seq", "block1", "block2", "block3")

    def __init__(self, owner, name, get, set_):
        for slot, value in zip(self.__slots__, (owner, name, get, set_)):
            object.__setattr__(self, slot, value)

    @classmethod
    def of_point(cls, pp, name):
        engine = pp._model._engine
        return cls(pp.hname(), name, lambda var: engine.point_get(pp._id, var),
                   lambda var, value: engine.point_set(pp._id, var, value))

    def _get(self, part):
        return self._get_var(f"{self._name}:{part}")

    def _set(self, part, value):
        self._set_var(f"{self._name}:{part}", float(value))

    def get_ids(self):
        from .vector import Vector

        return Vector([self._get(n) for n in self._IDS])

    def set_ids(self, id1, id2, id3):
        ids = [_number("NMODLRandom.set_ids: id", i) for i in (id1, id2, id3)]
        if any(i != int(i) or not 0 <= i < 2**32 for i in ids):
            raise ValueError(f"NMODLRandom.set_ids: ids must be integers in [0, 2**32), got {ids}")
        for part, value in zip(self._IDS, ids):
            self._set(part, value)
        return self

    def get_seq(self):
        return self._get("seq")

    def set_seq(self, n):
        n = _number("NMODLRandom.set_seq", n)
        if n != int(n) or not 0 <= n < 2**34:
            raise ValueError(f"NMODLRandom.set_seq: the position must be an integer in [0, 2**34), got {n}")
        self._set("seq", n)
        for part, block in zip(self._IDS, ("block1", "block2", "block3")):
            self._set(block, self._get(part))  # NEURON computes the block anew
        return self

    def uniform(self):
        """The next uniform draw in (0, 1) of the stream (it moves one position)."""
        from . import _core

        x, stream = _core.random123_uniform([self._get(n) for n in self._STREAM])
        for part, value in zip(self._STREAM, stream):
            self._set(part, value)
        return x

    def hname(self):
        return f"NMODLRandom[{self._owner}]"


def random_variables(mech):
    """The names of a mechanism's RANDOM variables (`ranvar` for the built-in NetStim)."""
    if mech == "NetStim":
        return ["ranvar"]
    from . import _core

    try:
        return _core.nmodl_random(mech)
    except ValueError:
        return []


class NetStim(PointProcess):
    """`n.NetStim()`: its noise comes from a Random123 stream, ids (1, 0, k) for the k-th NetStim
    of the Model unless `noiseFromRandom123` picks others; finitialize restarts the stream."""

    __slots__ = ()

    def noiseFromRandom123(self, id1, id2, id3=0):
        ids = [_number("noiseFromRandom123: id", i) for i in (id1, id2, id3)]
        for i in ids:
            if i != int(i) or not 0 <= i < 2**32:
                raise ValueError(f"noiseFromRandom123: ids must be integers in [0, 2**32), got {i}")
        NMODLRandom.of_point(self, "ranvar").set_ids(*ids).set_seq(0)  # as netstim.mod: setids, then setseq(0)
        return 0.0

    def seed(self, x):
        """Moves the stream to position x (NEURON's random_setseq); finitialize resets it to 0."""
        x = _number("seed", x)
        pos = 0 if x < 0 or x > 2**40 - 1 else int(x) & 0x3FFFFFFFF
        NMODLRandom.of_point(self, "ranvar").set_seq(pos)
        return 0.0

    def __dir__(self):
        return sorted(super().__dir__() + ["noiseFromRandom123", "seed"])


class VecStim(PointProcess):
    """`n.VecStim()`: spikes at the times of a Vector, `vs.play(tvec)` (NEURON's vecevent.mod,
    built in here). As in NEURON the VecStim keeps using the Vector: changes to it count from
    the next finitialize."""

    __slots__ = ("_tvec",)

    def play(self, tvec=None):
        """Play the times (ms) of tvec; `play()` stops playing."""
        from .vector import Vector

        if tvec is not None and not isinstance(tvec, Vector):
            raise TypeError(f"VecStim.play: expected a Vector of times, got {type(tvec).__name__}")
        object.__setattr__(self, "_tvec", tvec)
        self._sync()
        return 0.0

    def _sync(self):
        tvec = getattr(self, "_tvec", None)
        self._model._engine.point_set_table(self._id, [] if tvec is None else tvec.to_python())

    def __dir__(self):
        return sorted(super().__dir__() + ["play"])


class PatternStim(PointProcess):
    """`n.PatternStim()`: `ps.play(tvec, gidvec)` replays spikes (times ms, gids) into the
    NetCons made by `pc.gid_connect` for gids that have no cell in this model. As in NEURON the
    Vectors are copied by play() and `fake_output` changes nothing."""

    __slots__ = ()

    def play(self, tvec=None, gidvec=None):
        from .vector import Vector

        if (tvec is None) != (gidvec is None):
            raise TypeError("PatternStim.play(tvec, gidvec) takes both Vectors (or neither, to stop)")
        for name, vec in (("tvec", tvec), ("gidvec", gidvec)):
            if vec is not None and not isinstance(vec, Vector):
                raise TypeError(f"PatternStim.play: {name} must be a Vector, got {type(vec).__name__}")
        if tvec is not None and len(tvec) != len(gidvec):
            raise ValueError(f"PatternStim.play: tvec has {len(tvec)} times but gidvec {len(gidvec)} gids")
        pairs = [] if tvec is None else [x for pair in zip(tvec.to_python(), gidvec.to_python()) for x in pair]
        self._model._engine.point_set_table(self._id, pairs)
        return 0.0

    def __dir__(self):
        return sorted(super().__dir__() + ["play"])


class _LevelArray:
    """`vc.dur` / `vc.amp` of a VClamp: three values, indexable."""

    __slots__ = ("_pp", "_name")

    def __init__(self, pp, name):
        self._pp, self._name = pp, name

    def _key(self, j):
        if isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < 3:
            raise IndexError(f"VClamp.{self._name} has indices 0, 1, 2, got {j!r}")
        return f"{self._name}{j}"

    def __len__(self):
        return 3

    def __getitem__(self, j):
        return self._pp._model._engine.point_get(self._pp._id, self._key(j))

    def __setitem__(self, j, value):
        self._pp._model._engine.point_set(self._pp._id, self._key(j), _number(f"VClamp.{self._name}", value))

    def __repr__(self):
        return repr([self[j] for j in range(3)])


class VClamp(PointProcess):
    """`n.VClamp(seg)`: NEURON's two-amplifier voltage clamp; levels `vc.amp[j]` (mV) for
    `vc.dur[j]` (ms), j = 0, 1, 2."""

    __slots__ = ()

    @property
    def dur(self):
        return _LevelArray(self, "dur")

    @property
    def amp(self):
        return _LevelArray(self, "amp")

    def __dir__(self):
        return sorted(super().__dir__() + ["amp", "dur"])


class APCount(PointProcess):
    """`n.APCount(seg)`: counts crossings of `thresh` (mV); `apc.record(vec)` stores their times."""

    __slots__ = ("_vec",)

    def record(self, vec=None):
        """Store every crossing time (ms) in vec; `record()` stops recording."""
        from .vector import Vector

        if vec is not None and not isinstance(vec, Vector):
            raise TypeError(f"APCount.record: expected a Vector, got {type(vec).__name__}")
        self._model._engine.point_take_table(self._id)  # earlier crossings are not the new vec's
        object.__setattr__(self, "_vec", vec)
        return 0.0

    def _flush(self, restart):
        vec = getattr(self, "_vec", None)
        times = self._model._engine.point_take_table(self._id)
        if vec is not None:
            if restart:
                vec._record_reset()
            vec._record_extend(times)

    def __dir__(self):
        return sorted(super().__dir__() + ["record"])


class _ArtificialCell(PointProcess):
    """An ARTIFICIAL_CELL whose FUNCTIONs (M(), ...) are computed here from its variables,
    hidden ones included, and the Model's current t, with NEURON's formulas and operation order."""

    __slots__ = ()

    _FUNCTIONS = ()

    def _vars(self, *names):
        get, pid = self._model._engine.point_get, self._id
        return [get(pid, name) for name in names]

    def __dir__(self):
        return sorted(super().__dir__() + list(self._FUNCTIONS))


def _hoc_exp(x):
    """exp as NEURON's mod files use it (hoc_Exp): 0 below -700, capped at exp(700)."""
    if x < -700.0:
        return 0.0
    return math.exp(700.0) if x > 700.0 else math.exp(x)


class IntFire1(_ArtificialCell):
    """`n.IntFire1()`: leaky integrate-and-fire cell (NEURON's intfire1.mod)."""

    __slots__ = ()
    _FUNCTIONS = ("M",)

    def M(self):
        """m decayed to the current t; while refractory 2 for the first 0.5 ms, then -1 (a
        display value that draws the spike)."""
        m, t0, tau, refractory = self._vars("m", "t0", "tau", "refractory")
        t = self._model.t
        if refractory == 0:
            return m * _hoc_exp(-(t - t0) / tau)
        if refractory == 1:
            return 2.0 if t - t0 < 0.5 else -1.0
        return 0.0


class IntFire2(_ArtificialCell):
    """`n.IntFire2()`: integrate-and-fire cell with a decaying synaptic current and a bias ib
    (NEURON's intfire2.mod)."""

    __slots__ = ()
    _FUNCTIONS = ("I", "M")

    def M(self):
        """The membrane state at the current t."""
        taus, taum, ib, i, m, t0 = self._vars("taus", "taum", "ib", "i", "m", "t0")
        t = self._model.t
        f = taus / (taus - taum)
        x = (i - ib) * _hoc_exp(-(t - t0) / taus)
        return ib + f * x + (m - (ib + (i - ib) * f)) * _hoc_exp(-(t - t0) / taum)

    def I(self):  # noqa: E743 (NEURON's name)
        """The synaptic current at the current t."""
        taus, ib, i, t0 = self._vars("taus", "ib", "i", "t0")
        x = (i - ib) * _hoc_exp(-(self._model.t - t0) / taus)
        return x + ib


class IntFire4(_ArtificialCell):
    """`n.IntFire4()`: integrate-and-fire cell with an exponential excitatory current and an
    alpha-like inhibitory current (NEURON's intfire4.mod)."""

    __slots__ = ()
    _FUNCTIONS = ("E", "I", "M")

    def _newstates(self):
        """(e, i2, m) advanced from t0 to the current t (NEURON's newstates)."""
        e, i1, i2, m, t0, ke, ki1, ki2, km, be, bi1, bi2, a, b = self._vars(
            "e", "i1", "i2", "m", "t0", "ke", "ki1", "ki2", "km", "be", "bi1", "bi2", "a", "b")
        d = self._model.t - t0
        ee = _hoc_exp(-ke * d)
        ei1 = _hoc_exp(-ki1 * d)
        ei2 = _hoc_exp(-ki2 * d)
        em = _hoc_exp(-km * d)
        enew = e * ee
        i2new = i2 * ei2 + bi1 * i1 * (ei2 - ei1)
        mnew = m * em + be * e * (em - ee) + (bi2 * i2 + a * i1) * (em - ei2) - b * i1 * (em - ei1)
        return enew, i2new, mnew

    def M(self):
        """The membrane state at the current t."""
        return self._newstates()[2]

    def E(self):
        """The excitatory current ae·e at the current t."""
        return self._vars("ae")[0] * self._newstates()[0]

    def I(self):  # noqa: E743 (NEURON's name)
        """The inhibitory current ai2·i2 at the current t."""
        return self._vars("ai2")[0] * self._newstates()[1]


_CLASSES = {"NetStim": NetStim, "VecStim": VecStim, "APCount": APCount, "PatternStim": PatternStim, "VClamp": VClamp,
            "IntFire1": IntFire1, "IntFire2": IntFire2, "IntFire4": IntFire4}


class PointProcessType:
    """`n.IClamp`: constructs point processes of one type in one Model."""

    def __init__(self, model, mech):
        self._model, self._mech = model, mech

    def __call__(self, loc=None, sec=None):
        return _CLASSES.get(self._mech, PointProcess)(self._model, self._mech, loc, sec)

    def __repr__(self):
        return f"{self._mech}()"
