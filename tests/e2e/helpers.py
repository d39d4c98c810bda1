"""Small assertions shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def aws_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, str, int]:
    """Run a call that must fail; return (code, message, HTTP status)."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = info.value.response
    return (err["Error"]["Code"], err["Error"].get("Message", ""),
            err["ResponseMetadata"]["HTTPStatusCode"])
