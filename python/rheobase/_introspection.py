"""psection() and topology(), in NEURON's formats."""

from . import _mechanisms as M


def psection(sec):
    """The dict NEURON's `sec.psection()` returns, same keys in the same order."""
    eng, sid = sec._eng, sec._id
    nseg = sec.nseg
    xs = [(i + 0.5) / nseg for i in range(nseg)]
    present = eng.mechanisms_in(sid)
    points = {}
    for pp in sec._model._points_in(sec):
        points.setdefault(pp._mech, set()).add(pp)
    density = {}
    ions = {}
    for mech in M.MECHANISMS:  # NEURON lists mechanisms in type order, not insertion order
        if mech not in present:
            continue
        values = {v: [eng.density_get(sid, x, mech, v) for x in xs] for v in M.var_names(mech)}
        if M.MECHANISMS[mech][0] == "ion":
            ions[M.ion_name(mech)] = values
        else:
            density[mech] = values
    L, Ra, _, _, parent, _ = eng.section_props(sid)
    return {
        "point_processes": points,
        "density_mechs": density,
        "ions": ions,
        "morphology": {
            "L": L,
            "diam": [eng.diam(sid, x) for x in xs],
            "pts3d": [],
            "parent": sec.parentseg(),
            "trueparent": sec.trueparentseg(),
        },
        "nseg": nseg,
        "Ra": Ra,
        "cm": [eng.cm(sid, x) for x in xs],
        "regions": set(),
        "species": set(),
        "name": sec.name(),
        "hoc_internal_name": sec.hoc_internal_name(),
        "cell": sec.cell(),
    }


def topology_text(model):
    """NEURON's topology(): roots in creation order, each followed by its subtree; children drawn
    in the reverse of `children()` order, indented under the parent node they hang from."""
    lines = [""]

    def node_column(sec, start, x):
        # Column of the parent node at x, in arc coordinates (mirrored for reversed sections).
        nseg = sec.nseg
        arc = 1.0 - x if sec.orientation() == 1.0 else x
        if arc == 0.0:
            return start - 1 if sec.parentseg() is not None else start
        if arc == 1.0:
            return start + nseg if sec.parentseg() is not None else start + nseg + 1
        i = min(int(arc * nseg), nseg - 1)
        return start + i if sec.parentseg() is not None else start + 1 + i

    def draw(sec, start):
        # start: column of the first drawn character ("|" for a root, "`" for a child).
        nseg = sec.nseg
        ends = "(1-0)" if sec.orientation() == 1.0 else "(0-1)"
        if sec.parentseg() is None:
            body = "|" + "-" * nseg + "|"
        else:
            body = "`" + "-" * (nseg - 1) + "|"
        lines.append(" " * start + body + "       " + sec.name() + ends)
        for child in reversed(sec.children()):
            px = child.parentseg().x
            draw(child, node_column(sec, start, px) + 1)

    for sec in model.allsec():
        if sec.parentseg() is None:
            draw(sec, 0)
    lines.append("")
    return "\n".join(lines) + "\n"
