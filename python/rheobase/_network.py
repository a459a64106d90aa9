"""NetCon and ParallelContext (one process): NEURON's network-building API over the engine.

Lifetimes follow NEURON: a NetCon lives while Python references it, and it does not keep its
source or target alive (when either is deleted, `nc.valid()` becomes 0).
"""

import itertools
import math

from ._hoc import HocObject
from ._point import PointProcess
from ._refs import VoltageRef
from ._section import Segment, _number

_netcon_counter = itertools.count()


def _finite(what, value):
    value = _number(what, value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


def _vector(what, vec):
    from .vector import Vector

    if not isinstance(vec, Vector):
        raise TypeError(f"{what} must be a Vector, got {type(vec).__name__}")
    return vec


class _Weights:
    """`nc.weight`: NET_RECEIVE's argument vector, indexable and writable."""

    __slots__ = ("_nc",)

    def __init__(self, nc):
        self._nc = nc

    def _index(self, i):
        n = len(self)
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"NetCon.weight index must be an integer, got {type(i).__name__}")
        if not 0 <= i < n:
            raise IndexError(f"NetCon.weight index {i} out of range (wcnt = {n})")
        return i

    def __len__(self):
        return len(self._nc._engine.netcon_weights(self._nc._id))

    def __getitem__(self, i):
        return self._nc._engine.netcon_weights(self._nc._id)[self._index(i)]

    def __setitem__(self, i, value):
        self._nc._engine.netcon_set_weight(self._nc._id, self._index(i), _number("NetCon.weight", value))

    def __iter__(self):
        return iter(self._nc._engine.netcon_weights(self._nc._id))

    def __repr__(self):
        return repr(list(self))


class NetCon(HocObject):
    """`n.NetCon(source, target[, threshold, delay, weight], sec=...)`.

    source: `seg._ref_v`, a point process or artificial cell (its `net_event`s), or None (events
    only from `nc.event(t)`). target: a point process with NET_RECEIVE (ExpSyn, NetStim, ...) or
    None (a spike detector only, e.g. for `record`).
    """

    __slots__ = ("_model", "_id", "_index", "__weakref__")

    def __init__(self, model, source, target, threshold=None, delay=None, weight=None, sec=None, _gid=None):
        if target is not None and not isinstance(target, PointProcess):
            raise TypeError(f"NetCon target must be a point process or None, got {type(target).__name__}")
        if target is not None and target._model is not model:
            raise ValueError("NetCon: the target belongs to another Model")
        kwargs = {}
        if _gid is not None:
            kwargs["gid"] = _gid
        elif isinstance(source, VoltageRef):
            seg = source._seg
            if seg.sec._model is not model:
                raise ValueError("NetCon: the source belongs to another Model")
            kwargs["v_at"] = (seg.sec._checked_id(), seg.x)
        elif isinstance(source, PointProcess):
            if source._model is not model:
                raise ValueError("NetCon: the source belongs to another Model")
            kwargs["pp"] = source._id
        elif source is not None:
            raise TypeError("NetCon source must be seg._ref_v, a point process, an artificial cell or None, "
                            f"got {type(source).__name__}" + (" (rheobase watches v only)" if hasattr(source, "_record_into") else ""))
        # Check the optional values first: a refused NetCon must not change the shared threshold.
        if threshold is not None:
            threshold = _finite("NetCon threshold", threshold)
        if delay is not None:
            delay = _finite("NetCon delay", delay)
            if delay < 0:
                raise ValueError(f"NetCon delay must be >= 0 ms, got {delay}")
        if weight is not None:
            weight = _finite("NetCon weight", weight)
        engine = model._engine
        nid = engine.netcon_new(target._id if target is not None else None, **kwargs)
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_id", nid)
        object.__setattr__(self, "_index", next(_netcon_counter))
        if threshold is not None:
            self.threshold = threshold
        if delay is not None:
            self.delay = delay
        if weight is not None:
            self.weight[0] = weight

    def __del__(self):
        try:
            self._model._engine.netcon_delete(self._id)
        except Exception:  # already deleted, or interpreter shutdown
            pass

    @property
    def _engine(self):
        return self._model._engine

    def __setattr__(self, name, value):
        if name not in ("delay", "threshold"):
            raise AttributeError(f"'NetCon' object has no attribute '{name}'" if name != "weight"
                                 else "NetCon.weight is a vector: set nc.weight[0]")
        object.__setattr__(self, name, value)

    # ---------------------------------------------------------------- parameters
    @property
    def weight(self):
        return _Weights(self)

    def wcnt(self):
        return len(self.weight)

    @property
    def delay(self):
        """ms"""
        return self._engine.netcon_delay(self._id)

    @delay.setter
    def delay(self, value):
        self._engine.netcon_set_delay(self._id, _number("NetCon.delay", value))

    @property
    def threshold(self):
        """mV, shared by every NetCon watching the same source."""
        return self._engine.netcon_threshold(self._id)

    @threshold.setter
    def threshold(self, value):
        self._engine.netcon_set_threshold(self._id, _number("NetCon.threshold", value))

    def active(self, on=None):
        """1.0 while the NetCon delivers events (never without a target); `active(False)` stops
        it. Returns the state before the call, as NEURON does."""
        before = 1.0 if self._engine.netcon_active(self._id) and self._ends()[1] is not None else 0.0
        if on is not None:
            self._engine.netcon_set_active(self._id, bool(on))
        return before

    # ---------------------------------------------------------------- ends
    def _ends(self):
        return self._engine.netcon_ends(self._id)

    def pre(self):
        """The source point process or artificial cell (None for other sources)."""
        src = self._ends()[0]
        return self._model._point_object(src[1]) if src and src[0] == "pp" else None

    def syn(self):
        target = self._ends()[1]
        return None if target is None else self._model._point_object(target)

    def preseg(self):
        src = self._ends()[0]
        if not src or src[0] != "v":
            return None
        sec = self._model._section_object(src[1])
        return None if sec is None else Segment(sec, src[2])

    def postseg(self):
        target = self.syn()
        return None if target is None else target.get_segment()

    def precell(self):
        seg = self.preseg()
        return None if seg is None else seg.sec.cell()

    def postcell(self):
        seg = self.postseg()
        return None if seg is None else seg.sec.cell()

    def valid(self):
        """1.0 when the target and the source (if it was given one) exist."""
        src, target, _ = self._ends()
        return 1.0 if src is not None and target is not None else 0.0

    def srcgid(self):
        gid = self._ends()[2]
        return -1.0 if gid is None else float(gid)

    # ---------------------------------------------------------------- events and recording
    def record(self, tvec, idvec=None, id=0):
        """Record the source's spike times into tvec (and `id` into idvec for each spike).
        A source has one recording: a later record() on any NetCon of that source replaces it."""
        _vector("NetCon.record: tvec", tvec)
        if idvec is not None:
            _vector("NetCon.record: idvec", idvec)
        rid = self._engine.netcon_record(self._id, _number("NetCon.record: id", id))
        self._model._add_spike_recording(rid, tvec, idvec)
        return 0.0

    def event(self, t, flag=None):
        """Deliver this NetCon's weights to its target at time t (ms). With a flag, the target
        (an artificial cell) receives a self event with that flag instead. An event in the past
        is delivered at the next step, as NEURON does."""
        flag = None if flag is None else _number("NetCon.event: flag", flag)
        self._engine.netcon_event(self._id, _number("NetCon.event: time", t), flag)
        return self.active()

    # ---------------------------------------------------------------- identity
    def hname(self):
        return f"NetCon[{self._index}]"

    def __dir__(self):
        return ["active", "delay", "event", "hname", "hocobjptr", "postcell", "postseg", "pre", "precell",
                "preseg", "record", "same", "srcgid", "syn", "threshold", "valid", "wcnt", "weight"]


class NetConType:
    """`n.NetCon`: constructs NetCons in one Model."""

    def __init__(self, model):
        self._model = model

    def __call__(self, source, target, *args, sec=None):
        if len(args) > 3:
            raise TypeError("NetCon(source, target[, threshold, delay, weight]) takes at most 5 arguments")
        return NetCon(self._model, source, target, *args, sec=sec)

    def __repr__(self):
        return "<class 'rheobase.NetCon'>"


class ParallelContext:
    """`n.ParallelContext()` for one process: gids, spike recording, threads, psolve.

    With one host every gid lives here (`set_gid2node(gid, 0)`); collective operations return
    their argument. The spike exchange is inside the engine; an MPI transport comes with the
    distributed-run work.
    """

    def __init__(self, model):
        self._model = model
        # Every ParallelContext of a Model shares one state, as NEURON's share one process.
        self._state = model._pc_state

    @property
    def _owned(self):  # gids given to this host by set_gid2node
        return self._state["owned"]

    @property
    def _output(self):  # gids whose spikes leave the cell (pc.cell(..., 1), outputcell)
        return self._state["output"]

    # ---------------------------------------------------------------- identity
    def id(self):
        return 0.0

    def nhost(self):
        return 1.0

    def barrier(self):
        return 0.0

    def allreduce(self, value, op=1):
        """With one host the reduction of a value is the value (Vectors are left as they are)."""
        if op not in (1, 2, 3):
            raise ValueError(f"allreduce: type must be 1 (sum), 2 (max) or 3 (min), got {op!r}")
        return value

    def py_allgather(self, obj):
        return [obj]

    def py_gather(self, obj, root=0):
        return [obj]

    def py_broadcast(self, obj, root=0):
        return obj

    def py_alltoall(self, objs):
        objs = list(objs)
        if len(objs) != 1:
            raise ValueError(f"py_alltoall: expected a list of nhost = 1 items, got {len(objs)}")
        return objs

    def done(self):
        return 0.0

    def runworker(self):
        return 0.0

    # ---------------------------------------------------------------- threads
    def nthread(self, n=None, parallel=1):
        """Number of threads the cell groups run on (results do not depend on it)."""
        if n is not None:
            n = _number("nthread", n)
            if n != int(n) or n < 1:
                raise ValueError(f"nthread must be an integer >= 1, got {n}")
            self._model._engine.set_threads(int(n))
        return float(self._model._engine.threads())

    # ---------------------------------------------------------------- gids
    def _gid(self, gid, error=ValueError):
        gid = _number("gid", gid)
        if gid != int(gid) or gid < 0:
            raise error(f"a gid must be an integer >= 0, got {gid}")
        return int(gid)

    def set_gid2node(self, gid, rank):
        gid, rank = self._gid(gid), _number("rank", rank)
        if rank == 0:
            if gid in self._owned:
                raise RuntimeError(f"set_gid2node: gid={gid} already exists on this process")
            self._owned.add(gid)
        return 0.0

    def gid_exists(self, gid):
        """0: not on this host; 1: owned (set_gid2node); 2: has a spike source (pc.cell);
        3: also an output cell."""
        gid = self._gid(gid, RuntimeError)
        if gid not in self._owned:
            return 0.0
        if not self._model._engine.gid_has_source(gid):
            return 1.0
        return 3.0 if gid in self._output else 2.0

    def cell(self, gid, nc, output=1):
        """Make nc's source the spike source of gid (its threshold becomes the gid's)."""
        gid = self._gid(gid)
        if gid not in self._owned:
            raise RuntimeError(f"pc.cell({gid}, ...): gid {gid} does not belong to this host; "
                               "call pc.set_gid2node(gid, pc.id()) first")
        if not isinstance(nc, NetCon):
            raise TypeError(f"pc.cell: the second argument must be a NetCon, got {type(nc).__name__}")
        self._model._engine.gid_bind(gid, nc._id)
        if output:
            self._output.add(gid)
        return 0.0

    def outputcell(self, gid):
        self._output.add(self._gid(gid))
        return 0.0

    def threshold(self, gid, th=None):
        gid = self._gid(gid)
        if not self._model._engine.gid_has_source(gid):
            raise RuntimeError(f"pc.threshold: gid {gid} is not associated with a spike source (pc.cell)")
        if th is not None:
            self._model._engine.gid_set_threshold(gid, _number("threshold", th))
        return self._model._engine.gid_threshold(gid)

    def gid_connect(self, srcgid, target):
        """A NetCon from gid srcgid's spikes to target (set its weight and delay)."""
        if not isinstance(target, PointProcess):
            raise TypeError(f"gid_connect: the target must be a point process, got {type(target).__name__}")
        srcgid = self._gid(srcgid)
        if srcgid in self._owned and not self._model._engine.gid_has_source(srcgid):
            raise RuntimeError(f"gid_connect: gid {srcgid} is owned by this host but has no cell (call pc.cell first)")
        return NetCon(self._model, None, target, _gid=srcgid)

    def spike_record(self, gid, tvec, idvec):
        """Record the spikes of gid (or of every gid when gid is -1) as (time, gid) pairs."""
        gid = _number("gid", gid)
        _vector("spike_record: tvec", tvec)
        _vector("spike_record: idvec", idvec)
        rid = self._model._engine.gid_spike_record(None if gid == -1 else self._gid(gid))
        self._model._add_spike_recording(rid, tvec, idvec)
        return 0.0

    def gid_clear(self, type=0):
        self._model._engine.gid_clear()
        self._owned.clear()
        self._output.clear()
        return 0.0

    # ---------------------------------------------------------------- running
    def set_maxstep(self, maxstep):
        """The interval between spike exchanges between hosts: the smallest delay of NetCons
        whose source is on another host, at most maxstep (ms). With one host that is maxstep
        unless some gid_connect'ed gid has no cell here."""
        maxstep = _number("set_maxstep", maxstep)
        if not maxstep > 0:
            raise ValueError(f"set_maxstep: the interval must be > 0 ms, got {maxstep}")
        md = self._model._engine.remote_min_delay()
        return float(maxstep if md is None else min(maxstep, md))

    def psolve(self, tstop):
        """Integrate to tstop (ms) from the present state, taking NEURON's number of steps:
        int((tstop·(1 + 1e-11) − t)/dt + 1e-9) (so it may stop short of a tstop that is not on
        the step grid, where continuerun would take one more step)."""
        tstop = _number("psolve: tstop", tstop)
        if not math.isfinite(tstop):
            raise ValueError(f"psolve: tstop must be finite, got {tstop}")
        model, dt = self._model, self._model.dt
        limit = tstop * (1 + 1e-11)
        steps = int((limit - model.t) / dt + 1e-9)
        try:
            if steps > 3:
                if model._handlers.next_event() is None:
                    model._engine.advance(steps)
                else:
                    model._advance_until(float("inf"), steps)
            else:
                while model.t <= limit - dt:
                    model.fadvance()
        finally:
            model._flush_recordings()
        return 0.0

    def t(self, tid=0):
        return self._model.t

    def __repr__(self):
        return "ParallelContext[0]"
