"""Check digits of New Zealand and Australian business numbers (pure functions).

NZBN: 13-digit GS1 Global Location Number, NZ prefix 94; GS1 mod-10 check digit.
ABN: 11 digits; subtract 1 from the first digit, weights 10,1,3,...,19, sum divisible by 89.
NZ GST (IRD) number: 8 or 9 digits, mod-11 check digit with a secondary weighting.
"""

from __future__ import annotations

import random

_ABN_WEIGHTS = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
_IRD_PRIMARY = (3, 2, 7, 6, 5, 4, 3, 2)
_IRD_SECONDARY = (7, 4, 3, 2, 5, 2, 7, 6)


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit for the digits of ``body`` (weights 3,1 from the right)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid_nzbn(value: str) -> bool:
    """True for 13 digits whose last digit is the GS1 check digit of the first twelve."""
    return len(value) == 13 and value.isdigit() and gs1_check_digit(value[:12]) == int(value[12])


def make_nzbn(rng: random.Random) -> str:
    """A random valid NZBN with the NZ company-register prefix 9429."""
    body = f"9429{rng.randrange(10**8):08d}"
    return body + str(gs1_check_digit(body))


def is_valid_abn(value: str) -> bool:
    """True for an 11-digit ABN (spaces allowed) that passes the modulus-89 test."""
    digits = value.replace(" ", "")
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return False
    nums = [int(c) for c in digits]
    nums[0] -= 1
    return sum(w * d for w, d in zip(_ABN_WEIGHTS, nums, strict=True)) % 89 == 0


def make_abn(rng: random.Random) -> str:
    """A random valid ABN, formatted ``NN NNN NNN NNN``."""
    rest = [rng.randrange(10) for _ in range(9)]
    tail = sum(w * d for w, d in zip(_ABN_WEIGHTS[2:], rest, strict=True))
    for prefix in range(10, 100):
        a, b = divmod(prefix, 10)
        if (10 * (a - 1) + b + tail) % 89 == 0:
            s = f"{prefix}" + "".join(map(str, rest))
            return f"{s[:2]} {s[2:5]} {s[5:8]} {s[8:]}"
    raise AssertionError("unreachable: prefixes 10..99 cover every residue mod 89")


def ird_check_digit(base8: str) -> int | None:
    """Check digit for an 8-digit IRD base, or None if the base cannot be valid."""
    for weights in (_IRD_PRIMARY, _IRD_SECONDARY):
        rem = sum(int(c) * w for c, w in zip(base8, weights, strict=True)) % 11
        check = 0 if rem == 0 else 11 - rem
        if check != 10:
            return check
    return None


def is_valid_ird(value: str) -> bool:
    """True for an IRD (GST) number of 8 or 9 digits (dashes allowed) with a valid check."""
    digits = value.replace("-", "")
    if not digits.isdigit() or len(digits) not in (8, 9):
        return False
    digits = digits.zfill(9)
    return ird_check_digit(digits[:8]) == int(digits[8])


def make_ird(rng: random.Random) -> str:
    """A random valid 9-digit GST number formatted ``NNN-NNN-NNN``."""
    while True:
        base = str(rng.randrange(10_000_000, 99_999_999)).zfill(8)
        check = ird_check_digit(base)
        if check is not None:
            s = base + str(check)
            return f"{s[:3]}-{s[3:6]}-{s[6:]}"
