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
        interval = None
        if args:
            if len(args) > 1 or not isinstance(args[0], (int, float)):
                raise NotImplementedError(
                    "Vector.record(ref, tvec) with a Vector of sample times is not supported yet; "
                    "use Vector.record(ref) or Vector.record(ref, Dt)")
            interval = float(args[0])
            if not interval > 0:
                raise ValueError(f"Vector.record: the sampling interval must be > 0, got {interval}")
        self._model._add_recording(vec, self, interval)
        return vec


class TimeRef(_Ref):
    def _get(self):
        return self._model.t

    def _set(self, value):
        self._model.t = value

    def _register(self, engine, interval):
        return engine.record_time(interval)

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

    def _register(self, engine, interval):
        return engine.record_v(self._seg.sec._checked_id(), self._seg.x, interval)

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

    def _register(self, engine, interval):
        sec = self._seg.sec
        return engine.record_density(sec._checked_id(), self._seg._mech_x(), self._mech, self._var, interval)

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

    def _register(self, engine, interval):
        return engine.record_point(self._pp._id, self._var, interval)

    def __repr__(self):
        return f"data_handle<double>{{cont={self._pp._mech} {self._var}}}"
