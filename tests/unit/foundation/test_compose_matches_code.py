"""docker-compose.yml describes production; Docker cannot run here, so this checks that what it
says agrees with the code: real settings, real entry points, real task queues and search
attributes."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import yaml

from config.settings import Settings
from workers.cli import main as cli_main
from workflows import search_attributes, task_queues

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
LEDGERFLOW = {name: s for name, s in SERVICES.items() if s.get("build") == "."}
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def test_the_topology_has_every_part():
    assert {"postgres", "temporal", "temporal-ui", "migrate", "api"} <= set(SERVICES)
    assert any(name.startswith("worker") for name in LEDGERFLOW)
    assert SERVICES["api"]["deploy"]["replicas"] >= 2


def test_every_ledgerflow_env_var_is_a_real_setting():
    for name, service in LEDGERFLOW.items():
        unknown = set(service["environment"]) - SETTING_NAMES
        assert not unknown, f"{name} sets {unknown}, which no setting reads"
        # The values must be accepted by the settings validation itself.
        Settings(**{k.lower(): v for k, v in service["environment"].items()})


def test_every_command_is_a_real_cli_command(capsys):
    commands = {service["command"][0] for service in LEDGERFLOW.values()}
    assert commands == {"api", "worker", "migrate", "dispatcher"}
    with contextlib.suppress(SystemExit):
        cli_main(["--help"])
    usage = capsys.readouterr().out
    for command in commands:
        assert re.search(rf"\b{command}\b", usage)


def test_worker_pools_cover_every_task_queue_exactly_once():
    polled: list[str] = []
    for _name, service in LEDGERFLOW.items():
        if service["command"] == ["worker"]:
            polled += [q.strip() for q in service["environment"]["WORKER_TASK_QUEUES"].split(",")]
    assert sorted(polled) == sorted(task_queues.ALL)


def test_search_attributes_are_registered_in_production_too():
    command = " ".join(SERVICES["temporal-setup"]["command"])
    for key in search_attributes.ALL:
        assert f"--name {key.name} --type {search_attributes.type_name(key)} " in command + " "


def test_the_image_entry_point_is_the_cli():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "workers"]' in dockerfile
