"""Where a setting came from: the environment over config.yaml over the defaults, and an error
that names the variable staff set, or the file and key they wrote."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def config_file(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path | None, environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ)
    return str(caught.value)


def test_a_bad_value_from_the_environment_names_the_variable_not_the_file(tmp_path):
    config = config_file(tmp_path, "server:\n  port: 8080\n")
    message = refusal(config, {"SOUCHASTIE_SERVER_PORT": "lots"})
    assert message.startswith("SOUCHASTIE_SERVER_PORT")
    assert "нужно целое число" in message
    assert str(config) not in message


def test_a_bad_value_in_the_file_names_the_file_and_the_key(tmp_path):
    config = config_file(tmp_path, "proposals:\n  max_photos: many\n")
    message = refusal(config, {"SOUCHASTIE_SERVER_PORT": "9000"})
    assert message.startswith(f"{config}: proposals.max_photos")
    assert "SOUCHASTIE_" not in message


def test_bad_values_in_both_places_are_each_named_where_they_are(tmp_path):
    config = config_file(tmp_path, "proposals:\n  max_photos: many\n")
    message = refusal(config, {"SOUCHASTIE_SERVER_PORT": "-5"})
    assert "SOUCHASTIE_SERVER_PORT (server.port): должно быть не меньше 0" in message
    assert f"{config}: proposals.max_photos: нужно целое число" in message


def test_a_deeper_value_from_the_environment_is_named_by_its_variable(tmp_path):
    config = config_file(tmp_path, "whatsapp:\n  broadcast_template:\n    name: park_news\n")
    message = refusal(config, {"SOUCHASTIE_WHATSAPP_BROADCAST_TEMPLATE__LANGUAGE": "[ru, en]"})
    assert message.startswith("SOUCHASTIE_WHATSAPP_BROADCAST_TEMPLATE__LANGUAGE"
                              " (whatsapp.broadcast_template.language): нужен текст")


def test_a_section_found_incomplete_names_the_variables_that_went_into_it(tmp_path):
    config = config_file(tmp_path, "sms:\n  sender: Park\n")
    message = refusal(config, {"SOUCHASTIE_SMS_PROVIDER": "json"})
    assert message == (f"{config}: sms: sms.provider — json: задайте в sms.url адрес шлюза http(s)"
                       " (из окружения: SOUCHASTIE_SMS_PROVIDER)")


def test_the_environment_wins_over_the_file_and_the_file_over_the_defaults(tmp_path):
    config = config_file(tmp_path, "server:\n  port: 9000\n  host: 127.0.0.1\n")
    settings = load_settings(config, {"SOUCHASTIE_SERVER_PORT": "9090"})
    assert settings.server.port == 9090                 # environment over file
    assert settings.server.host == "127.0.0.1"          # file over default
    assert settings.server.public_url == "http://localhost:8080"  # the default


def test_deeper_levels_are_joined_by_a_double_underscore(tmp_path):
    config = config_file(tmp_path, "whatsapp:\n  broadcast_template:\n    name: park_news\n"
                                   "project:\n  name:\n    ru: Парк Ургуй\n")
    settings = load_settings(config, {"SOUCHASTIE_WHATSAPP_BROADCAST_TEMPLATE__LANGUAGE": "en",
                                      "SOUCHASTIE_PROJECT_NAME__EN": "Urguy Park"})
    assert settings.whatsapp.broadcast_template.name == "park_news"   # from the file, kept
    assert settings.whatsapp.broadcast_template.language == "en"      # from the environment
    assert settings.project.name["en"] == "Urguy Park"
    assert settings.project.name == {"ru": "Парк Ургуй", "en": "Urguy Park"}  # one language each


def test_values_from_the_environment_read_as_yaml():
    settings = load_settings(None, {"SOUCHASTIE_REPORTS_RECIPIENTS": "[telegram:12345, vk:678]",
                                    "SOUCHASTIE_WEBCHAT_MAP_CENTRE": "[50.1, 118.0]",
                                    "SOUCHASTIE_POSTERS_WHATSAPP_NUMBER": "79990001122",
                                    "SOUCHASTIE_PROPOSALS_ASK_CATEGORY": "true"})
    assert settings.reports.recipients == ("telegram:12345", "vk:678")
    assert settings.webchat.map_centre == (50.1, 118.0)
    assert settings.posters.whatsapp_number == "79990001122"
    assert settings.proposals.ask_category is True


def test_a_secret_in_the_file_is_refused_even_when_the_environment_sets_it_too(tmp_path):
    config = config_file(tmp_path, "whatsapp:\n  app_secret: 'in the file'\n")
    message = refusal(config, {"SOUCHASTIE_WHATSAPP_APP_SECRET": "in the environment"})
    assert message == (f"{config}: whatsapp.app_secret — секрет, его задают только в окружении"
                       " (SOUCHASTIE_WHATSAPP_APP_SECRET), не в файле")


@pytest.mark.parametrize("variable", ["SOUCHASTIE_SERVR_PORT", "SOUCHASTIE_SERVER", "SOUCHASTIE_PORT"])
def test_a_variable_that_names_no_section_is_refused_by_its_name(variable):
    refused = refusal(None, {"SOUCHASTIE_SERVER_PORT": "9000", variable: "1"})
    assert refused.startswith(f"{variable}: такой настройки нет")


def test_a_variable_that_names_no_key_of_its_section_is_refused_by_its_name(tmp_path):
    config = config_file(tmp_path, "server:\n  port: 9000\n")
    message = refusal(config, {"SOUCHASTIE_SERVER_PROT": "9090"})
    assert message == "SOUCHASTIE_SERVER_PROT (server.prot): такого поля нет (опечатка?)"


def test_the_config_files_own_variable_is_not_a_setting():
    assert load_settings(None, {"SOUCHASTIE_CONFIG": "elsewhere.yaml"}).server.port == 8080


def test_a_relative_path_is_beside_the_file_or_from_the_current_folder(tmp_path, monkeypatch):
    folder, elsewhere = tmp_path / "etc", tmp_path / "run"
    folder.mkdir(), elsewhere.mkdir()
    config = config_file(folder, "storage:\n  path: db/bot.db\n")
    monkeypatch.chdir(elsewhere)
    from_file = load_settings(config, {})
    assert from_file.storage.path == folder / "db" / "bot.db"
    assert from_file.storage.attachments_dir == folder / "data" / "attachments"  # the default, beside the file
    from_environment = load_settings(config, {"SOUCHASTIE_STORAGE_PATH": "other.db"})
    assert from_environment.storage.path == elsewhere / "other.db"


def test_the_command_line_names_the_variable_when_the_environment_gave_the_bad_value(tmp_path):
    import os
    import subprocess
    import sys

    from tests.drivers import ROOT

    config = config_file(tmp_path, "storage:\n  path: bot.db\n")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SOUCHASTIE_")}
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "db", "upgrade"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**environment, "SOUCHASTIE_SERVER_PORT": "восемь"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "Ошибка в настройках: SOUCHASTIE_SERVER_PORT (server.port): нужно целое число")
    assert not (tmp_path / "bot.db").exists()
