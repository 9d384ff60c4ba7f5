"""What a resident does in Telegram, as the bot understands it: every documented update shape.

The updates are the recorded fixtures in ``tests/fixtures/telegram`` (see the README there).
"""
from __future__ import annotations

import copy

from bot.core.events import Kind
from channels.telegram.parse import callback_query_id, parse_update
from tests.fakes.telegram import fixture


def test_a_typed_message_is_text_from_that_person_with_name_and_language():
    update = fixture("update_text_private.json")
    event = parse_update(update)
    assert event.kind is Kind.TEXT and event.text == "4"
    assert (event.ref.channel, event.ref.external_id, event.update_id) == ("telegram", "408258968", "306197398")
    assert (event.display_name, event.language_hint) == ("Hirrolot", "en")
    assert event.raw == update


def test_first_and_last_name_make_the_display_name():
    event = parse_update(fixture("update_text_private_pytelegrambotapi.json"))
    assert event.kind is Kind.TEXT and event.text == "HIHI" and event.display_name == "Fk Wg"


def test_a_poster_deep_link_is_start_with_the_poster_as_source():
    event = parse_update(fixture("update_start_deeplink_assembled.json"))
    assert (event.kind, event.command, event.argument) == (Kind.COMMAND, "start", "poster_17")


def test_the_official_start_example_without_is_bot_is_still_start():
    event = parse_update(fixture("update_start_official.json"))
    assert (event.kind, event.command, event.argument) == (Kind.COMMAND, "start", "")
    assert event.display_name == "Test Firstname Test Lastname" and event.ref.external_id == "1111111"


def test_a_button_press_is_its_callback_data_and_is_answered():
    update = fixture("update_callback_query_private_assembled.json")
    event = parse_update(update)
    assert event.kind is Kind.BUTTON and event.payload == "Data from button callback"
    assert event.ref.external_id == "408258968" and event.update_id == "306197402"
    assert callback_query_id(update) == "4382bfdwdsb323b2d9"


def test_a_press_on_an_inline_mode_message_belongs_to_the_presser():
    event = parse_update(fixture("update_callback_query_official.json"))
    assert event.kind is Kind.BUTTON and event.ref.external_id == "1111111"


def test_a_press_with_data_over_64_bytes_is_not_taken_for_a_button():
    update = fixture("update_callback_query_private_assembled.json")
    update["callback_query"]["data"] = "x" * 65
    assert parse_update(update).kind is Kind.UNSUPPORTED


def test_a_shared_location_is_a_map_point():
    event = parse_update(fixture("update_location_assembled.json"))
    assert event.kind is Kind.LOCATION
    assert (event.location.latitude, event.location.longitude) == (26.090577, 127.479471)


def test_someone_elses_contact_card_is_not_a_verified_phone():
    event = parse_update(fixture("update_contact_assembled.json"))
    assert event.kind is Kind.CONTACT and event.contact.phone == "00011111111"
    assert event.contact.verified is False


def test_the_residents_own_number_shared_by_the_button_is_verified():
    update = fixture("update_contact_assembled.json")
    update["message"]["contact"]["user_id"] = update["message"]["from"]["id"]
    assert parse_update(update).contact.verified is True


def test_blocking_the_bot_makes_the_resident_unreachable_and_unblocking_reachable_again():
    kicked = fixture("update_my_chat_member_kicked_private.json")
    event = parse_update(kicked)
    assert (event.kind, event.reachable, event.ref.external_id) == (Kind.REACHABILITY, False, "0")
    back = copy.deepcopy(kicked)
    back["my_chat_member"]["old_chat_member"]["status"] = "kicked"
    back["my_chat_member"]["new_chat_member"]["status"] = "member"
    assert parse_update(back).reachable is True


def test_a_video_is_something_the_bot_cannot_take():
    event = parse_update(fixture("update_video_assembled.json"))
    assert event.kind is Kind.UNSUPPORTED and event.display_name == "Андрей Власов"


def test_an_update_type_the_bot_does_not_handle_is_unsupported_for_its_sender():
    event = parse_update(fixture("update_poll_answer_assembled.json"))
    assert event.kind is Kind.UNSUPPORTED and event.ref.external_id == "329343347"


def test_the_largest_photo_size_is_the_one_fetched():
    update = fixture("update_text_private.json")
    del update["message"]["text"]
    update["message"]["photo"] = [
        {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 60, "file_size": 1200},
        {"file_id": "large", "file_unique_id": "b", "width": 1280, "height": 853, "file_size": 98000},
        {"file_id": "medium", "file_unique_id": "c", "width": 320, "height": 213, "file_size": 14000}]
    event = parse_update(update)
    assert event.kind is Kind.PHOTOS and [p.remote_id for p in event.photos] == ["large"]
    assert event.photos[0].size == 98000


def test_a_photo_sent_as_a_file_is_a_photo_and_other_files_are_not():
    update = fixture("update_text_private.json")
    del update["message"]["text"]
    update["message"]["document"] = {"file_id": "doc", "file_unique_id": "d", "mime_type": "image/png"}
    assert parse_update(update).kind is Kind.PHOTOS
    update["message"]["document"]["mime_type"] = "application/pdf"
    assert parse_update(update).kind is Kind.UNSUPPORTED


def test_group_messages_and_updates_without_an_id_are_not_residents_conversations():
    group = fixture("update_text_private.json")
    group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Двор"}
    assert parse_update(group) is None
    nameless = fixture("update_text_private.json")
    del nameless["update_id"]
    assert parse_update(nameless) is None
