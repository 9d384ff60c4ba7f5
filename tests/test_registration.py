"""A channel's settings section, a feature's content, jobs and commands exist because they are
registered (issue 14): the application assembles them from the registrations, naming none."""
from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest
from pydantic import Field, SecretStr

import channels
from bot.app import Application, registered_features
from bot.argparse_ru import russian_argparse
from bot.cli import build_parser, feature_commands
from bot.config import ApplicationSettings, ConfigError, Settings, load_settings
from bot.content import ContentError, ContentFile, content_model, counts, load_content, storable
from bot.core.content import Key, Model
from bot.core.plugins import ChannelPackage, ContentSection
from bot.core.sections import Section
from channels import CHANNELS
from tests.drivers import test_settings


class DemoSettings(Section):
    """A channel that is not in the repository: what a new folder would register."""

    enabled: bool = False
    token: SecretStr | None = None
    batch: int = Field(5, ge=1)
    state_file: str = ""


DEMO = ChannelPackage(name="demo", settings=DemoSettings, channel="channels.webchat.channel:WebChatChannel",
                      file_settings=("state_file",))


def config_file(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path | None, environ: dict[str, str], registered) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ, channels=registered)
    return str(caught.value)


def test_the_settings_have_one_section_per_registered_channel_and_no_other():
    sections = {name: field.annotation for name, field in Settings.model_fields.items()
                if name not in ApplicationSettings.model_fields}
    assert sections == {package.name: package.settings for package in CHANNELS}


def test_every_channel_folder_registers_itself_with_its_own_settings_module():
    folders = {module.name for module in pkgutil.iter_modules(channels.__path__) if module.ispkg}
    registered = {package.name: package for package in CHANNELS}
    assert set(registered) == folders, "a channel folder is not in channels.CHANNELS (or the other way round)"
    for name, package in registered.items():
        assert package.settings.__module__ == f"channels.{name}.settings"
        assert package.channel.startswith(f"channels.{name}.channel:")
        assert package.channel_class().name == name


def test_a_section_of_a_channel_that_is_not_registered_is_refused_in_russian(tmp_path):
    without_vk = [package for package in CHANNELS if package.name != "vk"]
    config = config_file(tmp_path, "vk:\n  wait_seconds: 30\n")
    assert load_settings(config, {}).vk.wait_seconds == 30    # registered: read
    assert refusal(config, {}, without_vk) == f"{config}: vk: такого поля нет (опечатка?)"
    message = refusal(None, {"SOUCHASTIE_VK_WAIT_SECONDS": "30"}, without_vk)
    assert message.startswith("SOUCHASTIE_VK_WAIT_SECONDS: такой настройки нет")


def test_a_registered_channel_brings_its_section_its_variables_and_its_checks(tmp_path):
    registered = [*CHANNELS, DEMO]
    config = config_file(tmp_path, "demo:\n  batch: 7\n  state_file: demo.state\n")
    settings = load_settings(config, {"SOUCHASTIE_DEMO_TOKEN": "abc", "SOUCHASTIE_DEMO_ENABLED": "true"},
                             channels=registered)
    assert (settings.demo.batch, settings.demo.enabled) == (7, True)
    assert settings.demo.token.get_secret_value() == "abc"
    assert settings.demo.state_file == str(tmp_path / "demo.state")   # a file setting: beside config.yaml
    assert DEMO.enabled(settings)
    assert refusal(config, {"SOUCHASTIE_DEMO_BATCH": "0"}, registered) == (
        "SOUCHASTIE_DEMO_BATCH (demo.batch): должно быть не меньше 1")
    secret = config_file(tmp_path, "demo:\n  token: abc\n")
    assert refusal(secret, {}, registered) == (
        f"{secret}: demo.token — секрет, его задают только в окружении (SOUCHASTIE_DEMO_TOKEN), не в файле")
    assert "demo" not in Settings.model_fields   # registered for this load only


def test_two_channels_cannot_register_one_section():
    with pytest.raises(ValueError, match="two sections named server"):
        load_settings(None, {}, channels=[*CHANNELS, ChannelPackage(name="server", settings=DemoSettings,
                                                                     channel=DEMO.channel)])


# Features: the content file's sections, the jobs on a clock and the staff commands.

def test_the_content_file_has_one_key_per_registered_section_and_no_other():
    registered = [section for feature in registered_features() for section in feature.content]
    assert list(ContentFile.model_fields) == [section.key for section in registered]
    assert {section.key: section.model for section in registered} == {
        name: field.annotation.__args__[0] for name, field in ContentFile.model_fields.items()}


def test_a_content_section_not_registered_is_refused_in_russian_at_its_line(tmp_path):
    without_quizzes = content_model([section for section in ContentFile.sections if section.key != "quizzes"])
    path = tmp_path / "content.yaml"
    path.write_text("polls: []\nquizzes: []\n", encoding="utf-8")
    assert load_content(path).quizzes == []          # registered: read
    with pytest.raises(ContentError) as caught:
        load_content(path, model=without_quizzes)
    assert str(caught.value) == f"{path}:2: quizzes: такого поля нет (опечатка?)"
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(path, model=without_quizzes)
    assert str(caught.value) == f"{path}:1: на верхнем уровне должны быть polls:, surveys:, contests: и series:"


class Notice(Model):
    """Content of a feature that is not in the repository."""

    key: str = Key
    text: dict[str, str]


NOTICES = ContentSection("notices", Notice, what="notice", words=("объявление", "объявления", "объявлений"),
                         item=lambda notice: ("notices", notice.key))


def test_a_registered_content_section_is_read_checked_counted_and_stored(tmp_path):
    model = content_model([*ContentFile.sections, NOTICES])
    path = tmp_path / "content.yaml"
    path.write_text("notices:\n  - key: opening\n    text: {ru: Открытие}\n  - key: fair\n    text: {ru: Ярмарка}\n",
                    encoding="utf-8")
    content = load_content(path, model=model)
    assert [notice.key for notice in content.notices] == ["opening", "fair"]
    assert ("notices", "fair") in storable(content)
    assert (2, NOTICES.words) in counts(content)
    path.write_text("notices:\n  - key: fair\n    text: {ru: А}\n  - key: fair\n    text: {ru: Б}\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(path, model=model)
    assert str(caught.value) == f"{path}:1: файл: ключи (notice) должны быть разными; повторяются: fair"


def test_the_command_line_offers_the_registered_commands_and_no_other(capsys):
    registered = feature_commands()
    assert {"contests", "admin", "export", "broadcast"} <= set(registered)
    with russian_argparse():
        parser = build_parser()
        assert set(parser._subparsers._group_actions[0].choices) == {"run", "db", "content", *registered}
        without_export = build_parser({name: command for name, command in registered.items() if name != "export"})
        with pytest.raises(SystemExit) as exited:
            without_export.parse_args(["export", "csv"])
    assert exited.value.code == 2
    assert "export" in capsys.readouterr().err


async def test_the_running_bot_schedules_every_registered_job(tmp_path):
    jobs = [job.name for feature in registered_features() for job in feature.jobs]
    assert {"poll results", "episodes", "weekly report"} <= set(jobs)
    app = Application(test_settings(tmp_path))
    await app.start()
    try:
        assert all(app.scheduler.has(name) for name in jobs), [name for name in jobs if not app.scheduler.has(name)]
    finally:
        await app.stop()
