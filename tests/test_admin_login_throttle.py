"""Guessing staff passwords is slowed down, but a guesser cannot lock the real person out.

Each person is a browser on its own loopback address (127.0.0.x), logging in with real argon2
accounts through the real login form. Where a test needs "still within the delay", it sets the
first delay to ten minutes, so nothing depends on how fast the machine is; "the delay has passed"
moves the stored failures back in time.
"""
from __future__ import annotations

import re

from tests import stored
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world

SLOW = {"SOUCHASTIE_ADMIN_LOGIN_FIRST_DELAY_SECONDS": "600"}
ATTACKER, ANNA, BORIS = "127.0.0.2", "127.0.0.3", "127.0.0.4"
PROXY = {"SOUCHASTIE_SERVER_TRUSTED_PROXIES": '["127.0.0.1/32"]'}


async def guess(app, name: str, times: int, *, address: str = ATTACKER, headers=None) -> list[int]:
    async with StaffBrowser.of(app, address=address, headers=headers) as attacker:
        return [(await attacker.login(name, f"guess number {n}")).status for n in range(times)]


async def logins_seen_by_admin(app) -> str:
    """The audit log's login lines as an admin reads them (who, and from which address)."""
    async with StaffBrowser.of(app) as admin:
        assert (await admin.login("root")).status == 200
        page = await admin.get("/admin/audit?action=login")
    return page.text


async def test_wrong_passwords_from_one_address_do_not_keep_the_real_user_out_from_another(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "moderator")
        assert await guess(w.app, "anna", 5) == [401] * 5
        async with StaffBrowser.of(w.app, address=ANNA) as anna:
            page = await anna.login("anna")
            assert page.status == 200 and "Здравствуйте, anna" in page.text


async def test_from_the_guessers_address_only_the_guessed_name_waits(tmp_path):
    async with world(tmp_path, **SLOW) as w:
        await make_staff(w.app, "anna", "moderator")
        await make_staff(w.app, "boris", "staff")
        assert await guess(w.app, "anna", 7) == [401] * 5 + [429] * 2
        async with StaffBrowser.of(w.app, address=ATTACKER) as same_office:
            slowed = await same_office.login("anna")  # the right password, but from where the guessing is
            assert slowed.status == 429 and "Повторите через" in slowed.text
            assert 500 <= int(slowed.headers["Retry-After"]) <= 600
            assert (await same_office.login("boris")).status == 200  # another name from that address: at once
        async with StaffBrowser.of(w.app, address=ANNA) as anna:
            assert (await anna.login("anna")).status == 200  # and anna from elsewhere: at once

        async with w.app.db.transaction() as tx:  # the delay has passed
            await stored.change(tx, "login_failures", {}, last_at="2020-01-01T00:00:00+00:00")
        async with StaffBrowser.of(w.app, address=ATTACKER) as same_office:
            assert (await same_office.login("anna")).status == 200
        # the right password clears that name's count from that address: the next typo is free again
        assert await guess(w.app, "anna", 1) == [401]


async def test_many_names_from_one_address_meet_the_address_ceiling(tmp_path, caplog):
    ceiling = {"SOUCHASTIE_ADMIN_LOGIN_ADDRESS_FREE_FAILURES": "12", **SLOW}
    async with world(tmp_path, **ceiling) as w:
        await make_staff(w.app, "carla", "expert")
        statuses = []
        for number in range(4):  # 3 tries for each of 4 names: no name reaches its own 5
            statuses += await guess(w.app, f"name{number}", 3)
        assert statuses == [401] * 12
        assert f"12 неудачных попыток с адреса {ATTACKER}; теперь каждая попытка с него ждёт" in caplog.text
        async with StaffBrowser.of(w.app, address=ATTACKER) as attacker:
            assert (await attacker.login("someone_new", "a guess")).status == 429
            assert (await attacker.login("carla")).status == 429  # every name from that address waits now
        async with StaffBrowser.of(w.app, address=ANNA) as elsewhere:
            assert (await elsewhere.login("carla")).status == 200


async def test_an_office_behind_one_address_still_logs_in_with_the_default_ceiling(tmp_path):
    """Twelve people share one address (a NAT, or a proxy not listed in trusted_proxies), each
    mistypes four times, and all of them get in: 48 failures stay under the default ceiling."""
    async with world(tmp_path, **SLOW) as w:
        names = [f"clerk{n}" for n in range(12)]
        for name in names:
            await make_staff(w.app, name, "staff")
        async with StaffBrowser.of(w.app, address=ATTACKER) as office:
            for name in names:
                assert [(await office.login(name, "mistyped password")).status for _ in range(4)] == [401] * 4
        for name in names:
            async with StaffBrowser.of(w.app, address=ATTACKER) as clerk:
                assert (await clerk.login(name)).status == 200, name


async def test_behind_a_trusted_proxy_each_person_is_known_by_the_address_the_proxy_saw(tmp_path):
    async with world(tmp_path, **PROXY, **SLOW) as w:
        await make_staff(w.app, "root", "admin")
        await make_staff(w.app, "anna", "moderator")
        # The guesser writes anna's address into the header himself; the proxy appends his real one.
        forged = {"X-Forwarded-For": "198.51.100.7, 203.0.113.66"}
        assert await guess(w.app, "anna", 6, address="127.0.0.1", headers=forged) == [401] * 5 + [429]
        async with StaffBrowser.of(w.app, address="127.0.0.1", headers={"X-Forwarded-For": "198.51.100.7"}) as anna:
            assert (await anna.login("anna")).status == 200
        seen = await logins_seen_by_admin(w.app)
        logged = r"<td>anna</td><td>Вход в панель</td>(?:(?!</tr>).)*?<td>198\.51\.100\.7</td>"
        assert re.search(logged, seen, re.S), seen


async def test_a_forwarded_for_header_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(tmp_path):
    async with world(tmp_path, **PROXY, **SLOW) as w:
        await make_staff(w.app, "root", "admin")
        await make_staff(w.app, "anna", "moderator")
        await make_staff(w.app, "boris", "staff")
        statuses = []
        for number in range(6):  # a new made-up address every time does not make a new pair
            statuses += await guess(w.app, "anna", 1, headers={"X-Forwarded-For": f"198.51.100.{number}"})
        assert statuses == [401] * 5 + [429]
        async with StaffBrowser.of(w.app, address=ATTACKER, headers={"X-Forwarded-For": "192.0.2.1"}) as boris:
            assert (await boris.login("boris")).status == 200
        seen = await logins_seen_by_admin(w.app)
        assert re.search(r"<td>boris</td><td>Вход в панель</td>(?:(?!</tr>).)*?<td>127\.0\.0\.2</td>", seen, re.S), seen
        assert "192.0.2.1" not in seen
