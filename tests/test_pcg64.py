"""``nn.pcg64`` draws numpy's numbers bit for bit: the oracle is numpy itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import pcg64
from nn.ziggurat_tables import FI, KI, NOR_R, WI

seeds = st.integers(min_value=0, max_value=2**160)


@settings(max_examples=60, deadline=None)
@given(seeds)
def test_seeding_and_raw_outputs_match_numpy(seed):
    ours = pcg64.SeedSequence(seed)
    theirs = np.random.SeedSequence(seed)
    assert ours.pool == theirs.pool.tolist()
    assert ours.generate_state(4) == theirs.generate_state(4, np.uint64).tolist()
    bits = pcg64.PCG64(seed)
    assert [bits.next_uint64() for _ in range(20)] == np.random.PCG64(seed).random_raw(20).tolist()


@settings(max_examples=60, deadline=None)
@given(seeds, st.integers(0, 300), st.floats(-5, 5), st.floats(0, 3))
def test_normal_and_uniform_match_numpy(seed, n, loc, scale):
    theirs = np.random.default_rng(seed)
    ours = pcg64.Generator(seed)
    assert ours.normal(loc, scale, 2 * n) == theirs.normal(loc, scale, (n, 2)).ravel().tolist()
    assert ours.uniform(loc, loc + scale, n) == theirs.uniform(loc, loc + scale, n).tolist()
    assert ours.random(n) == theirs.random(n).tolist()


@settings(max_examples=60, deadline=None)
@given(seeds, st.integers(0, 400), st.integers(1, 2**32 - 1))
def test_permutation_choice_integers_and_shuffle_match_numpy(seed, n, bound):
    theirs = np.random.default_rng(seed)
    ours = pcg64.Generator(seed)
    # interleaved, so the kept half of a 64-bit output carries from one call to the next as in numpy
    assert ours.permutation(n) == theirs.permutation(n).tolist()
    assert ours.choice([-1.0, 1.0], n) == theirs.choice([-1.0, 1.0], n).tolist()
    assert ours.integers(0, bound, 7) == theirs.integers(0, bound, 7, dtype=np.int64).tolist()
    items, array = list(range(n)), np.arange(n)
    ours.shuffle(items)
    theirs.shuffle(array)
    assert items == array.tolist()
    assert ours.normal(0.0, 1.0, 3) == theirs.normal(0.0, 1.0, 3).tolist()


def test_standard_normal_matches_numpy_in_the_tail_and_the_wedges():
    # 400,000 draws: about 2,800 leave the ziggurat's rectangles (wedges and the tail).
    ours = pcg64.Generator(2024)
    drawn = [ours.standard_normal() for _ in range(400_000)]
    assert drawn == np.random.default_rng(2024).standard_normal(400_000).tolist()
    assert sum(abs(z) > NOR_R for z in drawn) >= 10  # the tail was drawn from


def test_ziggurat_tables_are_numpys():
    # The tables' defining relations (numpy's ziggurat_constants.h): 256 layers, the
    # thresholds 2**52 * x[i-1] / x[i], and the edge densities exp(-x**2 / 2).
    assert len(KI) == len(WI) == len(FI) == 256
    assert FI[0] == 1.0 and KI[1] == 0
    x = [w * 2.0**52 for w in WI]
    for i in range(2, 256):
        assert abs(KI[i] - 2.0**52 * x[i - 1] / x[i]) <= 2.0**52 * 1e-14
        assert abs(FI[i] - np.exp(-0.5 * x[i] ** 2)) <= 1e-15


def test_seed_checks():
    with pytest.raises(ValueError, match="non-negative"):
        pcg64.Generator(-1)
    with pytest.raises(TypeError, match="int or None, got float"):
        pcg64.Generator(1.5)
    # None: fresh entropy, as numpy's default_rng(None)
    assert pcg64.Generator(None).random(4) != pcg64.Generator(None).random(4)
    assert sorted(pcg64.Generator(None).permutation(50)) == list(range(50))
