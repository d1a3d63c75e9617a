"""Consistency checks that schema validation and checkov cannot make: references between rendered
Kubernetes objects, KEDA triggers against the sync crate's entity kinds, the certificates each role
mounts against the configuration that names them, and the compose file against the Compose
Specification schema. Used by deploy/scripts/k8s-check.sh."""

import json
import pathlib
import re
import sys
import tomllib

import jsonschema
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
ROLES = ["credentials", "tokens", "sync", "scheduler", "assessment", "gateway"]
ROLE_DOMAIN = "posture.internal"
CERT_MANAGER_GROUP = "cert-manager.io"
MONITORING_GROUP = "monitoring.coreos.com"
# Metric names in PromQL: Posture's own, the gRPC and the process families.
METRIC_NAME = re.compile(r"\b((?:posture|grpc|process)_[a-z0-9_]+)")
HISTOGRAM_SERIES = ("_bucket", "_count", "_sum")
# go-grpc-prometheus's label names, which look like metric names to the pattern above.
GRPC_LABELS = {"grpc_type", "grpc_service", "grpc_method", "grpc_code"}


def sync_kinds():
    """Entity kind names as the sync crate declares them (`name: "users"` in src/kinds/*.rs)."""
    kinds = set()
    for path in (REPO / "crates/posture-sync/src/kinds").glob("*.rs"):
        match = re.search(r'^\s*name:\s*"([a-z0-9_]+)"', path.read_text(), re.MULTILINE)
        if match:
            kinds.add(match.group(1))
    return kinds


def go_duration_hours(value):
    """A Go duration as cert-manager writes them (`2160h`, `90m`, `1h30m`) in hours."""
    units = {"h": 1.0, "m": 1 / 60, "s": 1 / 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", value or "")
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    return sum(float(n) * units[u] for n, u in parts)


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", []) if "value" in e}


def mounted_secret(pod, container, directory):
    """The Secret mounted read-only at `directory` in this container, or None."""
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        if mount["mountPath"].rstrip("/") == directory.rstrip("/"):
            volume = volumes.get(mount["name"], {})
            if "secret" in volume and mount.get("readOnly"):
                return volume["secret"]["secretName"]
    return None


def check_certificates(name, by_kind, deployments, problems):
    """cert-manager objects against each other and against the roles that mount their Secrets:
    returns the Secrets cert-manager issues and the issuers the cluster must already have."""
    certificates = by_kind.get("Certificate", {})
    issuers = by_kind.get("Issuer", {})
    issued = {}
    external_issuers = set()
    for cert_name, cert in certificates.items():
        spec = cert["spec"]
        issued[spec["secretName"]] = cert
        ref = spec["issuerRef"]
        if ref.get("kind", "Issuer") == "Issuer" and ref["name"] not in issuers:
            problems.append(f"{name}: Certificate {cert_name} names missing Issuer {ref['name']}")
        elif ref.get("kind") == "ClusterIssuer":
            external_issuers.add(f"ClusterIssuer {ref['name']}")
        duration = go_duration_hours(spec.get("duration", "2160h"))
        renew = go_duration_hours(spec.get("renewBefore", "720h"))
        if duration is None or renew is None or not 0 < renew < duration:
            problems.append(f"{name}: Certificate {cert_name}: renewBefore must be shorter than duration")
    for issuer_name, issuer in issuers.items():
        ca = issuer["spec"].get("ca")
        if ca and not issued.get(ca["secretName"], {}).get("spec", {}).get("isCA"):
            problems.append(f"{name}: Issuer {issuer_name} signs with {ca['secretName']}, which no CA Certificate issues")
    return issued, external_issuers


def check_tls(name, by_kind, deployments, issued, problems):
    """Every role serves mutual TLS with its own certificate, the gateway serves TLS at the edge,
    and nothing exposed outside the cluster speaks plaintext."""
    configmaps = by_kind.get("ConfigMap", {})
    gateway_port = None
    gateway_ports = {}
    for dep_name, dep in deployments.items():
        role = dep_name.removeprefix("posture-")
        if role not in ROLES:
            continue
        pod = dep["spec"]["template"]["spec"]
        container = pod["containers"][0]
        config_volume = next((v for v in pod.get("volumes", []) if "configMap" in v), None)
        if not config_volume or config_volume["configMap"]["name"] not in configmaps:
            continue
        config = tomllib.loads(configmaps[config_volume["configMap"]["name"]]["data"]["posture.toml"])
        env = env_of(container)

        def setting(section, key, env_name, default=None):
            if env_name in env:
                return env[env_name]
            node = config
            for part in section:
                node = node.get(part, {})
            return node.get(key, default)

        files = [setting(["grpc", "tls"], k, f"POSTURE__GRPC__TLS__{k.upper()}") for k in ("ca_file", "cert_file", "key_file")]
        if not all(files):
            problems.append(f"{name}: {dep_name} has no grpc.tls (ca_file, cert_file, key_file)")
            continue
        folders = {str(pathlib.PurePosixPath(f).parent) for f in files}
        secret = mounted_secret(pod, container, folders.pop()) if len(folders) == 1 else None
        cert = issued.get(secret)
        if not cert:
            problems.append(f"{name}: {dep_name} does not mount a cert-manager Secret where grpc.tls points ({', '.join(files)})")
        else:
            spec = cert["spec"]
            if spec.get("dnsNames") != [f"{role}.{ROLE_DOMAIN}"]:
                problems.append(f"{name}: {dep_name} mounts {secret}, whose names {spec.get('dnsNames')} are not [{role}.{ROLE_DOMAIN}]")
            if not {"server auth", "client auth"} <= set(spec.get("usages", [])):
                problems.append(f"{name}: {secret} lacks server auth or client auth usage (mutual TLS needs both)")
            if spec.get("isCA"):
                problems.append(f"{name}: {dep_name} mounts the CA's Secret {secret}")
        for live in (container.get("livenessProbe"), container.get("readinessProbe"), container.get("startupProbe")):
            if live and "grpc" in live:
                problems.append(f"{name}: {dep_name} probes gRPC on a TLS port, which the kubelet cannot do")
        endpoints = config.get("endpoints", {})
        for target, url in endpoints.items():
            url = env.get(f"POSTURE__ENDPOINTS__{target.upper()}", url)
            if not url.startswith("https://"):
                problems.append(f"{name}: {dep_name} reaches {target} at {url}; internal calls are mutual TLS, write https://")
        if role == "gateway":
            edge = [setting(["gateway", "tls"], k, f"POSTURE__GATEWAY__TLS__{k.upper()}") for k in ("cert_file", "key_file")]
            plaintext = str(setting(["gateway"], "allow_plaintext", "POSTURE__GATEWAY__ALLOW_PLAINTEXT", False)).lower()
            if plaintext == "true":
                problems.append(f"{name}: the gateway allows plaintext")
            if not all(edge):
                problems.append(f"{name}: the gateway has no gateway.tls cert_file and key_file")
            else:
                folders = {str(pathlib.PurePosixPath(f).parent) for f in edge}
                secret = mounted_secret(pod, container, folders.pop()) if len(folders) == 1 else None
                if secret not in issued:
                    problems.append(f"{name}: the gateway does not mount a cert-manager Secret where gateway.tls points")
                elif not {"server auth"} <= set(issued[secret]["spec"].get("usages", ["server auth"])):
                    problems.append(f"{name}: the gateway's public certificate lacks the server auth usage")
            gateway_port = int(setting(["gateway"], "listen", "POSTURE__GATEWAY__LISTEN", "0.0.0.0:7700").rsplit(":", 1)[1])
            gateway_ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    for svc_name, svc in by_kind.get("Service", {}).items():
        if svc["spec"].get("type") not in ("LoadBalancer", "NodePort"):
            continue
        selector = svc["spec"].get("selector", {})
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            target = gateway_ports.get(target, target)
            if selector.get("app.kubernetes.io/component") != "gateway" or target != gateway_port:
                problems.append(f"{name}: Service {svc_name} ({svc['spec']['type']}) exposes port {port['port']}, which is not the gateway's TLS port")


def documented_metrics():
    """Metric names the README's "Metrics and traces" table lists (first column, in backticks)."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Metrics and traces", 1)[-1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_]+)", section, re.MULTILINE))


def metric_problems(where, expr, known):
    problems = []
    for metric in METRIC_NAME.findall(expr):
        if metric in GRPC_LABELS:
            continue
        base = metric
        for suffix in HISTOGRAM_SERIES:
            if base.endswith(suffix) and base.removesuffix(suffix) in known:
                base = base.removesuffix(suffix)
        if base not in known:
            problems.append(f"{where}: {metric} is not a metric Posture serves (README, Metrics and traces)")
    if expr.count("(") != expr.count(")"):
        problems.append(f"{where}: unbalanced parentheses in {expr!r}")
    return problems


def check_monitoring(name, by_kind, problems):
    """Monitors select objects that exist and name their port; rules and dashboard panels use
    only metrics Posture serves; the dashboard is valid JSON."""
    known = documented_metrics()
    services = by_kind.get("Service", {})
    deployments = by_kind.get("Deployment", {})
    for monitor_name, monitor in by_kind.get("ServiceMonitor", {}).items():
        spec = monitor["spec"]
        selected = [s for s in services.values() if selects(spec["selector"], s["metadata"].get("labels", {}))]
        if not selected:
            problems.append(f"{name}: ServiceMonitor {monitor_name} selects no Service")
        for endpoint in spec["endpoints"]:
            for svc in selected:
                if endpoint.get("port") not in {p.get("name") for p in svc["spec"]["ports"]}:
                    problems.append(f"{name}: ServiceMonitor {monitor_name}: Service {svc['metadata']['name']} has no port {endpoint.get('port')}")
    for monitor_name, monitor in by_kind.get("PodMonitor", {}).items():
        spec = monitor["spec"]
        pods = [d for d in deployments.values() if selects(spec["selector"], d["spec"]["template"]["metadata"].get("labels", {}))]
        if not pods:
            problems.append(f"{name}: PodMonitor {monitor_name} selects no pods")
        for endpoint in spec["podMetricsEndpoints"]:
            for dep in pods:
                ports = {p.get("name") for c in dep["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
                if endpoint.get("port") not in ports:
                    problems.append(f"{name}: PodMonitor {monitor_name}: {dep['metadata']['name']} has no port {endpoint.get('port')}")
    checked = 0
    for rule_name, rule in by_kind.get("PrometheusRule", {}).items():
        for group in rule["spec"]["groups"]:
            for item in group["rules"]:
                where = f"{name}: PrometheusRule {rule_name} {item.get('alert') or item.get('record')}"
                problems.extend(metric_problems(where, item["expr"], known))
                checked += 1
    for cm_name, cm in by_kind.get("ConfigMap", {}).items():
        if cm["metadata"].get("labels", {}).get("grafana_dashboard") != "1":
            continue
        for file_name, text in cm.get("data", {}).items():
            try:
                dashboard = json.loads(text)
            except json.JSONDecodeError as error:
                problems.append(f"{name}: dashboard {cm_name}/{file_name} is not JSON: {error}")
                continue
            for panel in dashboard.get("panels", []):
                for target in panel.get("targets", []):
                    where = f"{name}: dashboard {cm_name} panel {panel.get('title')!r}"
                    problems.extend(metric_problems(where, target.get("expr", ""), known))
                    checked += 1
    if by_kind.get("PrometheusRule") or checked:
        print(f"  {name}: {checked} PromQL expressions use only metrics Posture serves")


def selects(selector, labels):
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        present = labels.get(expression["key"])
        operator = expression["operator"]
        if operator == "In" and present not in expression["values"]:
            return False
        if operator == "NotIn" and present in expression["values"]:
            return False
        if operator == "Exists" and present is None:
            return False
        if operator == "DoesNotExist" and present is not None:
            return False
    return True


def check_rendered(name, path, problems):
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    configmaps = by_kind.get("ConfigMap", {})
    secrets_expected = set()
    deployments = by_kind.get("Deployment", {})
    for role in ROLES:
        if f"posture-{role}" not in deployments:
            problems.append(f"{name}: no Deployment posture-{role}")
    for dep_name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        for volume in pod.get("volumes", []):
            if "configMap" in volume and volume["configMap"]["name"] not in configmaps:
                problems.append(f"{name}: {dep_name} mounts missing ConfigMap {volume['configMap']['name']}")
            if "secret" in volume:
                secrets_expected.add(volume["secret"]["secretName"])
        if not dep_name.startswith("posture-") or dep_name == "posture-sim":
            continue
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: {dep_name} mounts a service account token")
        if pod.get("terminationGracePeriodSeconds", 30) < 25:
            problems.append(f"{name}: {dep_name} grace period shorter than the 20 s drain plus preStop")
        container = pod["containers"][0]
        args = container.get("args", [])
        role = dep_name.removeprefix("posture-")
        if args[:3] != ["run", "--service", role]:
            problems.append(f"{name}: {dep_name} does not run `posture run --service {role}`: {args}")
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                secrets_expected.add(ref["name"] + (" (optional)" if ref.get("optional") else ""))
            elif env["name"] in ("POSTURE__DATABASE__URL", "POSTURE__BUS__NATS_URL"):
                problems.append(f"{name}: {dep_name} sets {env['name']} literally; use a Secret")
    if by_kind.get("Secret"):
        problems.append(f"{name}: the render contains Secrets; secrets are created apart, never in manifests")
    check_monitoring(name, by_kind, problems)
    issued, external_issuers = check_certificates(name, by_kind, deployments, problems)
    check_tls(name, by_kind, deployments, issued, problems)
    for scaled in by_kind.get("ScaledObject", {}).values():
        target = scaled["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"{name}: ScaledObject targets missing Deployment {target}")
        consumers = {t["metadata"]["consumer"] for t in scaled["spec"]["triggers"] if t["type"] == "nats-jetstream"}
        expected = {f"sync-{kind}" for kind in sync_kinds()}
        if expected and consumers != expected:
            problems.append(
                f"{name}: KEDA consumers differ from the sync kinds: missing {sorted(expected - consumers)}, "
                f"unknown {sorted(consumers - expected)}"
            )
    for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values():
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"{name}: HPA targets missing Deployment {target}")
        elif "replicas" in deployments[target]["spec"]:
            problems.append(f"{name}: {target} sets replicas although an HPA owns them")
    to_create = sorted(s for s in secrets_expected if s not in issued)
    print(f"  {name}: {len(docs)} objects; secrets to create before applying: {', '.join(to_create)}")
    print(f"  {name}: {len(issued)} Secrets from cert-manager; issuers the cluster must have: {', '.join(sorted(external_issuers)) or 'none'}")


def check_compose(compose_path, schema_path, problems):
    compose = yaml.safe_load(compose_path.read_text())
    schema = json.loads(schema_path.read_text())
    validator = jsonschema.Draft201909Validator(schema)
    for error in sorted(validator.iter_errors(compose), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in error.path)
        problems.append(f"{compose_path.name}: {where}: {error.message}")
    services = compose.get("services", {})
    for name, service in services.items():
        depends = service.get("depends_on", {})
        for dep in depends if isinstance(depends, list) else depends.keys():
            if dep not in services:
                problems.append(f"{compose_path.name}: {name} depends on unknown service {dep}")
            elif isinstance(depends, dict) and depends[dep].get("condition") == "service_healthy" and "healthcheck" not in services[dep]:
                problems.append(f"{compose_path.name}: {name} waits for {dep} to be healthy, which has no healthcheck")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith(".") and not (compose_path.parent / source).exists():
                problems.append(f"{compose_path.name}: {name} mounts missing {source}")
    check_compose_tls(compose_path.name, services, problems)
    print(f"  {compose_path.name}: {len(services)} services")


def check_compose_tls(name, services, problems):
    """The one-shot `certs` service writes the certificates before any role starts; each role
    mounts them read-only as the same user, names its own certificate, and calls the others over
    https; the gateway serves its published port with the edge certificate."""
    certs = [n for n, s in services.items() if (s.get("command") or [None])[0] == "certs"]
    if len(certs) != 1:
        problems.append(f"{name}: expected one service running `posture certs`, found {certs}")
        return
    certs_service = services[certs[0]]
    command = certs_service["command"]
    certs_dir = command[command.index("--dir") + 1]
    certs_volume = next((v.split(":")[0] for v in certs_service.get("volumes", []) if v.split(":")[1] == certs_dir), None)
    if certs_volume is None:
        problems.append(f"{name}: {certs[0]} writes {certs_dir}, which is no volume")
        return
    for service_name, service in services.items():
        command = service.get("command") or []
        if command[:2] != ["run", "--service"]:
            continue
        role = command[2]
        env = service.get("environment", {})
        where = f"{name}: {service_name}"
        if service.get("user") != certs_service.get("user"):
            problems.append(f"{where} runs as {service.get('user')}, not as {certs_service.get('user')} who owns the keys")
        depends = service.get("depends_on", {})
        if not isinstance(depends, dict) or depends.get(certs[0], {}).get("condition") != "service_completed_successfully":
            problems.append(f"{where} does not wait for {certs[0]} to complete")
        mount = next((v.split(":") for v in service.get("volumes", []) if v.split(":")[0] == certs_volume), None)
        if not mount or mount[-1] != "ro":
            problems.append(f"{where} does not mount volume {certs_volume} read-only")
            continue
        expected = {
            "POSTURE__GRPC__TLS__CA_FILE": f"{mount[1]}/ca.crt",
            "POSTURE__GRPC__TLS__CERT_FILE": f"{mount[1]}/{role}.crt",
            "POSTURE__GRPC__TLS__KEY_FILE": f"{mount[1]}/{role}.key",
        }
        if role == "gateway":
            expected["POSTURE__GATEWAY__TLS__CERT_FILE"] = f"{mount[1]}/edge.crt"
            expected["POSTURE__GATEWAY__TLS__KEY_FILE"] = f"{mount[1]}/edge.key"
        for key, value in expected.items():
            if env.get(key) != value:
                problems.append(f"{where}: {key} is {env.get(key)}, expected {value}")
        if str(env.get("POSTURE__GATEWAY__ALLOW_PLAINTEXT", "false")).lower() == "true":
            problems.append(f"{where} allows a plaintext gateway")
        for key, value in env.items():
            if key.startswith("POSTURE__ENDPOINTS__") and not str(value).startswith("https://"):
                problems.append(f"{where}: {key}={value}; internal calls are mutual TLS, write https://")


def crd_objects(paths):
    """The cert-manager and Prometheus Operator objects of rendered overlays as JSON, for
    cert-manager-check.mjs."""
    objects = []
    for arg in paths:
        source, path = arg.split("=", 1)
        for doc in yaml.safe_load_all(pathlib.Path(path).read_text()):
            if doc and doc.get("apiVersion", "").split("/")[0] in (CERT_MANAGER_GROUP, MONITORING_GROUP):
                objects.append({"source": source, "object": doc})
    json.dump(objects, sys.stdout)


def main():
    problems = []
    mode = sys.argv[1]
    if mode == "rendered":
        for arg in sys.argv[2:]:
            name, path = arg.split("=", 1)
            check_rendered(name, pathlib.Path(path), problems)
    elif mode == "crd-objects":
        crd_objects(sys.argv[2:])
        return
    elif mode == "compose":
        check_compose(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), problems)
    else:
        sys.exit(f"unknown mode {mode}")
    for problem in problems:
        print(f"  FAIL {problem}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
