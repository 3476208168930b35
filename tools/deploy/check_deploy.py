#!/usr/bin/env python3
"""Checks the deployment files against `organa serve` (issue 10: there is no Docker engine or cluster here).

    check_deploy.py --organa .build/debug/organa [--deploy deploy] [--docker deploy/docker] [--env-file FILE]

Reads deploy/compose.yaml (with the values of deploy/.env.example), every deploy/k8s/*.yaml and the
Dockerfiles in deploy/docker/, and for every container that runs Organa:
  1. its command line (compose command/entrypoint or Kubernetes command/args over the image's ENTRYPOINT and
     CMD) goes through the real argument parser and configuration code:
     `organa serve <service> … --check-configuration`, run with exactly the environment the files give the
     container (the Dockerfile's ENV, compose environment, ConfigMap and Secret keys), so a missing required
     variable fails as it would at start-up;
  2. every variable set on the container is one that service reads (the list `--check-configuration` prints,
     which is ServiceEnvironment in Sources/organa), and no setting is left without a value;
  3. ports agree: --port = EXPOSE = compose's published container port = containerPort = Service targetPort =
     probe and HEALTHCHECK ports; readiness probes /ready, liveness /health; services bind 0.0.0.0; the
     gateway's --image-url/--post-url/--mesh-url name a service and its port;
  4. Kubernetes wiring: Service selectors and HPA targets name Deployments, an HPA's target requests CPU, the
     image service's memory limit covers --memory-budget plus the process baseline, kustomization.yaml lists
     every manifest.
Prints a summary and exits 0, or lists every problem (each naming its file, container and the offending flag,
variable or port) on stderr and exits 1. PyYAML parses the YAML (the reference venv has it:
tools/requirements-reference.txt).
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml

# Process RSS of `organa serve image` with every bundled model loaded, idle (MiB; measured 2026-12-05, see
# deploy/README.md): the image service's memory limit must hold --memory-budget plus this.
IMAGE_BASELINE_MIB = 100

SERVICES = {"gateway", "image", "post", "mesh", "all"}
URL_SETTINGS = ("image-url", "post-url", "mesh-url")


class Problems:
    def __init__(self):
        self.items = []

    def add(self, where, message):
        item = f"{where}: {message}"
        if item not in self.items:
            self.items.append(item)


# Dockerfiles ------------------------------------------------------------------------------------------------


def dockerfile_instructions(path):
    """(INSTRUCTION, argument text) pairs: comments dropped, backslash continuations joined."""
    instructions, pending = [], ""
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        instructions.append((word.upper(), rest.strip()))
    return instructions


def exec_form(text):
    """CMD/ENTRYPOINT/HEALTHCHECK CMD as a list: the JSON exec form, or the shell form through sh -c."""
    text = text.strip()
    if text.startswith("["):
        return json.loads(text)
    return ["/bin/sh", "-c", text]


class Image:
    """What a service's image gives a container: ENTRYPOINT, CMD, ENV, EXPOSE, HEALTHCHECK (the final stage,
    over its FROM when that is another organa-<name> image built from <name>.Dockerfile beside it)."""

    def __init__(self, path, docker_dir):
        self.path = Path(path)
        self.entrypoint, self.cmd, self.env, self.expose, self.healthcheck = None, None, {}, [], None
        args = {}
        stage = None
        for word, rest in dockerfile_instructions(path):
            if word == "ARG" and stage is None:
                name, _, default = rest.partition("=")
                args[name.strip()] = default.strip()
            elif word == "FROM":
                stage = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), rest.split()[0])
                self.entrypoint, self.cmd, self.env, self.expose, self.healthcheck = None, None, {}, [], None
                base = stage.split(":")[0].rsplit("/", 1)[-1]
                parent_path = Path(docker_dir) / f"{base[len('organa-'):]}.Dockerfile"
                if base.startswith("organa-") and parent_path.exists() and parent_path != self.path:
                    parent = Image(parent_path, docker_dir)
                    self.entrypoint, self.cmd = parent.entrypoint, parent.cmd
                    self.env, self.expose, self.healthcheck = dict(parent.env), [], parent.healthcheck
            elif word == "ENV":
                for item in shlex.split(rest):
                    name, _, value = item.partition("=")
                    self.env[name] = value
            elif word == "EXPOSE":
                self.expose += [int(p.split("/")[0]) for p in rest.split()]
            elif word == "ENTRYPOINT":
                self.entrypoint, self.cmd = exec_form(rest), None
            elif word == "CMD":
                self.cmd = exec_form(rest)
            elif word == "HEALTHCHECK":
                self.healthcheck = None if rest.upper() == "NONE" else exec_form(rest[rest.upper().index("CMD") + 3 :])


def dockerfile_for_image(image_name, docker_dir):
    """organa-<service>[:tag] (any registry) → <docker_dir>/<service>.Dockerfile, or None."""
    base = image_name.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    if not base.startswith("organa-"):
        return None
    return Path(docker_dir) / f"{base[len('organa-'):]}.Dockerfile"


# Containers -------------------------------------------------------------------------------------------------


class Container:
    """One container that runs Organa, wherever it was declared."""

    def __init__(self, where, argv, env, ports, image, healthcheck, probes):
        self.where = where  # e.g. "compose.yaml service gateway"
        self.argv = argv
        self.env = env  # name → value (None: no value could be found)
        self.ports = ports  # container ports the file declares (compose ports/expose, containerPort)
        self.image = image  # Image or None
        self.healthcheck = healthcheck  # argv or None
        self.probes = probes  # {"readiness": (path, port), "liveness": (path, port)} (Kubernetes)
        self.report = None


def check_configuration(container, organa, root, problems):
    """Runs the container's command line with --check-configuration; returns the report or None."""
    argv = container.argv
    if not argv or Path(argv[0]).name != "organa":
        problems.add(container.where, f"the command {argv} does not run organa")
        return None
    if len(argv) < 3 or argv[1] != "serve" or argv[2] not in SERVICES:
        problems.add(container.where, f"the command {' '.join(argv)} is not `organa serve <service>`")
        return None
    missing = sorted(name for name, value in container.env.items() if value is None)
    for name in missing:
        problems.add(container.where, f"{name} has no value")
    env = {name: value for name, value in container.env.items() if value is not None}
    result = subprocess.run(
        [organa] + argv[1:] + ["--check-configuration"], cwd=root, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        lines = lines[: next((i for i, line in enumerate(lines) if line.startswith("Usage:")), len(lines))]
        message = " | ".join(line.strip() for line in lines if line.strip())
        problems.add(container.where, f"`{' '.join(argv)}` is refused by organa: {message}")
        return None
    return json.loads(result.stdout)


def check_container(container, report, problems):
    where = container.where
    service = report["service"]
    port = report["port"]
    if report["host"] not in ("0.0.0.0", "::"):
        problems.add(where, f"--host {report['host']}: unreachable from outside the container (use 0.0.0.0)")
    if port == 0:
        problems.add(where, "no --port: the service would listen on a random port")
    read = set(report["environment"])
    for name in sorted(container.env):
        if name not in read:
            problems.add(where, f"{name} is set but `organa serve {service}` does not read it")
    for declared in container.ports:
        if declared != port:
            problems.add(where, f"container port {declared} is not --port {port}")
    if container.image is not None:
        if container.image.expose != [port]:
            problems.add(where, f"{container.image.path.name} EXPOSEs {container.image.expose}, not --port {port}")
    if container.healthcheck is not None:
        urls = [urlparse(word) for word in container.healthcheck if word.startswith("http")]
        if not urls:
            problems.add(where, f"the health check {container.healthcheck} calls no URL")
        for url in urls:
            if url.port != port or url.path not in ("/ready", "/health"):
                problems.add(where, f"the health check calls {url.geturl()}, not /ready or /health on --port {port}")
    for kind, path in (("readiness", "/ready"), ("liveness", "/health")):
        if container.probes is None:
            continue
        probe = container.probes.get(kind)
        if probe is None:
            problems.add(where, f"no {kind} probe")
        elif probe != (path, port):
            problems.add(where, f"the {kind} probe asks {probe[0]} on port {probe[1]}, not {path} on --port {port}")


def check_urls(container, report, services, problems):
    """The gateway's stage URLs name a service (compose service or Kubernetes Service) and its port."""
    for setting in URL_SETTINGS:
        value = report.get("settings", {}).get(setting)
        if value is None:
            continue
        url = urlparse(value)
        if url.hostname not in services:
            problems.add(container.where, f"--{setting} {value}: no service named {url.hostname}")
        elif url.port != services[url.hostname]:
            problems.add(
                container.where,
                f"--{setting} {value}: service {url.hostname} listens on {services[url.hostname]}, not {url.port}",
            )


# Compose ----------------------------------------------------------------------------------------------------


def read_env_file(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(text, values, where, problems):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR and $$."""

    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(5)
        operator, operand = match.group(2), match.group(3)
        value = values.get(name)
        if operator in (":-", "-"):
            return value if value or (operator == "-" and value is not None) else operand
        if value is None or (operator == ":?" and value == ""):
            problems.add(where, f"${{{name}}} has no value in the env file")
            return ""
        return value

    pattern = r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}()|\$(\w+)"
    return re.sub(pattern, replace, text)


def interpolated(node, values, where, problems):
    if isinstance(node, str):
        return interpolate(node, values, where, problems)
    if isinstance(node, list):
        return [interpolated(item, values, where, problems) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, values, where, problems) for key, value in node.items()}
    return node


def depends_on(spec):
    """A compose service's depends_on as {service: {condition: …}} (the list form has no conditions)."""
    value = spec.get("depends_on") or {}
    return {name: {} for name in value} if isinstance(value, list) else {k: v or {} for k, v in value.items()}


def compose_containers(path, env_file, docker_dir, problems):
    name = Path(path).name
    values = read_env_file(env_file) if env_file and Path(env_file).exists() else {}
    document = interpolated(yaml.safe_load(Path(path).read_text()), values, name, problems)
    services = document.get("services", {})
    containers, healthchecked = [], set()
    for service, spec in services.items():
        where = f"{name} service {service}"
        dockerfile = None
        build = spec.get("build")
        if isinstance(build, dict) and "dockerfile" in build:
            dockerfile = (Path(path).parent / build.get("context", ".") / build["dockerfile"]).resolve()
        elif "image" in spec:
            dockerfile = dockerfile_for_image(spec["image"], docker_dir)
        image = Image(dockerfile, docker_dir) if dockerfile and dockerfile.exists() else None
        if spec.get("healthcheck") or (image and image.healthcheck):
            healthchecked.add(service)
        for target in depends_on(spec):
            if target not in services:
                problems.add(where, f"depends on {target}, which is not a service")
        if image is None:
            if dockerfile is not None:
                problems.add(where, f"no Dockerfile {dockerfile}")
            continue
        argv = image.entrypoint or []
        if "entrypoint" in spec:
            entrypoint = spec["entrypoint"]
            argv = shlex.split(entrypoint) if isinstance(entrypoint, str) else list(entrypoint)
            cmd = []
        else:
            cmd = image.cmd or []
        if "command" in spec:
            command = spec["command"]
            cmd = shlex.split(command) if isinstance(command, str) else list(command)
        env = dict(image.env)
        environment = spec.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        env.update({key: None if value is None else str(value) for key, value in environment.items()})
        ports = []
        for item in spec.get("ports", []):
            if isinstance(item, dict):
                ports.append(int(item["target"]))
            else:
                ports.append(int(str(item).rsplit(":", 1)[-1].split("/")[0]))
        ports += [int(str(item).split("/")[0]) for item in spec.get("expose", [])]
        healthcheck = image.healthcheck
        if isinstance(spec.get("healthcheck"), dict) and "test" in spec["healthcheck"]:
            test = spec["healthcheck"]["test"]
            healthcheck = shlex.split(test) if isinstance(test, str) else test[1:]
        containers.append(Container(where, argv + cmd, env, ports, image, healthcheck, None))
    for service, spec in services.items():
        for target, condition in depends_on(spec).items():
            if condition.get("condition") == "service_healthy" and target in services and target not in healthchecked:
                problems.add(f"{name} service {service}", f"waits for {target} to be healthy; it has no health check")
    return containers


# Kubernetes -------------------------------------------------------------------------------------------------


def memory_mib(quantity):
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1 << 20, "k": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(quantity))
    if not match or (match.group(2) and match.group(2) not in units):
        return None
    return float(match.group(1)) * (units[match.group(2)] if match.group(2) else 1 / 2**20)


def kubernetes(k8s_dir, docker_dir, problems):
    documents = []
    files = sorted(Path(k8s_dir).glob("*.yaml"))
    for path in files:
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                documents.append((path.name, document))
    by_kind = {}
    for file, document in documents:
        by_kind.setdefault(document.get("kind"), []).append((file, document))
    config_maps = {d["metadata"]["name"]: dict(d.get("data") or {}) for _, d in by_kind.get("ConfigMap", [])}
    secrets = {
        d["metadata"]["name"]: dict(d.get("stringData") or {}) | dict(d.get("data") or {})
        for _, d in by_kind.get("Secret", [])
    }
    for file, kustomization in by_kind.get("Kustomization", []):
        listed = set(kustomization.get("resources", []))
        for path in files:
            if path.name != file and path.name not in listed:
                problems.add(file, f"{path.name} is not in resources")
        for resource in sorted(listed - {path.name for path in files}):
            problems.add(file, f"resource {resource} does not exist")

    containers, deployments = [], {}
    for file, deployment in by_kind.get("Deployment", []):
        name = deployment["metadata"]["name"]
        template = deployment["spec"]["template"]
        labels = template["metadata"].get("labels", {})
        selector = deployment["spec"]["selector"].get("matchLabels", {})
        if any(labels.get(key) != value for key, value in selector.items()):
            problems.add(f"{file} Deployment {name}", "its selector does not match its pod labels")
        deployments[name] = (file, deployment, labels)
        for spec in template["spec"]["containers"]:
            where = f"{file} Deployment {name} container {spec['name']}"
            dockerfile = dockerfile_for_image(spec.get("image", ""), docker_dir)
            if dockerfile is None:
                continue
            if not dockerfile.exists():
                problems.add(where, f"image {spec['image']}: no Dockerfile {dockerfile}")
                continue
            image = Image(dockerfile, docker_dir)
            if "command" in spec:
                argv = list(spec["command"]) + list(spec.get("args", []))
            else:
                argv = (image.entrypoint or []) + list(spec.get("args", image.cmd or []))
            env = dict(image.env)
            for source in spec.get("envFrom", []):
                for kind, table in (("configMapRef", config_maps), ("secretRef", secrets)):
                    if kind in source:
                        ref = source[kind]["name"]
                        if ref not in table:
                            problems.add(where, f"{kind} {ref}: no such {kind[:-3]} in {k8s_dir}")
                        env.update({key: str(value) for key, value in table.get(ref, {}).items()})
            for item in spec.get("env", []):
                if "value" in item:
                    env[item["name"]] = str(item["value"])
                    continue
                value = None
                for kind, table in (("configMapKeyRef", config_maps), ("secretKeyRef", secrets)):
                    ref = (item.get("valueFrom") or {}).get(kind)
                    if ref is not None:
                        value = table.get(ref["name"], {}).get(ref["key"])
                        if value is None:
                            problems.add(where, f"{item['name']}: {kind} {ref['name']}/{ref['key']} does not exist")
                            value = "missing"
                env[item["name"]] = None if value is None else str(value)
            named = {port.get("name"): port["containerPort"] for port in spec.get("ports", [])}
            probes = {}
            for kind in ("readiness", "liveness"):
                probe = (spec.get(f"{kind}Probe") or {}).get("httpGet")
                if probe is not None:
                    port = named.get(probe["port"], probe["port"])
                    probes[kind] = (probe.get("path"), port)
            container = Container(where, argv, env, list(named.values()), image, None, probes)
            container.resources = spec.get("resources", {})
            container.deployment = name
            container.named_ports = named
            container.service_ports = []
            containers.append(container)

    services = {}
    for file, service in by_kind.get("Service", []):
        name = service["metadata"]["name"]
        selector = service["spec"].get("selector", {})
        matches = [
            deployment
            for deployment, (_, _, labels) in deployments.items()
            if all(labels.get(key) == value for key, value in selector.items())
        ]
        if len(matches) != 1:
            problems.add(f"{file} Service {name}", f"its selector matches {len(matches)} Deployments, not 1")
            continue
        targets = [c for c in containers if c.deployment == matches[0]]
        for port in service["spec"].get("ports", []):
            target = port.get("targetPort", port["port"])
            for container in targets:
                resolved = container.named_ports.get(target, target)
                container.service_ports.append((f"{file} Service {name} port {port['port']}", resolved))
            services[name] = port["port"]

    for file, hpa in by_kind.get("HorizontalPodAutoscaler", []):
        where = f"{file} HorizontalPodAutoscaler {hpa['metadata']['name']}"
        target = hpa["spec"]["scaleTargetRef"]
        if target.get("kind") != "Deployment" or target.get("name") not in deployments:
            problems.add(where, f"scales {target.get('kind')} {target.get('name')}, which is not a Deployment here")
            continue
        uses_cpu = any(
            (metric.get("resource") or {}).get("name") == "cpu" for metric in hpa["spec"].get("metrics", [])
        )
        for container in (c for c in containers if c.deployment == target["name"]):
            if uses_cpu and "cpu" not in (container.resources.get("requests") or {}):
                problems.add(where, f"{container.where} requests no CPU: CPU utilisation is undefined")
    return containers, services


def check_kubernetes_container(container, report, problems):
    for service_where, port in container.service_ports:
        if port != report["port"]:
            problems.add(service_where, f"targetPort {port} is not {container.where}'s --port {report['port']}")
    if report["service"] == "image":
        budget_mib = float(report["settings"]["memory-budget"]) * 1024
        limit = (container.resources.get("limits") or {}).get("memory")
        request = (container.resources.get("requests") or {}).get("memory")
        for kind, quantity in (("limit", limit), ("request", request)):
            mib = memory_mib(quantity) if quantity is not None else None
            if mib is None or mib < budget_mib + IMAGE_BASELINE_MIB:
                problems.add(
                    container.where,
                    f"memory {kind} {quantity} is below --memory-budget ({budget_mib:.0f} MiB) + the process "
                    f"baseline ({IMAGE_BASELINE_MIB} MiB)",
                )


# Main -------------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organa", required=True, help="the organa executable")
    parser.add_argument("--root", default=Path(__file__).resolve().parents[2], type=Path, help="repository root")
    parser.add_argument("--deploy", type=Path, help="folder with compose.yaml and/or k8s/ (default ROOT/deploy)")
    parser.add_argument("--docker", type=Path, help="Dockerfiles (default DEPLOY/docker, else ROOT/deploy/docker)")
    parser.add_argument("--env-file", type=Path, help="compose values (default DEPLOY/.env.example)")
    options = parser.parse_args()
    root = options.root.resolve()
    deploy = (options.deploy or root / "deploy").resolve()
    docker = options.docker or (deploy / "docker" if (deploy / "docker").exists() else root / "deploy" / "docker")
    env_file = options.env_file or deploy / ".env.example"
    organa = str(Path(options.organa).resolve())

    problems = Problems()
    checked = {"compose": 0, "k8s": 0}
    compose = deploy / "compose.yaml"
    used_dockerfiles = set()
    if compose.exists():
        containers = compose_containers(compose, env_file, docker, problems)
        reports = [(c, check_configuration(c, organa, root, problems)) for c in containers]
        ports = {c.where.split()[-1]: r["port"] for c, r in reports if r}
        for container, report in reports:
            if report:
                check_container(container, report, problems)
                check_urls(container, report, ports, problems)
                checked["compose"] += 1
            used_dockerfiles.add(container.image.path.resolve())
    if (deploy / "k8s").exists():
        containers, services = kubernetes(deploy / "k8s", docker, problems)
        for container in containers:
            report = check_configuration(container, organa, root, problems)
            if report:
                check_container(container, report, problems)
                check_urls(container, report, services, problems)
                check_kubernetes_container(container, report, problems)
                checked["k8s"] += 1
            used_dockerfiles.add(container.image.path.resolve())
    if compose.exists() and Path(docker).resolve() == (deploy / "docker").resolve():
        for path in sorted(Path(docker).glob("*.Dockerfile")):
            image = Image(path, docker)
            if image.cmd and image.cmd[:1] == ["serve"] and path.resolve() not in used_dockerfiles:
                problems.add(path.name, "no compose service uses this image, so its CMD is not checked")

    if problems.items:
        print(f"deploy check: {len(problems.items)} problem(s)", file=sys.stderr)
        for item in problems.items:
            print(f"  - {item}", file=sys.stderr)
        return 1
    print(
        f"deploy check: ok: {checked['compose']} compose and {checked['k8s']} Kubernetes organa containers"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
