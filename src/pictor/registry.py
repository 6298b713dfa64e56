"""A small generic registry of named factories, loud on duplicates and unknown names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from pictor.errors import InvalidInput

T = TypeVar("T")


class UnknownName(InvalidInput):
    code = "unknown_name"


class Registry(Generic[T]):
    def __init__(self, family: str) -> None:
        self.family = family
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.family} {name!r} is registered twice")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise UnknownName(
                f"unknown {self.family} {name!r}; known: {known}",
                details={"known": sorted(self._items)},
            ) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())
