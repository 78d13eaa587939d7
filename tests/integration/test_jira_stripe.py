#!/usr/bin/env python3
"""The real kpi_exporter against the fake Jira Cloud and Stripe on loopback:
exact values for the fixtures (pages, isLast, a missing resolution date; Stripe's
listings per status, paged items, tiers, discounts at every level, zero- and
three-decimal currencies, captured revenue, churn, MRR 30 days ago, ARPU and
paying customers, also with subscriptions started, trials ended and
subscriptions started and canceled inside the window), the query parameters the
fake upstream expects, auth as the APIs expect it, promtool check metrics, a
wrong key kept out of every output, and last values kept after a 401."""
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import (JIRA_TOKEN, STRIPE_KEY, Processes, assert_fake_saw_no_problems, http,  # noqa: E402
                     jira_stripe_config, parse_metrics, promtool_check, set_route, stop, value, wait_for)

DAY = 86400


def main():
    with Processes() as p:
        fake = p.start_fake()
        config = p.write_config(jira_stripe_config(fake))
        exporter, log, base = p.start_exporter(config, "--web.enable-lifecycle")
        wait_for(lambda: http(base + "/readyz")[0] == 200, what="/readyz")
        status, text = http(base + "/metrics")
        m = parse_metrics(text)
        assert value(m, "kpi_exporter_collector_up", collector="jira") == 1, open(log).read()
        assert value(m, "kpi_exporter_collector_up", collector="stripe") == 1, open(log).read()

        q = {"query": "support"}
        assert value(m, "jira_issues", **q) == 12
        res = "jira_issue_resolution_seconds"
        assert value(m, res + "_count", window="30d", **q) == 3
        assert value(m, res + "_sum", window="30d", **q) == 7200 + 86400 + 108000
        assert value(m, res, window="30d", quantile="0.5", **q) == 86400
        oldest = value(m, "jira_issues_oldest_open_age_seconds", **q)
        assert 3 * DAY <= oldest < 3 * DAY + 300, oldest
        # Two pages read whole (isLast on the second), so nothing was cut; the query is a healthy target.
        assert not any(v for (n, l), v in m.items() if n == "kpi_exporter_truncated_total" and ("collector", "jira") in l)
        assert value(m, "kpi_exporter_target_up", collector="jira", target="support") == 1
        # The count is a POST of the configured JQL without its ORDER BY (and, for the drill-down's
        # oldest_open total, of its open issues); the searches carry maxResults and fields, which the
        # fake checks (assert_fake_saw_no_problems below).
        seen = json.loads(http(fake + "/_control/requests")[1])
        counts = [json.loads(r["body"])["jql"] for r in seen if r["path"] == "/rest/api/3/search/approximate-count"]
        assert "project = SUP" in counts, counts
        assert set(counts) == {"project = SUP", "(project = SUP) AND resolution IS EMPTY"}, counts

        # Expected values are worked out by hand in tests/fixtures/generate.py's docstring.
        def close(got, want):
            assert abs(got - want) < 1e-9, (got, want)
        close(value(m, "stripe_mrr", currency="usd"), 113)
        close(value(m, "stripe_mrr", currency="jpy"), 1000)
        close(value(m, "stripe_mrr", currency="kwd"), 6.2)
        close(value(m, "stripe_mrr", currency="eur"), 70.2)
        for status, count in [("active", 6), ("past_due", 1), ("unpaid", 1), ("trialing", 1), ("paused", 0),
                              ("incomplete", 0)]:
            assert value(m, "stripe_subscriptions", status=status) == count, status
        assert ("stripe_subscriptions", frozenset({("status", "canceled")})) not in m
        assert value(m, "stripe_subscriptions_created", window="30d") == 2
        assert value(m, "stripe_subscriptions_created", window="1d") == 0
        assert value(m, "stripe_subscriptions_canceled", window="30d") == 1
        assert value(m, "stripe_subscriptions_canceled", window="1d") == 0
        assert value(m, "stripe_churn_ratio", window="30d") == 0.125
        assert value(m, "stripe_charges", status="failed", window="1d") == 1
        assert value(m, "stripe_charges", status="succeeded", window="1d") == 3
        assert value(m, "stripe_charges", status="succeeded", window="30d") == 5
        assert value(m, "stripe_revenue", currency="usd", window="1d") == 29
        assert value(m, "stripe_revenue", currency="usd", window="30d") == 529
        assert value(m, "stripe_revenue", currency="kwd", window="1d") == 2.5
        assert value(m, "stripe_revenue", currency="jpy", window="30d") == 1000
        # MRR 30 days ago, paying customers, ARPU (README "Stripe"): sub_e, canceled inside the window, paid then.
        for currency, prior, arpu in [("usd", 142, 28.25), ("jpy", 1000, 1000), ("kwd", 6.2, 6.2), ("eur", 70.2, 70.2)]:
            close(value(m, "stripe_mrr_prior", currency=currency, window="30d"), prior)
            close(value(m, "stripe_arpu", currency=currency), arpu)
        assert value(m, "stripe_customers_paying") == 7
        assert value(m, "stripe_malformed_objects", listing="subscriptions_active") == 0
        assert value(m, "kpi_exporter_target_up", collector="stripe", target="account") == 1
        assert not [key for key in m if key[0] == "kpi_exporter_truncated_total" and ("collector", "stripe") in key[1]]
        assert_fake_saw_no_problems(fake)
        promtool_check(text)

        def reload(text):
            with open(config, "w") as f:
                f.write(text)
            with urllib.request.urlopen(urllib.request.Request(base + "/-/reload", method="POST", data=b""),
                                        timeout=10) as r:
                assert r.status == 200

        # A cap that cuts the active listing: reported, and the series computed from it are left out (this
        # collector has no complete value of its own yet) rather than low; the other listings' series stay.
        reload(jira_stripe_config(fake).replace('mrr_discounts = "forever"', 'mrr_discounts = "forever"\nmax_pages = 1'))

        def truncated():
            s = parse_metrics(http(base + "/metrics")[1])
            key = ("kpi_exporter_truncated_total",
                   frozenset({("collector", "stripe"), ("target", "account"), ("what", "subscriptions_active")}))
            return s if s.get(key, 0) >= 1 else None
        m = wait_for(truncated, what="a truncated stripe listing")
        assert ("stripe_mrr", frozenset({("currency", "usd")})) not in m
        assert value(m, "stripe_subscriptions", status="past_due") == 1
        assert value(m, "kpi_exporter_target_up", collector="stripe", target="account") == 1
        reload(jira_stripe_config(fake))
        wait_for(lambda: ("stripe_mrr", frozenset({("currency", "usd")})) in parse_metrics(http(base + "/metrics")[1]),
                 what="MRR back without the cap")

        # SLAs per query: `sla` by created->resolved arithmetic on SUP, JSM's own verdicts by field name on DESK
        # (tests/fixtures/jira/sla_*.json, shaped like Atlassian's SlaInformation examples).
        reload(jira_stripe_config(fake).replace('jql = "project = SUP ORDER BY created DESC"\n',
                                                'jql = "project = SUP ORDER BY created DESC"\nsla = "24h"\n\n'
                                                '[[jira.queries]]\nname = "desk"\njql = "project = DESK"\n'
                                                'sla_field = "Time to resolution"\n'))

        def with_sla():
            s = parse_metrics(http(base + "/metrics")[1])
            key = ("jira_issues_open_breaching_sla", frozenset({("query", "desk")}))
            return s if key in s else None
        m = wait_for(with_sla, what="the Jira SLA series")
        # SUP resolved after 2h, 24h and 30h (the summary above): 2 of 3 within 24h; open past 24h: 3d and 25h.
        close(value(m, "jira_issues_resolved_within_sla_ratio", query="support", window="30d"), 2 / 3)
        assert value(m, "jira_issues_open_breaching_sla", query="support") == 2
        # DESK: met, breached (second cycle), no SLA (left out), met after 200h (paused): 2 of 3. Open: one
        # ongoing cycle breached, one not, one without a cycle.
        close(value(m, "jira_issues_resolved_within_sla_ratio", query="desk", window="30d"), 2 / 3)
        assert value(m, "jira_issues_open_breaching_sla", query="desk") == 1
        seen = json.loads(http(fake + "/_control/requests")[1])
        assert len([r for r in seen if r["path"] == "/rest/api/3/field"]) == 1, "the field id is looked up once"
        assert_fake_saw_no_problems(fake)
        reload(jira_stripe_config(fake))

        # A wrong Stripe key after a reload: unauthorized, the last values stay, the key shows nowhere.
        wrong_key = "sk_test_wrong_key_must_not_leak_42"
        reload(jira_stripe_config(fake).replace("${KPI_STRIPE_KEY}", wrong_key))

        def unauthorized():
            s = parse_metrics(http(base + "/metrics")[1])
            key = ("kpi_exporter_collector_errors_total", frozenset({("collector", "stripe"), ("reason", "unauthorized")}))
            return s if s.get(key, 0) >= 1 else None
        m = wait_for(unauthorized, what="a stripe 401")
        assert value(m, "stripe_mrr", currency="usd") == 113
        assert value(m, "kpi_exporter_collector_up", collector="stripe") == 0
        landing = http(base + "/")[1]
        assert "answered HTTP 401 (check the configured credentials)" in landing
        for name, body in [("metrics", http(base + "/metrics")[1]), ("landing", landing), ("log", open(log).read())]:
            # The Jira token also travels base64-encoded in the Basic header (base64 of
            # "demo@acme.test:jira-fixture-token"): that form must not leak either.
            for secret in (wrong_key, STRIPE_KEY, JIRA_TOKEN, "ZGVtb0BhY21lLnRlc3Q6amlyYS1maXh0dXJlLXRva2Vu"):
                assert secret not in body, f"a secret leaked into {name}"

        # The second account state (tests/fixtures/generate.py): subscriptions started, trials ended, and
        # subscriptions started and canceled inside the window; one customer with two subscriptions; a free plan.
        reload(jira_stripe_config(fake))
        set_route(fake, "stripe_subscriptions_active", [{"status": 200, "body_file": "stripe/window_active.json"}])
        set_route(fake, "stripe_subscriptions_canceled", [{"status": 200, "body_file": "stripe/window_canceled.json"}])

        def window_state():
            s = parse_metrics(http(base + "/metrics")[1])
            return s if s.get(("stripe_mrr", frozenset({("currency", "usd")}))) == 62 else None
        m = wait_for(window_state, what="the second Stripe state")
        close(value(m, "stripe_mrr_prior", currency="usd", window="30d"), 50)
        assert value(m, "stripe_customers_paying") == 4
        close(value(m, "stripe_arpu", currency="usd"), 15.5)
        for gone in ("jpy", "kwd", "eur"):  # nobody pays in these now, nor did then
            assert ("stripe_arpu", frozenset({("currency", gone)})) not in m
        assert_fake_saw_no_problems(fake)
        assert stop(exporter) == 0
    print("ok")


if __name__ == "__main__":
    main()
