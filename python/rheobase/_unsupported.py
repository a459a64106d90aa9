"""NEURON names rheobase knows it does not have yet, with what to do instead.

Without this, `n.IntFire1` said "'Model' object has no attribute 'NetCon' (did you mean 'Section'?)",
which reads like a typo. The message names the missing feature instead; the exception is still an
AttributeError (so `hasattr(n, "IntFire1")` stays False and scripts probing for features work).
"""

_GROUPS = [
    ("this part of events and networks is not in rheobase yet (see docs/status.md, 'Not yet'); "
     "NetCon, NetStim, ExpSyn, Exp2Syn and ParallelContext are",
     ["AlphaSynapse", "IntFire1", "IntFire2", "IntFire4", "VecStim", "PatternStim", "APCount",
      "FInitializeHandler"]),
    ("the variable time step (CVode) is not in rheobase yet; it runs NEURON's fixed step",
     ["CVode", "cvode", "cvode_active"]),
    ("3-D morphology and shape plots are not in rheobase yet; sections have L and diam only",
     ["define_shape", "PlotShape", "Shape", "pt3dadd", "pt3dclear", "x3d", "y3d", "z3d", "diam3d",
      "arc3d", "n3d"]),
    ("NEURON's InterViews GUI is not part of rheobase; plot recorded Vectors with matplotlib",
     ["Graph", "xpanel", "xbutton", "xvalue", "xlabel", "nrncontrolmenu", "nrnmainmenu", "newPlotV",
      "RangeVarPlot"]),
    ("n.SectionList/SectionRef are not in rheobase yet; use Python lists of sections "
     "(sec.wholetree(), sec.subtree(), n.allsec())",
     ["SectionList", "SectionRef"]),
    ("this point process is not in rheobase yet (IClamp is)", ["SEClamp", "VClamp", "OClamp"]),
    ("hoc code is not interpreted by rheobase; write it in Python",
     ["execute", "execute1", "hoc_ac_"]),
]

NOT_YET = {name: why for why, names in _GROUPS for name in names}


def message(name):
    """The AttributeError message for a known-missing NEURON name, or None."""
    why = NOT_YET.get(name)
    return None if why is None else f"'Model' object has no attribute '{name}': {why}"
