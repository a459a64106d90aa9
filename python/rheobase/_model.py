"""`rheobase.Model`: one independent simulation with a NEURON-style namespace.

`rheobase.n` and `rheobase.h` are a default Model; `rheobase.Model()` makes another with its own
sections, globals and clock, so two models can run side by side (each run releases the GIL).
"""

import math

import numpy as np
import sys
import weakref

from . import _mechanisms as M
from ._engine import Engine
from ._functions import sync_function_tables
from ._handlers import CVode as _CVode
from ._handlers import FInitializeHandler as _FInitializeHandler
from ._handlers import Handlers
from ._introspection import topology_text
from ._network import NetConType, ParallelContext
from ._point import PointProcessType
from ._refs import TimeRef
from ._section import Section as _Section
from ._section import _at
from ._unsupported import message as not_yet_message
from .vector import Vector

# Hoc libraries a NEURON script loads for the standard run system, which rheobase always has.
_STANDARD_HOC = {"stdrun.hoc", "stdlib.hoc", "nrngui.hoc", "noload.hoc"}


# Every live Model, so that a mechanism loaded again reaches the sections that use it.
_MODELS = weakref.WeakSet()


def live_models():
    return list(_MODELS)


class Model:
    """A NEURON-style namespace over one engine."""

    Vector = Vector

    def __init__(self):
        _MODELS.add(self)
        object.__setattr__(self, "_engine", Engine())
        object.__setattr__(self, "_sections", {})  # engine id -> weakref(Section)
        object.__setattr__(self, "_points", {})  # engine id -> weakref(PointProcess)
        object.__setattr__(self, "_table_readers", {})  # engine id -> weakref(APCount), flushed with recordings
        object.__setattr__(self, "_syncing", {})  # engine id -> weakref(VecStim), re-read at finitialize
        object.__setattr__(self, "_recordings", {})  # id(vec) -> (weakref(vec), recorder id)
        object.__setattr__(self, "_spike_recordings", {})  # record id -> (weakref(tvec), weakref(idvec))
        object.__setattr__(self, "_plays", {})  # id(vec) -> (weakref(vec), play id, weakref(tvec) or dt)
        object.__setattr__(self, "NetCon", NetConType(self))
        object.__setattr__(self, "_pc_state", {"owned": set(), "output": set()})
        object.__setattr__(self, "_handlers", Handlers())
        object.__setattr__(self, "cvode", _CVode(self))
        # The standard run system's variables (stdrun.hoc), always present here.
        object.__setattr__(self, "tstop", 5.0)  # ms
        object.__setattr__(self, "v_init", -65.0)  # mV
        object.__setattr__(self, "steps_per_ms", 40.0)  # 1/ms
        object.__setattr__(self, "stoprun", 0)
        object.__setattr__(self, "realtime", 0.0)
        object.__setattr__(self, "_nstep_steprun", 1)
        for mech in M.POINT:
            object.__setattr__(self, mech, PointProcessType(self, mech))
        for mech in M.DENSITY:
            object.__setattr__(self, mech, M.DensityMechanism(mech))

    # ---------------------------------------------------------------- globals
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in M.DENSITY or name in M.POINT:  # a mechanism loaded after this model was made
            mech = M.DensityMechanism(name) if name in M.DENSITY else PointProcessType(self, name)
            object.__setattr__(self, name, mech)
            return mech
        if name.startswith("table_"):
            from ._functions import function_table_setter

            setter = function_table_setter(name)
            if setter is not None:
                return setter
        engine_globals = self._engine.global_names()
        if name in engine_globals:
            value = self._engine.global_get(name)
            return int(value) if name == "secondorder" else value
        if name in M.RANGE_NAMES:
            raise TypeError(f"Cannot access {name} directly; it is a range variable and may be accessed "
                            "via a section or segment.")
        # NEURON names rheobase does not have yet: say so instead of suggesting a look-alike.
        raise AttributeError(not_yet_message(name) or (f"'Model' object has no attribute '{name}'"
                                               + M.suggestion(name, engine_globals + dir(self))))

    def __setattr__(self, name, value):
        if name in self._engine.global_names():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a real number, not {type(value).__name__}")
            self._engine.global_set(name, float(value))
        elif name in ("tstop", "v_init", "steps_per_ms", "realtime"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a real number, not {type(value).__name__}")
            if not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
            if name == "steps_per_ms" and not value > 0:
                raise ValueError(f"steps_per_ms must be > 0, got {value}")
            object.__setattr__(self, name, float(value))
        elif name == "stoprun":
            object.__setattr__(self, name, int(value))
        else:
            raise AttributeError(f"'Model' object has no attribute '{name}'"
                                 + M.suggestion(name, self._engine.global_names() + dir(self)))

    @property
    def _ref_t(self):
        return TimeRef(self)

    # ---------------------------------------------------------------- sections
    def Section(self, name=None, cell=None):
        """`n.Section("soma")`: a new section with NEURON's defaults (L 100 µm, diam 500 µm, ...)."""
        return _Section(self, name, cell)

    def _register_section(self, sec):
        self._sections[sec._id] = weakref.ref(sec)

    def _forget_section(self, sid):
        self._sections.pop(sid, None)
        if self._engine.section_exists(sid):
            self._engine.section_delete(sid)

    def _section_object(self, sid):
        ref = self._sections.get(sid)
        sec = ref() if ref is not None else None
        return sec if sec is not None and self._engine.section_exists(sid) else None

    def allsec(self):
        """Every live section, in creation order."""
        return [s for s in (self._section_object(i) for i in self._engine.section_ids()) if s is not None]

    def delete_section(self, sec=None):
        if sec is None:
            raise TypeError("delete_section: pass the section as sec=...")
        if self._engine.section_exists(sec._id):
            self._engine.section_delete(sec._id)
        return 0.0

    def _default_section(self):
        secs = self.allsec()
        if not secs:
            raise RuntimeError("no section exists to place the point process in; pass a segment")
        return secs[0]

    # ---------------------------------------------------------------- point processes
    def _register_point(self, pp):
        self._points[pp._id] = weakref.ref(pp)
        if hasattr(type(pp), "_flush"):
            self._table_readers[pp._id] = weakref.ref(pp)
        if hasattr(type(pp), "_sync"):
            self._syncing[pp._id] = weakref.ref(pp)

    def _forget_point(self, pid):
        self._table_readers.pop(pid, None)
        self._syncing.pop(pid, None)
        if self._points.pop(pid, None) is not None:
            self._engine.point_delete(pid)

    def _point_object(self, pid):
        ref = self._points.get(pid)
        return ref() if ref is not None else None

    def _live_points(self):
        return [p for p in (r() for r in self._points.values()) if p is not None]

    def _points_in(self, sec):
        return [p for p in self._live_points() if (loc := self._engine.point_loc(p._id)) and loc[0] == sec._id]

    def _points_at(self, seg):
        """Point processes on the node of a segment, most recently created first."""
        node = seg.node_index()
        here = [p for p in self._live_points()
                if (loc := self._engine.point_loc(p._id)) and self._engine.node_index(*loc) == node]
        return sorted(here, key=lambda p: -p._id)

    # ---------------------------------------------------------------- mechanisms
    def MechanismType(self, point_process):
        return M.MechanismType(point_process)

    def ref(self, value):
        return M.Ref(value)

    def units(self, name, units=None):
        """`n.units("gnabar_hh")` -> "S/cm2" (Ball and stick 1 prints this); `n.units(name, "u")`
        replaces a name's units string for this model; `n.units(1)`/`n.units(0)` is NEURON's GUI
        units-display switch and returns "on"/"off". Unknown names raise RuntimeError, as NEURON
        9.0.2 does ("Cannot find the symbol"), with a "did you mean"."""
        custom = self.__dict__.setdefault("_custom_units", {})
        if not isinstance(name, str):
            if isinstance(name, bool) or not isinstance(name, (int, float)):
                raise TypeError(f"units: expected a variable name or 0/1, got {type(name).__name__}")
            return "on" if name else "off"  # only NEURON's GUI shows units; nothing to switch here
        known = custom.get(name, M.units_of(name))
        if known is None:
            raise RuntimeError(f"units: cannot find the symbol for {name!r}"
                               + M.suggestion(name, M.units_names()))
        if units is not None:
            if not isinstance(units, str):
                raise TypeError(f"units: the units must be a str, got {type(units).__name__}")
            custom[name] = known = units
        return known

    # ---------------------------------------------------------------- topology
    def distance(self, *args, sec=None):
        """Path length (µm) along the tree, as NEURON's `distance` (measured between the centres
        of the segments the locations fall in; 1e20 if not connected):
        `n.distance(seg1, seg2)`; origin forms `n.distance(sec=s)` / `n.distance(0, seg)` then
        `n.distance(seg)` / `n.distance(1, seg)`. Needed by Ball and stick-style scripts."""
        from ._distance import distance

        return distance(self, *args, sec=sec)

    # ---------------------------------------------------------------- recording
    def _add_recording(self, vec, ref, schedule):
        if ref._model is not self:
            raise ValueError("Vector.record: the reference belongs to another Model")
        old = self._recordings.pop(id(vec), None)
        if old is not None:
            self._engine.record_remove(old[1])
        rid = ref._register(self._engine, schedule)
        self._recordings[id(vec)] = (weakref.ref(vec), rid)

    def _flush_recordings(self, restart=False):
        """Moves the engine's new samples into the recording Vectors."""
        for key, (vref, rid) in list(self._recordings.items()):
            vec = vref()
            if vec is None:
                self._engine.record_remove(rid)
                del self._recordings[key]
                continue
            if restart:
                vec._record_reset()
            vec._record_extend(self._engine.record_take(rid))
        self._flush_spikes(restart)
        for ref in list(self._table_readers.values()):
            p = ref()
            if p is not None:
                p._flush(restart)

    # ---------------------------------------------------------------- playing
    @staticmethod
    def _play_data(vec, tvec_or_dt):
        """(values, times, dt) for the engine from the live Vectors."""
        values = vec.to_python()
        if isinstance(tvec_or_dt, bool) or not isinstance(tvec_or_dt, (int, float, Vector)):
            raise TypeError("Vector.play: the second argument must be a Vector of times or an interval dt (ms), "
                            f"got {type(tvec_or_dt).__name__}")
        if isinstance(tvec_or_dt, Vector):
            return values, tvec_or_dt.to_python(), None
        return values, None, float(tvec_or_dt)

    def _add_play(self, vec, ref, tvec_or_dt, continuous):
        values, times, dt = self._play_data(vec, tvec_or_dt)
        pid = ref._play(self._engine, values, times, dt, continuous)
        self._remove_play(vec)  # a Vector plays one thing at a time
        # Like NEURON, the play holds its Vectors weakly: it stops when either is garbage.
        tref = weakref.ref(tvec_or_dt) if isinstance(tvec_or_dt, Vector) else (lambda dt=tvec_or_dt: dt)
        self._plays[id(vec)] = (weakref.ref(vec), pid, tref)
        vec._playing_in = self

    def _remove_play(self, vec):
        old = self._plays.pop(id(vec), None)
        if old is not None:
            self._engine.play_remove(old[1])

    def _sync_plays(self):
        """Plays use their Vectors as they are at finitialize (NEURON reads them live)."""
        for key, (vref, pid, tref) in list(self._plays.items()):
            vec, tvec_or_dt = vref(), tref()
            if vec is None or tvec_or_dt is None:
                self._engine.play_remove(pid)
                del self._plays[key]
                continue
            values, times, dt = self._play_data(vec, tvec_or_dt)
            self._engine.play_set_data(pid, values, times, dt)

    def _add_spike_recording(self, rid, tvec, idvec):
        """Spikes of record `rid` go to tvec (and their ids to idvec). NetCons may share a
        (tvec, idvec) pair (NEURON's `nc.record(tvec, idvec, gid)` for every cell); otherwise a
        Vector records one thing: an earlier spike recording into the same tvec stops."""
        for old, (tref, idref) in list(self._spike_recordings.items()):
            shared = idvec is not None and idref is not None and idref() is idvec
            if tref() is tvec and not shared:
                self._engine.spike_record_remove(old)
                del self._spike_recordings[old]
        self._spike_recordings[rid] = (weakref.ref(tvec), None if idvec is None else weakref.ref(idvec))

    def _flush_spikes(self, restart=False):
        # Recordings that share their Vectors are merged in time order (stable: recording order
        # for equal times), as NEURON appends each spike when it happens.
        targets = {}  # id(tvec) -> (tvec, idvec, [times...], [ids...])
        for rid, (tref, idref) in list(self._spike_recordings.items()):
            tvec, idvec = tref(), (idref() if idref is not None else None)
            if tvec is None:
                self._engine.spike_record_remove(rid)
                del self._spike_recordings[rid]
                continue
            taken = self._engine.spike_record_take(rid)
            if taken is None:  # its sources now record elsewhere; the Vectors keep their spikes
                del self._spike_recordings[rid]
                continue
            entry = targets.setdefault(id(tvec), (tvec, idvec, [], []))
            entry[2].append(np.asarray(taken[0], dtype=float))
            entry[3].append(np.asarray(taken[1], dtype=float))
        for tvec, idvec, times, ids in targets.values():
            times, ids = np.concatenate(times), np.concatenate(ids)
            if len(times) > 1:
                order = np.argsort(times, kind="stable")
                times, ids = times[order], ids[order]
            if restart:
                tvec._record_reset()
                if idvec is not None:
                    idvec._record_reset()
            tvec._record_extend(times)
            if idvec is not None:
                idvec._record_extend(ids)

    def FInitializeHandler(self, *args):
        """`n.FInitializeHandler([type, ] callable)`: a callback during finitialize."""
        return _FInitializeHandler(self, *args)

    def CVode(self):
        """`n.CVode()`: the fixed step's stand-in for NEURON's CVode object (`active()` is 0;
        `event(t, callable)` schedules a callback)."""
        return self.cvode

    def cvode_active(self, on=None):
        return self.cvode.active(on)

    def ParallelContext(self):
        """`n.ParallelContext()`: gids, spike recording, threads and psolve in this process."""
        return ParallelContext(self)

    # ---------------------------------------------------------------- running
    def finitialize(self, v=None):
        """Initialise: every node to v (mV) when given, INITIAL blocks, t = 0, record t = 0;
        FInitializeHandlers run between the parts (see FInitializeHandler)."""
        if v is not None:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"finitialize: v must be a number (mV), got {type(v).__name__}")
            v = float(v)
        handlers = self._handlers
        handlers.run_init(3)
        handlers.clear_events()
        for ref in list(self._syncing.values()):
            p = ref()
            if p is not None:
                p._sync()
        self._sync_plays()
        sync_function_tables()
        if handlers.has_init():
            self._engine.finitialize_part("start", v)
            handlers.run_init(0)
            self._engine.finitialize_part("mechanisms")
            handlers.run_init(1)
            self._engine.finitialize_part("finish")
        else:
            self._engine.finitialize(v)
        self._flush_recordings(restart=True)
        handlers.run_due(self.t)
        handlers.run_init(2)
        return 1.0

    def fadvance(self):
        self._engine.fadvance()
        self._flush_recordings()
        self._handlers.run_due(self.t)
        return 1.0

    def _advance_until(self, t_limit, max_steps=None):
        """Steps while t < t_limit (ms), at most max_steps, calling CVode events as the run
        reaches them; returns the steps taken."""
        done = 0
        while max_steps is None or done < max_steps:
            te = self._handlers.next_event()
            limit = t_limit if te is None else min(t_limit, te - 1e-9)
            left = None if max_steps is None else max_steps - done
            n = self._engine.advance_until(limit) if left is None else self._engine.advance_until(limit, left)
            done += n
            self._flush_recordings()
            self._handlers.run_due(self.t)
            if te is None or te - 1e-9 >= t_limit or n == 0 and self.t >= t_limit:
                break
        return done

    def continuerun(self, tstop, progress=False):
        """Advance until t reaches tstop (ms), as stdrun's continuerun. `progress=True` shows a
        progress bar (tqdm if installed); Ctrl-C stops the run with KeyboardInterrupt and keeps
        the model usable at the time reached."""
        if isinstance(tstop, bool) or not isinstance(tstop, (int, float)):
            raise TypeError(f"continuerun: tstop must be a number (ms), got {type(tstop).__name__}")
        if self._handlers.next_event() is not None:
            # CVode events: step to each in turn (continuerun's rule: while t < tstop − dt/2).
            self._advance_until(float(tstop) - 0.5 * self.dt)
            return 0.0
        bar = _ProgressBar(self.t, float(tstop)) if progress else None
        try:
            self._engine.continuerun(float(tstop), self._nstep_steprun, bar.update if bar else None)
        finally:
            self._flush_recordings()
            if bar:
                bar.close()
        return 0.0

    def run(self, tstop=None, progress=False):
        """stdrun's run(): setdt(), finitialize(v_init), continuerun(tstop)."""
        if tstop is not None:
            self.tstop = tstop
        self.setdt()
        self.finitialize(self.v_init)
        return self.continuerun(self.tstop, progress=progress)

    def stdinit(self):
        self.setdt()
        self.finitialize(self.v_init)

    def setdt(self):
        """stdrun's setdt(): make dt divide 1/steps_per_ms, printing "Changed dt" if it must change."""
        interval = 1.0 / self.steps_per_ms
        nstep = max(int(interval / self.dt), 1)
        object.__setattr__(self, "_nstep_steprun", nstep)
        if abs(self.dt * nstep * self.steps_per_ms - 1) > 1e-6:
            self.dt = interval / nstep
            print("Changed dt")
        return 0.0

    def load_file(self, name, *args):
        """Accepts NEURON's standard hoc libraries (the run system is always present here)."""
        base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
        if base in _STANDARD_HOC:
            return 1.0
        raise NotImplementedError(f"load_file({name!r}): rheobase does not interpret hoc files; only the "
                                  f"standard libraries {sorted(_STANDARD_HOC)} are accepted")

    def load_mechanisms(self, folder):
        """`n.load_mechanisms(folder)`: compiles every .mod file of the folder at run time (no
        nrnivmodl); returns 1.0 as NEURON does (see `rheobase.load_mechanisms`)."""
        from .nmodl import load_mechanisms

        load_mechanisms(folder)
        return 1.0

    def setpointer(self, ref, name, target):
        """`n.setpointer(sec(0.5)._ref_v, "vgap", gap)`: POINTER `name` of the point process `target`
        reads the variable `ref` refers to (before each phase of every step, as NEURON reads it)."""
        from ._point import PointProcess
        from ._section import Mechanism

        from ._point import _pointer_spec

        if not isinstance(name, str):
            raise TypeError(f"setpointer: the POINTER name must be a string, got {type(name).__name__}")
        if isinstance(target, Mechanism):
            seg, mech = target._seg, target._mech
            if name not in target._names():
                raise ValueError(f"setpointer: {mech} has no POINTER {name!r}")
            spec = _pointer_spec(ref, self, f"{mech}.{name}")
            with _at(seg):
                self._engine.set_pointer(("density", seg.sec._checked_id(), seg._mech_x(), mech), name, spec)
            return
        if not isinstance(target, PointProcess):
            raise TypeError("setpointer: the third argument must be a point process or a density mechanism "
                            f"(seg.mech), got {type(target).__name__}")
        if target._var(name) is None:
            raise ValueError(f"setpointer: {target._mech} has no POINTER {name!r}")
        target._point(name, ref)

    def nrn_load_dll(self, path):
        """`n.nrn_load_dll(path)` on a folder of .mod files, or on the library nrnivmodl would have
        built from one (`mods/x86_64/.libs/libnrnmech.so`): rheobase compiles the .mod files instead."""
        import os

        from .nmodl import load_mechanisms

        path = os.path.abspath(os.fspath(path))
        candidates = [path] if os.path.isdir(path) else []
        parent = os.path.dirname(path)
        for _ in range(4):  # .libs, x86_64, then the folder that holds the .mod files
            candidates.append(parent)
            parent = os.path.dirname(parent)
        for folder in candidates:
            if os.path.isdir(folder) and any(f.endswith(".mod") for f in os.listdir(folder)):
                load_mechanisms(folder)
                return 1.0
        raise FileNotFoundError(f"nrn_load_dll({path!r}): rheobase compiles .mod files instead of loading "
                                "compiled libraries, and found no .mod file there or in the folders above it")

    # ---------------------------------------------------------------- introspection
    def topology(self):
        sys.stdout.write(topology_text(self))
        sys.stdout.flush()
        return 1.0

    def psection(self, sec):
        return sec.psection()

    def __repr__(self):
        return "<rheobase.Model>"

    def __dir__(self):
        names = set(object.__dir__(self)) | set(self._engine.global_names())
        return sorted(n for n in names if not n.startswith("_") or n == "_ref_t")


class _ProgressBar:
    """A progress bar over simulated time: tqdm when installed, else a line on stderr."""

    def __init__(self, t0, tstop):
        self._t = t0
        try:
            from tqdm import tqdm

            self._bar = tqdm(total=max(tstop - t0, 0.0), unit="ms", desc="continuerun",
                             bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} ms [{elapsed}<{remaining}]")
        except ImportError:
            self._bar = None
            self._tstop = tstop

    def update(self, t):
        if self._bar is not None:
            self._bar.update(t - self._t)
        else:
            print(f"\rcontinuerun: t = {t:.1f} / {self._tstop:.1f} ms", end="", file=sys.stderr)
        self._t = t

    def close(self):
        if self._bar is not None:
            self._bar.close()
        else:
            print(file=sys.stderr)
