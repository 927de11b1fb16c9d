"""Reading a number someone typed, whatever digits their keyboard has.

str.isdigit() is true for digits int() refuses ("²", "❶", Ethiopic "፪") and int() raises with the text in its
message, so a person's words would reach the log. whole_number reads every Unicode digit by its value and
returns None for anything else, never raising.

    whole_number("3") == 3;  whole_number("❶") == 1;  whole_number("٣") == 3;  whole_number("3a") is None
"""

from __future__ import annotations

import unicodedata

MAX_DIGITS = 9  # an option, an hour count, a request number: never more (int() of 5,000 digits raises too)


def whole_number(text: str) -> int | None:
    """The whole number text spells in digits of any script (spaces around allowed), or None."""
    digits = text.strip()
    if not digits or len(digits) > MAX_DIGITS or not digits.isdigit():
        return None
    value = 0
    for char in digits:
        value = value * 10 + unicodedata.digit(char)
    return value
