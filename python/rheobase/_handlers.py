"""Python callbacks around a run: `n.FInitializeHandler` and `n.CVode().event(t, callable)`.

NEURON's timing for the fixed step (measured with NEURON 9.0.2):
* FInitializeHandler type 3 runs first (t and states still from before), type 0 after t = 0,
  the plays at t = 0 and v = v_init, type 1 (the default) after the INITIAL blocks, type 2
  after the t = 0 record; handlers of one type run in creation order.
* `cvode.event(te, f)` calls f once the run has reached te: after the first step whose end time
  is te or later (to rounding), with `t` at that step's end; an event at a time already past is
  dropped, and finitialize drops pending ones (handlers may add new ones).
"""

import heapq
import itertools
import weakref

# A step "reaches" te when its end time is within this of te (ms): absorbs the rounding of t
# accumulated in half steps (NEURON's t after 40 steps of 0.025 is 0.9999999999999984).
_REACH_MS = 1e-9


class Handlers:
    """Per-Model registry of FInitializeHandlers and pending CVode events."""

    def __init__(self):
        self._init = []  # (type, serial, weakref(handler))
        self._events = []  # heap of (te, serial, callable)
        self._serial = itertools.count()

    # ---------------------------------------------------------------- FInitializeHandler
    def add_init(self, handler):
        self._init.append((handler.type, next(self._serial), weakref.ref(handler)))

    def run_init(self, kind):
        for type_, _, ref in sorted(self._init, key=lambda h: h[:2]):
            handler = ref()
            if handler is not None and type_ == kind:
                handler._callable()
        self._init = [h for h in self._init if h[2]() is not None]

    def has_init(self):
        return any(ref() is not None for _, _, ref in self._init)

    # ---------------------------------------------------------------- CVode.event
    def add_event(self, te, fn, now):
        if te < now:
            return  # NEURON drops events in the past
        heapq.heappush(self._events, (te, next(self._serial), fn))

    def clear_events(self):
        self._events.clear()

    def next_event(self):
        """The earliest pending event time (ms), or None."""
        return self._events[0][0] if self._events else None

    def run_due(self, t):
        """Calls every event the run has reached at time t, earliest first."""
        while self._events and self._events[0][0] - _REACH_MS <= t:
            _, _, fn = heapq.heappop(self._events)
            if fn is not None:
                fn()


class FInitializeHandler:
    """`n.FInitializeHandler([type, ] callable)`: calls `callable()` during every finitialize of
    the Model while this object lives. type 0: after v is set, before INITIAL; 1 (default):
    after INITIAL; 2: after the t = 0 record; 3: at the very start."""

    def __init__(self, model, *args):
        if len(args) == 1:
            kind, fn = 1, args[0]
        elif len(args) == 2:
            kind, fn = args
        else:
            raise TypeError("FInitializeHandler([type, ] callable) takes one or two arguments")
        if isinstance(kind, bool) or not isinstance(kind, (int, float)) or kind not in (0, 1, 2, 3):
            raise ValueError(f"FInitializeHandler type must be 0, 1, 2 or 3, got {kind!r}")
        if isinstance(fn, str):
            raise TypeError("FInitializeHandler: rheobase does not run hoc statements; pass a Python callable")
        if not callable(fn):
            raise TypeError(f"FInitializeHandler: expected a callable, got {type(fn).__name__}")
        self.type = int(kind)
        self._callable = fn
        model._handlers.add_init(self)

    def __repr__(self):
        return "FInitializeHandler[0]"


class CVode:
    """`n.CVode()` / `n.cvode`: rheobase integrates with NEURON's fixed step; the variable step
    method is not available. `event(t, callable)` schedules a Python callback."""

    def __init__(self, model):
        self._model = model
        self._cache_efficient = 0

    def active(self, on=None):
        """0: the fixed step is used. Asking for the variable step raises NotImplementedError."""
        if on:
            raise NotImplementedError("rheobase does not have the variable time step (CVode) yet; "
                                      "it integrates with NEURON's fixed step")
        return 0.0

    def event(self, t, fn=None):
        """Call fn() once the run reaches time t (ms); without fn only marks the time."""
        from ._section import _number

        if isinstance(fn, str):
            raise TypeError("CVode.event: rheobase does not run hoc statements; pass a Python callable")
        if fn is not None and not callable(fn):
            raise TypeError(f"CVode.event: expected a callable, got {type(fn).__name__}")
        self._model._handlers.add_event(_number("CVode.event time", t), fn, self._model.t)
        return 0.0

    def cache_efficient(self, on=None):
        """Accepted for compatibility: rheobase's memory layout is always cache efficient."""
        if on is not None:
            self._cache_efficient = int(bool(on))
        return float(self._cache_efficient)

    def __repr__(self):
        return "CVode[0]"
