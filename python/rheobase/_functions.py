"""FUNCTIONs and PROCEDUREs of built-in mechanisms callable from Python (`seg.hh.rates(v)`)."""

import math

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
