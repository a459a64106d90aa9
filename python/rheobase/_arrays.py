"""Array variables of mechanisms (NMODL's `STATE { ca[4] }`), as NEURON shows them: `seg.mech.ca[k]`,
`seg.ca_mech[k]`, `pp.ca[k]`, and the `_ref_` forms `seg._ref_ca_mech[k]`. The engine holds each element as a
variable of its own, named `ca[k]`."""

import re

_ELEMENT = re.compile(r"^(\w+)\[(\d+)\]$")


def arrays_of(names):
    """{name: length} of the array variables among a mechanism's variable names."""
    out = {}
    for name in names:
        m = _ELEMENT.match(name)
        if m:
            out[m.group(1)] = max(out.get(m.group(1), 0), int(m.group(2)) + 1)
    return out


class ElementArray:
    """One array variable at one location: `get(element)` reads element `name[k]` (a value, or a reference for the
    `_ref_` form), `set_(element, value)` writes it (None: read-only)."""

    __slots__ = ("_label", "_name", "_n", "_get", "_set")

    def __init__(self, label, name, n, get, set_=None):
        self._label, self._name, self._n, self._get, self._set = label, name, n, get, set_

    def _element(self, k):
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"{self._label}: an index must be an integer, not {type(k).__name__}")
        if not 0 <= k < self._n:
            raise IndexError(f"{self._label}[{k}]: index out of range (0 to {self._n - 1})")
        return f"{self._name}[{k}]"

    def __len__(self):
        return self._n

    def __getitem__(self, k):
        return self._get(self._element(k))

    def __setitem__(self, k, value):
        if self._set is None:
            raise TypeError(f"{self._label}: references cannot be assigned")
        self._set(self._element(k), value)

    def __iter__(self):
        return (self[k] for k in range(self._n))

    def __repr__(self):
        return repr(list(self))


def array_attribute(arrays, name, owner, ref, get, set_):
    """`owner.name` when name is an array variable among `arrays` ({name: length}) or its `_ref_` form, else None.
    `ref(element)`, `get(element)` and `set_(element, value)` reach one element."""
    refs = name.startswith("_ref_")
    base = name[len("_ref_"):] if refs else name
    if base not in arrays:
        return None
    label = f"{owner}.{name}"
    return ElementArray(label, base, arrays[base], ref) if refs else ElementArray(label, base, arrays[base], get, set_)
