"""The batch price: ceil(sum x (1 - discount)), shared out exactly in whole credits."""

from __future__ import annotations

import random

import pytest

from pictor.batches.pricing import batch_price, discounted_total, shares


def test_the_total_rounds_up_and_is_exact_for_decimal_discounts() -> None:
    assert discounted_total([1, 1, 1], 0.5) == 2
    assert discounted_total([1] * 10, 0.3) == 7  # 0.7 * 10 exactly, not 7.000000001 -> 8
    assert discounted_total([4, 4, 3], 0.5) == 6  # 5.5 -> 6
    assert discounted_total([], 0.5) == 0
    assert discounted_total([5], 0.0) == 5


def test_shares_sum_to_the_total_by_largest_remainder() -> None:
    assert shares([1, 1, 1], 2) == [1, 1, 0]
    assert shares([2, 1, 1, 1], 3) == [1, 1, 1, 0]
    assert shares([4, 1], 3) == [2, 1]  # 2.4 / 0.6: the larger remainder gets the unit
    assert shares([0, 0], 0) == [0, 0]
    assert shares([3, 0, 3], 3) == [2, 0, 1]  # ties go to the earlier item
    with pytest.raises(ValueError):
        shares([1, 1], 3)


def test_random_batches_keep_every_rule() -> None:
    rng = random.Random(7)
    for _ in range(500):
        prices = [rng.choice([0, 1, 1, 2, 3, 4, 12]) for _ in range(rng.randint(1, 60))]
        discount = rng.choice([0.0, 0.1, 0.25, 0.3, 0.5, 0.75, 0.99])
        total, parts = batch_price(prices, discount)
        assert sum(parts) == total
        assert total >= sum(prices) * (1 - discount) - 1e-9
        assert all(0 <= part <= price for part, price in zip(parts, prices, strict=True))
