"""`n.distance`: path length along the tree between two locations, as NEURON computes it.

NEURON (src/nrnoc/solve.cpp, `distance` and `topol_distance`) measures between *nodes*, not
between the exact x values: a location strictly inside a section stands for the centre of its
segment, x = 0 and x = 1 for the section's ends (after the orientation flip when the section is
attached by its 1 end). So with nseg = 5, `n.distance(dend(0), dend(0.3))` is 0.3 * L only by
accident of 0.3 being a segment centre; `dend(0.31)` gives the same answer. Locations on
unconnected trees are 1e20 apart.

Forms (all of NEURON 9's):
    n.distance(seg1, seg2)                  distance between two segments (no origin involved)
    n.distance(sec=sec)                     origin := sec(0); returns 0
    n.distance(0, seg) / n.distance(0, x, sec=sec)   origin := that location; returns its x
    n.distance(seg) / n.distance(x, sec=sec)         distance from the origin
    n.distance(1, seg) / n.distance(1, x, sec=sec)   same
The origin belongs to the Model (NEURON has one per process) and is kept as (section, x), so it
follows later nseg changes; it becomes invalid when its section is deleted. (NEURON keeps the
origin's Node pointer instead, which after an nseg change denotes whatever node took its place:
a deliberate difference.)
"""

import weakref

from ._section import Section, Segment, _number

NO_PATH = 1e20  # NEURON's answer when no continuous path exists


def _node_position(sec, x):
    """Distance (µm) from sec's connecting end to the node location x lands on (node_exact +
    node_dist in NEURON)."""
    L = sec.L
    nseg = sec.nseg
    reversed_ = sec.orientation() == 1.0
    if x <= 0.0 or x >= 1.0:
        x = 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
        if reversed_:
            x = 1.0 - x
        return 0.0 if x == 0.0 else L
    i = int(nseg * x)  # NEURON's node_index
    if i == nseg:
        i = nseg - 1
    if reversed_:
        i = nseg - i - 1
    return L * ((i + 0.5) / nseg)


def _path_to_root(sec, x):
    """[(section, position of the path's node in it)] from (sec, x) up to the root section."""
    path = [(sec, _node_position(sec, x))]
    while (parent := sec.parentseg()) is not None:
        sec = parent.sec
        path.append((sec, _node_position(sec, parent.x)))
    return path


def path_distance(loc1, loc2):
    """Path length (µm) between two (section, x) locations, NEURON's topol_distance."""
    path1 = _path_to_root(*loc1)
    path2 = _path_to_root(*loc2)
    index2 = {sec: i for i, (sec, _) in enumerate(path2)}
    for i, (sec, pos1) in enumerate(path1):
        j = index2.get(sec)
        if j is not None:  # first common section: climb both to it, then along it
            d = sum(p for _, p in path1[:i]) + sum(p for _, p in path2[:j])
            return d + abs(pos1 - path2[j][1])
    return NO_PATH


def _location(model, arg, sec, what):
    """A segment, or x on sec= (or the default section), as (section, x)."""
    if isinstance(arg, Segment):
        seg_sec = arg.sec
        if seg_sec._model is not model:
            raise ValueError(f"distance: {arg} belongs to another Model")
        seg_sec._checked_id()
        return seg_sec, arg.x
    if isinstance(arg, Section):
        raise TypeError(f"distance: {what} must be a segment like {arg}(0.5) or a number x, not a Section")
    x = _number(f"distance {what}", arg)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"distance: x must be in 0 <= x <= 1, got {x}")
    if sec is None:
        sec = model._default_section()
    elif not isinstance(sec, Section):
        raise TypeError(f"distance: sec= must be a Section, not {type(sec).__name__}")
    sec._checked_id()
    return sec, x


def distance(model, *args, sec=None):
    if len(args) > 2:
        raise TypeError(f"distance() takes at most 2 positional arguments ({len(args)} given)")
    if len(args) == 2:
        loc = _location(model, args[1], sec, "location")
        first = args[0]
        if isinstance(first, Segment):  # n.distance(seg1, seg2)
            return path_distance(_location(model, first, None, "first segment"), loc)
        if isinstance(first, bool) or not isinstance(first, (int, float)):
            raise TypeError("distance: the first of two arguments must be a segment, 0 (set the origin) "
                            f"or 1 (measure), not {type(first).__name__}")
        if not 0 <= first <= 1:
            raise ValueError(f"distance: the mode argument must be 0 or 1, got {first}")
        mode = int(first)  # as NEURON's (int) chkarg(1, 0., 1.)
    elif len(args) == 1:
        loc, mode = _location(model, args[0], sec, "location"), 1
    else:
        loc, mode = _location(model, 0.0, sec, "location"), 0
    if mode == 0:
        object.__setattr__(model, "_distance_origin", (weakref.ref(loc[0]), loc[1]))
        return loc[1]
    origin = getattr(model, "_distance_origin", None)
    origin_sec = origin[0]() if origin is not None else None
    if origin_sec is None or not origin_sec._alive():
        raise RuntimeError("Distance origin not valid. Need to initialize origin with distance() "
                           "(n.distance(sec=...) or n.distance(0, seg)), or use n.distance(seg1, seg2)")
    return path_distance((origin_sec, origin[1]), loc)
