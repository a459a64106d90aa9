"""NEURON-compatible ``Vector`` implemented in pure Python over numpy.

The data live in a float64 numpy array ``_buf`` whose length is the capacity;
only the first ``_n`` entries are the Vector's elements.  Growing the Vector
(``append``, ``resize``, recording) doubles the capacity when it runs out, so
appending one value at a time costs amortised O(1).

Behaviour follows NEURON 9.0.2's ``hoc.Vector`` (return values, argument forms,
index ranges, the 1e-11 comparison tolerance), with these deliberate changes:

* errors are ``TypeError`` / ``ValueError`` / ``IndexError`` /
  ``ZeroDivisionError`` naming the method, instead of NEURON's ``RuntimeError``;
* ``mean(start, end)`` returns the mean of the range (NEURON 9.0.2 returns
  ``sum/end - start + 1`` because of an operator-precedence bug);
* a failing call leaves the Vector unchanged (NEURON sometimes resizes or
  half-assigns first), and surplus arguments that NEURON silently ignores
  (``median(0, 1)``, ``sort(2)``, ``where(">", 1, 2)``, ``append("a")``) are
  errors;
* operations that crash NEURON on an empty Vector (``scale``, ``rotate``) raise
  ``ValueError`` or do nothing; ``dot`` with a shorter argument (NEURON reads
  past its end) raises ``ValueError``;
* ``max_ind()``/``min_ind()`` of an empty Vector return the int -1 (NEURON:
  the float -1.0, although it returns ints otherwise);
* where NEURON wants a Vector argument, lists, tuples and numpy arrays are
  accepted too (``append``, ``add``, ``copy``, ``Vector(Vector)``...);
* ``as_numpy()`` views keep their buffer alive, so they can never dangle; after
  the Vector reallocates (grows past its capacity) an old view keeps showing
  the old buffer rather than the live data;
* ``__array_interface__`` is not provided: numpy would keep only the Vector
  alive, not the buffer, so a later reallocation would leave the array
  dangling.  ``__array__`` gives numpy the same zero-copy view safely.

numpy is the only dependency.
"""

import numbers
import operator
import sys

import numpy as np

# NEURON's hoc_epsilon: tolerance used by contains(), eq() and the comparators
# of where()/indwhere()/indvwhere().
_EPSILON = 1e-11

# Slack added before flooring in indgen(start, end, step) so that an end value
# reached up to rounding error is still included (measured: between 1e-9 and
# 5e-9 in NEURON 9.0.2).
_INDGEN_EPSILON = 1e-9

_DEFAULT_PRINTF_FORMAT = "%g\t"


def _as_number(x):
    """Return float(x) if x is a real number (bool, int, float, numpy scalar or
    0-d array), else None.  Strings are never numbers here."""
    if isinstance(x, (str, bytes)):
        return None
    if isinstance(x, numbers.Real):
        return float(x)
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf":
        return float(x)
    return None


def _is_vector_like(x):
    """Things accepted where NEURON wants a Vector argument: a Vector, a numpy
    array, a list or a tuple (never a bare number or a string)."""
    return isinstance(x, (Vector, np.ndarray, list, tuple)) and not (
        isinstance(x, np.ndarray) and x.ndim == 0
    )


def _float_array(method, obj):
    """Convert a Vector or a 1-D iterable of real numbers to a new float64 array.

    Raises TypeError (not iterable / not numbers) or ValueError (not 1-D) with
    the method name, because numpy's own messages do not say who called."""
    if isinstance(obj, Vector):
        return obj._data().copy()
    if isinstance(obj, (str, bytes)):
        raise TypeError(f"{method}: expected a sequence of numbers, not {type(obj).__name__}")
    items = obj
    if not isinstance(obj, np.ndarray):
        try:
            obj = items = list(obj)
        except TypeError:
            raise TypeError(
                f"{method}: expected a number or an iterable of numbers, "
                f"not {type(obj).__name__}"
            ) from None
    # Converting without a dtype first lets us refuse strings (numpy would
    # happily parse "1.5") and nested sequences.
    try:
        arr = np.asarray(obj)
    except ValueError:  # ragged nested sequences
        raise ValueError(f"{method}: expected a 1-D sequence of numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{method}: expected a 1-D sequence of numbers, got {arr.ndim}-D data")
    if arr.dtype.kind not in "biuf":
        for i, item in enumerate(items):
            if _as_number(item) is None:
                raise TypeError(f"{method}: item {i} is not a number ({item!r})")
        raise TypeError(f"{method}: expected real numbers, got dtype {arr.dtype}")
    return np.array(arr, dtype=np.float64)


def _sequential_sum(values):
    """Left-to-right float64 sum, like C++ std::accumulate in NEURON (numpy's
    sum is pairwise and can differ in the last bits).  cumsum is sequential."""
    if len(values) == 0:
        return 0.0
    return float(np.cumsum(values)[-1])


def _rebuild_vector(data, label):
    """Pickle helper: make a Vector from little-endian float64 bytes."""
    vec = Vector(np.frombuffer(data, dtype="<f8"))
    vec._label = label
    return vec


# Comparators of where(), indwhere() and indvwhere(); each takes the data, the
# first and the second value and returns a boolean mask.  All are widened or
# narrowed by hoc_epsilon, as in NEURON.
_ONE_VALUE_COMPARATORS = {
    "==": lambda x, a, b: np.abs(x - a) <= _EPSILON,
    "!=": lambda x, a, b: np.abs(x - a) > _EPSILON,
    ">": lambda x, a, b: x > a + _EPSILON,
    "<": lambda x, a, b: x < a - _EPSILON,
    ">=": lambda x, a, b: x >= a - _EPSILON,
    "<=": lambda x, a, b: x <= a + _EPSILON,
}
_TWO_VALUE_COMPARATORS = {
    "[]": lambda x, a, b: (x >= a - _EPSILON) & (x <= b + _EPSILON),
    "[)": lambda x, a, b: (x >= a - _EPSILON) & (x < b - _EPSILON),
    "(]": lambda x, a, b: (x > a + _EPSILON) & (x <= b + _EPSILON),
    "()": lambda x, a, b: (x > a + _EPSILON) & (x < b - _EPSILON),
}


# Names are Vector[i]: "next" is the next i, "alive" counts live Vectors.  As in
# NEURON, numbering restarts at 0 once every Vector has been freed.
_naming = {"next": 0, "alive": 0}


class _VectorX:
    """What ``vec.x`` returns: element access by non-negative index, as in
    NEURON where ``vec.x[i]`` is the hoc array view (no negative indices, no
    slices).  It holds the Vector, not the buffer, so it follows resizes."""

    __slots__ = ("_vec",)

    def __init__(self, vec):
        self._vec = vec

    def _index(self, i):
        try:
            i = operator.index(i)
        except TypeError:
            raise TypeError(
                f"{self._vec.hname()}.x index must be an integer, not {type(i).__name__}"
            ) from None
        if not 0 <= i < self._vec._n:
            raise IndexError(
                f"{self._vec.hname()}.x[{i}] out of range (size {self._vec._n})"
            )
        return i

    def __getitem__(self, i):
        return float(self._vec._buf[self._index(i)])

    def __setitem__(self, i, value):
        x = _as_number(value)
        if x is None:
            raise TypeError(
                f"{self._vec.hname()}.x[] = value: value must be a number, "
                f"not {type(value).__name__}"
            )
        self._vec._buf[self._index(i)] = x

    def __len__(self):
        return self._vec._n

    def __iter__(self):
        return iter(self._vec._data().tolist())

    def __repr__(self):
        return f"{self._vec.hname()}.x[?]"

    __str__ = __repr__


class _VectorXRef:
    """What ``vec._ref_x`` returns: ``[i]`` gives a pointer to element i."""

    __slots__ = ("_vec",)

    def __init__(self, vec):
        self._vec = vec

    def __getitem__(self, i):
        return VectorElementRef(self._vec, _VectorX(self._vec)._index(i))


class VectorElementRef:
    """A pointer to element `index` of a Vector (``vec._ref_x[index]``). Like a C pointer, it
    reads on from there: `values()` is the elements from `index` to the end."""

    __slots__ = ("vector", "index")

    def __init__(self, vector, index):
        self.vector, self.index = vector, index

    def values(self):
        return self.vector._data()[self.index:].tolist()

    def __repr__(self):
        return f"<pointer to {self.vector.hname()}.x[{self.index}]>"


class Vector:
    """NEURON's Vector: a resizable array of doubles.

    ``Vector()`` is empty, ``Vector(n)`` has n zeros, ``Vector(n, value)`` has n
    copies of value and ``Vector(iterable)`` copies a list, tuple, range,
    generator, numpy array or Vector.  Objects are named ``Vector[i]`` with a
    class-wide counter that, as in NEURON, restarts at 0 when no Vector is alive.
    """

    __slots__ = ("_buf", "_n", "_label", "_index", "_playing_in", "__weakref__")

    # ------------------------------------------------------------------
    # construction, naming, lifetime
    # ------------------------------------------------------------------
    def __init__(self, *args):
        self._buf = np.zeros(0)
        self._n = 0
        self._label = ""
        if len(args) > 2:
            raise TypeError(
                f"Vector() takes at most 2 arguments (size, value), got {len(args)}"
            )
        if args:
            size = _as_number(args[0])
            if size is not None:
                if not 0 <= size < 2**31:
                    raise ValueError(f"Vector(size): size must be >= 0, got {args[0]!r}")
                value = 0.0
                if len(args) == 2:
                    value = _as_number(args[1])
                    if value is None:
                        raise TypeError(
                            "Vector(size, value): value must be a number, "
                            f"not {type(args[1]).__name__}"
                        )
                self._buf = np.full(int(size), value, dtype=np.float64)
            else:
                if len(args) == 2:
                    raise TypeError("Vector(iterable) takes no second argument")
                self._buf = _float_array("Vector", args[0])
            self._n = len(self._buf)
        # Register last, so a failed construction does not consume a name.
        if _naming["alive"] == 0:
            _naming["next"] = 0
        self._index = _naming["next"]
        _naming["next"] += 1
        _naming["alive"] += 1

    def __del__(self, _naming=_naming):
        # _naming is bound as a default so it still exists while the module is
        # being torn down at interpreter exit.  Only Vectors that finished
        # __init__ were counted.
        if getattr(self, "_index", None) is not None:
            _naming["alive"] -= 1

    def hname(self):
        """The hoc name, ``Vector[i]``."""
        return f"Vector[{self._index}]"

    def __repr__(self):
        return self.hname()

    __str__ = __repr__

    def __dir__(self):
        # NEURON's dir() lists its methods and no private helpers, so hide ours.
        return sorted(
            name
            for name in set(dir(type(self)))
            if not name.startswith("_") or (name.startswith("__") and name.endswith("__"))
        )

    def __reduce__(self):
        # Raw little-endian bytes: compact and exact for any float64 value.
        return (_rebuild_vector, (self._data().astype("<f8").tobytes(), self._label))

    def label(self, text=None):
        """Get the label, or set it to ``text`` and return it."""
        if text is not None:
            if not isinstance(text, str):
                raise TypeError(f"Vector.label: expected a string, not {type(text).__name__}")
            self._label = text
        return self._label

    # ------------------------------------------------------------------
    # internal helpers
    # ------------------------------------------------------------------
    def _data(self):
        """The live elements as a numpy view (valid until the next reallocation)."""
        return self._buf[: self._n]

    def _reserve(self, capacity):
        """Make room for ``capacity`` elements, at least doubling when growing
        so that repeated appends are amortised O(1)."""
        if capacity > len(self._buf):
            new = np.zeros(max(capacity, 2 * len(self._buf)), dtype=np.float64)
            new[: self._n] = self._buf[: self._n]
            self._buf = new

    def _set_size(self, n):
        """Resize to n elements; new elements are 0 (even if the buffer still
        holds old values from before a shrink, as NEURON's resize gives 0)."""
        self._reserve(n)
        if n > self._n:
            self._buf[self._n : n] = 0.0
        self._n = n

    def _assign(self, arr):
        """Replace the contents with ``arr`` (which may alias our buffer)."""
        arr = np.asarray(arr, dtype=np.float64)
        if len(arr) > len(self._buf):
            arr = arr.copy()  # _reserve may drop the buffer arr points into
        self._set_size(len(arr))
        self._buf[: self._n] = arr

    def _arg_number(self, method, value, what="argument"):
        x = _as_number(value)
        if x is None:
            raise TypeError(f"Vector.{method}: {what} must be a number, not {type(value).__name__}")
        return x

    def _arg_index(self, method, value, lo, hi, what="index", error=IndexError):
        """Like NEURON's chkarg: the number must lie in [lo, hi], then it is
        truncated to an int (so 1.7 means 1).  Indices raise IndexError,
        other out-of-range values (sizes, method codes) ValueError."""
        x = self._arg_number(method, value, what)
        if not lo <= x <= hi:
            if hi < lo:
                raise error(f"Vector.{method}: {what} {value!r} out of range (Vector is empty)")
            raise error(f"Vector.{method}: {what} {value!r} out of range [{lo}, {hi}]")
        return int(x)

    def _span(self, method, args):
        """Parse the optional (start, end) pair of the statistics methods;
        ``end`` is inclusive.  Returns a Python slice's (start, stop)."""
        if not args:
            return 0, self._n
        if len(args) != 2:
            raise TypeError(f"Vector.{method}: takes no arguments or (start, end), got {len(args)}")
        start = self._arg_index(method, args[0], 0, self._n - 1, "start")
        end = self._arg_index(method, args[1], start, self._n - 1, "end")
        return start, end + 1

    def _operand(self, method, other):
        """A number (float) or a same-size float64 array for add/sub/mul/div."""
        x = _as_number(other)
        if x is not None:
            return x
        if not _is_vector_like(other):
            raise TypeError(
                f"Vector.{method}: argument must be a number or a Vector, "
                f"not {type(other).__name__}"
            )
        arr = other._data() if isinstance(other, Vector) else _float_array(f"Vector.{method}", other)
        if len(arr) != self._n:
            raise ValueError(
                f"Vector.{method}: Vector argument has size {len(arr)}, expected {self._n}"
            )
        return arr

    def _source(self, method, args):
        """Split an optional leading source Vector off ``args`` (NEURON's
        ``vdest.f(vsrc, ...)`` forms).  Returns (source array, remaining args)."""
        if args and _is_vector_like(args[0]):
            return _float_array(f"Vector.{method}", args[0]), args[1:]
        return self._data(), args

    def _mask(self, method, data, args):
        """Boolean mask for the (comparator, value[, value2]) arguments."""
        if not args or not isinstance(args[0], str):
            raise TypeError(f"Vector.{method}: expected a comparator string such as '>' or '[]'")
        op = args[0]
        if op in _ONE_VALUE_COMPARATORS:
            if len(args) != 2:
                raise TypeError(f"Vector.{method}: comparator {op!r} takes one value")
            return _ONE_VALUE_COMPARATORS[op](data, self._arg_number(method, args[1], "value"), None)
        if op in _TWO_VALUE_COMPARATORS:
            if len(args) != 3:
                raise TypeError(f"Vector.{method}: comparator {op!r} takes two values")
            a = self._arg_number(method, args[1], "value")
            b = self._arg_number(method, args[2], "value")
            return _TWO_VALUE_COMPARATORS[op](data, a, b)
        raise ValueError(
            f"Vector.{method}: invalid comparator {op!r}; use one of "
            "==, !=, >, <, >=, <=, [], [), (], ()"
        )

    # ------------------------------------------------------------------
    # size and element access
    # ------------------------------------------------------------------
    def size(self):
        """Number of elements (an int)."""
        return self._n

    def __len__(self):
        return self._n

    def buffer_size(self, capacity=None):
        """The allocated capacity; ``buffer_size(n)`` reserves room for n
        elements (n must be >= size()) and returns the new capacity."""
        if capacity is not None:
            n = self._arg_index("buffer_size", capacity, max(self._n, 1), 2**31, "size", ValueError)
            if n > len(self._buf):
                new = np.zeros(n, dtype=np.float64)
                new[: self._n] = self._data()
                self._buf = new
        return len(self._buf)

    def resize(self, n):
        """Set the size to n (new elements are 0); returns self."""
        x = self._arg_number("resize", n, "size")
        if not 0 <= x < 2**31:
            raise ValueError(f"Vector.resize: size must be >= 0, got {n!r}")
        self._set_size(int(x))
        return self

    def clear(self):
        """Make the Vector empty (the buffer is kept); returns self."""
        self._n = 0
        return self

    def _item_index(self, key):
        try:
            i = operator.index(key)
        except TypeError:
            raise TypeError(
                f"Vector indices must be integers or slices, not {type(key).__name__}"
            ) from None
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"{self.hname()} index {key} out of range (size {self._n})")
        return i

    def __getitem__(self, key):
        # NEURON allows negative indices here and returns a new Vector for a slice.
        if isinstance(key, slice):
            return Vector(self._data()[key])
        return float(self._buf[self._item_index(key)])

    def __setitem__(self, key, value):
        if isinstance(key, slice):
            if _as_number(value) is not None or isinstance(value, (str, bytes)):
                raise TypeError("Vector slice assignment: can only assign an iterable")
            arr = _float_array("Vector slice assignment", value)
            positions = range(*key.indices(self._n))
            if len(arr) != len(positions):
                raise IndexError(
                    "Vector slice assignment: iterable has "
                    f"{len(arr)} items, the slice has {len(positions)}"
                )
            self._data()[key] = arr
            return
        x = _as_number(value)
        if x is None:
            raise TypeError(f"Vector item assignment: value must be a number, not {type(value).__name__}")
        self._buf[self._item_index(key)] = x

    def __iter__(self):
        return iter(self._data().tolist())

    @property
    def x(self):
        """Element access ``vec.x[i]`` (read and write, non-negative i)."""
        return _VectorX(self)

    @x.setter
    def x(self, value):
        raise TypeError("Vector.x requires a subscript for assignment, e.g. vec.x[0] = 1.0")

    @property
    def _ref_x(self):
        """``vec._ref_x[i]``: a pointer to element i, as NEURON's (its use here: the values of a
        FUNCTION_TABLE, ``n.table_f_mech(vec._ref_x[0], n1, min1, max1, …)``)."""
        return _VectorXRef(self)

    def get(self, i):
        """Element i as a float (0 <= i < size)."""
        return float(self._buf[self._arg_index("get", i, 0, self._n - 1)])

    def set(self, i, value):
        """Set element i to value; returns self."""
        i = self._arg_index("set", i, 0, self._n - 1)
        self._buf[i] = self._arg_number("set", value, "value")
        return self

    # ------------------------------------------------------------------
    # numpy and Python conversion
    # ------------------------------------------------------------------
    def as_numpy(self):
        """A numpy view of the elements: writes go to the Vector and back.

        The view keeps the buffer alive, so it stays valid after the Vector is
        deleted.  If the Vector later grows past its capacity it moves to a new
        buffer, and the old view no longer follows it."""
        return self._data()

    def __array__(self, dtype=None, copy=None):
        # numpy 1 calls __array__() or __array__(dtype); numpy 2 adds copy.
        data = self._data()
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError("Vector.__array__: cannot convert dtype without copying")
            return data.astype(dtype)
        if copy:
            return data.copy()
        return data

    def to_python(self, dest=None):
        """A list of floats, or fill ``dest`` (a list or numpy array of the
        same size) and return it."""
        if dest is None:
            return self._data().tolist()
        if isinstance(dest, np.ndarray):
            if dest.shape != (self._n,):
                raise ValueError(
                    f"Vector.to_python: array shape {dest.shape} does not match size {self._n}"
                )
            dest[:] = self._data()
            return dest
        if isinstance(dest, list):
            if len(dest) != self._n:
                raise ValueError(
                    f"Vector.to_python: list has {len(dest)} items, Vector has {self._n}"
                )
            dest[:] = self._data().tolist()
            return dest
        raise TypeError(f"Vector.to_python: destination must be a list or numpy array, not {type(dest).__name__}")

    def from_python(self, seq):
        """Replace the contents with a Python sequence or numpy array; returns self."""
        if _as_number(seq) is not None:
            raise TypeError("Vector.from_python: expected a sequence of numbers, not a number")
        self._assign(_float_array("Vector.from_python", seq))
        return self

    # ------------------------------------------------------------------
    # growing and shrinking
    # ------------------------------------------------------------------
    def _values(self, method, args):
        """Concatenate numbers, Vectors and iterables into one float64 array."""
        parts = []
        for a in args:
            x = _as_number(a)
            if x is not None:
                parts.append(np.array([x]))
            elif isinstance(a, (str, bytes)):
                raise TypeError(f"Vector.{method}: cannot use a string as a value")
            else:
                parts.append(_float_array(f"Vector.{method}", a))
        return np.concatenate(parts) if parts else np.zeros(0)

    def append(self, *args):
        """Append numbers, Vectors or iterables of numbers; returns self."""
        if len(args) == 1 and type(args[0]) in (float, int):
            # Fast path for the common one-number loop: no temporary array.
            self._reserve(self._n + 1)
            self._buf[self._n] = args[0]
            self._n += 1
            return self
        values = self._values("append", args)  # copies, so v.append(v) is fine
        self._record_extend(values)
        return self

    def insrt(self, index, *args):
        """Insert numbers or Vectors before position index (0..size); returns self."""
        i = self._arg_index("insrt", index, 0, self._n)
        values = self._values("insrt", args)
        tail = self._buf[i : self._n].copy()
        self._set_size(self._n + len(values))
        self._buf[i : i + len(values)] = values
        self._buf[i + len(values) : self._n] = tail
        return self

    def remove(self, start, end=None):
        """Remove element start, or elements start..end (inclusive); returns self."""
        first = self._arg_index("remove", start, 0, self._n - 1)
        last = first if end is None else self._arg_index("remove", end, first, self._n - 1, "end")
        count = last - first + 1
        self._buf[first : self._n - count] = self._buf[last + 1 : self._n].copy()
        self._n -= count
        return self

    # ------------------------------------------------------------------
    # statistics (return floats)
    # ------------------------------------------------------------------
    def max(self, *args):
        """Largest element, of all or of start..end; 0.0 if empty (as NEURON)."""
        if self._n == 0:
            return 0.0
        a, b = self._span("max", args)
        return float(self._buf[a:b].max())

    def min(self, *args):
        """Smallest element, of all or of start..end; 0.0 if empty (as NEURON)."""
        if self._n == 0:
            return 0.0
        a, b = self._span("min", args)
        return float(self._buf[a:b].min())

    def max_ind(self, *args):
        """Index (int) of the first largest element; -1 if empty."""
        if self._n == 0:
            return -1
        a, b = self._span("max_ind", args)
        return int(np.argmax(self._buf[a:b])) + a

    def min_ind(self, *args):
        """Index (int) of the first smallest element; -1 if empty."""
        if self._n == 0:
            return -1
        a, b = self._span("min_ind", args)
        return int(np.argmin(self._buf[a:b])) + a

    def sum(self, *args):
        """Sum of all elements or of start..end (0.0 if empty)."""
        a, b = self._span("sum", args)
        return _sequential_sum(self._buf[a:b])

    def sumsq(self, *args):
        """Sum of squares of all elements or of start..end (0.0 if empty)."""
        a, b = self._span("sumsq", args)
        d = self._buf[a:b]
        return _sequential_sum(d * d)

    def _checked_span(self, method, args, min_size, min_size_message):
        """Span for methods that need at least min_size elements; NEURON
        additionally requires end - start >= 1 for an explicit range."""
        if not args:
            if self._n < min_size:
                raise ValueError(f"Vector.{method}: {min_size_message} (size is {self._n})")
            return 0, self._n
        a, b = self._span(method, args)
        if b - a < 2:
            raise ValueError(f"Vector.{method}: end - start must be > 0")
        return a, b

    def mean(self, *args):
        """Arithmetic mean of all elements or of start..end (end > start)."""
        a, b = self._checked_span("mean", args, 1, "Vector must have size > 0")
        return _sequential_sum(self._buf[a:b]) / (b - a)

    def var(self, *args):
        """Sample variance (divides by n - 1) of all elements or of start..end."""
        a, b = self._checked_span("var", args, 2, "Vector must have size > 1")
        return float(np.var(self._buf[a:b], ddof=1))

    def stdev(self, *args):
        """Sample standard deviation (n - 1) of all elements or of start..end."""
        a, b = self._checked_span("stdev", args, 2, "Vector must have size > 1")
        return float(np.std(self._buf[a:b], ddof=1))

    def stderr(self, *args):
        """Standard error of the mean: stdev / sqrt(n)."""
        a, b = self._checked_span("stderr", args, 2, "Vector must have size > 1")
        return float(np.std(self._buf[a:b], ddof=1) / np.sqrt(b - a))

    def median(self):
        """Median of all elements (NEURON's median takes no range)."""
        if self._n == 0:
            raise ValueError("Vector.median: Vector must have size > 0")
        return float(np.median(self._data()))

    def dot(self, other):
        """Dot product with another Vector of at least the same size."""
        arr = other._data() if isinstance(other, Vector) else None
        if arr is None:
            if not _is_vector_like(other):
                raise TypeError(f"Vector.dot: argument must be a Vector, not {type(other).__name__}")
            arr = _float_array("Vector.dot", other)
        if len(arr) < self._n:
            raise ValueError(f"Vector.dot: argument has size {len(arr)}, need at least {self._n}")
        return _sequential_sum(self._data() * arr[: self._n])

    def mag(self):
        """Euclidean length sqrt(sumsq())."""
        d = self._data()
        return float(np.sqrt(_sequential_sum(d * d)))

    def contains(self, value):
        """True if some element equals value within 1e-11."""
        x = self._arg_number("contains", value, "value")
        return bool(np.any(np.abs(self._data() - x) <= _EPSILON))

    def eq(self, other):
        """1.0 if other has the same size and elements (within 1e-11), else 0.0."""
        if not _is_vector_like(other):
            raise TypeError(f"Vector.eq: argument must be a Vector, not {type(other).__name__}")
        arr = other._data() if isinstance(other, Vector) else _float_array("Vector.eq", other)
        if len(arr) != self._n:
            return 0.0
        return 1.0 if bool(np.all(np.abs(self._data() - arr) <= _EPSILON)) else 0.0

    # ------------------------------------------------------------------
    # in-place element-wise arithmetic (return self)
    # ------------------------------------------------------------------
    def add(self, other):
        """Add a number or a same-size Vector, in place; returns self."""
        self._data()[:] += self._operand("add", other)
        return self

    def sub(self, other):
        """Subtract a number or a same-size Vector, in place; returns self."""
        self._data()[:] -= self._operand("sub", other)
        return self

    def mul(self, other):
        """Multiply by a number or a same-size Vector, in place; returns self."""
        self._data()[:] *= self._operand("mul", other)
        return self

    def div(self, other):
        """Divide by a number (not 0) or a same-size Vector, in place; returns self.
        Division by zero elements of a Vector gives inf/nan, as in NEURON."""
        operand = self._operand("div", other)
        if isinstance(operand, float) and operand == 0.0:
            raise ZeroDivisionError("Vector.div: division by zero")
        with np.errstate(divide="ignore", invalid="ignore"):
            self._data()[:] /= operand
        return self

    def _unary(self, method, func, args):
        src, rest = self._source(method, args)
        if rest:
            raise TypeError(f"Vector.{method}: takes an optional source Vector only")
        with np.errstate(divide="ignore", invalid="ignore"):
            self._assign(func(src))
        return self

    def abs(self, *args):
        """Absolute value in place, or ``dest.abs(src)``; returns self."""
        return self._unary("abs", np.abs, args)

    def floor(self, *args):
        """Round down in place, or ``dest.floor(src)``; returns self."""
        return self._unary("floor", np.floor, args)

    def log(self, *args):
        """Natural log in place (0 -> -inf, negative -> nan), or ``dest.log(src)``."""
        return self._unary("log", np.log, args)

    def log10(self, *args):
        """Base-10 log in place, or ``dest.log10(src)``; returns self."""
        return self._unary("log10", np.log10, args)

    def sqrt(self, *args):
        """Square root in place, or ``dest.sqrt(src)``; negative elements are an error."""
        src, _ = self._source("sqrt", args)
        if np.any(src < 0):
            raise ValueError("Vector.sqrt: argument out of domain (negative element)")
        return self._unary("sqrt", np.sqrt, args)

    def pow(self, *args):
        """Raise to a power: ``pow(p)`` in place or ``dest.pow(src, p)``; returns self."""
        src, rest = self._source("pow", args)
        if len(rest) != 1:
            raise TypeError("Vector.pow: expected pow(power) or pow(source, power)")
        p = self._arg_number("pow", rest[0], "power")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            self._assign(np.power(src, p))
        return self

    def scale(self, low, high):
        """Linearly map [min, max] onto [low, high] in place; returns the scale
        factor (0.0, data unchanged, if all elements are equal)."""
        lo = self._arg_number("scale", low, "low")
        hi = self._arg_number("scale", high, "high")
        if self._n == 0:
            raise ValueError("Vector.scale: Vector is empty")
        d = self._data()
        dmin, dmax = float(d.min()), float(d.max())
        if not dmax - dmin > 0:
            return 0.0
        factor = (hi - lo) / (dmax - dmin)
        d[:] = (d - dmin) * factor + lo
        return factor

    # ------------------------------------------------------------------
    # filling and generating
    # ------------------------------------------------------------------
    def fill(self, value, *args):
        """Set all elements, or start..end (inclusive), to value; returns self."""
        x = self._arg_number("fill", value, "value")
        if not args:
            self._data()[:] = x
            return self
        a, b = self._span("fill", args)
        self._buf[a:b] = x
        return self

    def indgen(self, *args):
        """Fill with an arithmetic sequence; returns self.

        ``indgen()`` 0, 1, 2...; ``indgen(step)``; ``indgen(start, step)`` keep
        the size; ``indgen(start, end, step)`` resizes to
        floor((end - start)/step + 1e-9) + 1 elements."""
        start, step, n = 0.0, 1.0, self._n
        if len(args) == 1:
            step = self._arg_number("indgen", args[0], "step")
        elif len(args) == 2:
            start = self._arg_number("indgen", args[0], "start")
            step = self._arg_number("indgen", args[1], "step")
        elif len(args) == 3:
            start = self._arg_number("indgen", args[0], "start")
            end = self._arg_number("indgen", args[1], "end")
            step = self._arg_number("indgen", args[2], "step")
            if abs(step) > abs(end - start):
                raise ValueError(
                    f"Vector.indgen: |step| = {abs(step)} is larger than |end - start| = {abs(end - start)}"
                )
            if step == 0:
                raise ValueError("Vector.indgen: step 0 gives an infinite size")
            count = np.floor((end - start) / step + _INDGEN_EPSILON) + 1.0
            if count < 0:
                raise ValueError("Vector.indgen: empty set (step has the wrong sign)")
            if count > 2**31 - 1:
                raise ValueError("Vector.indgen: size too large")
            n = int(count)
            self._set_size(n)
        elif args:
            raise TypeError(f"Vector.indgen: takes at most 3 arguments, got {len(args)}")
        self._buf[:n] = np.arange(n, dtype=np.float64) * step + start
        return self

    # ------------------------------------------------------------------
    # copies and sub-vectors
    # ------------------------------------------------------------------
    def _sub_range(self, method, args):
        if len(args) > 2:
            raise TypeError(f"Vector.{method}: takes at most 2 arguments (start, end)")
        if not args:
            return 0, self._n
        start = self._arg_index(method, args[0], 0, self._n - 1, "start")
        end = self._n - 1
        if len(args) == 2:
            end = self._arg_index(method, args[1], start, self._n - 1, "end")
        return start, end + 1

    def c(self, *args):
        """A new Vector copying all elements, or start.., or start..end (no label)."""
        a, b = self._sub_range("c", args)
        return Vector(self._buf[a:b])

    def cl(self, *args):
        """Like c() but the copy also gets this Vector's label."""
        a, b = self._sub_range("cl", args)
        new = Vector(self._buf[a:b])
        new._label = self._label
        return new

    def at(self, *args):
        """A new Vector with elements start..end (inclusive); same as c()."""
        a, b = self._sub_range("at", args)
        return Vector(self._buf[a:b])

    def copy(self, src, *args):
        """Copy from ``src`` into this Vector; returns self.  Forms:

        copy(src)                                  become a copy of src
        copy(src, dest_start)                      src -> self[dest_start:]
        copy(src, src_start, src_end)              src[start..end] -> self[0:]
        copy(src, dest_start, src_start, src_end)
        copy(src, dest_start, src_start, src_end, dest_inc, src_inc)
        copy(src, index_vec)                       self[i] = src[i] for i in index_vec
        copy(src, src_index_vec, dest_index_vec)   self[d[k]] = src[s[k]]

        src_end = -1 means the last element.  The Vector grows (zero-padded)
        when the destination runs past its end; it never shrinks except in
        the one-argument form.
        """
        if not _is_vector_like(src):
            raise TypeError(f"Vector.copy: source must be a Vector, not {type(src).__name__}")
        data = _float_array("Vector.copy", src)  # a copy, so src may be self
        if not args:
            self._assign(data)
            return self
        if _is_vector_like(args[0]):
            return self._copy_indexed(data, args)
        nums = [self._arg_number("copy", a) for a in args]
        if len(nums) == 1:
            dest_start, src_start, src_end, dest_inc, src_inc = nums[0], 0, -1, 1, 1
        elif len(nums) == 2:
            dest_start, src_start, src_end, dest_inc, src_inc = 0, nums[0], nums[1], 1, 1
        elif len(nums) == 3:
            dest_start, src_start, src_end, dest_inc, src_inc = nums[0], nums[1], nums[2], 1, 1
        elif len(nums) == 5:
            dest_start, src_start, src_end, dest_inc, src_inc = nums
        else:
            raise TypeError(
                f"Vector.copy: takes 1, 2, 3, 4 or 6 arguments, got {len(args) + 1}"
            )
        if dest_start < 0:
            raise IndexError(f"Vector.copy: dest_start must be >= 0, got {dest_start:g}")
        if dest_inc < 1 or src_inc < 1:
            raise ValueError("Vector.copy: dest_inc and src_inc must be >= 1")
        if len(data) == 0:
            return self
        src_start = self._arg_index("copy", src_start, 0, len(data) - 1, "src_start")
        if src_end == -1:
            src_end = len(data) - 1
        elif src_end < src_start:
            raise IndexError("Vector.copy: src_end is smaller than src_start")
        src_end = self._arg_index("copy", src_end, src_start, len(data) - 1, "src_end")
        values = data[src_start : src_end + 1 : int(src_inc)]
        dest_start, dest_inc = int(dest_start), int(dest_inc)
        needed = dest_start + (len(values) - 1) * dest_inc + 1
        if needed > self._n:
            self._set_size(needed)
        self._buf[dest_start:needed:dest_inc] = values
        return self

    def _copy_indexed(self, data, args):
        if len(args) > 2:
            raise TypeError("Vector.copy: index forms are copy(src, index) or copy(src, src_index, dest_index)")
        src_idx = _float_array("Vector.copy", args[0]).astype(np.int64)
        dest_idx = src_idx if len(args) == 1 else _float_array("Vector.copy", args[1]).astype(np.int64)
        if len(dest_idx) != len(src_idx):
            raise ValueError("Vector.copy: index Vectors differ in size")
        if len(src_idx) and (src_idx.min() < 0 or src_idx.max() >= len(data)):
            raise IndexError("Vector.copy: source index out of range")
        if len(dest_idx) and (dest_idx.min() < 0 or dest_idx.max() >= self._n):
            raise IndexError("Vector.copy: destination index out of range")
        self._buf[dest_idx] = data[src_idx]
        return self

    # ------------------------------------------------------------------
    # reordering
    # ------------------------------------------------------------------
    def reverse(self):
        """Reverse in place; returns self."""
        d = self._data()
        d[:] = d[::-1].copy()
        return self

    def sort(self):
        """Sort ascending in place; returns self."""
        self._data().sort()
        return self

    def sortindex(self, dest=None):
        """Indices that sort the elements (stable, as floats) in a new Vector,
        or in ``dest`` which is returned."""
        if dest is None:
            dest = Vector()
        elif not isinstance(dest, Vector):
            raise TypeError(f"Vector.sortindex: destination must be a Vector, not {type(dest).__name__}")
        dest._assign(np.argsort(self._data(), kind="stable").astype(np.float64))
        return dest

    def rotate(self, k, wrap=1):
        """Shift elements right by k (left if k < 0); returns self.

        With wrap (default) elements leaving one end re-enter at the other;
        ``rotate(k, 0)`` fills with zeros instead.  Like NEURON, k is reduced
        modulo size only when k > size or k <= -size, so ``rotate(size, 0)``
        zeroes the Vector."""
        k = int(self._arg_number("rotate", k, "shift"))
        w = self._arg_number("rotate", wrap, "wrap")
        n = self._n
        if n == 0:
            return self  # NEURON crashes here; an empty Vector has nothing to move
        if k > n or k <= -n:
            k = int(np.fmod(k, n))  # C-style remainder keeps the sign of k
        d = self._data()
        if w:
            d[:] = np.roll(d, k)
        elif k > 0:
            d[k:] = d[: n - k].copy()
            d[:k] = 0.0
        elif k < 0:
            d[: n + k] = d[-k:].copy()
            d[n + k :] = 0.0
        return self

    # ------------------------------------------------------------------
    # searching
    # ------------------------------------------------------------------
    def indwhere(self, *args):
        """Index (int) of the first element satisfying the comparator, or -1.
        ``indwhere(">", 2)``, ``indwhere("[]", lo, hi)``."""
        mask = self._mask("indwhere", self._data(), args)
        hits = np.flatnonzero(mask)
        return int(hits[0]) if len(hits) else -1

    def indvwhere(self, *args):
        """Become the indices (as floats) where the comparator holds, on self
        or on a source: ``indvwhere(op, v...)``, ``dest.indvwhere(src, op, v...)``."""
        src, rest = self._source("indvwhere", args)
        mask = self._mask("indvwhere", src, rest)
        self._assign(np.flatnonzero(mask).astype(np.float64))
        return self

    def where(self, *args):
        """Keep the elements satisfying the comparator, of self or of a source:
        ``where(op, v...)``, ``dest.where(src, op, v...)``; returns self."""
        src, rest = self._source("where", args)
        mask = self._mask("where", src, rest)
        self._assign(src[mask])
        return self

    # ------------------------------------------------------------------
    # calculus
    # ------------------------------------------------------------------
    def deriv(self, *args):
        """Derivative; returns self.  ``deriv([src,] [dx [, method]])``.

        method 2 (default): central difference (x[i+1] - x[i-1]) / (2 dx) with
        one-sided differences at both ends, same size; method 1: forward
        difference (x[i+1] - x[i]) / dx, one element shorter."""
        src, rest = self._source("deriv", args)
        if len(rest) > 2:
            raise TypeError("Vector.deriv: expected deriv([src], [dx], [method])")
        dx = self._arg_number("deriv", rest[0], "dx") if rest else 1.0
        method = self._arg_index("deriv", rest[1], 1, 2, "method", ValueError) if len(rest) == 2 else 2
        if len(src) < 2:
            raise ValueError("Vector.deriv: can't take the derivative of a Vector with less than two points")
        with np.errstate(divide="ignore", invalid="ignore"):
            if method == 1:
                result = np.diff(src) / dx
            else:
                result = np.empty(len(src))
                result[0] = (src[1] - src[0]) / dx
                result[-1] = (src[-1] - src[-2]) / dx
                result[1:-1] = (src[2:] - src[:-2]) / (2.0 * dx)
        self._assign(result)
        return self

    def integral(self, *args):
        """Running integral (Euler); returns self.  ``integral([src,] [dx])``.

        y[0] = x[0] (not multiplied by dx, as in NEURON), y[i] = y[i-1] + x[i]*dx."""
        src, rest = self._source("integral", args)
        if len(rest) > 1:
            raise TypeError("Vector.integral: expected integral([src], [dx])")
        dx = self._arg_number("integral", rest[0], "dx") if rest else 1.0
        if len(src) == 0:
            raise ValueError("Vector.integral: Vector is empty")
        steps = src * dx
        steps[0] = src[0]
        self._assign(np.cumsum(steps))
        return self

    # ------------------------------------------------------------------
    # printing
    # ------------------------------------------------------------------
    def printf(self, fmt=None, *args):
        """Print elements with a C format and return how many were printed.

        Without a format each value is printed as "%g\\t", with a newline after
        every 5 values and at the end.  ``printf(fmt, start, end)`` prints a
        range and, like NEURON, adds no newlines of its own."""
        if fmt is not None and not isinstance(fmt, str):
            raise TypeError(f"Vector.printf: format must be a string, not {type(fmt).__name__}")
        if args and len(args) != 2:
            raise TypeError("Vector.printf: expected printf([format], [start, end])")
        a, b = self._span("printf", args) if args else (0, self._n)
        values = self._buf[a:b].tolist()
        if fmt is None:
            pieces = []
            for i, v in enumerate(values):
                pieces.append(_DEFAULT_PRINTF_FORMAT % v)
                if i % 5 == 4:
                    pieces.append("\n")
            pieces.append("\n")
        else:
            try:
                pieces = [fmt % v for v in values]
            except (TypeError, ValueError) as err:
                raise ValueError(f"Vector.printf: bad format {fmt!r}: {err}") from None
        sys.stdout.write("".join(pieces))
        return len(values)

    # ------------------------------------------------------------------
    # Python operators: new Vectors, as in NEURON (v += 1 rebinds v)
    # ------------------------------------------------------------------
    def _binary(self, other, method, func):
        if not isinstance(other, Vector) and _as_number(other) is None:
            return NotImplemented  # lets numpy arrays handle v + ndarray
        operand = self._operand(method, other)
        with np.errstate(divide="ignore", invalid="ignore"):
            return Vector(func(self._data(), operand))

    def __add__(self, other):
        return self._binary(other, "add", np.add)

    def __radd__(self, other):
        return self._binary(other, "add", lambda a, b: b + a)

    def __sub__(self, other):
        return self._binary(other, "sub", np.subtract)

    def __rsub__(self, other):
        return self._binary(other, "sub", lambda a, b: b - a)

    def __mul__(self, other):
        return self._binary(other, "mul", np.multiply)

    def __rmul__(self, other):
        return self._binary(other, "mul", lambda a, b: b * a)

    def __truediv__(self, other):
        x = _as_number(other)
        if x is not None and x == 0.0:
            raise ZeroDivisionError("Vector division by zero")
        return self._binary(other, "div", np.divide)

    def __rtruediv__(self, other):
        return self._binary(other, "div", lambda a, b: b / a)

    def __neg__(self):
        return Vector(-self._data())

    def __pos__(self):
        return Vector(self._data())

    def __abs__(self):
        return Vector(np.abs(self._data()))

    # ------------------------------------------------------------------
    # simulation hooks (the engine lives elsewhere)
    # ------------------------------------------------------------------
    def record(self, ref, *args):
        """Record a variable during simulation, e.g. ``vec.record(seg._ref_v)``."""
        record_into = getattr(ref, "_record_into", None)
        if record_into is None:
            raise TypeError(
                "Vector.record: argument must be a reference such as seg._ref_v or n._ref_t"
            )
        return record_into(self, *args)

    def play(self, ref, tvec_or_dt, continuous=False):
        """Play this Vector's values into a variable during a run: `vec.play(seg._ref_v, tvec)`,
        `vec.play(stim._ref_amp, dt)` (element j at j·dt), `vec.play(ref, tvec, True)` (linear
        interpolation). NEURON's fixed-step timing: a discrete element takes effect at the step
        boundary nearest its time; a continuous play is evaluated at each half step. Changes to
        this Vector (or tvec) count from the next finitialize. Returns this Vector."""
        play_from = getattr(ref, "_play_from", None)
        if play_from is None or getattr(ref, "_play", None) is None:
            raise TypeError("Vector.play: the first argument must be a reference such as seg._ref_v, "
                            "stim._ref_amp or seg._ref_gnabar_hh")
        play_from(self, tvec_or_dt, bool(continuous))
        return self

    def play_remove(self):
        """Stop playing this Vector."""
        model = getattr(self, "_playing_in", None)
        if model is not None:
            model._remove_play(self)
        return 0.0

    def _record_reset(self):
        """Engine hook: size 0, keep the buffer (called at finitialize)."""
        self._n = 0

    def _record_extend(self, arr):
        """Engine hook: append a 1-D float64 numpy array."""
        k = len(arr)
        if k == 0:
            return
        end = self._n + k
        self._reserve(end)
        self._buf[self._n : end] = arr
        self._n = end
