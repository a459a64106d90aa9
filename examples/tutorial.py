#!/usr/bin/env python3
"""Scripting NEURON basics -- on rheobase.

NEURON's first Python tutorial ("Scripting NEURON basics"), written the way a NEURON user would
write it, with one change: the import. Everything else -- sections, hh, IClamp, Vector.record,
stdrun's finitialize/continuerun, units -- is NEURON's API, which rheobase provides.

In this script we:
  * create a single-compartment cell (a soma) and give it Hodgkin-Huxley channels,
  * stimulate it with a current clamp and record its membrane potential,
  * run the simulation and plot the result,
  * save the results as CSV, JSON and pickle (in a temporary folder) and load them back,
  * re-run the simulation for several stimulus amplitudes.

Run it:  python examples/tutorial.py
Figures are written as PNG files next to the data files (matplotlib is optional:
pip install 'rheobase[plot]').
"""

import os
import tempfile
from pprint import pprint

# ---------------------------------------------------------------------------------------------
# Step 1: Import the simulator
# ---------------------------------------------------------------------------------------------
# With NEURON this line reads `from neuron import n`; moving a script to rheobase means changing
# only this import (and `neuron.units` -> `rheobase.units`).
import rheobase
from rheobase import n
from rheobase.units import ms, mV

print("rheobase version:", getattr(rheobase, "__version__", "unknown"))

# NEURON's default units are ms, mV, um and mM; writing them out (-65 * mV, 40 * ms) changes
# nothing numerically but makes the script say what it means.

# ---------------------------------------------------------------------------------------------
# Step 2: Create a cell
# ---------------------------------------------------------------------------------------------
# A Section is the basic building block: an unbranched cable. One section is enough for a soma.
soma = n.Section("soma")

# Aside 1: topology() prints how all sections connect and how many segments each has (one dash
# per segment). With one section there is little to see, but it confirms the soma exists.
n.topology()

# Aside 2: psection() returns a dict describing the section -- geometry, mechanisms, ions...
pprint(soma.psection())
print("L from psection:", soma.psection()["morphology"]["L"])
# ...but single values are quicker to reach directly:
print("soma.L =", soma.L)
# The defaults (L 100 um, diam 500 um, Ra 35.4 ohm cm, celsius 6.3 degC) are those of the squid
# giant axon studied by Hodgkin and Huxley -- adjust them for mammalian cells.

# ---------------------------------------------------------------------------------------------
# Step 3: Set the cell's morphological properties
# ---------------------------------------------------------------------------------------------
soma.L = 20
soma.diam = 20

# Aside 3: dir() lists what an object offers (names with double underscores are Python's own).
print("soma offers:", [item for item in dir(soma) if not item.startswith("__")])
# `help(soma.connect)` shows a docstring; Section.connect joins sections into trees (later
# tutorials).

# ---------------------------------------------------------------------------------------------
# Step 4: Insert ion channels
# ---------------------------------------------------------------------------------------------
# Built-in density mechanisms: pas (leak), hh (Hodgkin-Huxley Na, K and leak), extracellular.
# insert() returns the section, so insertions can be chained.
soma.insert("hh")

# Aside 5: a Section is a cable divided into nseg segments; soma(x), 0 <= x <= 1, is the segment
# containing position x.
print(f"type(soma) = {type(soma)}")
print(f"type(soma(0.5)) = {type(soma(0.5))}")

# Aside 6: segment variables are section(x).var, mechanism variables section(x).mech.var
# (preferred) or section(x).var_mech.
mech = soma(0.5).hh
print("hh offers:", [item for item in dir(mech) if not item.startswith("__")])
print("gkbar:", mech.gkbar, soma(0.5).hh.gkbar, soma(0.5).gkbar_hh)

# ---------------------------------------------------------------------------------------------
# Step 5: Insert a stimulus
# ---------------------------------------------------------------------------------------------
# An IClamp is a point process -- a point source of current -- attached to one segment.
iclamp = n.IClamp(soma(0.5))
print("IClamp offers:", [item for item in dir(iclamp) if not item.startswith("__")])

iclamp.delay = 2  # ms: when the clamp switches on
iclamp.dur = 0.1  # ms: how long it stays on
iclamp.amp = 0.9  # nA
pprint(soma.psection())

# ---------------------------------------------------------------------------------------------
# Step 6: Set up recording variables
# ---------------------------------------------------------------------------------------------
# A Vector records a variable through a reference to it: `_ref_` + the variable's name.
v = n.Vector().record(soma(0.5)._ref_v)  # Membrane potential vector
t = n.Vector().record(n._ref_t)  # Time stamp vector

# ---------------------------------------------------------------------------------------------
# Step 7: Run the simulation
# ---------------------------------------------------------------------------------------------
# stdrun provides the high-level run control (continuerun, run, tstop...).
n.load_file("stdrun.hoc")
# Start at -65 mV, the resting potential of the hh channels (the only ones in this cell)...
n.finitialize(-65 * mV)
# ...and continue from t = 0 to 40 ms.
n.continuerun(40 * ms)
print(f"simulated {len(t)} time points, t = {t[0]} .. {t[len(t) - 1]} ms; "
      f"peak v = {max(v):.2f} mV")

# All output files go into a fresh temporary folder so the example never litters the cwd.
outdir = tempfile.mkdtemp(prefix="rheobase_tutorial_")
print("writing results to", outdir)

# ---------------------------------------------------------------------------------------------
# Step 8: Plot the results
# ---------------------------------------------------------------------------------------------
try:
    import matplotlib

    # In a script with no display (servers, CI) render to files. Remove this line and call
    # plt.show() instead of plt.savefig(...) to get interactive windows.
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("matplotlib not installed: skipping the figures (pip install 'rheobase[plot]')")


def save_plot(tt, vv, name):
    """Plot one v(t) trace to outdir/name."""
    if plt is None:
        return
    plt.figure()
    plt.plot(tt, vv)
    plt.xlabel("t (ms)")
    plt.ylabel("v (mV)")
    plt.savefig(os.path.join(outdir, name))
    plt.close()


save_plot(t, v, "v.png")

# ---------------------------------------------------------------------------------------------
# Step 9: Saving and loading results
# ---------------------------------------------------------------------------------------------
# CSV: plain text that spreadsheets, MATLAB, pandas... all read.
import csv

csv_path = os.path.join(outdir, "data.csv")
with open(csv_path, "w", newline="") as f:
    csv.writer(f).writerows(zip(t, v))  # more columns: zip(t, v1, v2, ...)

with open(csv_path) as f:
    reader = csv.reader(f)
    # zip(*rows) transposes the list of (t, v) rows into a t column and a v column.
    tnew, vnew = zip(*[[float(val) for val in row] for row in reader if row])
save_plot(tnew, vnew, "v_from_csv.png")

# JSON: language-independent structured data. JSON knows nothing of Vectors, so store lists.
import json

json_path = os.path.join(outdir, "data.json")
with open(json_path, "w") as f:
    json.dump({"t": list(t), "v": list(v)}, f, indent=4)  # indent only for human readers

with open(json_path) as f:
    data = json.load(f)
tnew = data["t"]
vnew = data["v"]
save_plot(tnew, vnew, "v_from_json.png")

# Pickle: Python-only, but it stores the Vector objects themselves.
import pickle

pickle_path = os.path.join(outdir, "data.p")
with open(pickle_path, "wb") as f:
    pickle.dump({"t": t, "v": v}, f)

with open(pickle_path, "rb") as f:
    data = pickle.load(f)
tnewp = data["t"]
vnewp = data["v"]
print("unpickled:", type(tnewp), tnewp.hname(), "-- JSON/CSV gave:", type(tnew))
save_plot(tnewp, vnewp, "v_from_pickle.png")

# Whichever way they travelled, the numbers came back unchanged.
assert list(vnew) == list(v) and list(vnewp) == list(v)

# ---------------------------------------------------------------------------------------------
# Step 10: Run again with different stimulus amplitudes
# ---------------------------------------------------------------------------------------------
# The model stays built; change a parameter, re-initialise and run again. The Vectors are
# re-filled by every run, so copy each trace (list(v)) before the next run overwrites it.
amps = [0.3, 0.6, 0.8, 0.9, 1.5]  # nA; this cell's threshold for a 0.1 ms pulse is ~0.81 nA
results = {}
for amp in amps:
    iclamp.amp = amp
    n.finitialize(-65 * mV)
    n.continuerun(40 * ms)
    results[amp] = list(v)
    spikes = sum(1 for a, b in zip(results[amp], results[amp][1:]) if a < 0 <= b)
    print(f"amp = {amp:.1f} nA: peak v = {max(results[amp]):7.2f} mV, {spikes} spike(s)")

with open(os.path.join(outdir, "amplitudes.json"), "w") as f:
    json.dump({"t": list(t), "v": {str(amp): vv for amp, vv in results.items()}}, f)

if plt is not None:
    plt.figure()
    for amp, vv in results.items():
        plt.plot(t, vv, label=f"{amp} nA")
    plt.xlabel("t (ms)")
    plt.ylabel("v (mV)")
    plt.legend()
    plt.savefig(os.path.join(outdir, "amplitudes.png"))
    plt.close()

print("files:", ", ".join(sorted(os.listdir(outdir))))
