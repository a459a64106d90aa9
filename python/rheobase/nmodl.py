"""NMODL mechanisms at run time: `rheobase.load_mod(path)`, `rheobase.compile_mod(source)`,
`rheobase.load_mechanisms(folder)` (also `n.load_mechanisms` and `n.nrn_load_dll` on a folder).

A source is parsed, analysed, lowered to rheobase's kernel IR and registered as a mechanism; then
`sec.insert(name)` and range/global access work as for a built-in. Loading a name again replaces
the mechanism for sections that insert it afterwards. Errors raise `NmodlError` (a SyntaxError)
with file, line, column, the source line and a caret; valid NMODL that rheobase does not implement
yet raises NotImplementedError naming the construct and its position.
"""

import os
import warnings

from . import _core
from . import _mechanisms as M


class NmodlError(SyntaxError):
    """An error in an NMODL source (syntax, or a name NEURON would reject). `filename`, `lineno`,
    `offset` (column, 1-based) and `text` (the source line) follow SyntaxError; `errors` holds every
    error found as (file, line, column, message) and `str()` renders them with carets."""

    def __init__(self, errors):
        file, line, column, message, source_line = errors[0][:5]
        super().__init__(message, (file or "<string>", line, column, source_line))
        self.errors = [(e[0], e[1], e[2], e[3]) for e in errors]
        self._report = "\n".join(e[5] for e in errors)

    def __str__(self):
        return self._report


# Names of the mechanisms loaded from NMODL in this process, in load order.
_LOADED = []


def loaded_mechanisms():
    """The mechanisms loaded from NMODL so far (each name once, in the order first loaded)."""
    return list(_LOADED)


class NmodlWarning(UserWarning):
    """Something NEURON tolerates or does differently (reported with file and line)."""


def _source(source):
    if not isinstance(source, str):
        raise TypeError(f"NMODL source must be a str, got {type(source).__name__}")
    return source


# The mechanisms rheobase has built in (as NEURON refuses a second definition of a name, a .mod file
# of one of these is not loaded unless asked: ModelDB folders often ship vecevent.mod or netstim.mod).
_BUILTIN = frozenset(name for name, *_ in _core.mechanism_list())


def _compile(source, file, jit=True, replace_builtin=False):
    kind, name = check(source, file)
    if name in _BUILTIN and not replace_builtin:
        warnings.warn(f"{file or '<string>'}: {name} is built into rheobase, which keeps its own definition "
                      "(pass replace_builtin=True to load this one instead)", NmodlWarning, stacklevel=3)
        return name
    name, warns, errors = _core.nmodl_load(_source(source), file, bool(jit))
    if errors:
        real = [e for e in errors if not e[6]]
        if real:
            raise NmodlError(real)
        raise NotImplementedError("\n".join(e[5] for e in errors))
    for w in warns:
        warnings.warn(w[5], NmodlWarning, stacklevel=3)
    M.refresh()
    from ._functions import forget_function_tables

    forget_function_tables(name)  # a new definition starts with its own tables
    if name in _LOADED:
        # Loaded again: sections and point processes that use it move to the new definition.
        from ._model import live_models

        for model in live_models():
            model._engine.follow_replacements()
    else:
        _LOADED.append(name)
    return name


def compile_mod(source, file=None, jit=True, replace_builtin=False):
    """Compiles NMODL source text into a mechanism and registers it; returns its name. With
    `jit=False` its kernels run on rheobase's interpreter instead of native code (the interpreter
    is the reference the JIT is tested against). A file that defines a built-in mechanism (hh,
    ExpSyn, NetStim, VecStim, ...) is skipped with a warning unless `replace_builtin=True`."""
    return _compile(source, file, jit, replace_builtin)


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def load_mod(path, jit=True, replace_builtin=False):
    """Loads one .mod file; returns the mechanism's name (see compile_mod)."""
    path = os.fspath(path)
    return _compile(_read(path), path, jit, replace_builtin)


def load_mechanisms(folder):
    """Loads every .mod file of a folder (in name order); returns their mechanism names."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"load_mechanisms: no folder {folder!r}")
    files = sorted(f for f in os.listdir(folder) if f.endswith(".mod"))
    if not files:
        raise FileNotFoundError(f"load_mechanisms: no .mod file in {folder!r}")
    return [load_mod(os.path.join(folder, f)) for f in files]


def check(source, file=None):
    """Parses and analyses a source without compiling it: ('SUFFIX' | 'POINT_PROCESS' |
    'ARTIFICIAL_CELL', name); raises NmodlError."""
    declared, errors = _core.nmodl_check(_source(source), file)
    if errors:
        raise NmodlError(errors)
    return declared
