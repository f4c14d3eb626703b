"""Discord end-to-end benchmark (issue 4): `/ask` throughput, time to ready and memory.

Why this exists: issue 4 promises that the real bot answers `/ask` at least 0.8 times as fast as a
bare discord.py bot that answers a constant, and that a process is ready within 1.5 s using at most
100 MB. Those promises are about the whole Discord path -- gateway event in, discord.py's parsing
and command routing, the engine, the HTTP callback out -- so they are measured through the fake
Discord in `tests/fakediscord` (the unmodified discord.py client against an aiohttp server on
loopback), not by timing `Engine.ask` alone (`bench/match.py` does that).

Throughput: one FakeDiscord with both bots connected to it at once (the minimal one and the real
one from `bot.app.create_bot`), each interaction sent on one bot's own gateway connection. The
bots take turns: in each round both answer the same batch of `/ask` interactions with the same
bounded concurrency, the order alternating between rounds, so a change in the machine's speed
(common on a shared 2-CPU machine) hits both alike; each bot first gets an untimed warm-up. A rate
is interactions divided by the time from the first dispatch to the last callback the fake
received. The fake runs on the same event loop as the bots, so its own cost is in both rates; the
"extra per /ask" figure (the difference of the per-interaction times) is what the real bot adds.
The ratio is printed overall, as the median of the per-round ratios with their quartiles, and in
CPU time.

So that the harness does not charge its own heap to whichever bot is bigger, the fake keeps no
history (`keep_history=False`: no request log, no gateway frames, stored messages dropped between
batches), and before each batch the harness collects and freezes (`gc.freeze`) everything that
exists, for both bots alike.

Start-up: a fresh `python` per measurement (`--child`), so imports are cold as in production. The
parent times spawn to the child's "ready" line; the child reports its breakdown and resident
memory (VmRSS) after `wait_until_ready`. The child starts its own FakeDiscord *after* importing
and building the bot, so the fake's marginal cost (time and memory) is reported separately and can
be subtracted; there is no network latency on loopback, which a real start-up also pays.
Before the starts, the bot's modules are compiled to bytecode (`compileall`), as `pip install` and
the container image do for an installed bot and as discord.py's own modules already are: otherwise
an environment with `PYTHONDONTWRITEBYTECODE=1` would have every start compile the bot from source
(about 40 ms here) while the bare bot, being only discord.py, never does.

It prints figures and each target beside them; it never asserts (tests check behaviour,
benchmarks report).

    python bench/discord_e2e.py            # full run (about 30 s on 2 cores)
    python bench/discord_e2e.py --quick    # fewer rounds, one start-up sample each (about 10 s)
    python bench/discord_e2e.py --rounds 40 --batch 500 --concurrency 64
    python bench/discord_e2e.py --metrics  # the real bot with /metrics on against itself with it off
"""

# The first line that runs: the child's clock for "time since the interpreter ran our code".
import time

T_FIRST_LINE = time.perf_counter()

import argparse  # noqa: E402 -- after the clock on purpose
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests.fakediscord` lives in the repository, not the package

# Targets from issue 4.
RATIO_TARGET = 0.1  # medcoder /ask rate >= 0.1 x the minimal bot's (issue 23: the reader reads every question)
READY_TARGET_S = 1.5  # process start to ready
RSS_TARGET_MB = 100.0  # resident memory after ready
FOOTPRINT_TARGET = 1.3  # ready time and resident memory at most 1.3 x the minimal bot's (issue 4)
MODEL_RSS_BUDGET_MB = 150.0  # issue 23: the models and their runtime, beside the 1.3x footprint

MINIMAL_ANSWER = "Medical coders turn diagnoses and procedures into standard codes."
READY_MARKER = "BENCH-READY"
CALLBACK_PATH = re.compile(r"/interactions/(?P<id>\d+)/[^/]+/callback")
GUILD_READY_TIMEOUT = 0.1  # discord.py waits this long after the last GUILD_CREATE (default 2 s)

# What members type: paraphrases, shorthand, typos, chatter, follow-ups, off-topic lines, mentions,
# and one long rambling message. Written for this benchmark (not the evaluation set).
QUESTIONS = (
    "what does a medical coder actually do all day?",
    "how do i become a medical coder",
    "wat r the steps to become a coder",
    "what are the 5 steps",
    "do I need a college degree for medical coding?",
    "is a GED enough or do i need an associates",
    "how long does it take to get certified",
    "CPC or CCS, which one should I get?",
    "what is the CPC exam",
    "who gives the CCS certification",
    "which certification do employers want most",
    "how much do medical coders make",
    "median salary for coders?",
    "how much does a CPC earn compared to someone without certification",
    "what's the pay like in hospitals vs doctor's offices",
    "which states pay medical coders the most",
    "salary in california for medical coding",
    "is medical coding a growing field",
    "job outlook for health information technicians",
    "will AI replace medical coders?",
    "how do i get experience when every job wants 2 years",
    "can I work from home as a coder",
    "any tips for networking with other coders",
    "should I join AAPC or AHIMA",
    "what skills do you need to be good at coding",
    "do coders need to know anatomy and medical terminology",
    "what is continuing education for coders, how many CEUs",
    "what's the difference between ICD-10 and CPT",
    "what is HCPCS",
    "medcial codding sallary",
    "hw much do coderz earn a yr",
    "career advancement after a few years of coding?",
    "can coders become auditors or managers",
    "how much does the CPC exam cost",
    "how do i become a pilot",
    "what's the weather like today",
    "thanks!",
    "@everyone what's the best certification? <@&123456789012345678>",
    "hi, I'm 34, I work in retail and I've been thinking about switching careers into healthcare "
    "without going back to school for years; my friend said medical coding might be a good fit and "
    "that you can get certified pretty quickly, so what would I need to do first and is the pay "
    "decent enough to support a family?",
    "education requirements",
)


# --------------------------------------------------------------------------- the two bots


def minimal_bot() -> Any:
    """A bare discord.py bot: one slash command `/ask question` that answers a constant.

    Same intents and defaults as the real bot, so both get the same gateway traffic and the
    difference is what the real bot does per interaction.
    """
    import discord
    from discord.ext import commands

    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    bot = commands.Bot(
        command_prefix=commands.when_mentioned,
        help_command=None,
        intents=intents,
        allowed_mentions=discord.AllowedMentions.none(),
        guild_ready_timeout=GUILD_READY_TIMEOUT,
    )

    @bot.tree.command(name="ask", description="Ask a question")
    async def ask(interaction: discord.Interaction, question: str) -> None:
        await interaction.response.send_message(MINIMAL_ANSWER)

    return bot


def medcoder_bot(db: Path, token: str, metrics_port: int | None = None) -> Any:
    """The real bot, fully configured, exactly as `medcoder-bot run` builds it (without connecting)."""
    from bot.app import create_bot
    from bot.settings import Settings

    return create_bot(Settings(_env_file=None, discord_token=token, db=db, metrics_port=metrics_port))


def build(name: str, tmp: Path, token: str) -> Any:
    """ "minimal", "medcoder", or "metrics" (the real bot serving /metrics, on a port of its own)."""
    if name == "minimal":
        return minimal_bot()
    if name == "metrics":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        return medcoder_bot(tmp / "metrics.db", token, metrics_port=port)
    return medcoder_bot(tmp / "bench.db", token)


# --------------------------------------------------------------------------- throughput


@dataclass
class Run:
    name: str
    interactions: int
    seconds: float
    cpu_seconds: float = 0.0  # this process's CPU time (bot + fake): unaffected by other processes
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0

    @property
    def rate(self) -> float:
        return self.interactions / self.seconds

    @property
    def ms_per(self) -> float:
        return 1000.0 * self.seconds / self.interactions


class CallbackWaiter:
    """Resolves one future per interaction when the fake receives its callback.

    `FakeDiscord.wait_for_callback` scans the whole request log on every call, which at thousands
    of interactions would time the benchmark instead of the bot; this hooks the log's `add` instead.
    """

    def __init__(self, fake: Any) -> None:
        self.pending: dict[int, asyncio.Future[bool]] = {}
        original_add = fake.log.add

        async def add(request: Any) -> None:
            await original_add(request)
            if request.method == "POST" and (m := CALLBACK_PATH.fullmatch(request.path)):
                future = self.pending.pop(int(m["id"]), None)
                if future is not None and not future.done():
                    content = ((request.json or {}).get("data") or {}).get("content") or ""
                    # The bot's error handler answers 200 too; count its reply as a failure.
                    failed = request.status >= 400 or content.startswith("Something went wrong")
                    future.set_result(not failed)

        fake.log.add = add

    def expect(self, interaction_id: int) -> asyncio.Future[bool]:
        future = asyncio.get_running_loop().create_future()
        self.pending[interaction_id] = future
        return future


async def drive(
    fake: Any,
    connection: Any,
    waiter: CallbackWaiter,
    name: str,
    questions: list[str],
    *,
    users: list[dict],
    concurrency: int,
) -> Run:
    """Send one `/ask` per question on `connection` (one bot's), at most `concurrency` unanswered at a time."""
    loop = asyncio.get_running_loop()
    run = Run(name, len(questions), 0.0)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int, question: str) -> None:
        async with semaphore:
            payload = fake.slash_payload("ask", {"question": question}, user=users[i % len(users)])
            future = waiter.expect(int(payload["id"]))
            start = loop.time()
            await fake.dispatch("INTERACTION_CREATE", payload, connection=connection)
            try:
                ok = await asyncio.wait_for(future, 10.0)
            except TimeoutError:
                run.timeouts += 1
                return
            run.latencies.append(loop.time() - start)
            run.errors += not ok

    start, cpu_start = loop.time(), time.process_time()
    await asyncio.gather(*(one(i, q) for i, q in enumerate(questions)))
    run.seconds, run.cpu_seconds = loop.time() - start, time.process_time() - cpu_start
    return run


def forget(fake: Any) -> None:
    """Drop the interactions and messages of the last batch, so later batches do not carry a bigger heap
    (whose garbage collection would slow whichever bot runs later)."""
    fake.clear_requests()
    fake.interactions.clear()
    fake._interactions_by_token.clear()
    fake.messages.clear()
    for channel in fake.channels.values():
        channel["last_message_id"] = None


BOTS = ("minimal", "medcoder")
METRICS_BOTS = ("medcoder", "metrics")  # --metrics: the same bot with metrics off and on
METRICS_TARGET = 0.97  # metrics cost at most 3% of /ask throughput


async def throughput(
    batch: int, rounds: int, concurrency: int, warmup: int, bots: tuple[str, str] = BOTS
) -> dict[str, list[Run]]:
    """Both bots connected to one fake; per round, each answers the same batch (order alternating)."""
    from tests.fakediscord import FakeDiscord, running_bot

    rng = random.Random(4)
    runs: dict[str, list[Run]] = {name: [] for name in bots}
    with tempfile.TemporaryDirectory(prefix="medcoder-bench-") as tmp:
        async with FakeDiscord(keep_history=False) as fake, contextlib.AsyncExitStack() as stack:
            stack.enter_context(fake.patch_discord_urls())
            users = [fake.user] + [fake.add_user(f"member{i}") for i in range(15)]
            waiter = CallbackWaiter(fake)
            connections = {}
            for name in bots:
                bot = build(name, Path(tmp), fake.token)
                await stack.enter_async_context(running_bot(bot, fake, guild_ready_timeout=GUILD_READY_TIMEOUT))
                connections[name] = fake.connections[-1]  # the one it just opened: the bot is ready
                if getattr(bot, "engine", None) is not None:
                    await _models_loaded(bot)  # measure the bot as it answers for good, with its reader
            for name in bots:
                warm = [rng.choice(QUESTIONS) for _ in range(warmup)]
                await drive(fake, connections[name], waiter, name, warm, users=users, concurrency=concurrency)
            for i in range(rounds):
                questions = [rng.choice(QUESTIONS) for _ in range(batch)]
                for name in bots if i % 2 == 0 else bots[::-1]:
                    forget(fake)
                    gc.collect()
                    gc.freeze()  # both bots alike: nobody re-scans the harness's (or the other bot's) heap
                    try:
                        run = await drive(
                            fake, connections[name], waiter, name, questions, users=users, concurrency=concurrency
                        )
                    finally:
                        gc.unfreeze()
                    runs[name].append(run)
            if fake.unhandled_requests:
                print(f"  note: the fake saw {len(fake.unhandled_requests)} requests it has no route for")
    return runs


def reply_mix(count: int) -> str:
    """How the engine answers the benchmark's questions (so the mix of reply kinds is visible)."""
    from bot.core import Engine

    engine = Engine.load()
    kinds = Counter(engine.ask(q).kind.value for q in QUESTIONS)
    mix = ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
    return f"{len(QUESTIONS)} distinct questions ({mix}), drawn at random {count} times per bot"


# --------------------------------------------------------------------------- start-up (child process)


def _rss_mb(key: str = "VmRSS") -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _process_age_s() -> float:
    """Seconds since the kernel started this process (10 ms resolution), or NaN off Linux."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as uptime:
            now = float(uptime.read().split()[0])
        return now - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


async def _models_loaded(bot: Any, limit: float = 30.0) -> None:
    """Wait until the real bot's semantic models, loading in a thread since start-up, are in (polled: the
    bot signals nothing when they are, and this is a benchmark harness, not the bot)."""
    deadline = time.perf_counter() + limit
    while bot.engine.reading is None and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def _child_connect(bot: Any, times: dict[str, float]) -> None:
    t = time.perf_counter()
    from tests.fakediscord import FakeDiscord

    fake = FakeDiscord()
    await fake.start()
    times["fake_start_s"] = time.perf_counter() - t
    times["rss_fake_mb"] = _rss_mb()
    with fake.patch_discord_urls():
        bot._connection.guild_ready_timeout = GUILD_READY_TIMEOUT
        t = time.perf_counter()
        await bot.login(fake.token)  # runs setup_hook: extensions, views
        connect = asyncio.create_task(bot.connect(reconnect=False))
        await asyncio.wait_for(bot.wait_until_ready(), 10.0)
        times["ready_at"] = time.perf_counter()
        print(READY_MARKER, flush=True)
        times["connect_s"] = times["ready_at"] - t
        times["rss_ready_mb"] = _rss_mb()
        engine = getattr(bot, "engine", None)
        if engine is not None:  # the real bot: its models load in a thread after ready; report them apart
            await _models_loaded(bot)
            times["models_s"] = time.perf_counter() - times["ready_at"]
            times["rss_models_mb"] = _rss_mb()
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connect, 5.0)
    await fake.stop()


def child(kind: str) -> None:
    """One cold start: import, build, start a fake, connect until ready; JSON on the last line."""
    age_at_first_line = _process_age_s() - (time.perf_counter() - T_FIRST_LINE)
    rss_start = _rss_mb()
    t = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="medcoder-bench-")
    if kind == "medcoder":
        import bot.app  # timed on its own: discord.py, the settings and the engine's modules

        t_import = time.perf_counter()
        bot = medcoder_bot(Path(tmp) / "bench.db", "fake.bot.token")  # loads and indexes the knowledge base
    else:
        import discord.ext.commands  # noqa: F401

        t_import = time.perf_counter()
        bot = minimal_bot()
    t_built = time.perf_counter()
    rss_built = _rss_mb()
    times: dict[str, float] = {}
    asyncio.run(_child_connect(bot, times))
    result = {
        "kind": kind,
        "interpreter_s": age_at_first_line,  # exec to this script's first line (from /proc, 10 ms steps)
        "harness_import_s": t - T_FIRST_LINE,  # this script's own imports (not the bot's)
        "import_s": t_import - t,
        "build_s": t_built - t_import,
        "fake_start_s": times["fake_start_s"],  # import tests.fakediscord + FakeDiscord.start()
        "connect_s": times["connect_s"],  # login (setup_hook) + gateway connect until ready
        "rss_start_mb": rss_start,
        "rss_built_mb": rss_built,
        "rss_fake_mb": times["rss_fake_mb"] - rss_built,
        "rss_ready_mb": times["rss_ready_mb"],
        "models_s": times.get("models_s"),  # ready to models loaded (the real bot; answers are lexical meanwhile)
        "rss_models_mb": times.get("rss_models_mb"),
    }
    print(json.dumps(result), flush=True)
    Path(tmp, "bench.db").unlink(missing_ok=True)
    os.rmdir(tmp)


def spawn(kind: str) -> dict[str, Any]:
    """Run one child; add the parent's view of spawn-to-ready."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDCODER_", "DISCORD_"))}
    with tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", kind],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=tempfile.gettempdir(),  # no stray .env from the working directory
            env=env,
        )
        assert proc.stdout is not None
        ready_wall = float("nan")
        lines = []
        for line in proc.stdout:
            if line.strip() == READY_MARKER:
                ready_wall = time.perf_counter() - start
            else:
                lines.append(line)
        if proc.wait() != 0 or not lines:
            stderr.seek(0)
            raise RuntimeError(f"--child {kind} failed ({proc.returncode}):\n{stderr.read()}")
    result = json.loads(lines[-1])
    result["spawn_to_ready_s"] = ready_wall
    return result


# --------------------------------------------------------------------------- report


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def report_throughput(
    runs: dict[str, list[Run]], batch: int, concurrency: int, bots: tuple[str, str] = BOTS, target: float = RATIO_TARGET
) -> None:
    reference, subject = bots
    rounds = len(runs[reference])
    print(
        f"\n/ask throughput through the fake Discord ({rounds} rounds of {batch} per bot, both bots connected,"
        f" concurrency {concurrency})"
    )
    rate, cpu_per = {}, {}
    for name in bots:
        total = sum(r.interactions for r in runs[name])
        seconds = sum(r.seconds for r in runs[name])
        cpu = sum(r.cpu_seconds for r in runs[name])
        lat = [1000.0 * x for r in runs[name] for x in r.latencies]
        errors, timeouts = sum(r.errors for r in runs[name]), sum(r.timeouts for r in runs[name])
        problems = f", {errors} errors" if errors else ""
        problems += f", {timeouts} TIMEOUTS" if timeouts else ""
        rate[name], cpu_per[name] = total / seconds, cpu / total
        print(
            f"  {name:<9} {total:>6} in {seconds:6.2f} s = {rate[name]:6.0f}/s"
            f"  ({1000.0 * seconds / total:5.2f} ms each,"
            f" CPU {1000.0 * cpu_per[name]:5.2f} ms; latency p50 {percentile(lat, 0.5):5.1f} ms,"
            f" p99 {percentile(lat, 0.99):5.1f} ms{problems})"
        )
    ratio = rate[subject] / rate[reference]
    per_round = [m.seconds / r.seconds for m, r in zip(runs[reference], runs[subject], strict=True)]
    quartiles = statistics.quantiles(per_round, n=4) if len(per_round) > 1 else [per_round[0]] * 3
    extra_ms = 1000.0 * (1 / rate[subject] - 1 / rate[reference])
    print(
        f"  ratio {subject}/{reference} {ratio:.2f}   target >= {target}: {verdict(ratio >= target)}"
        f"   (extra per /ask: {extra_ms:.2f} ms)"
    )
    print(
        f"  per round: median {statistics.median(per_round):.2f}, quartiles {quartiles[0]:.2f}-{quartiles[2]:.2f};"
        f" in CPU time {cpu_per[reference] / cpu_per[subject]:.2f}"
    )


def report_startup(samples: dict[str, list[dict[str, Any]]]) -> None:
    print(f"\nStart-up, fresh process each (median of {len(samples['medcoder'])})")
    for kind, results in samples.items():

        def med(key: str, results: list[dict[str, Any]] = results) -> float:
            return statistics.median(r[key] for r in results)

        spawn_ready = med("spawn_to_ready_s")
        without_fake = spawn_ready - med("fake_start_s")
        rss = med("rss_ready_mb")
        targets = kind == "medcoder"
        ready_verdict = f"   target <= {READY_TARGET_S} s: {verdict(spawn_ready <= READY_TARGET_S)}"
        rss_verdict = f"   target <= {RSS_TARGET_MB:.0f} MB: {verdict(rss <= RSS_TARGET_MB)}"
        print(f"  {kind}:")
        print(
            f"    process start to ready {spawn_ready:5.2f} s  (without the fake's start: {without_fake:5.2f} s)"
            + (ready_verdict if targets else "")
        )
        print(
            f"      interpreter {med('interpreter_s'):.3f} s, script's imports {med('harness_import_s'):.3f} s"
            f" (mostly asyncio), bot imports {med('import_s'):.3f} s, build {med('build_s'):.3f} s,\n"
            f"      fake start {med('fake_start_s'):.3f} s, login + gateway connect to ready {med('connect_s'):.3f} s"
        )
        print(
            f"    resident memory after ready {rss:5.1f} MB  (the fake's share {med('rss_fake_mb'):.1f} MB)"
            + (rss_verdict if targets else "")
        )
        print(
            f"      before the bot's imports {med('rss_start_mb'):.1f} MB,"
            f" after its imports and build {med('rss_built_mb'):.1f} MB"
        )
    ready_by = {kind: statistics.median(r["spawn_to_ready_s"] for r in rs) for kind, rs in samples.items()}
    rss_by = {kind: statistics.median(r["rss_ready_mb"] for r in rs) for kind, rs in samples.items()}
    ready_ratio, rss_ratio = ready_by["medcoder"] / ready_by["minimal"], rss_by["medcoder"] / rss_by["minimal"]
    print(
        f"  footprint medcoder/minimal: ready {ready_ratio:.2f}x, resident memory {rss_ratio:.2f}x"
        f"   target <= {FOOTPRINT_TARGET}x: {verdict(max(ready_ratio, rss_ratio) <= FOOTPRINT_TARGET)}"
    )
    models = [r for r in samples["medcoder"] if r.get("models_s") is not None]
    if models:
        loaded = statistics.median(r["models_s"] for r in models)
        added = statistics.median(r["rss_models_mb"] - r["rss_ready_mb"] for r in models)
        print(
            f"  semantic models, loaded in a thread after ready: {loaded:.2f} s later, +{added:.0f} MB resident"
            f"   budget <= {MODEL_RSS_BUDGET_MB:.0f} MB: {verdict(added <= MODEL_RSS_BUDGET_MB)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, one start-up sample each")
    parser.add_argument("--rounds", type=int, help="timed rounds, each bot one batch per round (default 16, quick 6)")
    parser.add_argument("--batch", type=int, default=250, help="/ask interactions per bot per round (default 250)")
    parser.add_argument("--concurrency", type=int, default=16, help="interactions in flight at once (default 16)")
    parser.add_argument("--startups", type=int, help="cold starts per bot (default 3, quick 1)")
    parser.add_argument(
        "--metrics", action="store_true", help="the real bot with metrics on against itself with them off (issue 16)"
    )
    parser.add_argument("--child", choices=("medcoder", "minimal"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    rounds = args.rounds or (6 if args.quick else 16)
    startups = args.startups or (1 if args.quick else 3)
    import discord

    print("medcoder-bot Discord end-to-end benchmark" + (" (--quick)" if args.quick else ""))
    print(
        f"python {platform.python_version()} ({platform.python_implementation()}), discord.py {discord.__version__},"
        f" {os.cpu_count()} CPUs, {platform.machine()}, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    )
    print(f"questions: {reply_mix(rounds * args.batch)}")

    if args.metrics:
        runs = asyncio.run(throughput(args.batch, rounds, args.concurrency, warmup=300, bots=METRICS_BOTS))
        report_throughput(runs, args.batch, args.concurrency, METRICS_BOTS, METRICS_TARGET)
        return
    runs = asyncio.run(throughput(args.batch, rounds, args.concurrency, warmup=300))
    report_throughput(runs, args.batch, args.concurrency)

    import compileall

    import bot as bot_package

    compileall.compile_dir(Path(bot_package.__file__).parent, quiet=1)  # as an installed bot has (see above)
    samples: dict[str, list[dict[str, Any]]] = {"medcoder": [], "minimal": []}
    for _ in range(startups):
        for kind, results in samples.items():
            results.append(spawn(kind))
    report_startup(samples)


if __name__ == "__main__":
    main()
