#!/usr/bin/env python3
"""First-response lookups through GraphQL (graphql = true) against the fake
GitHub, which validates every query against GitHub's published schema
(tests/graphql/validate.mjs) and answers it from the same fixtures REST reads:
the first-response and awaiting-response series equal REST mode's (graphql =
false) on the same fixture, a bot comment (__typename Bot) and the author's
own comments included; the fake answers the repository stats query with the
REST fixtures' values; a repository GraphQL answers NOT_FOUND for fails alone
(its facts come from GraphQL too: it has no series until it resolves); what
GraphQL cost is exported; and a query the
schema refuses gets GitHub's answer (200 with errors), recorded as a problem."""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (Processes, assert_fake_saw_no_problems, github_config, http, parse_metrics,  # noqa: E402
                     stop, value, wait_for)

REPOS = ("acme/widgets", "acme/huge")
WINDOW = 'awaiting_response_window = "100d"\n'


def first_poll(base):
    """The metrics once the first poll has finished."""
    def done():
        m = parse_metrics(http(base + "/metrics")[1])
        polls = [v for (n, l), v in m.items() if n == "kpi_exporter_collector_polls_total" and dict(l)["collector"] == "github"]
        return m if polls and polls[0] >= 1 else None
    return wait_for(done, timeout=60, what="the first GitHub poll")


def responses(m):
    """The first-response and awaiting-response series: name and labels -> value."""
    return {key: v for key, v in m.items()
            if key[0].startswith(("github_issue_first_response", "github_issues_awaiting_response"))}


def requests_to(fake, path_end):
    return [r for r in json.loads(http(fake + "/_control/requests")[1]) if r["path"].endswith(path_end)]


STATS = ("stargazerCount forkCount watchers { totalCount } defaultBranchRef { name target { oid } } primaryLanguage { name } "
         "isArchived openIssues: issues(states: OPEN) { totalCount } openPullRequests: pullRequests(states: OPEN) "
         "{ totalCount }")


def stats_query(repos):
    """The exporter's repository stats query (collectors/github/graphql.h): one alias per repository."""
    aliases = " ".join(f'r{k}: repository(owner: "{r.split("/")[0]}", name: "{r.split("/")[1]}") {{ {STATS} }}'
                       for k, r in enumerate(repos))
    return "query { rateLimit { cost remaining resetAt limit used } " + aliases + " }"


def post_graphql(fake, query):
    status, body = http(fake + "/graphql", method="POST", data=json.dumps({"query": query}).encode())
    assert status == 200, (status, body)
    return json.loads(body)


def head_of(pushed_at):
    """The fake's default-branch head: named after the REST answer's pushed_at (a push moves it)."""
    return hashlib.sha1(pushed_at.encode()).hexdigest()


def check_stats_query(fake):
    """The fake answers the stats query with the REST fixtures' values (tests/fixtures/github/repo.json,
    huge_repo.json, issues_open_*.json: 130 open items, 20 of them pull requests), an unknown repository
    NOT_FOUND, 3 points per 100 repositories; and the query passes GitHub's schema."""
    answer = post_graphql(fake, stats_query(("acme/widgets", "acme/huge", "acme/nowhere")))
    assert answer["data"]["r0"] == {
        "stargazerCount": 1234, "forkCount": 56, "watchers": {"totalCount": 78},  # subscribers_count, not watchers_count
        "defaultBranchRef": {"name": "main", "target": {"oid": head_of("2026-11-28T09:30:00Z")}},
        "primaryLanguage": {"name": "C++"}, "isArchived": False,
        "openIssues": {"totalCount": 110}, "openPullRequests": {"totalCount": 20}}, answer
    assert answer["data"]["r1"] == {
        "stargazerCount": 99000, "forkCount": 12000, "watchers": {"totalCount": 3000},
        "defaultBranchRef": {"name": "trunk", "target": {"oid": head_of("2026-11-30T17:05:00Z")}},
        "primaryLanguage": {"name": "C"}, "isArchived": False,
        "openIssues": {"totalCount": 0}, "openPullRequests": {"totalCount": 0}}, answer
    assert answer["data"]["r2"] is None
    assert answer["errors"] == [{"type": "NOT_FOUND", "path": ["r2"], "locations": [],
                                 "message": "Could not resolve to a Repository with the name 'acme/nowhere'."}]
    assert answer["data"]["rateLimit"]["cost"] == 1  # 9 connections
    assert post_graphql(fake, stats_query(["acme/widgets"] * 100))["data"]["rateLimit"]["cost"] == 3  # 300
    assert http(fake + "/repos/acme/widgets")[0] == 500, "GraphQL took no REST answer: REST still serves its 500 first"
    assert_fake_saw_no_problems(fake)


def main():
    with Processes() as p:
        check_stats_query(p.start_fake(name="fake-stats"))
        fake_rest, fake_gql = p.start_fake(name="fake-rest"), p.start_fake(name="fake-graphql")
        rest, _, rest_base = p.start_exporter(p.write_config(
            github_config(fake_rest, repos=REPOS, extra=WINDOW + "graphql = false\n"), name="rest.toml"))
        rest_m = first_poll(rest_base)
        gql, _, gql_base = p.start_exporter(p.write_config(
            github_config(fake_gql, repos=REPOS, extra=WINDOW), name="graphql.toml"))  # graphql = true by default
        gql_m = first_poll(gql_base)

        want, got = responses(rest_m), responses(gql_m)
        widgets = frozenset({("repo", "acme/widgets"), ("window", "30d")})
        assert ("github_issue_first_response_seconds_count", widgets) in want, sorted(want)
        assert want.keys() == got.keys(), sorted(want.keys() ^ got.keys())
        for key in want:
            # Ages are taken when each exporter renders: a few seconds apart.
            slack = 30 if key[0].endswith("oldest_age_seconds") else 0
            same = want[key] != want[key] and got[key] != got[key]  # NaN: a quantile of no issue
            assert same or abs(want[key] - got[key]) <= slack, (key, want[key], got[key])
        # The fixture's issue #1: its author and a bot ("ci-bot[bot]" in REST, Bot "ci-bot" in GraphQL) only.
        assert value(gql_m, "github_issues_awaiting_response", repo="acme/widgets", window="100d") == 108
        assert value(gql_m, "kpi_exporter_collector_up", collector="github") == 1

        graphql_posts = requests_to(fake_gql, "/graphql")
        assert graphql_posts and all(r["method"] == "POST" for r in graphql_posts)
        assert not requests_to(fake_gql, "/comments"), "graphql = true reads no REST comment listing"
        assert requests_to(fake_rest, "/comments") and not requests_to(fake_rest, "/graphql")
        spent = value(gql_m, "github_api_points_spent_total", resource="graphql")
        assert spent == len(graphql_posts), (spent, len(graphql_posts))  # each of these queries costs 1 point
        assert value(rest_m, "github_api_points_spent_total", resource="graphql") == 0
        assert value(gql_m, "github_api_points_spent_total", resource="core") < \
            value(rest_m, "github_api_points_spent_total", resource="core")
        assert_fake_saw_no_problems(fake_gql)  # every query validated against GitHub's schema
        assert stop(rest) == 0 and stop(gql) == 0

        # NOT_FOUND for one repository's alias: it fails alone, the others are fresh.
        fake_nf = p.start_fake(name="fake-not-found")
        assert http(fake_nf + "/_control/graphql", method="POST",
                    data=json.dumps({"not_found": ["acme/widgets"]}).encode())[0] == 200
        nf, nf_log, nf_base = p.start_exporter(p.write_config(
            github_config(fake_nf, repos=REPOS, extra=WINDOW), name="not-found.toml"))
        m = first_poll(nf_base)
        assert value(m, "kpi_exporter_target_up", collector="github", target="acme/widgets") == 0
        assert value(m, "kpi_exporter_target_up", collector="github", target="acme/huge") == 1
        assert value(m, "github_repo_stars", repo="acme/huge") == 99000, "the other repository is fresh"
        assert ("github_repo_stars", frozenset({("repo", "acme/widgets")})) not in m, "never resolved: no values yet"
        assert not any(n.startswith("github_issue_first_response") and dict(l).get("repo") == "acme/widgets"
                       for n, l in m), "no complete lookup yet: no first-response series"
        assert ("github_issues_awaiting_response", frozenset({("repo", "acme/huge"), ("window", "100d")})) in m
        assert value(m, "kpi_exporter_collector_errors_total", collector="github", reason="not_found") >= 1
        assert "Could not resolve to a Repository with the name 'acme/widgets'" in open(nf_log).read()
        assert_fake_saw_no_problems(fake_nf)
        assert stop(nf) == 0

        # A query GitHub's schema refuses: 200 with errors and no data, as GitHub answers, and a problem.
        status, body = http(fake_nf + "/graphql", method="POST",
                            data=json.dumps({"query": "query { repository(owner: \"a\", name: \"b\") "
                                                      "{ issue(number: 1) { comments { nodez } } } }"}).encode())
        answer = json.loads(body)
        assert status == 200 and "data" not in answer and any("nodez" in e["message"] for e in answer["errors"]), body
        problems = json.loads(http(fake_nf + "/_control/problems")[1])
        assert problems and problems[0]["path"] == "/graphql"
    print("ok")


if __name__ == "__main__":
    main()
