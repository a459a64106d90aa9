"""NEURON names rheobase knows it does not have yet, with what to do instead.

Without this, `n.SectionList` said "'Model' object has no attribute 'SectionList' (did you mean ...?)",
which reads like a typo. The message names the missing feature instead; the exception is still an
AttributeError (so `hasattr(n, "SectionList")` stays False and scripts probing for features work).
"""

_GROUPS = [
    ("3-D morphology and shape plots are not in rheobase yet; sections have L and diam only",
     ["define_shape", "PlotShape", "Shape", "pt3dadd", "pt3dclear", "x3d", "y3d", "z3d", "diam3d",
      "arc3d", "n3d"]),
    ("NEURON's InterViews GUI is not part of rheobase; plot recorded Vectors with matplotlib",
     ["Graph", "xpanel", "xbutton", "xvalue", "xlabel", "nrncontrolmenu", "nrnmainmenu", "newPlotV",
      "RangeVarPlot"]),
    ("n.SectionList/SectionRef are not in rheobase yet; use Python lists of sections "
     "(sec.wholetree(), sec.subtree(), n.allsec())",
     ["SectionList", "SectionRef"]),
    ("this point process is not in rheobase yet", ["OClamp"]),
    ("hoc code is not interpreted by rheobase; write it in Python",
     ["execute", "execute1", "hoc_ac_"]),
]

NOT_YET = {name: why for why, names in _GROUPS for name in names}


def message(name):
    """The AttributeError message for a known-missing NEURON name, or None."""
    why = NOT_YET.get(name)
    return None if why is None else f"'Model' object has no attribute '{name}': {why}"
