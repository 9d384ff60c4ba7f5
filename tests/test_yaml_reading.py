"""The fast YAML reader reads the shipped files as PyYAML's own reader does, and reports a
mistake in the very words of the pure reader (the message staff see shows the line itself)."""
from __future__ import annotations

import pytest
import yaml

from bot.core.yaml_reading import safe_load
from tests.drivers import ROOT

SHIPPED = [ROOT / "config.yaml", *sorted((ROOT / "handlers" / "locales").glob("*.yaml"))]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_the_shipped_files_read_the_same(path):
    text = path.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.safe_load(text)


@pytest.mark.parametrize("text", ["server:\n  port: [8080\nstorage: {}\n", "a: b: c\n", "key: 'open\n"])
def test_a_mistake_is_reported_as_the_pure_reader_reports_it(text):
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as fast:
        safe_load(text)
    assert str(fast.value) == str(pure.value)
    assert "^" in str(fast.value)  # the pure reader's snippet with a caret under the spot
