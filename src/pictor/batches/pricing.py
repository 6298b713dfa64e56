"""A batch's price: the discounted total, shared out as whole credits per item."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import ceil


def discounted_total(prices: list[int], discount: float) -> int:
    """``ceil(sum(prices) * (1 - discount))``, computed exactly (0.3 means 3/10, not
    the binary float nearest to it)."""
    keep = 1 - Fraction(Decimal(str(discount)))
    return ceil(sum(prices) * keep)


def shares(prices: list[int], total: int) -> list[int]:
    """Split ``total`` over the items in proportion to their prices, in whole credits,
    by largest remainder (ties to the earlier item): the shares sum to ``total`` exactly
    and none is above its item's own price when ``total <= sum(prices)``."""
    whole = sum(prices)
    if total < 0 or total > whole:
        raise ValueError(f"cannot share {total} over prices summing to {whole}")
    if whole == 0:
        return [0 for _ in prices]
    ideal = [Fraction(price * total, whole) for price in prices]
    floors = [int(value) for value in ideal]
    left = total - sum(floors)
    by_remainder = sorted(range(len(prices)), key=lambda i: (-(ideal[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return floors


def batch_price(prices: list[int], discount: float) -> tuple[int, list[int]]:
    """(total, per-item shares) of a batch whose items cost ``prices`` one by one."""
    total = discounted_total(prices, discount)
    return total, shares(prices, total)
