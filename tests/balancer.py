"""nginx in front of several Rasa server instances, for end-to-end tests and `bench.instances`.

An instance is a Rasa server with its own action server, started as tests/servers.py
starts them, on `endpoints.redis.yml` with one Sanic worker: it stands in for one host
of a site (docs/deploy.md). All of them share conversations and locks through Redis,
under one key prefix, and one API token, as a site's hosts do.

nginx is Debian's (`/usr/sbin/nginx`), run by `start` with a config written for the
occasion: the proxy settings of deploy/nginx.conf without TLS, listening on a free
loopback port, with its pid, logs and temporary files in a private prefix directory,
in the foreground (`daemon off`) under this process. REST and the API go to the
instances round-robin, with no stickiness; the widget's `/socket.io/` sticks to one
instance per client address, as in deploy/nginx.conf. Every response says which
instance answered in `X-Alliance-Upstream` (nginx's `$upstream_addr`).
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import requests

from bot import config
from bot.content import answers
from tests import servers

NGINX = Path("/usr/sbin/nginx")
UPSTREAM_HEADER = "X-Alliance-Upstream"
# Sanic closes an idle kept-alive connection after 5 s (KEEP_ALIVE_TIMEOUT): nginx lets go first.
UPSTREAM_KEEPALIVE_SECONDS = 4


def config_text(listen_port: int, upstream_ports: Sequence[int], prefix: Path) -> str:
    """An nginx config for `upstream_ports` on 127.0.0.1, listening on 127.0.0.1:`listen_port`.

    Everything nginx writes stays under `prefix`. The proxy settings are those of
    deploy/nginx.conf (which see for the reasons), less TLS, rate limits and access control.
    """
    if not upstream_ports:
        raise ValueError("nginx needs at least one upstream")
    servers_lines = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in upstream_ports
    )
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "\n".join(f"    {kind}_temp_path {prefix / 'temp' / kind};" for kind in kinds)
    return f"""# Written by tests/balancer.py for one test run.
daemon off;
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;

events {{
    worker_connections 1024;
}}

http {{
    log_format alliance '$remote_addr [$time_local] "$request_method $uri $server_protocol" '
                        '$status $body_bytes_sent $request_time "$upstream_addr" "$upstream_status"';
    access_log {prefix / "access.log"} alliance;
{temp}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}

    upstream alliance_rasa {{
{servers_lines}
        keepalive 16;
        keepalive_timeout {UPSTREAM_KEEPALIVE_SECONDS}s;
    }}

    upstream alliance_socketio {{
        hash $remote_addr consistent;
{servers_lines}
        keepalive 16;
        keepalive_timeout {UPSTREAM_KEEPALIVE_SECONDS}s;
    }}

    server {{
        listen 127.0.0.1:{listen_port};
        server_name localhost;

        client_max_body_size {config.max_body_bytes()};
        client_body_buffer_size {config.max_body_bytes()};
        proxy_max_temp_file_size 0;

        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;

        proxy_connect_timeout 2s;
        proxy_send_timeout 10s;
        proxy_read_timeout 75s;
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 3;
        proxy_next_upstream_timeout 10s;

        add_header {UPSTREAM_HEADER} $upstream_addr always;

        location /socket.io/ {{
            proxy_pass http://alliance_socketio;
            proxy_buffering off;
        }}

        location / {{
            proxy_pass http://alliance_rasa;
        }}
    }}
}}
"""


def check_site(site: Path, workdir: Path) -> subprocess.CompletedProcess:
    """`nginx -t` on a site file such as deploy/nginx.conf, as Debian's nginx.conf would include it.

    Its certificate paths get a self-signed pair made here, its log files go under `workdir`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    cert, key = workdir / "fullchain.pem", workdir / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=bot.example.org",
         "-days", "1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    text = site.read_text()
    for placeholder, path in (("/etc/ssl/alliance/fullchain.pem", cert), ("/etc/ssl/alliance/privkey.pem", key)):
        if placeholder not in text:
            raise ValueError(f"{site} no longer names {placeholder}")
        text = text.replace(placeholder, str(path))
    (workdir / "site.conf").write_text(text.replace("/var/log/nginx/", f"{workdir}/"))
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = " ".join(f"{kind}_temp_path {workdir / kind};" for kind in kinds)
    main = workdir / "nginx.conf"
    main.write_text(
        f"pid {workdir / 'nginx.pid'};\nerror_log {workdir / 'error.log'};\nevents {{}}\n"
        f"http {{ {temp} include {workdir / 'site.conf'}; }}\n"
    )
    return subprocess.run(
        [str(NGINX), "-t", "-p", f"{workdir}/", "-c", str(main), "-e", str(workdir / "error.log")],
        capture_output=True, text=True,
    )  # fmt: skip


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Balancer:
    """A running nginx: `url` is where clients go."""

    url: str
    prefix: Path
    upstream_ports: list[int]
    proc: subprocess.Popen

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def access_log(self) -> str:
        path = self.prefix / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish the requests under way
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(upstream_ports: Sequence[int], workdir: Path, timeout: float = 30.0) -> Balancer:
    """Run nginx in front of `upstream_ports` (127.0.0.1), its files in a new directory under `workdir`."""
    if not NGINX.exists():
        raise FileNotFoundError(f"{NGINX} is missing: apt-get install nginx (the Makefile's $(NGINX) rule)")
    workdir.mkdir(parents=True, exist_ok=True)
    prefix = Path(os.path.realpath(workdir)) / f"nginx-{os.urandom(3).hex()}"
    (prefix / "temp").mkdir(parents=True)
    port = servers.free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(config_text(port, upstream_ports, prefix))
    out = (prefix / "nginx.out").open("ab")
    # -e: the error log before the config is read (Debian's default is /var/log/nginx/error.log).
    proc = subprocess.Popen(
        [str(NGINX), "-p", f"{prefix}/", "-c", str(conf), "-e", str(prefix / "error.log")],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    balancer = Balancer(f"http://127.0.0.1:{port}", prefix, list(upstream_ports), proc)
    deadline = time.monotonic() + timeout
    while not _listening(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            balancer.stop()
            output = (prefix / "nginx.out").read_text(errors="replace")
            raise RuntimeError(f"nginx did not start (exit {proc.returncode}):\n{output}\n{balancer.error_log()}")
        time.sleep(0.1)
    return balancer


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


@dataclass
class Cluster:
    """Several instances sharing Redis under `prefix`, behind `balancer`."""

    instances: list[servers.Servers]
    balancer: Balancer
    token: str
    prefix: str
    answers_db: Path
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return self.balancer.url

    def address(self, instance: servers.Servers) -> str:
        """How nginx names the instance in `$upstream_addr`."""
        return f"127.0.0.1:{port_of(instance.rasa_url)}"

    def send(self, text: str, sender: str) -> tuple[list[dict], str]:
        """One REST message through nginx: the replies, and which instance answered."""
        r = self.session.post(
            f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120
        )
        r.raise_for_status()
        return r.json(), r.headers.get(UPSTREAM_HEADER, "")

    def tracker(self, conversation: str) -> dict:
        """A conversation's tracker, every session, through nginx and the HTTP API."""
        r = self.session.get(
            f"{self.url}/conversations/{conversation}/tracker",
            params={"token": self.token, "include_events": "ALL"},
            timeout=60,
        )
        r.raise_for_status()
        return r.json()

    def stop(self) -> None:
        self.balancer.stop()
        for instance in self.instances:
            instance.stop_all()
        self.session.close()


def start_instance(
    workdir: Path, answers_db: Path, prefix: str, token: str, env: dict[str, str] | None = None
) -> servers.Servers:
    """One instance: a Rasa server and its action server on endpoints.redis.yml, one worker."""
    workdir.mkdir(parents=True, exist_ok=True)
    instance = servers.start(
        workdir,
        answers_db,
        endpoints="endpoints.redis.yml",
        env={**servers.redis_workers_env(prefix, workers=1), "ALLIANCE_API_TOKEN": token, **(env or {})},
    )
    instance.token = token  # servers.start made up its own; the caller's won in the environment
    return instance


def start_cluster(count: int, workdir: Path, prefix: str, env: dict[str, str] | None = None) -> Cluster:
    """`count` instances started side by side, then nginx in front of them."""
    token = "e2e-" + os.urandom(8).hex()
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    started: list[servers.Servers] = []
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(start_instance, workdir / f"host{n}", db, prefix, token, env) for n in range(count)]
        errors = []
        for future in futures:
            try:
                started.append(future.result())
            except Exception as e:  # stop those that did start before giving up
                errors.append(e)
    if errors:
        for instance in started:
            instance.stop_all()
        raise errors[0]
    try:
        nginx = start([port_of(i.rasa_url) for i in started], workdir)
    except Exception:
        for instance in started:
            instance.stop_all()
        raise
    return Cluster(started, nginx, token, prefix, db)
