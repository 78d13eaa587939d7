#!/usr/bin/env python3
"""A reload restarts only the collectors whose configuration changed: a poll in
flight of an unchanged collector continues (its values and caches stay), a
changed collector polls again at once, a removed one disappears."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (Processes, fake_requests, http, parse_metrics, set_route, wait_for)  # noqa: E402

INVITE = "/api/v10/invites/acme-users"
PYPI = "/pypi/acme-widgets/json"
GUILD = "999888777666555444"  # tests/fixtures/discord/invite.json
SLOW_SECONDS = 8  # longer than the reload's 5 s grace for polls in flight


def value(samples, metric, /, **labels):
    """The sample's value, or None when the series is absent."""
    return samples.get((metric, frozenset(labels.items())))


def config(fake, pypi_packages):
    # Hour-long intervals: every poll after the first is a (re)start.
    return f"""
[discord]
api_url = "{fake}/api/v10"
token = "${{KPI_DISCORD_TOKEN}}"
invites = ["acme-users"]
interval = "1h"
timeout = "20s"

[pypi]
api_url = "{fake}"
stats_url = "{fake}"
packages = {pypi_packages}
interval = "1h"
"""


def main():
    with Processes() as p:
        fake = p.start_fake()
        set_route(fake, "discord_invite", [{"status": 200, "delay": SLOW_SECONDS, "body_file": "discord/invite.json"}])
        path = p.write_config(config(fake, '["Acme_Widgets"]'))
        _, log, base = p.start_exporter(path, "--web.enable-lifecycle")
        wait_for(lambda: fake_requests(fake, INVITE), what="the slow discord poll in flight")
        wait_for(lambda: value(parse_metrics(http(base + "/metrics")[1]), "kpi_exporter_collector_polls_total",
                               collector="pypi") == 1, what="pypi's first poll")

        # 1. Same config for discord, another package for pypi: only pypi restarts.
        p.write_config(config(fake, '["Acme_Widgets", "acme-new"]'))
        started = time.monotonic()
        status, body = http(base + "/-/reload", method="POST", data=b"")
        took = time.monotonic() - started
        assert status == 200, (status, body)
        assert took < 3, f"the reload waited {took:.1f} s: it stopped the unchanged discord collector's poll"
        wait_for(lambda: len(fake_requests(fake, PYPI)) == 2, what="pypi polled again after its config changed")
        wait_for(lambda: fake_requests(fake, "/pypi/acme-new/json"), what="the new package polled")

        # The slow discord poll finishes, successfully, as the one and only discord poll.
        # (A scrape renders the stored series before the self-metrics, so one
        # scrape may count the poll without its series yet: wait for both.)
        def discord_done():
            m = parse_metrics(http(base + "/metrics")[1])
            return (value(m, "kpi_exporter_collector_polls_total", collector="discord") == 1 and
                    value(m, "discord_guild_members", guild=GUILD) is not None and m)
        m = wait_for(discord_done, timeout=SLOW_SECONDS + 15, what="the slow discord poll to finish")
        assert value(m, "kpi_exporter_collector_up", collector="discord") == 1
        assert len(fake_requests(fake, INVITE)) == 1, "discord was restarted although its config did not change"
        assert "aborting it" not in open(log).read(), "a poll was aborted by the reload"

        # 2. Reformatting the file (comments, key order) changes no collector.
        p.write_config("# reordered\n" + config(fake, '["Acme_Widgets", "acme-new"]').replace(
            'interval = "1h"\ntimeout = "20s"', 'timeout = "20s"\ninterval = "1h"'))
        assert http(base + "/-/reload", method="POST", data=b"")[0] == 200
        time.sleep(2.5)  # a restarted collector polls within about a second
        assert len(fake_requests(fake, INVITE)) == 1
        assert len(fake_requests(fake, PYPI)) == 2

        # 3. A removed collector stops and its series go.
        p.write_config(config(fake, '["Acme_Widgets", "acme-new"]').split("[pypi]")[0])
        assert http(base + "/-/reload", method="POST", data=b"")[0] == 200
        m = parse_metrics(http(base + "/metrics")[1])
        assert value(m, "pypi_downloads", package="acme-widgets", window="1d") is None
        assert value(m, "discord_guild_members", guild=GUILD) is not None
    print("ok")


if __name__ == "__main__":
    main()
