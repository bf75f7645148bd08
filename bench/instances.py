"""`python -m bench.instances`: REST throughput through nginx with 1, 2 and 3 Rasa server instances.

Each instance is what one host of a site runs (docs/deploy.md): a Rasa server with its
own action server, on endpoints.redis.yml with one Sanic worker, all sharing Redis;
nginx from Debian balances them round-robin (tests/balancer.py writes its config, with
deploy/nginx.conf's proxy settings, no TLS). For each count it starts the instances and
nginx, warms them up, then times rounds of concurrent conversations sending a fixed mix
of ordinary questions, and reports the median round. One instance is also measured
without nginx, for what the proxy costs. Everything runs on this one machine, the load
generator included, so the instances share its cores: the table says what more
instances buy here, not on separate hosts. Prints a markdown table for docs/deploy.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.run import MIX, cpu_ticks, steal_share
from tests import balancer, servers


@dataclass
class Row:
    label: str
    instances: int
    nginx: bool = True
    rates: list[float] = field(default_factory=list)
    steal: list[float] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)  # each instance's part of the Rasa servers' CPU time
    requests: list[int] = field(default_factory=list)  # timed requests nginx passed to each instance
    others: list[float] = field(default_factory=list)  # % of the machine's CPU other processes took meanwhile
    set_aside: int = 0  # rounds run again because other work took too much of the CPU
    rasa_cpu: float = 0.0  # CPU seconds of the Rasa servers in the rounds kept
    messages: int = 0  # messages in the rounds kept
    busy: list[float] = field(default_factory=list)  # % of the machine's CPU in use, each round kept

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


async def run_load(url: str, tag: str, conversations: int, per_conversation: int) -> float:
    """Messages per second: `conversations` at once, each sending `per_conversation` messages in turn."""

    async def talk(session: aiohttp.ClientSession, n: int) -> None:
        for i in range(per_conversation):
            message = MIX[(n + i) % len(MIX)]
            async with session.post(url, json={"sender": f"{tag}-{n}", "message": message}) as r:
                if r.status != 200 or not await r.json():
                    raise RuntimeError(f"HTTP {r.status} or no reply for {message!r}: see the servers' logs")

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        start = time.perf_counter()
        await asyncio.gather(*(talk(session, n) for n in range(conversations)))
        return conversations * per_conversation / (time.perf_counter() - start)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_pid() -> int | None:
    """The Redis server's process: part of what is measured, not other work."""
    import redis

    try:
        return int(redis.Redis.from_url(servers.REDIS_URL).info("server")["process_id"])
    except Exception:  # no such information: its CPU then counts as other work
        return None


def ours(cluster: balancer.Cluster) -> list[int]:
    """This process, every instance's servers, nginx and its worker, Redis."""
    nginx = cluster.balancer.proc.pid
    workers = Path(f"/proc/{nginx}/task/{nginx}/children").read_text().split()
    instances = [p.pid for i in cluster.instances for p in i.procs.values() if p.poll() is None]
    return [os.getpid(), nginx, *map(int, workers), *instances, *filter(None, [redis_pid()])]


def others_share(before: list[int], after: list[int], ours_seconds: float) -> float:
    """Percent of the machine's CPU time that went to processes not ours (other work on a shared machine)."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    idle = spent[3] + spent[4] + spent[7]  # idle, iowait, steal
    busy = (sum(spent) - idle) / os.sysconf("SC_CLK_TCK")
    return max(0.0, 100 * (busy - ours_seconds) / (sum(spent) / os.sysconf("SC_CLK_TCK")))


def busy_share(before: list[int], after: list[int]) -> float:
    """Percent of the machine's CPU time in use (neither idle nor stolen)."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return 100 * (sum(spent) - spent[3] - spent[4] - spent[7]) / sum(spent)


def measure(targets: list[tuple[Row, str]], cluster: balancer.Cluster, args: argparse.Namespace) -> None:
    """Rounds for each (row, URL) in turn, so that each sees the same moments of a shared machine.

    A round during which other processes took more than `args.quiet` percent of the CPU is
    set aside and run again after a pause, up to five times the rounds asked for.
    """
    pids = [i.procs["rasa"].pid for i in cluster.instances]
    logged = len(cluster.balancer.access_log().splitlines())
    attempts = 0
    while any(len(row.rates) < args.rounds for row, _ in targets) and attempts < 5 * args.rounds:
        attempts += 1
        for row, url in targets:
            if len(row.rates) >= args.rounds:
                continue
            mine = ours(cluster)
            ticks, cpu, own = cpu_ticks(), [cpu_seconds(p) for p in pids], [cpu_seconds(p) for p in mine]
            tag = f"{'n' if row.nginx else 'd'}{row.instances}a{attempts}"
            rate = asyncio.run(run_load(url, tag, args.conversations, args.per_conversation))
            after = cpu_ticks()
            others = others_share(ticks, after, sum(map(cpu_seconds, mine)) - sum(own))
            if others > args.quiet:
                row.set_aside += 1
                print(f"bench.instances: {row.label}: {rate:.0f} messages/s, set aside: other work took "
                      f"{others:.0f}% of the CPU", flush=True)  # fmt: skip
                time.sleep(args.pause)  # for the other work to end
                continue
            row.rates.append(rate)
            row.others.append(others)
            row.steal.append(steal_share(ticks, after))
            spent = [cpu_seconds(p) - before for p, before in zip(pids, cpu, strict=True)]
            row.shares = [s / sum(spent) for s in spent] if sum(spent) else []
            row.rasa_cpu += sum(spent)
            row.messages += args.conversations * args.per_conversation
            row.busy.append(busy_share(ticks, after))
            print(f"bench.instances: {row.label}: {rate:.0f} messages/s (other work {others:.0f}%)", flush=True)
    lines = cluster.balancer.access_log().splitlines()[logged:]
    for row, _ in targets:
        if row.nginx:
            row.requests = [sum(f'"{cluster.address(i)}"' in line for line in lines) for i in cluster.instances]
        if not row.rates:
            raise RuntimeError(f"{row.label}: other work took over {args.quiet}% of the CPU in every round")


def table(rows: list[Row]) -> str:
    base = next((r.median for r in rows if r.instances == 1 and r.nginx), rows[0].median)
    lines = [
        "| instances | messages/s (median) | rounds (min-max) | vs 1 instance | Rasa servers' CPU per message "
        "| machine's CPU in use | requests per instance | Rasa servers' CPU per instance | CPU stolen "
        "| CPU taken by other work | rounds set aside |",
        "|" + " --- |" * 11,
    ]
    for row in rows:
        many = row.instances > 1
        lines.append(
            f"| {row.label} | {row.median:.0f} | {min(row.rates):.0f}-{max(row.rates):.0f} | "
            f"{row.median / base:.2f} | {1000 * row.rasa_cpu / row.messages:.1f} ms | "
            f"{statistics.median(row.busy):.0f}% | "
            f"{' / '.join(map(str, row.requests)) if many else '-'} | "
            f"{' / '.join(f'{share:.0%}' for share in row.shares) if many else '-'} | "
            f"{max(row.steal):.0f}% | {max(row.others):.0f}% | {row.set_aside} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--conversations", type=int, default=16)
    parser.add_argument("--per-conversation", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warm-up", type=int, default=10, help="messages per conversation before timing")
    parser.add_argument("--no-direct", action="store_true", help="skip one instance without nginx")
    parser.add_argument("--pause", type=float, default=10.0, help="seconds to wait after a round set aside")
    parser.add_argument("--quiet", type=float, default=15.0, help="run a round again if other work took over this %%")
    args = parser.parse_args()
    rows: list[Row] = []
    for count in args.instances:
        prefix = servers.private_prefix("benchinstances")
        with tempfile.TemporaryDirectory() as workdir:
            print(f"bench.instances: starting {count} instance(s) and nginx...", flush=True)
            cluster = balancer.start_cluster(count, Path(workdir), prefix)
            try:
                via = f"{cluster.url}/webhooks/rest/webhook"
                # Every instance sees every kind of turn before timing: round-robin spreads the warm-up.
                asyncio.run(run_load(via, "warm", args.conversations, args.warm_up))
                targets = [(Row(f"{count} behind nginx", count), via)]
                if count == 1 and not args.no_direct:  # alternating with the rounds through nginx
                    direct = f"{cluster.instances[0].rasa_url}/webhooks/rest/webhook"
                    targets.insert(0, (Row("1, no nginx", 1, nginx=False), direct))
                measure(targets, cluster, args)
                rows += [row for row, _ in targets]
            finally:
                cluster.stop()
                servers.forget_conversations(prefix)
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    print(
        f"\nMeasured by `python -m bench.instances` on {dt.date.today().isoformat()}: {os.cpu_count()} cores ({cpu}); "
        f"{args.conversations} conversations at once, {args.per_conversation} messages each, median of "
        f"{args.rounds} rounds after a warm-up (a round during which other processes took over {args.quiet:.0f}% of "
        "the CPU was run again); nginx, Redis, the instances and the load all on this machine.\n"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
