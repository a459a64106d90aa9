"""`_ref_` handles: a (location, variable) pair that `Vector.record` samples. Resolved by the
engine when the model is lowered, so they stay valid across structural changes."""


class _Ref:
    """Base: `ref[0]` reads (and writes) the current value, `Vector.record(ref)` records it."""

    def __init__(self, model):
        self._model = model

    def __getitem__(self, i):
        if i != 0:
            raise IndexError("a reference has only index 0")
        return self._get()

    def __setitem__(self, i, value):
        if i != 0:
            raise IndexError("a reference has only index 0")
        self._set(value)

    def _record_into(self, vec, *args):
        """`Vector.record(ref)`, `record(ref, Dt)` (every Dt ms) or `record(ref, tvec)` (at the
        times in a Vector or sequence, ms)."""
        interval, times = None, None
        if len(args) > 1:
            raise TypeError("Vector.record(ref[, Dt or tvec]) takes at most two arguments")
        if args and isinstance(args[0], bool):
            raise TypeError("Vector.record: the second argument must be Dt (ms) or a Vector of times")
        if args and isinstance(args[0], (int, float)):
            interval = float(args[0])
            if not interval > 0:
                raise ValueError(f"Vector.record: the sampling interval must be > 0, got {interval}")
        elif args:
            try:
                times = [float(x) for x in args[0]]
            except (TypeError, ValueError):
                raise TypeError("Vector.record: the second argument must be Dt (ms) or a Vector of times, "
                                f"got {type(args[0]).__name__}") from None
        self._model._add_recording(vec, self, (interval, times))
        return vec

    def _play_from(self, vec, args, continuous):
        """`vec.play(ref, tvec or dt[, continuous])`."""
        self._model._add_play(vec, self, args, continuous)


class TimeRef(_Ref):
    def _get(self):
        return self._model.t

    def _set(self, value):
        self._model.t = value

    def _register(self, engine, schedule):
        return engine.record_time(*schedule)

    def _play(self, *args):
        raise ValueError("Vector.play cannot play into t")

    def __repr__(self):
        return "data_handle<double>{t}"


class VoltageRef(_Ref):
    def __init__(self, seg):
        super().__init__(seg.sec._model)
        self._seg = seg

    def _get(self):
        return self._seg.v

    def _set(self, value):
        self._seg.v = value

    def _register(self, engine, schedule):
        return engine.record_v(self._seg.sec._checked_id(), self._seg.x, *schedule)

    def _pointer_spec(self):
        """What a POINTER set to this reference reads (see Engine.set_pointer)."""
        return ("v", self._seg.sec._checked_id(), self._seg.x)

    def _play(self, engine, values, times, dt, continuous):
        return engine.play_v(self._seg.sec._checked_id(), self._seg.x, values, times, dt, continuous)

    def __repr__(self):
        return f"data_handle<double>{{{self._seg}.v}}"


class DensityRef(_Ref):
    def __init__(self, seg, mech, var):
        super().__init__(seg.sec._model)
        self._seg, self._mech, self._var = seg, mech, var

    def _get(self):
        return self._seg._mech_get(self._mech, self._var)

    def _set(self, value):
        self._seg._mech_set(self._mech, self._var, value)

    def _register(self, engine, schedule):
        sec = self._seg.sec
        return engine.record_density(sec._checked_id(), self._seg._mech_x(), self._mech, self._var, *schedule)

    def _play(self, engine, values, times, dt, continuous):
        sec = self._seg.sec
        return engine.play_density(sec._checked_id(), self._seg._mech_x(), self._mech, self._var, values, times, dt,
                                   continuous)

    def _pointer_spec(self):
        return ("density", self._seg.sec._checked_id(), self._seg._mech_x(), self._mech, self._var)

    def __repr__(self):
        return f"data_handle<double>{{cont={self._mech} {self._var} {self._seg}}}"


class PointRef(_Ref):
    def __init__(self, pp, var):
        super().__init__(pp._model)
        self._pp, self._var = pp, var

    def _get(self):
        return self._model._engine.point_get(self._pp._id, self._var)

    def _set(self, value):
        setattr(self._pp, self._var, value)  # same checks and messages as `pp.var = value`

    def _register(self, engine, schedule):
        return engine.record_point(self._pp._id, self._var, *schedule)

    def _pointer_spec(self):
        return ("point", self._pp._id, self._var)

    def _play(self, engine, values, times, dt, continuous):
        return engine.play_point(self._pp._id, self._var, values, times, dt, continuous)

    def __repr__(self):
        return f"data_handle<double>{{cont={self._pp._mech} {self._var}}}"
