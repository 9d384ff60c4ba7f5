"""What a text kept after /forget no longer says about its author (storage.redaction)."""
from __future__ import annotations

import pytest

from storage.attachment_references import FILE_KEY
from storage.redaction import NAME_NOTE, PHONE_NOTE, redact, redact_json


@pytest.mark.parametrize("written", ["+7 914 555-12-34", "8 (914) 555 12 34", "89145551234", "+7(914)5551234",
                                     "2-13-45"])
def test_a_phone_number_however_it_is_written_is_hidden(written):
    text, found = redact(f"Звоните {written}, спросите про фонарь")
    assert text == f"Звоните {PHONE_NOTE}, спросите про фонарь" and found.phones == 1


@pytest.mark.parametrize("kept", ["Поставить 12-15 скамеек к 2027 году", "Координаты 50.0958, 118.0317",
                                  "Дом 5, квартира 45, индекс 674673"])
def test_numbers_that_are_not_phones_stay(kept):
    text, found = redact(kept)
    assert (text, found.total) == (kept, 0)


def test_a_persons_name_is_hidden_but_a_street_named_after_one_stays():
    text, found = redact("Меня зовут Анна Смирнова. Петров Иван Сергеевич тоже за. Скамейки на улице Карла Маркса"
                         " и в сквере им. Гагарина")
    assert text == (f"Меня зовут {NAME_NOTE}. {NAME_NOTE} тоже за. Скамейки на улице Карла Маркса"
                    " и в сквере им. Гагарина")
    assert found.names == 2


def test_the_authors_own_profile_name_and_phone_are_hidden_wherever_they_appear():
    text, found = redact("пишет житель Кузя, номер 9145551234", own_name="Кузя Лесной", own_phone="+79145551234")
    assert text == f"пишет житель {NAME_NOTE}, номер {PHONE_NOTE}" and (found.names, found.phones) == (1, 1)


def test_e_mail_is_hidden():
    assert redact("почта anna.s@example.ru")[0] == "почта [почта скрыта]"


def test_survey_answers_are_redacted_inside_but_file_keys_and_choices_stay():
    key = "ab/" + "c" * 64 + ".jpg"
    answers = {"visits": "never", "why_not": "Я Ольга, тел. 8 914 555 12 34", "photo": key, "age": 40}
    cleaned, found = redact_json(answers, keep=FILE_KEY)
    assert cleaned == {"visits": "never", "why_not": f"Я {NAME_NOTE}, тел. {PHONE_NOTE}", "photo": key, "age": 40}
    assert found.total == 2
