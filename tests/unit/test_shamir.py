"""Shamir sharing over GF(256): any k shares recover the secret, fewer reveal nothing."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.keys import shamir
from strongroom.keys.shamir import Share, ShareInvalid


def test_field_tables_form_a_group():
    """3 generates every non-zero element, and every element has an inverse."""
    assert sorted(shamir._EXP[:255]) == list(range(1, 256))
    for a in range(1, 256):
        assert shamir.gf_mul(a, shamir.gf_div(1, a)) == 1


@st.composite
def splits(draw):
    secret = draw(st.binary(min_size=1, max_size=40))
    count = draw(st.integers(min_value=1, max_value=12))
    threshold = draw(st.integers(min_value=1, max_value=count))
    return secret, threshold, count


@given(splits(), st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_any_threshold_shares_recover_the_secret(case, rnd):
    """Whichever k of the n shares are combined, in any order, the secret comes back."""
    secret, threshold, count = case
    shares = shamir.split(secret, threshold, count)
    chosen = rnd.sample(shares, threshold)
    assert shamir.combine(chosen) == secret
    assert shamir.combine(shares) == secret  # more than k also works


@given(st.integers(min_value=2, max_value=6), st.binary(min_size=1, max_size=4),
       st.randoms(use_true_random=False))
@settings(max_examples=50, deadline=None)
def test_fewer_shares_are_consistent_with_every_secret(threshold, secret, rnd):
    """k-1 shares fit a polynomial for every possible secret byte: they rule nothing out."""
    shares = shamir.split(secret, threshold, threshold + 1)
    known = rnd.sample(shares, threshold - 1)
    other = next(x for x in range(1, 256) if x not in {k for k, _ in known})
    for position in range(len(secret)):
        points = [(x, value[position]) for x, value in known]
        for candidate in range(256):
            forged = shamir.interpolate([(0, candidate), *points], other)
            assert shamir.combine([*[(x, bytes([v])) for x, v in points],
                                   (other, bytes([forged]))]) == bytes([candidate])


@pytest.mark.parametrize("secret", [0, 1, 0x5A, 0xFF])
def test_one_share_of_two_is_uniform_over_the_coefficients(secret):
    """With k=2, share 1 takes every byte value once over all coefficients, for any secret."""
    values = Counter()
    for coefficient in range(256):
        shares = shamir.split(bytes([secret]), 2, 3, lambda n, c=coefficient: bytes([c] * n))
        values[shares[0][1][0]] += 1
    assert set(values.values()) == {1}
    assert len(values) == 256


def test_two_shares_of_three_are_uniform_over_the_coefficients():
    """With k=3, the pair (share 1, share 2) takes every value exactly once, whatever the secret."""
    for secret in (0, 0xC3):
        pairs = set()
        for a1, a2 in itertools.product(range(256), repeat=2):
            coefficients = iter([a1, a2])
            shares = shamir.split(bytes([secret]), 3, 3,
                                  lambda n, it=coefficients: bytes(next(it) for _ in range(n)))
            pairs.add((shares[0][1][0], shares[1][1][0]))
        assert len(pairs) == 65536


def test_split_refuses_impossible_parameters():
    with pytest.raises(ValueError, match="threshold"):
        shamir.split(b"x", 3, 2)
    with pytest.raises(ValueError, match="threshold"):
        shamir.split(b"x", 1, 256)
    with pytest.raises(ValueError, match="distinct"):
        shamir.combine([(1, b"a"), (1, b"b")])


def test_share_text_round_trips():
    share = Share(3, b"\x01\x02\x03\x04", bytes(range(32)))
    text = share.text()
    assert text.startswith("strongroom-share-3-")
    assert Share.parse(text) == share
    assert Share.parse("  " + text.upper().replace("STRONGROOM-SHARE", "strongroom-share") + "\n") \
        == share
    assert "00010203" not in repr(share)


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_a_mistyped_share_is_rejected(data):
    """Changing any hex digit of a share (or its index) fails the checksum."""
    text = Share(2, b"abcd", bytes(range(32))).text()
    prefix_len = len("strongroom-share-2-")
    position = data.draw(st.integers(min_value=prefix_len, max_value=len(text) - 1))
    replacement = data.draw(st.sampled_from("0123456789abcdef").filter(
        lambda c: c != text[position]))
    typo = text[:position] + replacement + text[position + 1:]
    with pytest.raises(ShareInvalid, match="checksum"):
        Share.parse(typo)
    with pytest.raises(ShareInvalid, match="checksum"):
        Share.parse(text.replace("share-2-", "share-5-"))


@pytest.mark.parametrize("text", ["", "strongroom-share-1-", "strongroom-share-x-00",
                                  "strongroom-share-0-" + "00" * 40, "share-1-abcd",
                                  "strongroom-share-1-abc", "strongroom-share-1-0011"])
def test_malformed_shares_are_rejected(text):
    with pytest.raises(ShareInvalid):
        Share.parse(text)
