"""What a grader says, and how it calls the learner's code without ever crashing.

A grader runs the learner's code only through ``call`` and ``attribute``. Whatever that code
raises becomes a ``Mistake`` (a verdict with a hint), so a wrong answer never stops a
notebook; an exception from the grader itself is a bug and propagates.
"""

from __future__ import annotations

import dis
from dataclasses import dataclass, field

# Python's own limit is about 1,000 frames; a learner's recursion over a graph this deep
# always hits it, so such a failure is told as a note about recursion, not as a wrong answer.
DEEP = 2000


@dataclass(frozen=True)
class Verdict:
    """The grade of one task: ``passed``, and ``hint``, which says what was checked when the
    answer passed and names the mistake when it did not. ``notes`` are advice that does not
    fail the task (a recursion that a deep graph breaks, say)."""

    task: str
    passed: bool
    hint: str
    notes: tuple[str, ...] = field(default=())
    answered: bool = True  # False while the exercise cell is still empty

    def __str__(self) -> str:
        head = f"{self.task}: " + ("passed. " if self.passed else "not yet. " if self.answered else "")
        return head + self.hint + "".join(f"\nNote: {note}" for note in self.notes)

    def __repr__(self) -> str:  # the last line of a notebook cell shows the verdict as text
        return str(self)

    def __bool__(self) -> bool:
        return self.passed


class Mistake(Exception):
    """A wrong answer, found: its message is the hint."""


class Ambiguous(Mistake):
    """A mistake seen on a graph too small to tell it from others (on ``a * a``, a list in the
    wrong order is also the reversed one): told only if no larger graph says more."""


class NotWritten(Exception):
    """The answer is still the empty exercise cell (``None``, ``...`` or ``NotImplementedError``)."""


class Recursed(Exception):
    """The learner's code ran out of Python's recursion limit (``where`` says on what)."""

    def __init__(self, where: str):
        super().__init__(where)
        self.where = where


def call(fn, *args, doing: str, hints: dict[type, str] | None = None):
    """``fn(*args)``, with anything it raises turned into a verdict.

    ``doing`` says what was being done ("calling V(2.0)"); ``hints`` maps an exception type
    to advice for it (``TypeError`` on ``2 * a``: write ``__rmul__``).
    """
    try:
        return fn(*args)
    except NotImplementedError:
        raise NotWritten from None
    except RecursionError:
        raise Recursed(doing) from None
    except (Mistake, NotWritten, Recursed):
        raise
    except SystemExit:  # exit() in a cell; KeyboardInterrupt, the learner pressing stop, goes on
        raise Mistake(f"{doing} called exit(): a function hands back a result instead.") from None
    except Exception as error:  # the learner's code failed: that is the verdict
        advice = next((text for kind, text in (hints or {}).items() if isinstance(error, kind)), "")
        if "unhashable type" in _short(error):
            advice = ("A set or dict needs nodes that can be hashed: a class that defines __eq__ must also "
                      "define __hash__ (or leave both out, so nodes compare by identity).")
        message = f"{doing} raised {type(error).__name__}: {_short(error)}."
        raise Mistake(message + (" " + advice[:1].upper() + advice[1:] if advice else "")) from None


def attribute(obj, name: str, what: str):
    """``obj.name`` read from a learner's object, its absence told as a mistake."""
    return call(getattr, obj, name, doing=f"reading .{name} of {what}",
                hints={AttributeError: f"{what} needs a .{name} attribute."})


def number(x, what: str) -> float:
    """A learner's number as a float (a Value's ``.data`` counts), or a mistake saying what came."""
    shape = call(getattr, x, "shape", None, doing=f"reading {what}")
    if shape not in (None, ()):  # a numpy array's .data is its buffer
        raise Mistake(f"expected a number for {what}, got an array of shape {shape}.")
    numpy = type(x).__module__ == "numpy"
    if not numpy and not isinstance(x, (int, float)) and call(hasattr, x, "data", doing=f"reading {what}"):
        x = attribute(x, "data", what)
        numpy = type(x).__module__ == "numpy"
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not numpy:
        raise Mistake(f"expected a number for {what}, got a {type(x).__name__}.")
    return call(float, x, doing=f"turning {what} into a float")


def unwritten(answer) -> bool:
    """Whether ``answer`` is still an empty exercise: ``None``, ``...``, a function whose body
    does nothing (``...``, ``pass``, a docstring) or a class that defines nothing."""
    if answer is None or answer is Ellipsis:
        return True
    if isinstance(answer, type):
        return not set(vars(answer)) - {"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__",
                                           "__firstlineno__", "__static_attributes__"}
    code = getattr(answer, "__code__", None)
    if code is None:
        return False
    steps = [(i.opname, i.argval) for i in dis.get_instructions(code) if i.opname not in ("RESUME", "NOP")]
    return steps in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


def _short(error: Exception, limit: int = 160) -> str:
    try:
        text = str(error) or "(no message)"
    except Exception:  # an exception whose message itself fails (a __repr__ that raises, say)
        text = "(a message that cannot be shown)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    """Equal to 1e-9 relative (an absolute 1e-12 near zero); nan equals nan."""
    if a != a or b != b:
        return a != a and b != b
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-12
