#!/usr/bin/env python3
"""Load and chaos on loopback (issue 16): waves of 500 concurrent scrapes
(half of them asking for gzip) while every collector polls the fake upstream
each second and the config is reloaded 100 times, by SIGHUP and by
POST /-/reload in turn: unchanged files, files that restart one collector or
every worker, and broken files that must be refused; then 200 SIGHUPs within
a second while a client scrapes. Every answer must be
complete (status 200, the announced length, a whole gzip stream) and every
distinct shape of page must pass `promtool check metrics`. Afterwards, back
on the quiet config the baseline was taken on, the thread and descriptor
counts (/proc/PID/task, /proc/PID/fd) must come back to the baseline and the
resident memory near it.

No timing asserts: the only bounds are generous waits. Under a sanitizer
(KPI_SANITIZER, set by tests/CMakeLists.txt) the waves and reloads are
smaller and the memory bound is not checked (shadow memory and quarantine
make RSS meaningless); the thread and descriptor checks still run."""
import asyncio
import gzip
import hashlib
import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (Processes, discord_pypi_config, github_config, http, jira_stripe_config,  # noqa: E402
                     parse_metrics, promtool_check, value, wait_for)

SANITIZED = bool(os.environ.get("KPI_SANITIZER"))
CONCURRENT = 100 if SANITIZED else 500
RELOADS = 20 if SANITIZED else 100
# RSS after the load may exceed the baseline by this much (allocator arenas keep some pages).
RSS_SLACK_BYTES = 16 << 20
RSS_SLACK_RATIO = 0.25
COLLECTORS = ("github", "jira", "stripe", "discord", "pypi")
ALWAYS_UP = ("github", "jira", "stripe")  # the harness's discord and pypi configs hold a failing target each


def sources(fake, interval, repos=("acme/widgets",)):
    return (github_config(fake, interval=interval, repos=repos) + jira_stripe_config(fake, interval) +
            discord_pypi_config(fake, interval))


def variants(fake):
    """The configs the reloads cycle through: (name, text, should succeed)."""
    busy = sources(fake, "1s")
    return [
        ("busy", busy, True),
        ("busy, unchanged", busy, True),
        ("github restarts with another repository", sources(fake, "1s", repos=("acme/widgets", "acme/huge")), True),
        ("every worker restarts", "[exporter]\nmax_concurrent_polls = 2\n" + busy, True),
        # KPIs are rendered per scrape: the page changes shape at once, not after a poll.
        ("own KPIs", busy + '[[kpi]]\nname = "load_stars"\ncategory = "load"\nmetric = "github_repo_stars"\ntarget = 1\n',
         True),
        ("broken", busy + "\n[github.nonsense]\n", False),
    ]


def process_counts(pid):
    with open(f"/proc/{pid}/status") as f:
        rss_kb = int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))
    return {"threads": len(os.listdir(f"/proc/{pid}/task")), "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "rss": rss_kb * 1024}


async def scrape(port, use_gzip):
    """One GET /metrics on its own connection; the decoded body, or raises when incomplete."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    encoding = b"gzip" if use_gzip else b"identity"
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: load\r\nAccept-Encoding: " + encoding + b"\r\n\r\n")
    await writer.drain()
    answer = await reader.read()  # the server closes after the reply
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head[:200]
    length = int(re.search(rb"\r\ncontent-length: (\d+)", head, re.I).group(1))
    assert len(body) == length, f"incomplete answer: {len(body)} of {length} bytes"
    if use_gzip:
        assert re.search(rb"\r\ncontent-encoding: gzip", head, re.I), head
        body = gzip.decompress(body)  # raises on a truncated or corrupt stream
    text = body.decode()
    assert text.endswith("\n"), text[-200:]
    return text


async def wave(port, count):
    return await asyncio.gather(*(scrape(port, i % 2 == 0) for i in range(count)))


def shape(text):
    """The page without its sample values: pages of one shape pass or fail promtool alike."""
    return hashlib.sha256(re.sub(r" [^ \n]+$", "", text, flags=re.M).encode()).hexdigest()


def check_pages(pages, shapes_checked):
    for text in pages:
        parse_metrics(text)  # every sample line parses, every value is a number
        key = shape(text)
        if key not in shapes_checked:
            promtool_check(text)
            shapes_checked.add(key)


def reload_count(log):
    text = open(log).read()
    return text.count("config reloaded") + text.count("config reload failed")


def chaos_reloads(exporter, log, base, config, fake, errors):
    """RELOADS reloads, SIGHUP and POST in turn, through the variants; failures go to `errors`."""
    try:
        cycle = variants(fake)
        for i in range(RELOADS):
            name, text, ok = cycle[i % len(cycle)]
            with open(config, "w") as f:
                f.write(text)
            if i % 2:
                status, body = http(base + "/-/reload", method="POST", data=b"")
                assert status == (200 if ok else 500), (name, status, body)
            else:
                before = reload_count(log)
                exporter.send_signal(signal.SIGHUP)
                wait_for(lambda: reload_count(log) > before, timeout=60, what=f"SIGHUP reload {i} ({name})")
        with open(config, "w") as f:
            f.write(cycle[0][1])
        assert http(base + "/-/reload", method="POST", data=b"")[0] == 200
    except BaseException as e:  # noqa: BLE001 - reported by the main thread
        errors.append(e)


def sighup_storm(exporter, base, log, shapes):
    """200 SIGHUPs within about a second while a client scrapes: every page whole, the exporter ready."""
    stop, pages = threading.Event(), []

    def scraper():
        while not stop.is_set():
            status, text = http(base + "/metrics")
            assert status == 200 and text.endswith("\n"), (status, text[-200:])
            pages.append(text)
    thread = threading.Thread(target=scraper)
    thread.start()
    before = reload_count(log)
    started = time.monotonic()
    for _ in range(200):
        exporter.send_signal(signal.SIGHUP)
        time.sleep(0.005)
    sent_in = time.monotonic() - started
    # Signals that arrive while one is pending merge into it: at least one reload, at most 200.
    wait_for(lambda: reload_count(log) > before, timeout=30, what="a reload after the SIGHUPs")
    time.sleep(1)
    stop.set()
    thread.join()
    check_pages(pages, shapes)
    assert exporter.poll() is None, "the exporter died from SIGHUPs"
    assert http(base + "/readyz")[0] == 200
    assert value(parse_metrics(http(base + "/metrics")[1]), "kpi_exporter_config_last_reload_successful") == 1
    print(f"200 SIGHUPs sent in {sent_in:.2f}s: {reload_count(log) - before} reloads, {len(pages)} whole pages")


def settle(pid, baseline, what):
    """Waits until threads and descriptors are back at the baseline; returns the counts then."""
    def back():
        now = process_counts(pid)
        return now["threads"] <= baseline["threads"] and now["fds"] <= baseline["fds"] and now
    try:
        return wait_for(back, timeout=60, what=what)
    except AssertionError as e:
        raise AssertionError(f"{e}; baseline {baseline}, now {process_counts(pid)}") from None


def main():
    with Processes() as p:
        fake = p.start_fake()
        quiet = sources(fake, "1h")
        config = p.write_config(quiet)
        exporter, log, base = p.start_exporter(config, "--web.enable-lifecycle", "--log.level=info")
        port = int(base.rsplit(":", 1)[1])
        wait_for(lambda: http(base + "/readyz")[0] == 200, timeout=60, what="/readyz")

        def reload_to(text):
            with open(config, "w") as f:
                f.write(text)
            status, body = http(base + "/-/reload", method="POST", data=b"")
            assert status == 200, body

        def polls():
            m = parse_metrics(http(base + "/metrics")[1])
            return {c: value(m, "kpi_exporter_collector_polls_total", collector=c) for c in COLLECTORS}

        def quiet_again():
            """Reloads the quiet config and waits until every collector finished a poll on it."""
            before = polls()
            reload_to(quiet)
            wait_for(lambda: all(n > before[c] for c, n in polls().items()), timeout=60,
                     what="every collector's first poll on the quiet config")
            time.sleep(1)

        # Warm up as the load will (busy polls, a wave, reloads), then go quiet and take the baseline.
        shapes = set()
        reload_to(variants(fake)[0][1])
        check_pages(asyncio.run(wave(port, CONCURRENT)), shapes)
        quiet_again()
        baseline = process_counts(exporter.pid)
        print(f"baseline: {baseline}")

        # Chaos: waves of concurrent scrapes until the reloads are done (at least two waves).
        errors = []
        reloader = threading.Thread(target=chaos_reloads, args=(exporter, log, base, config, fake, errors))
        started = time.monotonic()
        reloads_before = reload_count(log)
        polls_before = polls()
        reloader.start()
        waves = 0
        peak = baseline
        while reloader.is_alive() or waves < 2:
            pages = asyncio.run(wave(port, CONCURRENT))
            peak = max(peak, process_counts(exporter.pid), key=lambda c: c["rss"])
            check_pages(pages, shapes)
            waves += 1
        reloader.join()
        if errors:
            raise errors[0]
        assert exporter.poll() is None, "the exporter died under load"
        assert reload_count(log) - reloads_before == RELOADS + 1
        polled = {c: int(n - polls_before[c]) for c, n in polls().items()}
        print(f"{waves} waves of {CONCURRENT} scrapes and {RELOADS} reloads in {time.monotonic() - started:.1f}s; "
              f"{len(shapes)} page shapes checked by promtool; polls {polled}; peak {peak}")

        # Still polling, every collector up, the last reload counted as successful.
        m = parse_metrics(http(base + "/metrics")[1])
        assert value(m, "kpi_exporter_config_last_reload_successful") == 1
        counted = polls()
        wait_for(lambda: all(n > counted[c] for c, n in polls().items()), timeout=60,
                 what="every collector polling after the chaos")
        for c in ALWAYS_UP:
            assert value(parse_metrics(http(base + "/metrics")[1]), "kpi_exporter_collector_up", collector=c) == 1, c

        sighup_storm(exporter, base, log, shapes)

        # Back on the quiet config: no thread or descriptor leaked, memory near the baseline.
        quiet_again()
        after = settle(exporter.pid, baseline, "threads and descriptors back at the baseline")
        if not SANITIZED:
            bound = baseline["rss"] * (1 + RSS_SLACK_RATIO) + RSS_SLACK_BYTES
            after = wait_for(lambda: (now := process_counts(exporter.pid))["rss"] <= bound and now, timeout=30,
                             what=f"RSS back under {bound / 2**20:.0f} MiB (baseline {baseline['rss'] / 2**20:.0f} MiB)")
        print(f"after: {after}")
        assert exporter.poll() is None
    print("ok")


if __name__ == "__main__":
    main()
