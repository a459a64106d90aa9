"""What every hoc object answers in NEURON: its name, repr, identity."""


class HocObject:
    """Mixin: `repr`/`str` are `hname()`, `same(other)`, `hocobjptr()`."""

    __slots__ = ()

    def hname(self):
        raise NotImplementedError  # each class names its objects

    def __repr__(self):
        return self.hname()

    __str__ = __repr__

    def same(self, other):
        return self is other

    def hocobjptr(self):
        return id(self)
