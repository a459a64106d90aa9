"""NMODL mechanisms: `rheobase.load_mod(path)`, `rheobase.compile_mod(source)`,
`rheobase.load_mechanisms(folder)`.

The NMODL front end is in: a source is parsed and analysed (declarations, NEURON's RANGE and
GLOBAL rule, every name resolved), and an error raises `NmodlError` (a SyntaxError) with file,
line, column, the source line and a caret. Compiling a parsed
mechanism into a kernel is the next part of the NMODL work: until then these functions raise
NotImplementedError after checking the syntax, naming the mechanism they found.
"""

import os

from . import _core


class NmodlError(SyntaxError):
    """An error in an NMODL source (syntax, or a name NEURON would reject). `filename`, `lineno`, `offset` (column, 1-based) and
    `text` (the source line) follow SyntaxError; `errors` holds every error found as
    (file, line, column, message) and `str()` renders them with carets."""

    def __init__(self, errors):
        file, line, column, message, source_line, _ = errors[0]
        super().__init__(message, (file or "<string>", line, column, source_line))
        self.errors = [(e[0], e[1], e[2], e[3]) for e in errors]
        self._report = "\n".join(e[5] for e in errors)

    def __str__(self):
        return self._report


def _check(source, file):
    """The (kind, name) an NMODL source declares; raises NmodlError on an error."""
    if not isinstance(source, str):
        raise TypeError(f"NMODL source must be a str, got {type(source).__name__}")
    declared, errors = _core.nmodl_check(source, file)
    if errors:
        raise NmodlError(errors)
    return declared


def _not_compiled(declared, where):
    kind, name = declared
    raise NotImplementedError(f"{where}: the NMODL source is valid ({kind} {name}), but rheobase does not "
                              "compile NMODL mechanisms yet (the JIT is the next part of that work); the "
                              "built-in mechanisms are pas, hh, IClamp, ExpSyn, Exp2Syn, NetStim, ...")


def compile_mod(source, file=None):
    """Compile NMODL source text into a mechanism; returns its name (not available yet)."""
    _not_compiled(_check(source, file), file or "compile_mod")


def load_mod(path):
    """Load one .mod file (not available yet beyond checking it)."""
    path = os.fspath(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        source = f.read()
    _not_compiled(_check(source, path), path)


def load_mechanisms(folder):
    """Load every .mod file of a folder (not available yet beyond checking them)."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"load_mechanisms: no folder {folder!r}")
    files = sorted(f for f in os.listdir(folder) if f.endswith(".mod"))
    if not files:
        raise FileNotFoundError(f"load_mechanisms: no .mod file in {folder!r}")
    declared = []
    for name in files:
        path = os.path.join(folder, name)
        with open(path, encoding="utf-8", errors="replace") as f:
            declared.append(_check(f.read(), path))
    names = ", ".join(f"{kind} {name}" for kind, name in declared)
    raise NotImplementedError(f"load_mechanisms({folder!r}): {len(files)} valid files ({names}), "
                              "but rheobase does not compile NMODL mechanisms yet")
