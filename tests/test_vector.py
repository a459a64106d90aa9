"""rheobase.vector.Vector against NEURON 9.0.2's Vector.

Most tests run the same expression on ``neuron.n.Vector`` and on ours and
compare: the result (value and type, or "returns itself"), the Vector's
contents afterwards, and whether an error was raised.  The rest check what
only rheobase promises (safe numpy views, pickling, clear exceptions).

Run with: PYTHONPATH=python python -m pytest tests/test_vector.py
"""

import copy
import gc
import importlib.util
import pathlib
import pickle
import sys
import weakref

import numpy as np
import pytest

try:
    from rheobase import vector as vector_module
except ImportError:
    # rheobase/__init__.py may import the compiled extension, which may not be
    # built yet; vector.py is pure Python, so load the file directly.  It is
    # registered in sys.modules so that pickle can find _rebuild_vector.
    _path = pathlib.Path(__file__).resolve().parents[1] / "python" / "rheobase" / "vector.py"
    _spec = importlib.util.spec_from_file_location("rheobase_vector_standalone", _path)
    vector_module = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = vector_module
    _spec.loader.exec_module(vector_module)

Vector = vector_module.Vector


@pytest.fixture
def NV():
    """NEURON's Vector class (the test is skipped without NEURON)."""
    neuron = pytest.importorskip("neuron")
    return neuron.n.Vector


def is_vector(obj):
    return hasattr(obj, "hname") and callable(obj.hname) and obj.hname().startswith("Vector[")


def plain(values):
    """List of floats with NaN replaced by "nan" so that lists compare equal."""
    return ["nan" if x != x else x for x in values]


def outcome(V, init, expr):
    """Evaluate expr with v = V(*init).  Returns a comparable summary:
    ("self", contents) if it returned v itself, ("vector", contents) for a
    new Vector, (type name, value) otherwise, plus the contents of v
    afterwards; or just ("error",) if it raised (NEURON sometimes leaves the
    Vector half-modified on error, ours leaves it untouched, so contents after
    an error are not compared)."""
    try:
        v = V(*init)
        r = eval(expr, {"V": V, "np": np}, {"v": v})
    except Exception:
        return ("error",)
    if is_vector(r):
        # hoc objects compare by identity with ==, and so do ours.
        return ("self" if r == v else "vector", plain(r)), plain(v)
    if isinstance(r, np.ndarray):
        return ("ndarray", plain(r.tolist())), plain(v)
    if isinstance(r, float) and r != r:
        r = "nan"
    return (type(r).__name__, r), plain(v)


def assert_same(NV, init, expr):
    theirs = outcome(NV, init, expr)
    ours = outcome(Vector, init, expr)
    assert ours == theirs, f"{expr} on {init}: NEURON {theirs}, rheobase {ours}"


def compare(NV, cases):
    for init, expr in cases:
        assert_same(NV, init, expr)


A = ([3, 1, 4, 1, 5],)  # a small Vector with a repeated minimum
E = ()  # the empty Vector


# ----------------------------------------------------------------------------
# construction, size, naming
# ----------------------------------------------------------------------------
def test_constructors(NV):
    compare(NV, [
        ((), "v"),
        ((3,), "v"),
        ((3, 2.5), "v"),
        ((2.7,), "v"),
        ((True,), "v"),
        ((np.int64(3),), "v"),
        ((np.float64(3),), "v"),
        (([1, 2, 3],), "v"),
        (((1, 2, 3),), "v"),
        ((range(4),), "v"),
        ((np.arange(3),), "v"),
        ((np.arange(3.0),), "v"),
        (([True, 2],), "v"),
        (([],), "v"),
        ((0,), "v"),
        ((-1,), "v"),
    ])
    for V in (NV, Vector):
        assert list(V(x * x for x in range(3))) == [0, 1, 4]  # generators too


def test_constructor_errors():
    with pytest.raises(ValueError, match="Vector"):
        Vector(-1)
    with pytest.raises(TypeError, match="Vector"):
        Vector("abc")
    with pytest.raises(TypeError, match="item 1"):
        Vector([1, "a"])
    with pytest.raises(ValueError, match="1-D"):
        Vector(np.zeros((2, 2)))
    with pytest.raises(TypeError):
        Vector(3, "x")
    with pytest.raises(TypeError):
        Vector(1, 2, 3)
    with pytest.raises(TypeError):
        Vector(object())


def test_size_len_resize(NV):
    compare(NV, [
        (A, "v.size()"),
        (A, "len(v)"),
        (E, "v.size()"),
        (A, "v.resize(7)"),
        (A, "v.resize(2)"),
        (A, "v.resize(0)"),
        (A, "v.resize(2.9)"),
        (A, "v.resize(-1)"),
        (A, "(v.resize(1), v.resize(3))[1]"),  # regrown elements are 0, not stale
        (A, "v.clear()"),
        (A, "bool(v)"),
        (E, "bool(v)"),
        ((3,), "v.buffer_size()"),
        ((3,), "v.buffer_size(100)"),
        ((3,), "(v.buffer_size(100), v.buffer_size())[1]"),
        ((3,), "v.buffer_size(1)"),
        ((3,), "(v.resize(0), v.buffer_size())[1]"),
    ])


def test_names_and_repr(NV):
    # Both number Vectors with a class-wide counter: consecutive objects get
    # consecutive numbers, and repr/str/hname agree.
    for V in (NV, Vector):
        a, b = V(), V()
        ia, ib = (int(x.hname()[7:-1]) for x in (a, b))
        assert ib == ia + 1
        assert repr(a) == str(a) == a.hname() == f"Vector[{ia}]"
        assert repr(a.x) == f"Vector[{ia}].x[?]"


def test_numbering_restarts_when_none_alive():
    gc.collect()
    if vector_module._naming["alive"] != 0:
        pytest.skip("another test still holds a Vector")
    a, b = Vector(), Vector()
    assert (repr(a), repr(b)) == ("Vector[0]", "Vector[1]")
    del a
    assert repr(Vector()) == "Vector[2]"  # freed numbers are not reused ...
    del b
    gc.collect()
    assert repr(Vector()) == "Vector[0]"  # ... until every Vector is gone


def test_failed_construction_does_not_count():
    gc.collect()
    alive = vector_module._naming["alive"]
    with pytest.raises(ValueError):
        Vector(-5)
    gc.collect()
    assert vector_module._naming["alive"] == alive


def test_dir_lists_only_neuron_methods(NV):
    ours = [name for name in dir(Vector()) if not name.startswith("__")]
    theirs = [name for name in dir(NV()) if not name.startswith("__")]
    assert ours, "dir() is empty"
    assert not [name for name in ours if name not in theirs]
    for required in ("x", "size", "resize", "append", "as_numpy", "record", "play",
                     "to_python", "from_python", "indgen", "where", "deriv", "hname"):
        assert required in ours


def test_no_arbitrary_attributes(NV):
    for V in (NV, Vector):
        with pytest.raises(AttributeError):
            V().foo = 1


# ----------------------------------------------------------------------------
# element access
# ----------------------------------------------------------------------------
def test_indexing(NV):
    compare(NV, [
        (A, "v[0]"), (A, "v[-1]"), (A, "v[-5]"), (A, "v[5]"), (A, "v[-6]"),
        (A, "v[np.int64(1)]"), (A, "v[True]"),
        (A, "v[1:3]"), (A, "v[::2]"), (A, "v[::-1]"), (A, "v[-2:]"), (A, "v[5:10]"),
    ])


def test_item_and_slice_assignment(NV):
    compare(NV, [
        (A, "v.__setitem__(0, 10)"),
        (A, "v.__setitem__(-1, 30)"),
        (A, "v.__setitem__(5, 1)"),
        (A, "v.__setitem__(slice(0, 2), [7, 8])"),
        (A, "v.__setitem__(slice(0, 2), V([7, 8]))"),
        (A, "v.__setitem__(slice(0, 5, 2), [7, 8, 9])"),
        (A, "v.__setitem__(slice(None), np.arange(5))"),
        (A, "v.__setitem__(slice(0, 2), 5)"),
    ])
    # Slices are copies, not views.
    for V in (NV, Vector):
        v = V([1, 2, 3])
        s = v[0:2]
        s[0] = 9
        assert list(v) == [1, 2, 3]


def test_item_assignment_errors():
    v = Vector([1, 2, 3])
    with pytest.raises(IndexError):
        v[3] = 1
    with pytest.raises(TypeError):
        v[0] = "a"
    with pytest.raises(IndexError, match="slice"):
        v[0:2] = [1]
    with pytest.raises(TypeError, match="iterable"):
        v[0:2] = 5
    with pytest.raises(TypeError, match="integers"):
        v[1.5]  # NEURON: SystemError
    with pytest.raises(TypeError, match="integers"):
        v["a"]
    # Errors leave the Vector untouched (NEURON assigns v[0] = 1 before
    # noticing that the iterable is too short, and from_python resizes first).
    with pytest.raises(IndexError):
        v[0:2] = [9]
    with pytest.raises(TypeError):
        v.from_python([1, "a"])
    assert list(v) == [1, 2, 3]


def test_x_property(NV):
    compare(NV, [
        (A, "v.x[1]"), (A, "v.x[-1]"), (A, "v.x[10]"), (A, "v.x[True]"),
        (A, "len(v.x)"), (A, "list(v.x)"),
        (A, "v.x.__setitem__(0, 10)"),
        (A, "v.x.__setitem__(5, 10)"),
    ])
    for V in (NV, Vector):
        v = V([1, 2, 3])
        v.x[1] = 20
        xs = v.x
        v.resize(4)
        assert len(xs) == 4  # follows the Vector, not a snapshot
        assert list(v) == [1, 20, 3, 0]
        with pytest.raises(TypeError):
            v.x = 5
        with pytest.raises(TypeError):
            v.x[0:1]


def test_iteration_and_python_builtins(NV):
    compare(NV, [
        (A, "list(v)"), (A, "[x for x in v]"), (A, "sum(v)"), (A, "max(v)"),
        (A, "sorted(v)"), (A, "list(reversed(v))"), (A, "4 in v"), (A, "7 in v"),
        (A, "v == v"), (A, "v == V([3, 1, 4, 1, 5])"), (A, "v != v"),
    ])


def test_get_set(NV):
    compare(NV, [
        (A, "v.get(1)"), (A, "v.get(1.7)"), (A, "v.get(5)"), (A, "v.get(-1)"),
        (A, "v.set(1, 9)"), (A, "v.set(5, 9)"), (A, "v.set(-1, 9)"),
    ])


# ----------------------------------------------------------------------------
# growing and shrinking
# ----------------------------------------------------------------------------
def test_append_insrt_remove(NV):
    compare(NV, [
        (A, "v.append(4)"),
        (A, "v.append(4, 5)"),
        (A, "v.append(V([4, 5]), 6)"),
        (A, "v.append()"),
        (A, "v.insrt(1, 9)"),
        (A, "v.insrt(0, 9, 8)"),
        (A, "v.insrt(5, 9)"),
        (A, "v.insrt(6, 9)"),
        (A, "v.insrt(-1, 9)"),
        (A, "v.insrt(1, V([7, 8]))"),
        (A, "v.insrt(1, V([7]), 8)"),
        (A, "v.remove(1)"),
        (A, "v.remove(1, 3)"),
        (A, "v.remove(3, 1)"),
        (A, "v.remove(5)"),
        (A, "v.remove(-1)"),
    ])


def test_append_extensions():
    # NEURON's append only takes numbers and Vectors; ours also takes iterables
    # and appending a Vector to itself just works.
    v = Vector([1, 2])
    assert v.append([3, 4], (5,), np.array([6.0]), range(7, 8)) is v
    assert list(v) == [1, 2, 3, 4, 5, 6, 7]
    v.append(v)
    assert list(v) == [1, 2, 3, 4, 5, 6, 7] * 2
    with pytest.raises(TypeError, match="append"):
        v.append("a")
    with pytest.raises(TypeError, match="append"):
        v.append(None)


def test_growth_is_amortised():
    v = Vector()
    capacities = set()
    for i in range(10000):
        v.append(i)
        capacities.add(v.buffer_size())
    assert list(v) == list(range(10000))
    assert len(capacities) < 20  # doubling: ~log2(10000) reallocations


# ----------------------------------------------------------------------------
# conversions
# ----------------------------------------------------------------------------
def test_to_from_python(NV):
    compare(NV, [
        (A, "v.to_python()"),
        (A, "v.to_python([0, 0, 0, 0, 0])"),
        (A, "v.to_python([])"),
        (A, "v.to_python(np.zeros(5))"),
        (A, "v.to_python(np.zeros(2))"),
        (A, "v.from_python([4, 5])"),
        (A, "v.from_python((4, 5))"),
        (A, "v.from_python(np.array([4, 5]))"),
        (A, "v.from_python(range(2))"),
        (A, "v.from_python(5)"),
    ])
    for V in (NV, Vector):
        out = V([1, 2]).to_python()
        assert all(type(x) is float for x in out)


def test_numpy_interop(NV):
    for V in (NV, Vector):
        v = V([1, 2, 3])
        a = v.as_numpy()
        assert isinstance(a, np.ndarray) and a.dtype == np.float64
        a[0] = 99  # writes through
        assert list(v) == [99, 2, 3]
        v[1] = 7  # and back
        assert a[1] == 7
        arr = np.array(v)
        assert arr.tolist() == [99, 7, 3] and arr.dtype == np.float64
        arr[0] = 0
        assert v[0] == 99  # np.array copies
        assert np.asarray(v).tolist() == [99, 7, 3]
        assert np.shares_memory(np.asarray(v), v.as_numpy())  # np.asarray does not
        assert np.asarray(v, dtype=np.float32).dtype == np.float32
        assert np.sqrt(V([4, 9])).tolist() == [2, 3]


def test_array_protocol_signatures():
    v = Vector([1, 2])
    assert v.__array__().tolist() == [1, 2]  # numpy 1 style
    assert v.__array__(np.float32).dtype == np.float32
    assert np.shares_memory(v.__array__(copy=False), v.as_numpy())
    assert not np.shares_memory(v.__array__(copy=True), v.as_numpy())
    with pytest.raises(ValueError):
        v.__array__(np.float32, copy=False)


def test_as_numpy_view_outlives_vector():
    v = Vector([1.5, 2.5, 3.5])
    a = v.as_numpy()
    ref = weakref.ref(v)
    del v
    gc.collect()
    assert ref() is None
    # The view keeps the buffer alive: reading and writing are safe.
    assert a.tolist() == [1.5, 2.5, 3.5]
    a[0] = 4.0
    junk = [np.full(1000, 7.0) for _ in range(100)]  # reuse freed memory, if any
    assert a.tolist() == [4.0, 2.5, 3.5]
    del junk


def test_as_numpy_view_survives_reallocation():
    v = Vector([1.0, 2.0])
    a = v.as_numpy()
    for i in range(1000):
        v.append(i)  # many reallocations
    v.resize(0)
    gc.collect()
    assert a.tolist() == [1.0, 2.0]  # old (stale but valid) buffer
    assert v.as_numpy().tolist() == []


# ----------------------------------------------------------------------------
# statistics
# ----------------------------------------------------------------------------
def test_statistics(NV):
    exprs = ["v.max()", "v.min()", "v.max_ind()", "v.min_ind()", "v.sum()", "v.sumsq()",
             "v.mean()", "v.var()", "v.stdev()", "v.stderr()", "v.median()", "v.mag()"]
    for init in (A, ([3, 1, 4, 1],), ([2.5],), ([10, 20, 30, 40, 50],)):
        compare(NV, [(init, e) for e in exprs])


def test_statistics_ranges(NV):
    cases = []
    for e in ("max", "min", "max_ind", "min_ind", "sum", "sumsq", "var", "stdev", "stderr"):
        for args in ("1, 2", "0, 4", "2, 2", "3, 3", "1", "2, 10", "3, 1", "-1, 2", "1.5, 2.5",
                     "0.5, 2"):
            cases.append((A, f"v.{e}({args})"))
    compare(NV, cases)


def test_mean_of_range_is_correct_not_neurons_bug(NV):
    # NEURON 9.0.2 computes sum / end - start + 1 for mean(start, end): mean(1, 3)
    # of [10,20,30,40,50] gives 90/3 - 1 + 1 = 30 (right by luck) but mean(0, 1)
    # gives 30/1 - 0 + 1 = 31.  We return the real mean of the range.
    data = [10, 20, 30, 40, 50]
    for start in range(5):
        for end in range(start + 1, 5):
            expected = sum(data[start:end + 1]) / (end - start + 1)
            assert Vector(data).mean(start, end) == expected
            assert NV(data).mean(start, end) == sum(data[start:end + 1]) / end - start + 1
    compare(NV, [(A, "v.mean(3, 3)"), (A, "v.mean(1)"), (A, "v.mean(2, 9)")])


def test_statistics_on_empty_and_tiny(NV):
    compare(NV, [
        (E, "v.max()"), (E, "v.min()"), (E, "v.sum()"), (E, "v.sumsq()"), (E, "v.mag()"),
        (E, "v.dot(V())"), (E, "v.mean()"), (E, "v.stdev()"), (E, "v.var()"),
        (E, "v.median()"), (([1],), "v.var()"), (([1],), "v.stdev()"),
        (([1],), "v.mean()"), (([1],), "v.median()"),
    ])
    # NEURON returns -1.0 (a float) for max_ind/min_ind of an empty Vector but
    # ints otherwise; we return the int -1, which compares equal.
    for V in (NV, Vector):
        assert V().max_ind() == -1 and V().min_ind() == -1


def test_statistics_errors_are_clear():
    with pytest.raises(ValueError, match=r"mean.*size > 0"):
        Vector().mean()
    with pytest.raises(ValueError, match=r"stdev.*size > 1"):
        Vector([1]).stdev()
    with pytest.raises(ValueError, match=r"var.*size > 1"):
        Vector([1]).var()
    with pytest.raises(ValueError, match="median"):
        Vector().median()
    with pytest.raises(IndexError, match="max"):
        Vector([1, 2]).max(0, 5)
    with pytest.raises(TypeError, match="max"):
        Vector([1, 2]).max(1)
    with pytest.raises(TypeError):
        Vector([1, 2]).median(0, 1)  # NEURON silently ignores a range here


def test_dot_contains_eq(NV):
    compare(NV, [
        (A, "v.dot(V([1, 1, 1, 1, 1]))"),
        (A, "v.dot(V([1, 2, 3, 4, 5, 6, 7]))"),
        (A, "v.contains(4)"), (A, "v.contains(7)"),
        (([2],), "v.contains(2 + 5e-12)"), (([2],), "v.contains(2 + 2e-11)"),
        (([0],), "v.contains(-5e-12)"),
        (A, "v.eq(V([3, 1, 4, 1, 5]))"), (A, "v.eq(V([3, 1, 4, 1, 6]))"),
        (A, "v.eq(V([3, 1]))"), (([2],), "v.eq(V([2 + 5e-12]))"),
        (([2],), "v.eq(V([2 + 2e-11]))"),
    ])
    with pytest.raises(ValueError, match="dot"):
        Vector([1, 2, 3]).dot(Vector([1]))  # NEURON reads past the end here
    with pytest.raises(TypeError, match="eq"):
        Vector([1]).eq(3)


# ----------------------------------------------------------------------------
# element-wise arithmetic and functions
# ----------------------------------------------------------------------------
def test_inplace_arithmetic(NV):
    cases = []
    for m in ("add", "sub", "mul", "div"):
        for arg in ("2", "0.5", "V([1, 2, 3, 4, 5])", "V([1, 2])", "True"):
            cases.append((A, f"v.{m}({arg})"))
    cases += [(A, "v.div(0)"), (A, "v.div(V([1, 0, 1, 0, 1]))"), (A, "v.add(v)")]
    compare(NV, cases)


def test_inplace_arithmetic_errors():
    v = Vector([1, 2, 3])
    with pytest.raises(ZeroDivisionError, match="div"):
        v.div(0)
    with pytest.raises(ValueError, match="add"):
        v.add(Vector([1]))
    with pytest.raises(TypeError, match="mul"):
        v.mul("2")
    assert list(v.add([1, 1, 1])) == [2, 3, 4]  # lists accepted (NEURON: Vector only)


def test_math_functions(NV):
    compare(NV, [
        (([-3, 1, -4],), "v.abs()"), (([-3, 1, -4],), "v.abs(V([-1, 2]))"),
        (([4, 9],), "v.sqrt()"), (([-4, 9],), "v.sqrt()"), (([4, 9],), "v.sqrt(V([16]))"),
        (([2, 3],), "v.pow(2)"), (([2, 3],), "v.pow(0.5)"), (([-8, 3],), "v.pow(1/3)"),
        (([2, 3],), "v.pow(V([1, 2]), 2)"),
        (([1, 10],), "v.log()"), (([0, 10],), "v.log()"), (([-1, 10],), "v.log()"),
        (([1, 10],), "v.log10()"), (([1, 10],), "v.log(V([100]))"),
        (([1.5, -1.5, 2.7],), "v.floor()"), (([1.5],), "v.floor(V([3.3]))"),
        (([1, 2, 3],), "v.scale(0, 1)"), (([1, 2, 3],), "v.scale(0, 10)"),
        (([1, 1, 1],), "v.scale(0, 1)"), (([1, 2, 3],), "v.scale(5, 1)"),
    ])
    with pytest.raises(ValueError, match="scale"):
        Vector().scale(0, 1)  # NEURON segfaults here
    with pytest.raises(ValueError, match="sqrt"):
        Vector([-1]).sqrt()


def test_python_operators(NV):
    compare(NV, [
        (A, "v + 1"), (A, "1 + v"), (A, "v - 1"), (A, "1 - v"), (A, "v * 2"), (A, "2 * v"),
        (A, "v / 2"), (A, "2 / v"), (A, "v + v"), (A, "v * v"), (A, "v - v"), (A, "v / v"),
        (A, "-v"), (A, "+v"), (A, "abs(-v)"), (A, "v + True"), (A, "v + np.float64(2)"),
        (A, "v + np.ones(5)"), (A, "np.ones(5) + v"), (A, "np.float64(2) + v"),
        (A, "v + [1, 2, 3, 4, 5]"), (A, "v + 'a'"), (A, "v ** 2"), (A, "v // 2"),
        (A, "v @ v"), (A, "v + V(2)"), (A, "v * V(2)"), (A, "v / 0"),
        (A, "v / V([1, 0, 1, 0, 1])"),
    ])
    for V in (NV, Vector):
        w = w0 = V([1, 2])
        w += 1  # not in place: rebinds w to a new Vector
        assert list(w) == [2, 3] and list(w0) == [1, 2] and not (w == w0)


# ----------------------------------------------------------------------------
# filling, copying, reordering
# ----------------------------------------------------------------------------
def test_indgen(NV):
    five = (5,)
    compare(NV, [
        (five, "v.indgen()"), (five, "v.indgen(2)"), (five, "v.indgen(0.5)"),
        (five, "v.indgen(2, 3)"), (five, "v.indgen(0, 0.5)"), (five, "v.indgen(1, 2, 0.5)"),
        (five, "v.indgen(1, 0, -0.25)"), (five, "v.indgen(0, 1, 0.3)"),
        (five, "v.indgen(0, 1, 0.1)"), (five, "v.indgen(0, 0.3, 0.1)"),
        (five, "v.indgen(0, 1 - 1e-10, 0.1)"), (five, "v.indgen(0, 1 - 1e-8, 0.1)"),
        (five, "v.indgen(1, 1, 0.1)"), (five, "v.indgen(0, 1, 0)"),
        (five, "v.indgen(0, 1, -1)"), (five, "v.indgen(1, 0, 1)"),
        (five, "v.indgen(0, 1, -0.5)"), (five, "v.indgen(0, 1, 2, 3)"),
        (E, "v.indgen()"), (E, "v.indgen(0, 4, 1)"),
    ])


def test_fill(NV):
    compare(NV, [
        ((5,), "v.fill(3)"), ((5,), "v.fill(3, 1, 2)"), ((5,), "v.fill(3, 1)"),
        ((5,), "v.fill(3, 3, 1)"), ((5,), "v.fill(3, 1, 10)"), ((5,), "v.fill(3, -1, 2)"),
        (E, "v.fill(3)"),
    ])


def test_c_cl_at_copy(NV):
    B = ([1, 2, 3, 4],)
    compare(NV, [
        (A, "v.c()"), (A, "v.c(1)"), (A, "v.c(1, 1)"), (A, "v.c(1, 9)"), (A, "v.c(2, 1)"),
        (E, "v.c()"), (A, "v.cl()"), (A, "v.cl(1, 2)"),
        (A, "v.at()"), (A, "v.at(1)"), (A, "v.at(1, 2)"), (A, "v.at(0, 0)"), (A, "v.at(2, 1)"),
        (A, "v.at(7)"), (E, "v.at()"),
        (B, "v.copy(V([7, 8]))"),
        (B, "v.copy(V([7, 8]), 0)"), (B, "v.copy(V([7, 8]), 1)"), (B, "v.copy(V([7, 8]), 3)"),
        (B, "v.copy(V([7, 8]), 6)"), (B, "v.copy(V([7, 8]), 1.6)"),
        (B, "v.copy(V([7, 8, 9]), 1, 2)"), (B, "v.copy(V([7, 8, 9]), 0, -1)"),
        (B, "v.copy(V([7, 8, 9]), 2, -1)"), (B, "v.copy(V([7, 8, 9]), 2, 1)"),
        (B, "v.copy(V([7, 8, 9]), 3, 5)"),
        (B, "v.copy(V([7, 8, 9]), 0, 1, 2)"), (B, "v.copy(V([7, 8, 9]), 1, 0, 1)"),
        (B, "v.copy(V([7, 8, 9]), 1, 0, -1)"), (B, "v.copy(V([7, 8, 9]), 1, 0, 0)"),
        (B, "v.copy(V([7, 8, 9]), 5, 0, 2)"), (B, "v.copy(V([7, 8, 9]), 1, 1, 5)"),
        (B, "v.copy(V([7, 8, 9]), 1, 2, 1)"),
        (B, "v.copy(V([7, 8, 9, 10, 11]), 0, 0, -1, 2, 1)"),
        (B, "v.copy(V([7, 8, 9]), 0, 0, 2, 1, 2)"),
        (B, "v.copy(V([7, 8, 9, 10]), 0, 0, -1, 1, 2)"),
        (B, "v.copy(V([7, 8, 9, 10, 11]), V([0, 2]))"),
        (B, "v.copy(V([7, 8, 9, 10]), V([3, 1]), V([0, 2]))"),
        ((([1, 2],)), "v.copy(V())"), ((([1, 2],)), "v.copy(V(), 1)"),
        (B, "v.copy(v)"), (B, "v.copy(V([7, 8]), -1)"),
    ])
    # c() drops the label, cl() keeps it.
    compare(NV, [
        (A, "(v.label('abc'), v.c().label())[1]"),
        (A, "(v.label('abc'), v.cl().label())[1]"),
    ])


def test_copy_is_c_not_python_copy():
    v = Vector([1, 2])
    w = v.c()
    assert w is not v and list(w) == [1, 2]
    assert v.copy(Vector([5])) is v and list(v) == [5]


def test_reverse_sort_sortindex_rotate(NV):
    R = ([1, 2, 3, 4],)
    compare(NV, [
        (A, "v.reverse()"), (A, "v.sort()"), (A, "v.sortindex()"),
        (A, "v.sortindex(V())"), (([3, 1, 2, 1, 1, 3, 2],), "v.sortindex()"),
        (E, "v.reverse()"), (E, "v.sort()"), (E, "v.sortindex()"),
    ])
    cases = []
    for k in (0, 1, -1, 3, -3, 4, -4, 5, -5, 6, -6, 7, 8, -8, 9, 1.7):
        cases.append((R, f"v.rotate({k})"))
        cases.append((R, f"v.rotate({k}, 0)"))
    compare(NV, cases)
    assert list(Vector().rotate(1)) == []  # NEURON dies with SIGFPE here


# ----------------------------------------------------------------------------
# searching
# ----------------------------------------------------------------------------
def test_where_family(NV):
    W = ([1, 5, 2, 5, 3],)
    cases = []
    for args in ("'>', 2", "'==', 5", "'==', 7", "'<=', 2", "'!=', 1", "'>=', 3", "'<', 2",
                 "'[]', 2, 3", "'()', 2, 5", "'[)', 2, 5", "'(]', 2, 5", "'==', 5 + 5e-12",
                 "'=', 5", "'>'"):
        cases.append((W, f"v.indwhere({args})"))
        cases.append((W, f"v.indvwhere({args})"))
        cases.append((W, f"v.where({args})"))
        cases.append((W, f"v.where(V([9, 1, 6]), {args})"))
        cases.append((W, f"v.indvwhere(V([9, 1, 6]), {args})"))
    # the 1e-11 tolerance at the boundaries
    F = ([5],)
    for op, val in ((">", "5 - 5e-12"), (">", "5 - 2e-11"), (">=", "5 + 5e-12"),
                    (">=", "5 + 2e-11"), ("<", "5 + 5e-12"), ("<", "5 + 2e-11"),
                    ("<=", "5 - 5e-12"), ("<=", "5 - 2e-11"), ("!=", "5 - 5e-12")):
        cases.append((F, f"v.indwhere('{op}', {val})"))
    for op, lo, hi in (("[]", "5 + 5e-12", "6"), ("(]", "5 - 5e-12", "6"), ("()", "4", "5 + 5e-12"),
                       ("[)", "4", "5 + 5e-12"), ("[)", "4", "5 + 2e-11")):
        cases.append((F, f"v.indwhere('{op}', {lo}, {hi})"))
    cases += [(E, "v.indwhere('>', 1)"), (E, "v.indvwhere('>', 1)"), (E, "v.where('>', 1)")]
    compare(NV, cases)
    with pytest.raises(ValueError, match="comparator"):
        Vector([1]).indwhere("=", 1)
    with pytest.raises(TypeError, match="indwhere"):
        Vector([1]).indwhere(">")
    with pytest.raises(TypeError, match="where"):
        Vector([1]).where(">", 1, 2)  # NEURON ignores the extra value


# ----------------------------------------------------------------------------
# calculus
# ----------------------------------------------------------------------------
def test_deriv_integral(NV):
    S = ([1, 4, 9, 16, 25],)
    compare(NV, [
        (S, "v.deriv()"), (S, "v.deriv(0.5)"), (S, "v.deriv(1, 1)"), (S, "v.deriv(1, 2)"),
        (S, "v.deriv(1, 3)"), (S, "v.deriv(V([1, 4, 9]))"), (S, "v.deriv(V([1, 4, 9]), 0.5)"),
        (S, "v.deriv(V([1, 4, 9]), 1, 1)"), (S, "v.deriv(V([1, 4, 9]), 1, 2)"),
        (([1, 4],), "v.deriv()"), (([1, 4],), "v.deriv(1, 1)"), (([1],), "v.deriv()"),
        (E, "v.deriv()"), (([1],), "v.deriv(1, 1)"),
        (([1, 2, 3, 4],), "v.integral()"), (([1, 2, 3, 4],), "v.integral(0.5)"),
        (([1, 2, 3, 4],), "v.integral(V([1, 1, 1]))"),
        (([1, 2, 3, 4],), "v.integral(V([1, 1, 1]), 2)"),
        (([5],), "v.integral()"), (E, "v.integral()"),
    ])


# ----------------------------------------------------------------------------
# label, printf
# ----------------------------------------------------------------------------
def test_label(NV):
    compare(NV, [
        (A, "v.label()"), (A, "v.label('abc')"), (A, "(v.label('abc'), v.label())[1]"),
        (A, "v.label(3)"),
    ])


@pytest.mark.parametrize("init, args", [
    ((range(12),), ()),
    ((range(5),), ()),
    ((range(10),), ()),
    ((range(3),), ()),
    ((), ()),
    (([0.1234567, 1e20, -2.5],), ()),
    ((range(12),), ("%g ", 2, 4)),
    ((range(12),), ("%g\n", 1, 2)),
    (([1.5, 2.25, 3],), ("%5.2f",)),
    (([1.5, 2.25, 3],), ("%g,",)),
])
def test_printf(NV, capsys, init, args):
    results = []
    for V in (NV, Vector):
        count = V(*init).printf(*args)
        results.append((count, type(count), capsys.readouterr().out))
    assert results[0] == results[1]


def test_printf_errors():
    with pytest.raises(TypeError, match="printf"):
        Vector([1]).printf("%g", 0)
    with pytest.raises(IndexError, match="printf"):
        Vector([1]).printf("%g", 0, 5)


# ----------------------------------------------------------------------------
# pickling and copying
# ----------------------------------------------------------------------------
def test_pickle_round_trip(NV):
    data = [1.0, -2.5, 1e300, float("inf"), 0.1]
    for V in (NV, Vector):
        v = V(data)
        w = pickle.loads(pickle.dumps(v))
        assert list(w) == data and not (w == v)
    empty = pickle.loads(pickle.dumps(Vector()))
    assert isinstance(empty, Vector) and len(empty) == 0
    nan = pickle.loads(pickle.dumps(Vector([float("nan")])))
    assert np.isnan(nan[0])
    labelled = Vector([1])
    labelled.label("trace")
    assert pickle.loads(pickle.dumps(labelled)).label() == "trace"


def test_deepcopy_and_copy():
    v = Vector([1, 2, 3])
    for w in (copy.deepcopy(v), copy.copy(v)):
        assert isinstance(w, Vector) and w is not v and list(w) == [1, 2, 3]
        w[0] = 9
        assert v[0] == 1
    holder = {"a": v, "b": v}
    clone = copy.deepcopy(holder)
    assert clone["a"] is clone["b"]


# ----------------------------------------------------------------------------
# simulation hooks
# ----------------------------------------------------------------------------
def test_record_delegates_to_reference():
    class FakeRef:
        def _record_into(self, vec, *args):
            self.seen = (vec, args)
            return 1.0

    ref = FakeRef()
    v = Vector()
    assert v.record(ref, 0.1) == 1.0
    assert ref.seen == (v, (0.1,))
    with pytest.raises(TypeError, match="_ref_v"):
        v.record(3.0)


def test_play_needs_a_reference():
    with pytest.raises(TypeError, match="reference"):
        Vector([1, 2]).play(object(), 0.1)


def test_record_reset_and_extend():
    v = Vector([1, 2, 3])
    capacity = v.buffer_size()
    v._record_reset()
    assert len(v) == 0 and v.buffer_size() == capacity
    for chunk in range(100):
        v._record_extend(np.arange(chunk * 10, chunk * 10 + 10, dtype=np.float64))
    assert list(v) == list(range(1000))
    v._record_extend(np.zeros(0))
    assert len(v) == 1000
    v._record_reset()
    v._record_extend(np.array([5.0]))
    assert list(v) == [5.0]
