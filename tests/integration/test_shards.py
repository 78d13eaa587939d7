#!/usr/bin/env python3
"""Three exporters over one config, each with its own --shard.index: every
repository is polled by exactly one of them, and per-target self-metrics carry
only the shard's own repositories; with every source configured, each source
series exists in exactly one shard and together they equal one unsharded
exporter's. [exporter] shard_index/shard_count work too."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (Processes, discord_pypi_config, github_config, http, jira_stripe_config,  # noqa: E402
                     parse_metrics, stop, wait_for)

SOURCES = ("github_", "jira_", "stripe_", "discord_", "pypi_")

REPOS = ("acme/widgets", "acme/huge")


def label_values(samples, metric, label):
    return {dict(labels)[label] for name, labels in samples if name == metric}


def main():
    with Processes() as p:
        fake = p.start_fake()
        config = p.write_config(github_config(fake, repos=REPOS).replace('orgs = ["acme"]\n', ""))
        shards = [p.start_exporter(config, f"--shard.index={i}", "--shard.count=3") for i in range(3)]
        seen = {}
        for index, (proc, log, base) in enumerate(shards):
            wait_for(lambda: http(base + "/readyz")[0] == 200, what=f"/readyz of shard {index}")
            m = parse_metrics(http(base + "/metrics")[1])
            owned = label_values(m, "github_repo_stars", "repo")
            assert label_values(m, "kpi_exporter_target_up", "target") == owned, (index, owned)
            for repo in owned:
                seen.setdefault(repo, []).append(index)
        # FNV-1a-64 mod 3 puts both repositories in shard 2.
        assert seen == {"acme/widgets": [2], "acme/huge": [2]}, seen
        for proc, _, _ in shards:
            assert stop(proc) == 0

        # Every source: each source series in exactly one shard, the union equal to one unsharded exporter.
        everything = p.write_config(github_config(fake, repos=REPOS) + jira_stripe_config(fake) +
                                    discord_pypi_config(fake), "all.toml")

        def source_series(*flags):
            proc, _, base = p.start_exporter(everything, *flags)
            wait_for(lambda: http(base + "/readyz")[0] == 200, what=f"/readyz {flags}")
            m = parse_metrics(http(base + "/metrics")[1])
            assert stop(proc) == 0
            # The rate limit belongs to the token, which every shard reads for itself; each shard
            # counts the points its own requests spend.
            return {key for key in m if key[0].startswith(SOURCES) and not key[0].startswith("github_rate_limit")
                    and not key[0].startswith("github_api_points_spent")}

        whole = source_series()
        parts = [source_series(f"--shard.index={i}", "--shard.count=3") for i in range(3)]
        assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
        assert {name for name, _ in parts[0] | parts[1] | parts[2]} == {name for name, _ in whole}
        assert len(parts[0] | parts[1] | parts[2]) == len(whole)

        in_file = p.write_config("[exporter]\nshard_count = 2\nshard_index = 0\n" +
                                 github_config(fake, repos=REPOS).replace('orgs = ["acme"]\n', ""), "file.toml")
        proc, _, base = p.start_exporter(in_file)
        wait_for(lambda: http(base + "/readyz")[0] == 200, what="/readyz of the file-configured shard")
        assert label_values(parse_metrics(http(base + "/metrics")[1]), "github_repo_stars", "repo") == set()  # both: 1 of 2
        assert stop(proc) == 0
    print("ok")


if __name__ == "__main__":
    main()
