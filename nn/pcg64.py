"""numpy's ``default_rng`` in pure Python: the same numbers from the same seed, bit for bit.

Why this exists: ``nn`` draws its toy datasets and ``fit``'s shuffles from
``numpy.random.default_rng(seed)``. Where numpy cannot be installed (the browser, through
Pyodide, offline) ``nn`` draws them from ``Generator`` here instead, so a seed gives the
same dataset and the same training run with or without numpy. When numpy is importable,
``nn`` uses numpy itself and never this module.

Only what ``nn`` draws is reproduced, each as numpy 2's ``Generator`` computes it
(``numpy/random/_generator.pyx``, ``bit_generator.pyx``, ``src/pcg64/pcg64.h`` and
``src/distributions/distributions.c``):

- seeding: ``SeedSequence(seed).generate_state(4, uint64)`` hashes the seed's 32-bit words
  into the PCG64 state and increment;
- ``PCG64``: a 128-bit LCG whose 64-bit output is the XSL-RR of the new state; a 32-bit draw
  uses one half of a 64-bit output and keeps the other half for the next 32-bit draw;
- ``random`` and ``uniform``: ``(next_uint64 >> 11) * 2**-53``, then ``low + (high - low) * u``;
- ``normal``: ``loc + scale * z``, ``z`` from the 256-layer ziggurat (``random_standard_normal``,
  tables in ``nn.ziggurat_tables``);
- ``permutation(n)``: a Fisher-Yates shuffle of ``0 .. n-1``, each index drawn by masked
  rejection (``random_interval``), 32 bits at a time;
- ``choice(seq, size)`` (with replacement, no weights): ``integers(0, len(seq), size)``,
  Lemire's bounded draw on 32-bit outputs (``buffered_bounded_lemire_uint32``).

Sizes are counts (a shape's entries in C order); results are lists.
"""

from __future__ import annotations

import math
import secrets
from numbers import Integral

from .ziggurat_tables import FI, KI, NOR_INV_R, NOR_R, WI

__all__ = ["Generator", "SeedSequence", "PCG64"]

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
_MASK128 = (1 << 128) - 1

# SeedSequence's hash constants (numpy/random/bit_generator.pyx).
_POOL_SIZE = 4
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = 16

# PCG64's multiplier (numpy/random/src/pcg64/pcg64.h, PCG_DEFAULT_MULTIPLIER_128).
_PCG_MULTIPLIER = (2549297995355413924 << 64) | 4865540595714422341


class SeedSequence:
    """numpy's ``SeedSequence`` for an int seed (no spawn key): ``pool`` is the mixed entropy,
    four 32-bit words; ``generate_state`` hashes it into seeding words."""

    def __init__(self, entropy: int | None = None):
        if entropy is None:
            entropy = secrets.randbits(32 * _POOL_SIZE)
        if isinstance(entropy, bool) or not isinstance(entropy, Integral):
            raise TypeError(f"seed must be an int or None, got {type(entropy).__name__}")
        if entropy < 0:
            raise ValueError(f"seed must be a non-negative int, got {entropy}")
        self.entropy = int(entropy)
        self.pool = self._mix(_words(self.entropy))

    @staticmethod
    def _mix(entropy: list[int]) -> list[int]:
        hash_const = _INIT_A

        def hashmix(value: int) -> int:
            nonlocal hash_const
            value ^= hash_const
            hash_const = (hash_const * _MULT_A) & _MASK32
            value = (value * hash_const) & _MASK32
            return value ^ (value >> _XSHIFT)

        def mix(x: int, y: int) -> int:
            result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _MASK32
            return result ^ (result >> _XSHIFT)

        pool = [hashmix(entropy[i] if i < len(entropy) else 0) for i in range(_POOL_SIZE)]
        for src in range(_POOL_SIZE):
            for dst in range(_POOL_SIZE):
                if src != dst:
                    pool[dst] = mix(pool[dst], hashmix(pool[src]))
        for word in entropy[_POOL_SIZE:]:
            for dst in range(_POOL_SIZE):
                pool[dst] = mix(pool[dst], hashmix(word))
        return pool

    def generate_state(self, n_words: int) -> list[int]:
        """``n_words`` 64-bit words, as ``generate_state(n_words, np.uint64)``: each the
        little-endian pair of two hashed 32-bit words."""
        hash_const = _INIT_B
        words = []
        for i in range(2 * n_words):
            value = self.pool[i % _POOL_SIZE] ^ hash_const
            hash_const = (hash_const * _MULT_B) & _MASK32
            value = (value * hash_const) & _MASK32
            words.append(value ^ (value >> _XSHIFT))
        return [low | (high << 32) for low, high in zip(words[::2], words[1::2])]


def _words(n: int) -> list[int]:
    """A non-negative int as 32-bit words, lowest first (``[0]`` for 0)."""
    words = [n & _MASK32]
    n >>= 32
    while n:
        words.append(n & _MASK32)
        n >>= 32
    return words


class PCG64:
    """numpy's ``PCG64`` bit generator, seeded as ``PCG64(SeedSequence(seed))``."""

    def __init__(self, seed: int | None = None):
        state_high, state_low, inc_high, inc_low = SeedSequence(seed).generate_state(4)
        # pcg_setseq_128_srandom_r: step from 0, add the seed, step again.
        self.inc = (((inc_high << 64) | inc_low) << 1 | 1) & _MASK128
        self.state = 0
        self._step()
        self.state = (self.state + ((state_high << 64) | state_low)) & _MASK128
        self._step()
        self._half: int | None = None  # the kept upper half of a 64-bit output

    def _step(self) -> None:
        self.state = (self.state * _PCG_MULTIPLIER + self.inc) & _MASK128

    def next_uint64(self) -> int:
        self._step()
        state = self.state
        rotation = state >> 122
        x = ((state >> 64) ^ state) & _MASK64
        return ((x >> rotation) | (x << (64 - rotation))) & _MASK64

    def next_uint32(self) -> int:
        if self._half is not None:
            half, self._half = self._half, None
            return half
        x = self.next_uint64()
        self._half = x >> 32
        return x & _MASK32

    def next_double(self) -> float:
        return (self.next_uint64() >> 11) * (1.0 / 9007199254740992.0)


class Generator:
    """The part of ``numpy.random.default_rng(seed)`` that ``nn`` uses, drawing the same numbers."""

    def __init__(self, seed: int | None = None):
        self.bit_generator = PCG64(seed)

    def random(self, size: int) -> list[float]:
        """``size`` floats uniform on [0, 1)."""
        return [self.bit_generator.next_double() for _ in range(_count(size))]

    def uniform(self, low: float = 0.0, high: float = 1.0, size: int = 1) -> list[float]:
        """``size`` floats uniform on [low, high): ``low + (high - low) * u``."""
        low, span = float(low), float(high) - float(low)
        return [low + span * u for u in self.random(size)]

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: int = 1) -> list[float]:
        """``size`` floats ``loc + scale * z``, ``z`` standard normal."""
        loc, scale = float(loc), float(scale)
        return [loc + scale * self.standard_normal() for _ in range(_count(size))]

    def standard_normal(self) -> float:
        """One standard normal draw: numpy's ziggurat, ``random_standard_normal``."""
        bits = self.bit_generator
        while True:
            r = bits.next_uint64()
            layer = r & 0xFF
            r >>= 8
            rabs = (r >> 1) & 0x000FFFFFFFFFFFFF
            x = rabs * WI[layer]
            if r & 0x1:
                x = -x
            if rabs < KI[layer]:
                return x  # the common case: inside the layer's rectangle
            if layer == 0:  # the tail beyond NOR_R (1 - U avoids log(0))
                while True:
                    xx = -NOR_INV_R * math.log1p(-bits.next_double())
                    yy = -math.log1p(-bits.next_double())
                    if yy + yy > xx * xx:
                        return -(NOR_R + xx) if (rabs >> 8) & 0x1 else NOR_R + xx
            elif (FI[layer - 1] - FI[layer]) * bits.next_double() + FI[layer] < math.exp(-0.5 * x * x):
                return x

    def integers(self, low: int, high: int, size: int) -> list[int]:
        """``size`` ints in [low, high), as ``integers(low, high, size, dtype=np.int64)``
        draws them when ``high - low`` fits in 32 bits (Lemire's method)."""
        span = high - low - 1
        if not 0 <= span < _MASK32:
            raise ValueError(f"integers needs 1 <= high - low <= 2**32 - 1, got low={low}, high={high}")
        if span == 0:  # one possible value: numpy draws nothing
            return [low] * _count(size)
        return [low + self._lemire32(span) for _ in range(_count(size))]

    def _lemire32(self, span: int) -> int:
        bits, bound = self.bit_generator, span + 1
        m = bits.next_uint32() * bound
        if m & _MASK32 < bound:
            threshold = (_MASK32 - span) % bound
            while m & _MASK32 < threshold:
                m = bits.next_uint32() * bound
        return m >> 32

    def choice(self, population, size: int) -> list:
        """``size`` items of ``population`` drawn with replacement, equally likely."""
        population = list(population)
        return [population[i] for i in self.integers(0, len(population), size)]

    def permutation(self, n: int) -> list[int]:
        """``0 .. n-1`` shuffled, as ``permutation(n)``."""
        items = list(range(_count(n)))
        self.shuffle(items)
        return items

    def shuffle(self, items: list) -> None:
        """Shuffle a list in place, as ``shuffle`` shuffles a 1-D array."""
        for i in reversed(range(1, len(items))):
            j = self._interval(i)
            items[i], items[j] = items[j], items[i]

    def _interval(self, most: int) -> int:
        """An int in [0, most] by masked rejection (``random_interval``)."""
        if most == 0:
            return 0
        mask = (1 << most.bit_length()) - 1
        draw = self.bit_generator.next_uint32 if most <= _MASK32 else self.bit_generator.next_uint64
        while True:
            value = draw() & mask
            if value <= most:
                return value


def _count(size) -> int:
    if isinstance(size, bool) or not isinstance(size, Integral) or size < 0:
        raise ValueError(f"size must be an int >= 0, got {size!r}")
    return int(size)
