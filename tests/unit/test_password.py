"""GetRandomPassword semantics: pool, exclusions, required classes and errors."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.secrets.errors import InvalidParameter
from strongroom.secrets.password import (
    MAX_LENGTH,
    PasswordSpec,
    character_classes,
    generate_password,
)

ALL_CHARS = string.ascii_letters + string.digits + string.punctuation


def test_default_is_32_characters_from_letters_digits_and_punctuation() -> None:
    """A password with no options is 32 characters of letters, digits and punctuation."""
    password = generate_password(PasswordSpec())
    assert len(password) == 32
    assert set(password) <= set(ALL_CHARS)
    assert " " not in password


def test_default_holds_one_character_of_each_class() -> None:
    """By default every password holds an upper, a lower, a digit and a punctuation mark."""
    for _ in range(200):
        password = generate_password(PasswordSpec(length=4))
        assert any(c.isupper() for c in password)
        assert any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)
        assert any(c in string.punctuation for c in password)


@pytest.mark.parametrize(
    ("option", "forbidden"),
    [
        ("exclude_numbers", string.digits),
        ("exclude_punctuation", string.punctuation),
        ("exclude_uppercase", string.ascii_uppercase),
        ("exclude_lowercase", string.ascii_lowercase),
    ],
)
def test_excluding_a_class_removes_it(option: str, forbidden: str) -> None:
    """Excluding a character class means no character of it ever appears."""
    spec = PasswordSpec(length=200, **{option: True})
    assert not set(generate_password(spec)) & set(forbidden)


def test_exclude_characters_removes_each_listed_character() -> None:
    """ExcludeCharacters removes exactly the listed characters (the rotation-template set)."""
    excluded = "/@\"'\\"
    password = generate_password(PasswordSpec(length=500, exclude_characters=excluded))
    assert not set(password) & set(excluded)


def test_include_space_puts_a_space_in_the_password() -> None:
    """With IncludeSpace the space counts as a required type and always appears."""
    for _ in range(50):
        assert " " in generate_password(PasswordSpec(length=5, include_space=True))


def test_space_excluded_by_character_is_not_required() -> None:
    """A space named in ExcludeCharacters wins over IncludeSpace."""
    spec = PasswordSpec(length=50, include_space=True, exclude_characters=" ")
    assert " " not in generate_password(spec)


def test_without_requirement_any_length_down_to_one_works() -> None:
    """RequireEachIncludedType=false allows a password shorter than the number of classes."""
    password = generate_password(PasswordSpec(length=1, require_each_included_type=False))
    assert len(password) == 1
    assert password in ALL_CHARS


def test_class_emptied_by_exclusions_is_not_required() -> None:
    """Excluding every digit by character drops the digit class instead of failing."""
    spec = PasswordSpec(length=3, exclude_characters=string.digits)
    password = generate_password(spec)
    assert len(password) == 3
    assert not set(password) & set(string.digits)


def test_single_allowed_character_fills_the_password() -> None:
    """When only one character is left, the password is that character repeated."""
    spec = PasswordSpec(
        length=7,
        exclude_uppercase=True,
        exclude_lowercase=True,
        exclude_punctuation=True,
        exclude_characters="012345678",
    )
    assert generate_password(spec) == "9" * 7


def test_every_class_excluded_is_refused() -> None:
    """Excluding every class leaves nothing to draw from and is an invalid parameter."""
    spec = PasswordSpec(
        exclude_numbers=True,
        exclude_punctuation=True,
        exclude_uppercase=True,
        exclude_lowercase=True,
    )
    with pytest.raises(InvalidParameter) as caught:
        generate_password(spec)
    assert caught.value.reason == "password_no_characters"


def test_every_character_excluded_is_refused() -> None:
    """Excluding every character one by one is the same error as excluding every class."""
    with pytest.raises(InvalidParameter) as caught:
        generate_password(PasswordSpec(exclude_characters=ALL_CHARS))
    assert caught.value.reason == "password_no_characters"


def test_only_space_left_still_works() -> None:
    """IncludeSpace with every other class excluded yields a password of spaces."""
    spec = PasswordSpec(
        length=3,
        exclude_numbers=True,
        exclude_punctuation=True,
        exclude_uppercase=True,
        exclude_lowercase=True,
        include_space=True,
    )
    assert generate_password(spec) == "   "


def test_length_below_required_types_is_refused() -> None:
    """Three characters cannot hold an upper, a lower, a digit and a punctuation mark."""
    with pytest.raises(InvalidParameter) as caught:
        generate_password(PasswordSpec(length=3))
    assert caught.value.reason == "password_too_short"
    assert caught.value.facts == {"length": "3", "required": "4"}


def test_length_equal_to_required_types_is_allowed() -> None:
    """Five characters fit the four classes plus a space."""
    password = generate_password(PasswordSpec(length=5, include_space=True))
    assert len(password) == 5


@pytest.mark.parametrize("length", [0, -1, MAX_LENGTH + 1])
def test_length_out_of_range_is_refused(length: int) -> None:
    """A length outside 1..4096 is refused even if the wire layer let it through."""
    with pytest.raises(InvalidParameter) as caught:
        generate_password(PasswordSpec(length=length))
    assert caught.value.reason == "password_length_out_of_range"


def test_maximum_length_is_allowed() -> None:
    """A 4096-character password can be generated."""
    assert len(generate_password(PasswordSpec(length=MAX_LENGTH))) == MAX_LENGTH


def test_required_characters_are_not_at_fixed_positions() -> None:
    """The guaranteed characters move around: the first character is not always one class."""
    spec = PasswordSpec(length=4)
    firsts = {_class_of(generate_password(spec)[0]) for _ in range(300)}
    lasts = {_class_of(generate_password(spec)[-1]) for _ in range(300)}
    assert len(firsts) == 4
    assert len(lasts) == 4


def test_passwords_differ() -> None:
    """Two default passwords are (overwhelmingly likely to be) different."""
    assert len({generate_password(PasswordSpec()) for _ in range(20)}) == 20


def _class_of(char: str) -> str:
    if char.isupper():
        return "upper"
    if char.islower():
        return "lower"
    if char.isdigit():
        return "digit"
    return "punctuation"


# --- properties ------------------------------------------------------------------

specs = st.builds(
    PasswordSpec,
    length=st.integers(min_value=1, max_value=200),
    exclude_characters=st.text(alphabet=ALL_CHARS + " ", max_size=120),
    exclude_numbers=st.booleans(),
    exclude_punctuation=st.booleans(),
    exclude_uppercase=st.booleans(),
    exclude_lowercase=st.booleans(),
    include_space=st.booleans(),
    require_each_included_type=st.booleans(),
)


def _allowed(spec: PasswordSpec) -> set[str]:
    allowed = set()
    if not spec.exclude_uppercase:
        allowed |= set(string.ascii_uppercase)
    if not spec.exclude_lowercase:
        allowed |= set(string.ascii_lowercase)
    if not spec.exclude_numbers:
        allowed |= set(string.digits)
    if not spec.exclude_punctuation:
        allowed |= set(string.punctuation)
    if spec.include_space:
        allowed.add(" ")
    return allowed - set(spec.exclude_characters)


@given(specs)
def test_property_output_obeys_the_spec_or_is_refused(spec: PasswordSpec) -> None:
    """Every password has the asked length, only allowed characters and each required class."""
    allowed = _allowed(spec)
    classes = character_classes(spec)
    assert set("".join(classes)) == allowed
    if not allowed:
        refusal = "password_no_characters"
    elif spec.require_each_included_type and spec.length < len(classes):
        refusal = "password_too_short"
    else:
        refusal = None
    if refusal is not None:
        with pytest.raises(InvalidParameter) as caught:
            generate_password(spec)
        assert caught.value.reason == refusal
        return
    password = generate_password(spec)
    assert len(password) == spec.length
    assert set(password) <= allowed
    if spec.require_each_included_type:
        for chars in classes:
            assert set(password) & set(chars)


@given(st.integers(min_value=4, max_value=MAX_LENGTH))
def test_property_default_classes_fit_any_length_from_four(length: int) -> None:
    """Any length from 4 up holds all four default classes."""
    password = generate_password(PasswordSpec(length=length))
    assert len(password) == length
    assert len({_class_of(c) for c in password}) == 4
