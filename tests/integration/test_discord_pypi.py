#!/usr/bin/env python3
"""The real kpi_exporter against the fake Discord and PyPI/pypistats on
loopback: a 429 with fractional retry_after waited out, an expired invite and
an unknown package failing only themselves, a package without releases, daily
totals with a missing day, non-normalised package names; promtool check metrics."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (DISCORD_TOKEN, Processes, discord_pypi_config, http, parse_metrics, promtool_check,  # noqa: E402
                     stop, value, wait_for)


def main():
    with Processes() as p:
        fake = p.start_fake()
        exporter, log, base = p.start_exporter(p.write_config(discord_pypi_config(fake)))
        wait_for(lambda: http(base + "/readyz")[0] == 200, what="/readyz")
        status, text = http(base + "/metrics")
        m = parse_metrics(text)

        g, invited = {"guild": "111222333444555666"}, {"guild": "999888777666555444"}
        assert value(m, "discord_guild_members", **g) == 187
        assert value(m, "discord_guild_members_online", **g) == 42
        assert value(m, "discord_guild_info", name="Acme Community", **g) == 1
        assert value(m, "discord_guild_members", **invited) == 95, "the 429 must be waited out and retried"
        assert value(m, "discord_guild_members_online", **invited) == 7
        assert value(m, "kpi_exporter_upstream_requests_total", collector="discord", code="429") == 1
        # The expired invite (404) fails only itself.
        assert value(m, "kpi_exporter_collector_up", collector="discord") == 0
        assert value(m, "kpi_exporter_collector_errors_total", collector="discord", reason="not_found") >= 1

        pkg = {"package": "acme-widgets"}  # configured as "Acme_Widgets"
        assert value(m, "pypi_downloads", window="1d", **pkg) == 310
        assert value(m, "pypi_downloads", window="7d", **pkg) == 2100
        assert value(m, "pypi_downloads", window="30d", **pkg) == 9800
        assert value(m, "pypi_downloads_prior", window="7d", **pkg) == 3000  # 6 days of 500, one day missing
        assert value(m, "pypi_package_info", version="1.4.2", **pkg) == 1
        released = value(m, "pypi_latest_release_timestamp_seconds", **pkg)
        assert abs(time.time() - 3 * 86400 - released) < 600, released
        empty = {"package": "acme-empty"}  # configured as "acme.empty"
        assert value(m, "pypi_downloads", window="30d", **empty) == 0
        assert not any(n in ("pypi_latest_release_timestamp_seconds", "pypi_package_info", "pypi_downloads_prior")
                       and dict(l).get("package") == "acme-empty" for n, l in m)
        assert not any(dict(l).get("package") == "no-such-package" for _, l in m)
        assert value(m, "kpi_exporter_collector_errors_total", collector="pypi", reason="not_found") >= 1
        landing = http(base + "/")[1]
        assert "no-such-package: " in landing and "invite expired: " in landing

        # Invites are fetched anonymously; guilds carry the bot token.
        requests = __import__("json").loads(http(fake + "/_control/requests")[1])
        for r in requests:
            if r["path"].startswith("/api/v10/invites/"):
                assert r["authorization"] is None, r
            if r["path"].startswith("/api/v10/guilds/"):
                assert r["authorization"] == "Bot " + DISCORD_TOKEN, r
        promtool_check(text)
        for name, body in [("metrics", text), ("landing", landing), ("log", open(log).read())]:
            assert DISCORD_TOKEN not in body, f"the bot token leaked into {name}"
        assert stop(exporter) == 0
    print("ok")


if __name__ == "__main__":
    main()
