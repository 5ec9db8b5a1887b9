"""Every setting a deployment can give (the process settings and each module's) is in the
README's settings table under its environment variable name, so a newcomer finds it there."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pydantic_settings import BaseSettings

from config.modules import ModuleSettings
from config.settings import Settings

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def _env_names(cls: type[BaseSettings]) -> list[str]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    names = []
    for name, field in cls.model_fields.items():
        alias = field.validation_alias or field.alias
        names.append((alias if isinstance(alias, str) else prefix + name).upper())
    return names


def test_every_setting_is_in_the_readme() -> None:
    modules = ModuleSettings()
    classes: list[type[BaseSettings]] = [Settings] + [
        type(getattr(modules, field.name)) for field in dataclasses.fields(ModuleSettings)]
    names = [n for cls in classes for n in _env_names(cls)]
    assert len(names) > 60
    assert [n for n in names if f"`{n}`" not in README] == []
