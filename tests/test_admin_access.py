"""Who gets into the staff panel, and what they may do there: login, roles, CSRF, sessions,
throttled guessing and the audit log — all over HTTP against the running bot."""
from __future__ import annotations

import subprocess
import sys

from yarl import URL

from tests import postgres, stored
from tests.drivers import ROOT, test_settings
from tests.drivers.panel import PASSWORD, StaffBrowser, make_staff
from tests.drivers.webchat import world


async def test_a_person_without_a_session_is_sent_to_the_login_page_and_back_after_logging_in(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as browser:
            page = await browser.get("/admin/users")
            assert "/admin/login" in page.url and "Вход для сотрудников" in page.text
            wrong = await browser.login("anna", "not the password")
            assert wrong.status == 401 and "Неверное имя или пароль" in wrong.text
            page = await browser.login("anna")
            assert page.status == 200 and "Здравствуйте, anna" in page.text
            assert "Сотрудники" in (await browser.get("/admin/users")).text


async def test_the_session_cookie_is_httponly_and_strict_and_the_database_keeps_no_token(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as browser:
            form = await browser.get("/admin/login")
            token = form.text.split('name="csrf" value="')[1].split('"')[0]
            async with browser.http.post(browser.base + "/admin/login", allow_redirects=False,
                                         data={"csrf": token, "username": "anna", "password": PASSWORD}) as response:
                cookie = response.headers.getall("Set-Cookie")
            session_cookie = next(c for c in cookie if c.startswith("souchastie_staff="))
            assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
            assert "Path=/admin" in session_cookie
            value = session_cookie.split("=", 1)[1].split(";")[0]
            hashes = await stored.values(w.app.db, "staff_sessions", "token_hash")
            assert hashes and all(value not in kept for kept in hashes)


async def test_a_moderator_cannot_broadcast_nor_manage_users_but_moderates(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as browser:
            await browser.login("mila")
            assert (await browser.get("/admin/broadcasts")).status == 403
            refused = await browser.post("/admin/broadcasts", {"title": "Всем", "text": "Привет"})
            assert refused.status == 403 and "Нет доступа" in refused.text
            assert (await browser.get("/admin/users")).status == 403
            assert (await browser.get("/admin/audit")).status == 403
            assert (await browser.get("/admin/proposals")).status == 200
            home = await browser.get("/admin/")
            assert "Рассылки" not in home.text and "Предложения" in home.text
        assert await stored.count(w.app.db, "broadcasts") == 0


async def test_an_expert_sees_proposals_but_cannot_export_anything_let_alone_personal_data(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "egor", "expert")
        async with StaffBrowser.of(w.app) as browser:
            await browser.login("egor")
            assert (await browser.get("/admin/exports")).status == 403
            download = await browser.get("/admin/exports/download?format=csv&kind=proposals")
            assert download.status == 403 and "Нет доступа" in download.text
            assert (await browser.get("/admin/proposals")).status == 200
            assert (await browser.get("/admin/operator")).status == 403


async def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as browser, StaffBrowser.of(w.app) as other:
            await browser.login("anna")
            await other.login("anna")
            new_user = {"username": "intruder", "role": "admin", "password": "a long enough password"}
            missing = await browser.post("/admin/users", new_user, csrf=False)
            assert missing.status == 403
            forged = await browser.post("/admin/users", [*new_user.items(), ("csrf", "guessed")], csrf=False)
            assert forged.status == 403
            foreign = await browser.post("/admin/users", [*new_user.items(), ("csrf", other.csrf)], csrf=False)
            assert foreign.status == 403  # a token of another session is not this session's token
            assert await w.app.db.reader.staff.user_by_name("intruder") is None
            created = await browser.post("/admin/users", new_user)
            assert created.status == 200 and "intruder" in created.text
            assert await w.app.db.reader.staff.user_by_name("intruder") is not None


async def test_a_login_form_from_another_site_is_refused(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as browser:
            page = await browser.post("/admin/login", {"username": "anna", "password": PASSWORD, "csrf": "x"},
                                      csrf=False)
            assert page.status == 403
            assert (await browser.get("/admin/users")).url.endswith("/admin/login?next=/admin/users")


async def test_an_expired_session_asks_to_log_in_again_and_logout_ends_the_session(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as browser:
            await browser.login("anna")
            async with w.app.db.transaction() as tx:
                await stored.change(tx, "staff_sessions", {}, expires_at="2020-01-01T00:00:00+00:00")
            page = await browser.get("/admin/users")
            assert "/admin/login" in page.url
            refused = await browser.post("/admin/users", {"username": "late", "role": "staff", "password": PASSWORD})
            assert "/admin/login" in refused.url
            assert await w.app.db.reader.staff.user_by_name("late") is None

            await browser.login("anna")
            cookies = {c.key: c.value for c in browser.http.cookie_jar}
            assert (await browser.post("/admin/logout")).url.endswith("/admin/login")
            async with StaffBrowser.of(w.app) as replay:  # the old cookie, replayed after logout
                replay.http.cookie_jar.update_cookies(cookies, response_url=URL(browser.base + "/admin/"))
                assert "/admin/login" in (await replay.get("/admin/users")).url


async def test_repeated_failed_logins_are_slowed_down_even_with_the_right_password(tmp_path):
    # The first delay is ten minutes here, so "still within it" does not depend on the machine's speed;
    # tests/test_admin_login_throttle.py shows who else is (not) slowed down.
    async with world(tmp_path, SOUCHASTIE_ADMIN_LOGIN_FIRST_DELAY_SECONDS="600") as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as browser:
            for _ in range(5):
                assert (await browser.login("anna", "wrong password")).status == 401
            slowed = await browser.login("anna")
            assert slowed.status == 429 and "Повторите через" in slowed.text
            assert "/admin/login" in (await browser.get("/admin/users")).url
            async with w.app.db.transaction() as tx:  # the delay has passed
                await stored.change(tx, "login_failures", {}, last_at="2020-01-01T00:00:00+00:00")
            assert (await browser.login("anna")).status == 200
            assert await stored.count(w.app.db, "login_failures") == 0


async def test_staff_actions_are_in_the_audit_log_that_only_admins_read(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as admin:
            await admin.login("anna")
            await admin.post("/admin/users", {"username": "mila", "role": "moderator", "password": PASSWORD})
            mila_id = (await w.app.db.reader.staff.user_by_name("mila")).id
            await admin.post(f"/admin/users/{mila_id}", {"role": "moderator", "active": "on",
                                                          "personal_data": "on"})
            async with StaffBrowser.of(w.app) as mila:
                await mila.login("mila")
                await mila.post("/admin/answers", {"title": "Спасибо", "text": "Спасибо, учтём."})
                assert (await mila.get("/admin/audit")).status == 403
            log = await admin.get("/admin/audit")
            assert log.status == 200
            for action in ("Сотрудник добавлен", "Учётная запись сотрудника изменена", "Шаблон ответа сохранён",
                           "Вход в панель"):
                assert action in log.text.split("<tbody>")[1]
            assert "роль: модератор; видит персональные данные: да" in log.text
            assert PASSWORD not in log.text
            only_mila = (await admin.get("/admin/audit?user=mila")).text.split("<tbody>")[1]
            assert "Шаблон ответа сохранён" in only_mila and "Сотрудник добавлен" not in only_mila


def test_the_command_line_creates_an_account_with_the_password_from_stdin(tmp_path):
    settings = test_settings(tmp_path)
    environment = {**postgres.bot_environment(settings.storage.path), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "bot", "admin", "create", "olga", "--role", "moderator"]
    done = subprocess.run(command, input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, check=False,
                          env=environment, timeout=60)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    again = subprocess.run(command, input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, check=False,
                           env=environment, timeout=60)
    assert again.returncode == 2 and "уже есть" in again.stderr
    short = subprocess.run([*command[:4], "pavel", "--role", "expert"], input="short\n", capture_output=True,
                           check=False, text=True, cwd=ROOT, env=environment, timeout=60)
    assert short.returncode == 2


async def test_admins_see_the_settings_in_force_and_others_do_not(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "admin")
        await make_staff(w.app, "sveta", "staff")
        async with StaffBrowser.of(w.app) as anna, StaffBrowser.of(w.app) as sveta:
            await anna.login("anna")
            settings = await anna.get("/admin/settings")
            assert settings.status == 200 and "receipt_prefix" in settings.text and "П-" in settings.text
            assert "<th>ask_category</th><td>нет</td>" in settings.text and ">False<" not in settings.text
            await sveta.login("sveta")
            assert (await sveta.get("/admin/settings")).status == 403


async def test_cookies_are_secure_when_the_panel_is_served_over_https(tmp_path):
    async with world(tmp_path, SOUCHASTIE_SERVER_PUBLIC_URL="https://park.example.org") as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as browser:
            form = await browser.get("/admin/login")
            assert "Secure" in form.headers["Set-Cookie"]
            page = await browser.login("anna")
            # over plain http the browser does not send a Secure cookie back: no way in
            assert page.status == 403 and "Страница входа устарела" in page.text
