"""Bench section converge: cold and no-op site.yml runs against their floors (apt, image pulls)."""

from __future__ import annotations

import json
import shlex
import statistics
import time

import jinja2
import yaml
from common import (
    CONSTANTS,
    DEBIAN_VERSIONS,
    INVENTORY,
    REPO,
    Row,
    cold_runs,
    fresh_sandbox,
    fresh_vps_container,
    log,
    playbook,
    recap,
    row,
    run,
    runs,
    suite,
)


def role_packages() -> list[str]:
    base = yaml.safe_load((REPO / "roles/base/vars/main.yml").read_text())["__base_packages"]
    docker_defaults = yaml.safe_load((REPO / "roles/docker/defaults/main.yml").read_text())
    docker_vars = yaml.safe_load((REPO / "roles/docker/vars/main.yml").read_text())
    # The role's own rule for the client package (docker-cli from Debian 13 on), with this VPS's facts.
    facts = {"distribution": "Debian", "distribution_major_version": str(DEBIAN_VERSIONS[suite()])}
    cli = yaml.safe_load(jinja2.Template(docker_vars["__docker_distro_cli_packages"]).render(ansible_facts=facts))
    return base + docker_defaults["docker_distro_packages"] + cli + docker_vars["__docker_python_packages"]


def apt_floor(packages: list[str]) -> float:
    """One apt-get install of exactly the roles' packages on an equally fresh VPS container."""
    name = "pdezzy-bench-floor"
    fresh_vps_container(name)
    install = (
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        + " ".join(packages)
    )
    start = time.monotonic()
    run(["docker", "exec", name, "sh", "-c", install])
    seconds = time.monotonic() - start
    run(["docker", "rm", "-f", "-v", name], check=False)
    return seconds


def site_images() -> list[str]:
    """The service images the site pulls (the app's base image comes with its build)."""
    images = []
    for role, key in (("postgres", "postgres_image"), ("redis", "redis_image"), ("nginx", "nginx_image"),
                      ("certbot", "certbot_image")):  # fmt: skip
        images.append(yaml.safe_load((REPO / f"roles/{role}/defaults/main.yml").read_text())[key])
    return images


def site_floor(packages: list[str]) -> float:
    """The least any tool could do to stand the sandbox's site up on an equally fresh VPS: one
    apt-get of the site's packages, pulling its images and building the app image, nothing else."""
    name = "pdezzy-bench-site-floor"
    fresh_vps_container(name)
    inventory = yaml.safe_load((INVENTORY / "group_vars/all/main.yml").read_text())
    # The sandbox inventory's engine settings: the harness registry as Docker Hub's mirror.
    registry = f"{CONSTANTS['SANDBOX_GATEWAY']}:{CONSTANTS['REGISTRY_PORT']}"
    daemon = {
        "registry-mirrors": [f"http://{registry}"],
        "insecure-registries": [registry],
        **inventory.get("docker_daemon_options", {}),
    }
    write_daemon = f"mkdir -p /etc/docker && echo {shlex.quote(json.dumps(daemon))} > /etc/docker/daemon.json"
    run(["docker", "exec", name, "sh", "-c", write_daemon])
    run(["docker", "cp", str(REPO / "examples" / "pdezzy-app"), f"{name}:/root/app"])
    work = (
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        + " ".join(packages)
        + " && "
        + " && ".join(f"docker pull -q {image}" for image in site_images())
        + " && docker build -q -t pdezzy-app:floor /root/app"
    )
    start = time.monotonic()
    run(["docker", "exec", name, "sh", "-c", work], timeout=1800)
    seconds = time.monotonic() - start
    run(["docker", "rm", "-f", "-v", name], check=False)
    return seconds


def bench_converge() -> list[Row]:
    packages = role_packages()
    ours, floor, ours_noop = [], [], []
    for i in range(runs()):
        log(f"converge: base + docker on a fresh VPS, run {i + 1}/{runs()}")
        fresh_sandbox()
        seconds, result = playbook("site.yml", "--tags", "base,docker", "-e", "ansible_user=root")
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-3000:])
        ours.append(seconds)
        log(f"converge: base + docker no-op re-run, run {i + 1}/{runs()}")
        seconds, result = playbook("site.yml", "--tags", "base,docker")
        if result.returncode != 0 or recap(result.stdout)["changed"] != 0:
            raise RuntimeError("base + docker re-run failed or changed something:\n" + result.stdout[-3000:])
        ours_noop.append(seconds)
        log(f"converge: apt floor ({len(packages)} packages), run {i + 1}/{runs()}")
        floor.append(apt_floor(packages))
    ratios = [o / f for o, f in zip(ours, floor, strict=True)]
    cold, cold_changed, site_floors = [], [], []
    for i in range(cold_runs()):
        log(f"converge: cold site.yml on a fresh VPS, run {i + 1}/{cold_runs()}")
        fresh_sandbox()
        seconds, result = playbook("site.yml", "-e", "ansible_user=root")
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-3000:])
        cold.append(seconds)
        cold_changed.append(recap(result.stdout)["changed"])
        log(f"converge: floor of the whole site, run {i + 1}/{cold_runs()}")
        site_floors.append(site_floor(packages))
    site_ratios = [c / f for c, f in zip(cold, site_floors, strict=True)]
    noop, tasks, changed, noop_linear = [], [], [], []
    for i in range(runs()):
        log(f"converge: no-op site.yml re-run {i + 1}/{runs()}")
        seconds, result = playbook("site.yml")
        counts = recap(result.stdout)
        noop.append(seconds)
        tasks.append(counts["ok"])
        changed.append(counts["changed"])
        log(f"converge: no-op site.yml re-run without Mitogen (linear strategy) {i + 1}/{runs()}")
        seconds, result = playbook("site.yml", strategy="linear")
        if result.returncode != 0 or recap(result.stdout)["changed"] != 0:
            raise RuntimeError("no-op re-run (linear) failed or changed something:\n" + result.stdout[-3000:])
        noop_linear.append(seconds)
    return [
        row("converge", "cold site.yml, fresh VPS", cold, "s", f"changed {int(statistics.median(cold_changed))}"),
        row(
            "converge",
            "site floor: one apt-get, image pulls, app build",
            site_floors,
            "s",
            f"{len(packages)} packages, {len(site_images())} images; not in it: PgBouncer's image build",
        ),
        row("converge", "cold site.yml / site floor", site_ratios, "x", "same run, fresh VPS each"),
        row("converge", "base+docker, fresh VPS", ours, "s"),
        row("converge", f"apt floor ({len(packages)} packages, one apt-get)", floor, "s"),
        row("converge", "base+docker / apt floor", ratios, "x", "reference: composed geerlingguy roles ~2.25x"),
        row("converge", "no-op base+docker re-run", ours_noop, "s", "reference: composed geerlingguy roles ~15 s"),
        row("converge", "no-op site.yml re-run", noop, "s", "target <= 25 s; ansible.cfg: Mitogen's strategy"),
        row("converge", "no-op site.yml re-run, linear strategy", noop_linear, "s", "ANSIBLE_STRATEGY=linear"),
        row("converge", "no-op re-run: tasks run", [float(t) for t in tasks], "tasks"),
        row("converge", "no-op re-run: changed", [float(c) for c in changed], "tasks", "target 0"),
    ]
