"""The production recipes in deploy/ (a container image, a compose file, systemd units, a proxy
configuration) agree with the code, so that they cannot rot unnoticed: every variable they set is a
setting with a value the settings accept, every command they run is one the command line knows,
the health path they ask answers on the running bot, the proxy sends to exactly the bot services,
secrets stay in the env file. Where the tools are on the machine (systemd-analyze, caddy, podman
or docker with a daemon) the files are also checked by them; elsewhere those tests say why not."""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import time
import typing
import uuid
from pathlib import Path

import aiohttp
import pytest
import yaml
from pydantic import SecretStr

from bot.app import Application
from bot.argparse_ru import russian_argparse
from bot.cli import build_parser
from bot.config import Settings, load_settings
from bot.settings_sources import ENV_PREFIX, RESERVED_ENV
from tests.drivers import ROOT, test_settings
from tests.process import START_SECONDS, free_port

DEPLOY = ROOT / "deploy"
CONTAINERFILE = DEPLOY / "Containerfile"
COMPOSE = DEPLOY / "compose.yaml"
CADDYFILE = DEPLOY / "Caddyfile"
UNIT = DEPLOY / "souchastie.service"
UNITS = (UNIT, DEPLOY / "souchastie@.service")
BACKUP_UNIT, BACKUP_TIMER = DEPLOY / "souchastie-backup.service", DEPLOY / "souchastie-backup.timer"
ENV_EXAMPLE = DEPLOY / "souchastie.env.example"
RECIPES = (CONTAINERFILE, COMPOSE, CADDYFILE, *UNITS, BACKUP_UNIT, BACKUP_TIMER, ENV_EXAMPLE)
VARIABLE = re.compile(r"\bSOUCHASTIE_[A-Z0-9_]*[A-Z0-9]\b")

# Settings that the recipes name and that other branches of issue 15 bring. Once one exists, the
# test below fails saying so: take it out of here, and the recipe is checked like every other.
PENDING: dict[str, str] = {}
# Values that carry a password, besides the settings that are secrets.
SECRET_BEARING = {"SOUCHASTIE_STORAGE_URL", "POSTGRES_PASSWORD"}


def setting_of(variable: str) -> str | None:
    """The setting ``SOUCHASTIE_<SECTION>_<KEY>`` sets ("server.port"), or None if it sets none."""
    if variable in RESERVED_ENV:
        return "(the configuration file)"
    section, _, key = variable[len(ENV_PREFIX):].lower().partition("_")
    field = key.split("__")[0]
    model = Settings.model_fields.get(section)
    if model is None or field not in model.annotation.model_fields:   # type: ignore[union-attr]
        return None
    return f"{section}.{field}"


def named_in(path: Path) -> set[str]:
    return set(VARIABLE.findall(path.read_text(encoding="utf-8")))


def image_environment() -> dict[str, str]:
    """The Containerfile's ENV lines (continued with a backslash), as the image's environment."""
    text = re.sub(r"\\\n\s*", " ", CONTAINERFILE.read_text(encoding="utf-8"))
    pairs = [word.split("=", 1) for line in text.splitlines() if line.startswith("ENV ")
             for word in line.split()[1:]]
    return {key: value for key, value in pairs}


def unit_options(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of every option of a systemd unit file, in order."""
    options, section = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith("#"):
            key, _, value = line.partition("=")
            options.append((section, key, value))
    return options


def unit_environment(path: Path, instance: str = "8081") -> dict[str, str]:
    return dict(value.replace("%i", instance).split("=", 1) for _, key, value in unit_options(path)
                if key == "Environment")


def compose() -> dict[str, typing.Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def bot_services() -> dict[str, dict[str, typing.Any]]:
    """The compose services that run the bot itself (the image's own command), by name."""
    services = compose()["services"]
    return {name: service for name, service in services.items()
            if service.get("image") == services["migrate"]["image"] and "command" not in service}


def bot_commands() -> list[list[str]]:
    """Every ``python -m bot …`` the recipes run: the image's CMD, compose commands, ExecStart."""
    commands = [json.loads(line.removeprefix("CMD ")) for line in CONTAINERFILE.read_text().splitlines()
                if line.startswith("CMD ")]
    commands += [service["command"] for service in compose()["services"].values() if "command" in service]
    commands += [value.split() for path in (*UNITS, BACKUP_UNIT) for _, key, value in unit_options(path)
                 if key == "ExecStart"]
    return [command[command.index("bot") + 1:] for command in commands if command[1:3] == ["-m", "bot"]]


def health_paths() -> set[str]:
    healthcheck = next(line for line in CONTAINERFILE.read_text().splitlines() if "urlopen(" in line)
    paths = set(re.findall(r"'(/[a-z/]+)'", healthcheck))
    for path in (CADDYFILE, *UNITS):
        paths |= set(re.findall(r"health_uri (/[a-z/]+)", path.read_text(encoding="utf-8")))
    return paths


def test_every_souchastie_variable_the_recipes_name_is_a_setting():
    named = {variable: path.name for path in RECIPES for variable in named_in(path)}
    assert len(named) > 10, named   # the scan finds what the files say
    now_real = sorted(variable for variable in PENDING if setting_of(variable))
    assert not now_real, f"{now_real} are settings now: take them out of PENDING in this test"
    unknown = {variable: where for variable, where in named.items()
               if setting_of(variable) is None and variable not in PENDING}
    assert not unknown, f"not a setting (the bot would refuse to start): {unknown}"


def test_the_values_the_recipes_set_are_accepted_by_the_settings():
    image = image_environment()
    assert image["SOUCHASTIE_SERVER_PORT"] == "8080"
    environments = {"image + compose": {**image, **next(iter(bot_services().values()))["environment"]},
                    **{path.name: unit_environment(path) for path in UNITS}}
    for where, environment in environments.items():
        settings = load_settings(ROOT / "config.yaml", environment)
        assert settings.server.port == int(environment["SOUCHASTIE_SERVER_PORT"]), where
        assert settings.server.trusted_proxies, f"{where}: the proxy's X-Forwarded-For would be ignored"


def test_the_commands_the_recipes_run_are_commands_of_the_command_line():
    commands = bot_commands()
    assert ["run"] in commands and ["db", "upgrade"] in commands and ["db", "backup"] in commands, commands
    with russian_argparse():
        parser = build_parser()
        for command in commands:
            parser.parse_args(command)   # an unknown command or option exits here, naming it


async def test_the_health_path_the_recipes_ask_answers_on_the_running_bot(tmp_path):
    paths = health_paths()
    assert paths, "no health check found in the recipes"
    app = Application(test_settings(tmp_path))
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            for path in sorted(paths):
                async with http.get(f"http://127.0.0.1:{app.port}{path}", allow_redirects=False) as answer:
                    assert answer.status == 200, path
    finally:
        await app.stop()


def test_the_proxy_sends_to_every_bot_service_and_to_nothing_else():
    upstreams = set(re.search(r"reverse_proxy ([^{]+)\{", CADDYFILE.read_text()).group(1).split())
    services = {f"{name}:{service['environment']['SOUCHASTIE_SERVER_PORT']}"
                for name, service in bot_services().items()}
    assert len(services) >= 2 and upstreams == services
    assert set(compose()["services"]["proxy"]["depends_on"]) == set(bot_services())


def test_secrets_come_from_the_env_file_and_never_stand_in_a_recipe():
    secrets = {f"{ENV_PREFIX}{section}_{key}".upper()
               for section, field in Settings.model_fields.items()
               for key, inner in field.annotation.model_fields.items()   # type: ignore[union-attr]
               if SecretStr in (inner.annotation, *typing.get_args(inner.annotation))}
    assert len(secrets) >= 10, secrets
    listed = named_in(ENV_EXAMPLE) | set(re.findall(r"^#? ?([A-Z_]+)=", ENV_EXAMPLE.read_text(), re.M))
    assert secrets | SECRET_BEARING <= listed, f"the env file's example lacks {sorted(secrets - listed)}"
    for path in (CONTAINERFILE, COMPOSE, *UNITS, BACKUP_UNIT):
        text = path.read_text(encoding="utf-8")
        assert not [name for name in secrets | SECRET_BEARING if re.search(rf"\b{name}\s*[:=]", text)], path.name
    services = compose()["services"]
    for name in (*bot_services(), "migrate", "postgres"):
        assert services[name]["env_file"] == ["souchastie.env"], name
    assert all(("EnvironmentFile", "/etc/souchastie/souchastie.env") == (key, value)
               for path in (*UNITS, BACKUP_UNIT) for _, key, value in unit_options(path) if key == "EnvironmentFile")
    ignored = subprocess.run(["git", "check-ignore", "-q", str(DEPLOY / "souchastie.env")], cwd=ROOT)
    assert ignored.returncode == 0, "a filled-in deploy/souchastie.env could be committed"


def test_the_unit_for_several_processes_differs_from_the_single_one_only_in_its_port():
    def without_port(path: Path) -> list[tuple[str, str, str]]:
        return [(section, key, value) for section, key, value in unit_options(path)
                if key != "Description" and not value.startswith("SOUCHASTIE_SERVER_PORT=")]

    single, template = UNITS
    assert without_port(single) == without_port(template)
    assert unit_environment(template, "8083")["SOUCHASTIE_SERVER_PORT"] == "8083"
    hardening = {key: value for _, key, value in unit_options(single)}
    assert hardening["ProtectSystem"] == "strict" and hardening["NoNewPrivileges"] == "yes"
    assert hardening["ReadWritePaths"] == str(Path(unit_environment(single)["SOUCHASTIE_STORAGE_PATH"]).parent)
    assert hardening["Restart"] == "on-failure" and hardening["User"] != "root"


def copied_before_install() -> list[str]:
    """What the Containerfile copies into the build folder before ``pip install .``."""
    text = CONTAINERFILE.read_text(encoding="utf-8")
    before = text[:text.index("RUN pip install .")]
    return [source for line in re.findall(r"^COPY (.+)$", before, re.M) for source in line.split()[:-1]]


async def test_the_package_the_image_installs_serves_from_outside_the_checkout(tmp_path):
    """``pip install .`` of what the Containerfile copies, run as the image runs it (its
    environment, the configuration in its own folder): nothing the bot needs at run time
    (migrations, locales, the web chat's files, the panel's templates) is left behind in the
    checkout, and no package in pyproject.toml is missing from the Containerfile's COPY lines."""
    source, site, etc, data = (tmp_path / name for name in ("src", "site", "etc", "data"))
    for name in copied_before_install():
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy(ROOT / name, source / name)
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                                str(source)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    etc.mkdir()
    data.mkdir()
    shutil.copy(ROOT / "config.yaml", etc / "config.yaml")
    port = free_port()
    image = {key: value.replace("/etc/souchastie", str(etc)).replace("/var/lib/souchastie", str(data))
             for key, value in image_environment().items() if key.startswith(ENV_PREFIX)}
    dependencies = next(Path(path) for path in sys.path if path.endswith("site-packages"))
    # -S: the checkout's own editable install (a .pth file) is not seen, only the installed copy.
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{site}:{dependencies}", **image,
                   "SOUCHASTIE_SERVER_HOST": "127.0.0.1", "SOUCHASTIE_SERVER_PORT": str(port)}
    where = subprocess.run([sys.executable, "-S", "-c", "import bot, storage; print(bot.__file__, storage.__file__)"],
                           cwd=data, env=environment, capture_output=True, text=True)
    assert all(Path(path).is_relative_to(site) for path in where.stdout.split()), where.stdout + where.stderr
    log = (tmp_path / "bot.log").open("wb")
    bot = await asyncio.create_subprocess_exec(sys.executable, "-S", "-m", "bot", "run", cwd=data, env=environment,
                                               stdout=log, stderr=log)
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + START_SECONDS
            while True:
                assert bot.returncode is None and time.monotonic() < deadline, (tmp_path / "bot.log").read_text()
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                        if answer.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            async with http.get(f"http://127.0.0.1:{port}/") as chat:      # the web chat's page and files
                assert chat.status == 200 and "<html" in (await chat.text()).lower()
            async with http.get(f"http://127.0.0.1:{port}/admin/login") as panel:   # the panel's templates
                assert panel.status == 200 and "<form" in await panel.text()
        assert (data / "souchastie.db").is_file()   # the migrations came along and ran
    finally:
        bot.terminate()
        await bot.wait()
        log.close()


def test_the_nightly_backup_copies_the_database_the_bot_writes_under_the_same_confinement():
    def confinement(path: Path) -> list[tuple[str, str, str]]:
        options = unit_options(path)
        start = next(number for number, option in enumerate(options) if option[1] == "StateDirectory")
        return [option for option in options[start:] if option[0] == "Service"]

    bot, backup = unit_environment(UNIT), unit_environment(BACKUP_UNIT)
    for variable in ("SOUCHASTIE_CONFIG", "SOUCHASTIE_STORAGE_PATH", "SOUCHASTIE_STORAGE_ATTACHMENTS_DIR"):
        assert backup[variable] == bot[variable], variable
    assert confinement(BACKUP_UNIT) == confinement(UNIT)
    settings = load_settings(ROOT / "config.yaml", backup)
    writable = Path(dict((key, value) for _, key, value in unit_options(BACKUP_UNIT))["ReadWritePaths"])
    assert settings.storage.backups_folder.is_relative_to(writable)   # the copies may be written there
    assert ("Install", "WantedBy", "timers.target") in unit_options(BACKUP_TIMER)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_accepts_the_units(tmp_path):
    for path in (*UNITS, BACKUP_UNIT, BACKUP_TIMER):
        # verify checks that ExecStart's program exists: here the bot runs from this interpreter.
        text = path.read_text(encoding="utf-8").replace("/opt/souchastie/venv/bin/python", sys.executable)
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    for name in ("souchastie.service", "souchastie@8081.service", BACKUP_UNIT.name, BACKUP_TIMER.name):
        checked = subprocess.run(["systemd-analyze", "verify", str(tmp_path / name)], capture_output=True, text=True)
        said = (checked.stdout + checked.stderr).strip()   # a misspelt option is only a warning
        assert checked.returncode == 0 and not said, said


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed here (apt-get install caddy)")
def test_caddy_accepts_the_proxy_configuration():
    checked = subprocess.run(["caddy", "adapt", "--config", str(CADDYFILE), "--validate"], capture_output=True,
                             text=True, env={"DOMAIN": "bot.example.ru", "PATH": "/usr/bin:/bin"})
    assert checked.returncode == 0, checked.stderr
    [proxy] = [handler for route in json.loads(checked.stdout)["apps"]["http"]["servers"]["srv0"]["routes"]
               for sub in route["handle"] for inner in sub["routes"] for handler in inner["handle"]
               if handler["handler"] == "reverse_proxy"]
    assert proxy["health_checks"]["active"]["uri"] in health_paths()


def container_engine() -> str | None:
    """podman, or docker, that can build here (a client whose daemon is down cannot)."""
    for name in ("podman", "docker"):
        if shutil.which(name) and subprocess.run([name, "info"], capture_output=True).returncode == 0:
            return name
    return None


@pytest.mark.skipif(container_engine() is None,
                    reason="no podman, and no docker with a reachable daemon, to build deploy/Containerfile")
def test_the_image_builds_runs_as_a_user_and_becomes_healthy(tmp_path):
    engine = container_engine()
    assert engine is not None
    tag, name = f"souchastie-test:{uuid.uuid4().hex[:8]}", f"souchastie-test-{uuid.uuid4().hex[:8]}"
    subprocess.run([engine, "build", "-f", str(CONTAINERFILE), "-t", tag, str(ROOT)], check=True)
    try:
        subprocess.run([engine, "run", "-d", "--name", name, "-p", f"127.0.0.1:{free_port()}:8080", tag], check=True)
        deadline, status = time.monotonic() + 180, ""
        while time.monotonic() < deadline and status != "healthy":
            time.sleep(2)
            status = subprocess.run([engine, "inspect", "--format", "{{.State.Health.Status}}", name],
                                    capture_output=True, text=True).stdout.strip()
        logs = subprocess.run([engine, "logs", name], capture_output=True, text=True)
        assert status == "healthy", logs.stdout + logs.stderr
        user = subprocess.run([engine, "exec", name, "id", "-un"], capture_output=True, text=True).stdout.strip()
        assert user == "souchastie"
        backup = subprocess.run([engine, "exec", name, "python", "-m", "bot", "db", "backup"],
                                capture_output=True, text=True)
        assert "Резервная копия готова" in backup.stdout, backup.stderr
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True)
        subprocess.run([engine, "rmi", "-f", tag], capture_output=True)
