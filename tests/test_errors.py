"""The boundary's number checks (hipsim.errors.is_real, is_whole) and the message shape."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipsim.errors import input_error, is_real, is_whole


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_is_real_exactly_when_finite(x):
    assert is_real(x) == math.isfinite(x)
    assert is_real(np.float64(x)) == math.isfinite(x)


@given(st.integers(min_value=-2**62, max_value=2**62))
def test_integers_of_any_kind_are_real_and_whole(n):
    assert is_real(n) and is_whole(n) and is_real(np.int64(n)) and is_whole(np.int64(n))


@pytest.mark.parametrize("value", [True, False, np.bool_(True), "1.0", None, [1.0], np.array([1.0]), 1 + 0j])
def test_bools_strings_containers_and_complex_are_not_numbers(value):
    assert not is_real(value) and not is_whole(value)


def test_floats_are_not_whole_even_when_integral():
    assert not is_whole(3.0) and not is_whole(np.float64(3.0))
    assert is_real(Fraction(1, 3)) and not is_whole(Fraction(1, 3))


def test_message_names_source_key_value_and_what_is_allowed():
    e = input_error("walk.toml", "task.speed_m_s", "fast", "a number from 0.6 to 2 m/s")
    assert str(e) == "walk.toml: task.speed_m_s = 'fast' is not allowed; a number from 0.6 to 2 m/s."
    assert (e.source, e.key, e.value) == ("walk.toml", "task.speed_m_s", "fast")
