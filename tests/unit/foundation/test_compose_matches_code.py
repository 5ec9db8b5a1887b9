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


ONE_SHOT = {name for name, s in SERVICES.items() if s.get("restart") == "no"}


def test_every_service_has_a_health_check_and_jobs_are_awaited_to_completion():
    assert sorted(ONE_SHOT) == ["migrate", "temporal-setup"]
    for name, service in SERVICES.items():
        if name not in ONE_SHOT:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        for dependency, condition in service.get("depends_on", {}).items():
            wanted = ("service_completed_successfully" if dependency in ONE_SHOT
                      else "service_healthy")
            assert condition == {"condition": wanted}, (name, dependency, condition)


def _seconds(duration: str) -> int:
    assert duration.endswith("s"), duration
    return int(duration[:-1])


def test_worker_pools_drain_before_docker_kills_them_and_serve_their_metrics():
    pools = {name: s for name, s in LEDGERFLOW.items() if s["command"] == ["worker"]}
    assert len(pools) >= 4  # one pool per task queue group
    for name, service in pools.items():
        env = Settings(**{k.lower(): v for k, v in service["environment"].items()})
        assert _seconds(service["stop_grace_period"]) > env.worker_drain_grace_seconds, name
        assert env.worker_metrics_port is not None, name
        probe = " ".join(service["healthcheck"]["test"])
        assert f"127.0.0.1:{env.worker_metrics_port}/metrics" in probe, name


def test_the_api_and_dispatcher_health_checks_use_their_real_endpoints():
    api = Settings(**{k.lower(): v for k, v in SERVICES["api"]["environment"].items()})
    assert f"127.0.0.1:{api.api_port}/_healthcheck" in " ".join(
        SERVICES["api"]["healthcheck"]["test"])
    assert _seconds(SERVICES["api"]["stop_grace_period"]) > api.api_shutdown_grace_seconds
    dispatcher = Settings(**{k.lower(): v
                             for k, v in SERVICES["dispatcher"]["environment"].items()})
    assert f"127.0.0.1:{dispatcher.dispatcher_metrics_port}/metrics" in " ".join(
        SERVICES["dispatcher"]["healthcheck"]["test"])
