"""Phone numbers in one form, E.164 ("+79141234567"), whatever a resident or a platform wrote.

One person must be one voter across channels, and the voter key of a phone-verified poll is the
number: "8 (914) 123-45-67" typed in the web chat, "+7 914 123 45 67" shared in Telegram and
"79141234567" as a vCard or WhatsApp's wa_id has it must all give the same key. Google's
libphonenumber (``phonenumbers``) reads numbers the way the telephone network does, with a
default region for numbers written without their country code (in Russia, the trunk prefix 8).
"""
from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

MAX_INPUT = 64  # longer text is no phone number; libphonenumber refuses 250 characters anyway
MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def parse_phone(text: str, region: str = "RU") -> phonenumbers.PhoneNumber | None:
    """The number written in ``text``, or None when it is not a valid one. A number without "+"
    is read in ``region`` first and, failing that, as international digits ("16505551234",
    as platforms write numbers of other countries)."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_INPUT:
        return None
    number = _parse(text, region)
    if number is None and not text.lstrip().startswith("+"):
        digits = "".join(ch for ch in text if ch.isdigit())
        number = _parse("+" + digits, region) if digits else None
    return number


def e164(text: str, region: str = "RU") -> str | None:
    """The number in E.164 ("+79141234567"), or None when ``text`` holds no valid number."""
    number = parse_phone(text, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None


def can_receive_sms(phone: str) -> bool:
    """False for numbers that are known not to be mobile (a landline): no SMS reaches them."""
    number = parse_phone(phone)
    return number is not None and phonenumbers.number_type(number) in MOBILE


def readable(phone: str) -> str:
    """The number as people write it ("+7 914 123-45-67"), for telling a resident where a code went."""
    number = parse_phone(phone)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL) if number else phone
