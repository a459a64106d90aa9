"""rheobase: a fast simulator for neurons and networks of neurons with NEURON's Python API.

    from rheobase import n            # instead of: from neuron import n
    from rheobase.units import ms, mV

`n` (also `h`) is the default model; `rheobase.Model()` creates an independent one.
"""

from . import units
from ._model import Model
from ._section import Mechanism, Section, Segment
from .nmodl import NmodlError, compile_mod, load_mechanisms, load_mod
from .vector import Vector

__version__ = "0.1.0"

n = Model()
h = n

__all__ = ["Model", "Section", "Segment", "Mechanism", "Vector", "n", "h", "units", "__version__", "NmodlError",
           "compile_mod", "load_mod", "load_mechanisms"]
