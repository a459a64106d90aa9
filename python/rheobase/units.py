"""Physical unit constants, compatible with NEURON's ``neuron.units``.

Every name is the size of one unit expressed in NEURON's base units, so
multiplying a number by a unit converts it into what the simulator expects::

    from rheobase.units import ms, mV, um
    n.finitialize(-65 * mV)
    n.continuerun(2 * s)       # 2000.0 ms

Base units (value exactly 1): time ms, voltage mV, length µm, concentration mM.

The names, values and value types (int or float) match NEURON 9.0.2 exactly,
because scripts sometimes print or compare them.  The micro prefix is spelled
both ``u`` (ASCII) and ``μ`` (Greek mu, U+03BC).  Python normalises identifiers
(NFKC), so source code typing the micro sign µ (U+00B5), e.g. ``units.µm``,
reaches the same names.
"""

# --- concentration (base: millimolar, mM) -------------------------------
mM = 1  # millimolar
μM = 0.001  # micromolar = 1e-3 mM
uM = 0.001  # ASCII spelling of μM
nM = 1e-06  # nanomolar = 1e-6 mM
M = 1000.0  # molar = 1000 mM

# --- time (base: millisecond, ms) -----------------------------------------
ms = 1  # millisecond
μs = 0.001  # microsecond = 1e-3 ms
us = 0.001  # ASCII spelling of μs
s = 1000.0  # second = 1000 ms
sec = 1000.0  # second, long spelling
minute = 60000.0  # 60 s in ms
hour = 3600000.0  # 60 minutes in ms
day = 86400000.0  # 24 hours in ms

# --- voltage (base: millivolt, mV) ----------------------------------------
mV = 1  # millivolt
μV = 0.001  # microvolt = 1e-3 mV
uV = 0.001  # ASCII spelling of μV
V = 1000.0  # volt = 1000 mV

# --- length (base: micrometre, µm) ----------------------------------------
μm = 1  # micrometre
um = 1  # ASCII spelling of μm
nm = 0.001  # nanometre = 1e-3 µm
mm = 1000  # millimetre = 1000 µm (an int in NEURON)
cm = 10000  # centimetre = 1e4 µm (an int in NEURON)
m = 1000000  # metre = 1e6 µm (an int in NEURON)
