"""Secrets Manager's NextToken values: the shared page tokens, refused with
InvalidNextTokenException."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from strongroom.core import paging
from strongroom.core.paging import query_fingerprint
from strongroom.secrets.errors import InvalidNextToken

T = TypeVar("T")

__all__ = ["decode", "page", "query_fingerprint"]


def decode(token: str | None, fingerprint: str) -> int:
    return paging.decode(token, fingerprint, InvalidNextToken)


def page(items: Sequence[T], token: str | None, size: int, fingerprint: str
         ) -> tuple[list[T], str | None]:
    return paging.page(items, token, size, fingerprint, InvalidNextToken)
