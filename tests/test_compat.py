"""Only the library versions the suite runs on (issue 13): anything else refuses to start."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import peewee
import pytest

from app import create_app
from runtime import config
from runtime.config import SUPPORTED_VERSIONS, UnsupportedDependency, check_dependencies


def test_peewee_3_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.setattr(peewee, "__version__", "3.18.1")
    with pytest.raises(UnsupportedDependency, match=r"peewee 3\.18\.1 .* peewee>=4\.5,<5"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})


@pytest.mark.parametrize("version", ["5.0.0", "4.4.9", "4.0.0a1"])
def test_other_unsupported_peewee_versions(monkeypatch, version):
    monkeypatch.setattr(peewee, "__version__", version)
    with pytest.raises(UnsupportedDependency, match="supports only peewee>=4.5,<5"):
        check_dependencies()


@pytest.mark.parametrize("version", ["4.5.0", "4.5.3", "4.9.12"])
def test_supported_peewee_versions_start(monkeypatch, tmp_path, version):
    monkeypatch.setattr(peewee, "__version__", version)
    create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})


@pytest.mark.parametrize("version", ["2.9.10", "3.1.18", "4.0.0"])
def test_unsupported_psycopg_refuses_to_start(monkeypatch, version):
    import psycopg

    monkeypatch.setattr(psycopg, "__version__", version)
    with pytest.raises(UnsupportedDependency, match=r"supports only psycopg>=3\.2,<4"):
        check_dependencies()


def test_a_library_not_installed_is_not_checked():
    check_dependencies({"no_such_driver_paylink": ">=1"})


def test_version_supported():
    assert config.version_supported("4.5.3", ">=4.5,<5")
    assert not config.version_supported("3.17.9", ">=4.5,<5")
    assert config.version_supported("3.2.1", "==3.2")
    assert not config.version_supported("3.3.0", "==3.2")
    with pytest.raises(ValueError):
        config.version_supported("1.0", "~=1.0")


def test_pyproject_declares_the_supported_versions():
    """pip installs what start-up accepts: the two ranges never drift apart."""
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    declared = {}
    for requirement in pyproject["project"]["dependencies"]:
        name, spec = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)", requirement).groups()
        declared[name.lower()] = spec.replace(" ", "")
    for name, spec in SUPPORTED_VERSIONS.items():
        assert declared[name] == spec, (name, declared[name], spec)
