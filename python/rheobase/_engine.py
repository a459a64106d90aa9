"""The engine handle every Model uses: `_core.Engine` with Rust panics turned into RuntimeError.

PyO3 turns a Rust panic into `pyo3_runtime.PanicException`, a BaseException that ordinary
`except Exception` does not catch. No panic is known to be reachable, but if one is, users get a
RuntimeError that says where it happened.
"""

from . import _core


class Engine:
    def __init__(self, raw=None):
        self._raw = _core.Engine() if raw is None else raw

    def __getattr__(self, name):
        method = getattr(self._raw, name)

        def call(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except BaseException as e:
                if type(e).__name__ != "PanicException":
                    raise
                raise RuntimeError(f"internal error in the rheobase engine during {name}(): {e}; "
                                   "the model may be inconsistent, please report this") from None

        # Cache the wrapper so the lookup happens once per method.
        self.__dict__[name] = call
        return call
