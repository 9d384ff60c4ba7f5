"""The narrow ports a channel gets (storage/ports/channels.py), the gateway's ids, staff
accounts and sessions, and SMS codes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storage.ports.repositories import Database
from storage.ports.whatsapp import Receipt
from tests.contract.conftest import Backend
from tests.contract.helpers import resident

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
FUTURE = "9999-01-01T00:00:00+00:00"


async def test_the_web_chat_posts_replies_its_page_reads_after_the_last_seen(backend: Backend) -> None:
    ids = await backend.channels.post("webchat", [("s1", "one"), ("s2", "other"), ("s1", "two")])
    assert ids == sorted(ids) and len(ids) == 3
    assert [row.payload for row in await backend.channels.after("webchat", "s1", 0)] == ["one", "two"]
    assert [row.payload for row in await backend.channels.after("webchat", "s1", ids[0])] == ["two"]
    assert await backend.channels.after("webchat", "s1", ids[2]) == []
    assert await backend.db.reader.outbox.pending("webchat") == []  # posted as delivered: the page fetches them


async def test_a_gateway_event_id_is_taken_by_its_first_event(backend: Backend) -> None:
    assert await backend.channels.claim_event_id("e-1", "fingerprint-a")
    assert await backend.channels.claim_event_id("e-1", "fingerprint-a")  # the same event again: a retry
    assert not await backend.channels.claim_event_id("e-1", "fingerprint-b")
    async with backend.db.transaction() as tx:
        assert await tx.gateway.prune(FUTURE) == 1
    assert await backend.channels.claim_event_id("e-1", "fingerprint-b")


async def test_a_long_polls_position_is_kept_per_channel_and_key_and_read_by_another_process(
        backend: Backend) -> None:
    assert await backend.channels.position("vk", "123") is None
    await backend.channels.save_position("vk", "123", "40")
    await backend.channels.save_position("vk", "456", "7")
    await backend.channels.save_position("vk", "123", "41")  # replaces, never adds
    await backend.channels.save_position("other", "123", "x")
    assert await backend.channels.position("vk", "123") == "41"
    another = await backend.another()  # a process on another machine, taking the poll over
    try:
        positions = another.reader.poll_positions
        assert [await positions.get("vk", "123"), await positions.get("vk", "456")] == ["41", "7"]
        assert await positions.get("other", "123") == "x"
        assert await positions.get("vk", "789") is None
    finally:
        await another.close()


async def test_whatsapps_window_opens_when_the_number_writes(backend: Backend) -> None:
    await resident(backend.db, "79140000001", channel="whatsapp")
    recent = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(timespec="microseconds")
    old = (datetime.now(timezone.utc) - timedelta(hours=30)).isoformat(timespec="microseconds")
    assert not await backend.channels.window_open("79140000001", 24)
    receipt = Receipt("wamid.1", "delivered", "79140000001", recent)
    await backend.channels.note_webhook({"79140000001": recent, "79140000002": old}, [receipt])
    assert await backend.channels.window_open("79140000001", 24)
    assert not await backend.channels.window_open("79140000001", 0.5)
    assert not await backend.channels.window_open("79140000002", 24)
    await backend.channels.note_webhook({"79140000001": old}, [])  # an older message never closes it
    assert await backend.channels.window_open("79140000001", 24)
    await backend.channels.count_skipped("79140000003")
    assert not await backend.channels.window_open("79140000003", 24)  # counting a skip opens nothing
    async with backend.db.transaction() as tx:  # numbers no resident has are forgotten
        assert await tx.whatsapp.forget_orphans(FUTURE) == 2
    assert await backend.channels.window_open("79140000001", 24)


async def test_a_staff_account_logs_in_and_a_new_password_ends_its_sessions(db: Database) -> None:
    async with db.transaction() as tx:
        user_id = await tx.staff.create_user("mila", "hash-1", "moderator")
        await tx.staff.open_session("token-1", user_id, "csrf-1", "127.0.0.1", FUTURE)
        await tx.staff.open_session("expired", user_id, "csrf-2", "127.0.0.1", "2000-01-01T00:00:00+00:00")
    session = await db.reader.staff.session("token-1")
    assert session is not None and session.user.username == "mila" and session.csrf == "csrf-1"
    assert session.user.last_login_at is not None and not session.user.personal_data
    assert await db.reader.staff.session("expired") is None
    assert await db.reader.staff.session("unknown") is None
    async with db.transaction() as tx:
        await tx.staff.set_password(user_id, "hash-2")
    assert await db.reader.staff.session("token-1") is None
    user = await db.reader.staff.user_by_name("mila")
    assert user is not None and user.password_hash == "hash-2" and user.id == user_id
    async with db.transaction() as tx:
        await tx.staff.open_session("token-2", user_id, "csrf", "127.0.0.1", FUTURE)
        await tx.staff.update_user(user_id, role="expert", personal_data=True, active=False)
    assert await db.reader.staff.session("token-2") is None  # a deactivated account has no live session
    changed = await db.reader.staff.user(user_id)
    assert changed is not None and (changed.role, changed.personal_data, changed.active) == ("expert", True, False)
    assert [u.username for u in await db.reader.staff.users()] == ["mila"]


async def test_failed_logins_are_counted_per_key_and_cleared(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.staff.add_failure(["user:mila", "address:1.2.3.4"], "2000-01-01T00:00:00+00:00")
        await tx.staff.add_failure(["user:mila"], "2000-01-01T00:00:00+00:00")
        counts = await tx.staff.failures(["user:mila", "address:1.2.3.4", "user:other"])
        assert {key: n for key, (n, _) in counts.items()} == {"user:mila": 2, "address:1.2.3.4": 1}
        await tx.staff.take_back_failure("user:mila")
        assert (await tx.staff.failures(["user:mila"]))["user:mila"][0] == 1
        await tx.staff.add_failure(["user:mila"], FUTURE)  # the old count is forgotten, this one starts anew
        assert (await tx.staff.failures(["user:mila"]))["user:mila"][0] == 1
        await tx.staff.clear_failures(["user:mila", "address:1.2.3.4"])
        assert await tx.staff.failures(["user:mila", "address:1.2.3.4"]) == {}


async def test_the_audit_log_is_read_newest_first_and_filtered(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.staff.audit(None, "mila", "proposal.status", "П-1", {"to": "accepted"}, "127.0.0.1")
        await tx.staff.audit(None, "ivan", "broadcast.create", "Р-1", {}, "127.0.0.1")
        await tx.staff.audit(None, "mila", "proposal.reply", "П-1", {"text": "Спасибо"}, "127.0.0.1")
    entries = await db.reader.staff.audit_entries()
    assert [(e.username, e.action) for e in entries] == [
        ("mila", "proposal.reply"), ("ivan", "broadcast.create"), ("mila", "proposal.status")]
    assert entries[0].details == {"text": "Спасибо"}
    assert [e.action for e in await db.reader.staff.audit_entries(username="mila", action="proposal.s")] == [
        "proposal.status"]
    assert [e.id for e in await db.reader.staff.audit_entries(before_id=entries[1].id)] == [entries[2].id]


async def test_an_sms_code_is_right_once_and_wrong_ones_are_counted(db: Database) -> None:
    anna = await resident(db, "anna")
    async with db.transaction() as tx:
        issued = await tx.phone_codes.issue(anna.id, "+79141234567", "123456", NOW, timedelta(minutes=10))
        await tx.phone_codes.mark_sent(issued.code_id)
        usage = await tx.phone_codes.usage(anna.id, "+79141234567", NOW)
        assert (usage.by_resident, usage.to_phone) == (1, 1)
        wrong = await tx.phone_codes.check(anna.id, "000000", NOW, 3)
        assert (wrong.outcome, wrong.attempts_left) == ("wrong", 2)
        right = await tx.phone_codes.check(anna.id, "123456", NOW, 3)
        assert (right.outcome, right.phone) == ("right", "+79141234567")
        assert (await tx.phone_codes.check(anna.id, "123456", NOW, 3)).outcome == "none"  # used up


async def test_an_sms_code_expires_and_too_many_wrong_ones_void_it(db: Database) -> None:
    anna = await resident(db, "anna")
    async with db.transaction() as tx:
        await tx.phone_codes.issue(anna.id, "+79141234567", "123456", NOW, timedelta(minutes=10))
        assert (await tx.phone_codes.check(anna.id, "123456", NOW + timedelta(minutes=11), 3)).outcome == "expired"
        await tx.phone_codes.issue(anna.id, "+79141234567", "654321", NOW, timedelta(minutes=10))
        assert (await tx.phone_codes.check(anna.id, "1", NOW, 2)).outcome == "wrong"
        assert (await tx.phone_codes.check(anna.id, "2", NOW, 2)).outcome == "exhausted"
        assert (await tx.phone_codes.check(anna.id, "654321", NOW, 2)).outcome == "none"
        failed = await tx.phone_codes.issue(anna.id, "+79141234567", "111111", NOW, timedelta(minutes=10))
        assert await tx.phone_codes.mark_failed(failed)  # nothing was sent: it does not count
        assert (await tx.phone_codes.usage(anna.id, "+79141234567", NOW)).to_phone == 2
        assert await tx.phone_codes.prune(NOW + timedelta(days=2)) > 0
        assert (await tx.phone_codes.usage(anna.id, "+79141234567", NOW + timedelta(days=2))).to_phone == 0
