"""Where the settings come from: the environment and config.yaml, as pydantic-settings sources.

pydantic-settings reads both and merges them, the environment over the file over the defaults
(``Settings.settings_customise_sources``). The naming rule ``SOUCHASTIE_<SECTION>_<KEY>`` is its
``env_nested_delimiter="_"`` with ``env_nested_max_split=1``: the section, then the key whole,
underscores and all. What it cannot say is kept here, each for a reason:

- deeper levels are ``__`` (``SOUCHASTIE_PROJECT_NAME__RU``), a second delimiter the library has
  no place for, so the key is split on it here;
- values are read as YAML scalars (``true``, ``8080``, ``[a, b]``), as in the file, not as JSON;
- a SOUCHASTIE_ variable that names no setting is refused (the library ignores it), so that a
  misspelt one is seen rather than silently not applied;
- a secret (a ``SecretStr`` field) in the file is refused, so that a token is never committed;
- a relative path means beside the file when the file (or the default) gives it, and from the
  current folder when the environment does, as any path typed in a shell;
- each value remembers its variable, so that a bad one is reported naming the variable
  (``SOUCHASTIE_SERVER_PORT (server.port): нужно целое число``) and one from the file naming the
  file and the key.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, YamlConfigSettingsSource

from bot.core.yaml_reading import safe_load
from bot.validation_ru import russian

ENV_PREFIX = "SOUCHASTIE_"
RESERVED_ENV = {"SOUCHASTIE_CONFIG"}   # the config file's own path (bot/cli.py), not a setting
NESTED = "__"


class ConfigError(Exception):
    """A setting is missing, misspelt or has a value of the wrong kind; the text, one line for
    staff, names the setting and where it came from: the variable or the file."""


class EnvironmentSource(EnvSettingsSource):
    """``SOUCHASTIE_<SECTION>_<KEY>`` variables of ``environ``, nested by ``__``, read as YAML."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str],
                 path_settings: Iterable[str] = ()) -> None:
        self._environ = environ
        self._path_settings = tuple(path_settings)
        self.written: dict[str, str] = {}          # lower-case name → as the environment spells it
        self.origins: dict[tuple[str, ...], str] = {}  # where in the settings → the variable
        super().__init__(settings_cls, case_sensitive=False)
        self._refuse_unknown()

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Only upper-case SOUCHASTIE_ names follow the rule; the library would take any case.
        ours = {name: value for name, value in self._environ.items()
                if name.startswith(ENV_PREFIX) and name not in RESERVED_ENV}
        self.written = {name.lower(): name for name in ours}
        return {name.lower(): value for name, value in ours.items()}

    def _refuse_unknown(self) -> None:
        sections = set(self.settings_cls.model_fields)
        for name in sorted(self.written.values()):
            section, _, key = name[len(ENV_PREFIX):].lower().partition("_")
            if section not in sections or not key:
                raise ConfigError(f"{name}: такой настройки нет (правило: SOUCHASTIE_<РАЗДЕЛ>_<КЛЮЧ>)")

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # A whole section in one variable (SOUCHASTIE_SERVER) is not a setting: refused above.
        return None, field_name, True

    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        return value  # read as YAML in __call__, once, whatever the field's type

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for section, keys in super().__call__().items():
            for key, raw in sorted(keys.items()):   # NAME before NAME__RU: the parts go into the whole
                variable = self.written[f"{ENV_PREFIX}{section}_{key}".lower()]
                *parents, leaf = key.split(NESTED)
                target = values.setdefault(section, {})
                for parent in parents:
                    target = target.setdefault(parent, {})
                    if not isinstance(target, dict):
                        raise ConfigError(f"{variable}: {section}.{parent} уже задан целиком другой переменной")
                target[leaf] = read_scalar(raw)
                self.origins[(section, *parents, leaf)] = variable
        anchor_paths(values, self._path_settings, Path.cwd(), self.settings_cls, defaults=False)
        return values


class ConfigFileSource(YamlConfigSettingsSource):
    """config.yaml, when given: no secrets in it, its relative paths beside it."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None,
                 path_settings: Iterable[str] = ()) -> None:
        if path is not None and not path.is_file():
            raise ConfigError(f"{path}: файл настроек не найден")
        self.path = path
        self._path_settings = tuple(path_settings)
        self._model = settings_cls  # the library reads the file before it keeps settings_cls
        super().__init__(settings_cls, yaml_file=path)

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        try:
            raw = safe_load(Path(file_path).read_text(encoding="utf-8")) or {}  # libyaml when it is there
        except yaml.YAMLError as error:
            raise ConfigError(f"{file_path}: это не YAML: {' '.join(str(error).split())}") from error
        if not isinstance(raw, dict):
            raise ConfigError(f"{file_path}: на верхнем уровне должны быть разделы (server:, storage: …)")
        refuse_secrets(raw, self._model, str(file_path))
        return raw

    def __call__(self) -> dict[str, Any]:
        values = copy.deepcopy(super().__call__())
        # The defaults' relative paths too: without a file they are from the current folder.
        folder = self.path.resolve().parent if self.path is not None else Path.cwd()
        anchor_paths(values, self._path_settings, folder, self._model, defaults=True)
        return values


def read_scalar(value: str | None) -> Any:
    """A variable's text as YAML reads it; text that is not YAML (or reads as null) stays text."""
    if value is None:
        return None
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return value if parsed is None and value != "" else parsed


def env_name(dotted: str) -> str:
    """``telegram.token`` → ``SOUCHASTIE_TELEGRAM_TOKEN``; deeper levels joined by ``__``."""
    return ENV_PREFIX + dotted.replace(".", "_", 1).replace(".", NESTED).upper()


def refuse_secrets(raw: dict[str, Any], model: type[BaseModel], where: str, prefix: str = "") -> None:
    for name, field in model.model_fields.items():
        if name not in raw:
            continue
        annotation = field.annotation
        dotted = f"{prefix}{name}"
        if annotation is not None and "SecretStr" in str(annotation):
            raise ConfigError(f"{where}: {dotted} — секрет, его задают только в окружении"
                              f" ({env_name(dotted)}), не в файле")
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(raw[name], dict):
            refuse_secrets(raw[name], annotation, where, f"{dotted}.")


def anchor_paths(raw: dict[str, Any], path_settings: Iterable[str], folder: Path,
                 settings_cls: type[BaseModel], defaults: bool) -> None:
    """Relative paths among ``path_settings`` ("section.key") made absolute from ``folder``;
    with ``defaults``, those left at their default too."""
    for dotted in path_settings:
        section, key = dotted.split(".")
        if not defaults and key not in raw.get(section, {}):
            continue
        values = raw.setdefault(section, {})
        if not isinstance(values, dict):
            continue  # the validation names the malformed section
        default = settings_cls.model_fields[section].annotation.model_fields[key].default  # type: ignore[union-attr]
        value = values.get(key, default)
        if isinstance(value, (str, Path)) and str(value) and not Path(value).is_absolute():
            values[key] = str(folder / value)


def explain(error: ValidationError, path: Path | None, origins: Mapping[tuple[str, ...], str]) -> str:
    """Every problem found, on one line, each where staff fix it: a value from the environment
    by its variable, one from the file after the file's name."""
    from_environment, from_file = [], []
    for problem in error.errors():
        loc = tuple(str(part) for part in problem["loc"])
        dotted = ".".join(loc)
        variable = next((origins[loc[:end]] for end in range(len(loc), 0, -1) if loc[:end] in origins), None)
        if variable is not None:
            from_environment.append(f"{variable} ({dotted}): {russian(problem)}")
            continue
        inside = sorted(name for where, name in origins.items() if loc and where[:len(loc)] == loc)
        also = f" (из окружения: {', '.join(inside)})" if inside else ""
        from_file.append(f"{dotted}: {russian(problem)}{also}")
    problems = from_environment
    if from_file:
        problems.append((f"{path}: " if path else "") + "; ".join(from_file))
    return "; ".join(problems)
