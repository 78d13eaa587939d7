#!/usr/bin/env python3
"""The real kpi_exporter against the fake Discord and PyPI/pypistats on
loopback: a 429 with fractional retry_after waited out, an expired invite, an
unknown package and one without releases (pypi.org: 404) failing only
themselves, a new package pypistats has no rows for (404: downloads 0, still
up), daily totals with a missing day, the newest day with data,
non-normalised package names, per-target health, the query parameters the
fake checks; promtool check metrics."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (DISCORD_TOKEN, Processes, assert_fake_saw_no_problems, discord_pypi_config, http,  # noqa: E402
                     parse_metrics, promtool_check, stop, value, wait_for)

DAY = 86400


def config(fake):
    """The shared Discord and PyPI config plus a package pypistats has no rows for yet."""
    text = discord_pypi_config(fake)
    packages = '"no-such-package"]'
    assert packages in text, text
    return text.replace(packages, '"Acme.New", ' + packages)


def yesterday_start(t):
    """Unix time of 00:00 UTC of the day before the one `t` falls on."""
    return (int(t) // DAY - 1) * DAY


def main():
    with Processes() as p:
        started = time.time()
        fake = p.start_fake()
        exporter, log, base = p.start_exporter(p.write_config(config(fake)))
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
        # The newest day with data is yesterday (UTC), whichever side of midnight the fake started on.
        newest = value(m, "pypi_downloads_newest_day_timestamp_seconds", **pkg)
        assert newest in (yesterday_start(started), yesterday_start(time.time())), newest

        new = {"package": "acme-new"}  # configured as "Acme.New"; pypistats answers 404: no rows yet
        for window in ("1d", "7d", "30d"):
            assert value(m, "pypi_downloads", window=window, **new) == 0
        assert value(m, "pypi_package_info", version="0.1.0", **new) == 1
        released = value(m, "pypi_latest_release_timestamp_seconds", **new)
        assert abs(time.time() - 2 * DAY - released) < 600, released
        assert not any(n in ("pypi_downloads_prior", "pypi_downloads_newest_day_timestamp_seconds")
                       and dict(l).get("package") == "acme-new" for n, l in m)

        # No releases (acme-empty, configured as "acme.empty") and unknown: pypi.org answers 404, each fails alone.
        for gone in ("acme-empty", "no-such-package"):
            assert not any(dict(l).get("package") == gone for _, l in m), gone
        assert value(m, "kpi_exporter_collector_errors_total", collector="pypi", reason="not_found") >= 1
        landing = http(base + "/")[1]
        # The landing page shows a poll's first error (and how many more); target_up below names each.
        for failed in ("acme-empty: ", "(and 1 more)", "invite expired: "):
            assert failed in landing, failed
        assert "acme-new: " not in landing

        # Per-target health: the package (normalised), the guild id, the invite code.
        for collector, target, up in [("pypi", "acme-widgets", 1), ("pypi", "acme-new", 1), ("pypi", "acme-empty", 0),
                                      ("pypi", "no-such-package", 0), ("discord", "111222333444555666", 1),
                                      ("discord", "acme-users", 1), ("discord", "expired", 0)]:
            assert value(m, "kpi_exporter_target_up", collector=collector, target=target) == up, (collector, target)

        # Invites are fetched anonymously; guilds carry the bot token.
        requests = __import__("json").loads(http(fake + "/_control/requests")[1])
        for r in requests:
            if r["path"].startswith("/api/v10/invites/"):
                assert r["authorization"] is None, r
            if r["path"].startswith("/api/v10/guilds/"):
                assert r["authorization"] == "Bot " + DISCORD_TOKEN, r
        assert_fake_saw_no_problems(fake)
        promtool_check(text)
        for name, body in [("metrics", text), ("landing", landing), ("log", open(log).read())]:
            assert DISCORD_TOKEN not in body, f"the bot token leaked into {name}"
        assert stop(exporter) == 0
    print("ok")


if __name__ == "__main__":
    main()
