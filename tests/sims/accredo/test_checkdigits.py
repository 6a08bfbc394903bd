import random

import pytest

from sims.accredo import checkdigits


@pytest.mark.parametrize("nzbn", ["9429041234563"])
def test_known_nzbns_are_valid(nzbn: str) -> None:
    # 9429041234563 appears in the reference; check digit by GS1 mod 10
    assert checkdigits.is_valid_nzbn(nzbn)


def test_nzbn_with_wrong_check_digit_is_invalid() -> None:
    assert not checkdigits.is_valid_nzbn("9429041234564")
    assert not checkdigits.is_valid_nzbn("942904123456")


def test_known_abn_is_valid_and_a_changed_digit_is_not() -> None:
    assert checkdigits.is_valid_abn("51 824 753 556")  # the ATO's published example
    assert not checkdigits.is_valid_abn("51 824 753 557")


def test_ird_examples() -> None:
    assert checkdigits.is_valid_ird("49-091-850")  # IRD's published valid example
    assert checkdigits.is_valid_ird("136-410-132")
    assert not checkdigits.is_valid_ird("136-410-133")


def test_generated_numbers_are_valid() -> None:
    rng = random.Random(7)
    for _ in range(300):
        nzbn = checkdigits.make_nzbn(rng)
        assert nzbn.startswith("9429") and checkdigits.is_valid_nzbn(nzbn)
        assert checkdigits.is_valid_abn(checkdigits.make_abn(rng))
        assert checkdigits.is_valid_ird(checkdigits.make_ird(rng))
