#!/usr/bin/env python3
"""A fake upstream API server for tests and the offline demo.

It serves canned answers described by a routes file (JSON):

    [{"name": "repo",                      # optional; lets tests replace the route at run time
      "path": "/repos/acme/widgets",       # exact path
      "query": {"state": "open"},          # optional; each given parameter must match
      "responses": [                       # served in order; the last one repeats
        {"status": 500, "delay": 2},       # "delay": seconds to wait before answering
        {"status": 200, "etag": "\"v1\"", "headers": {"Link": "<{{base_url}}/x?page=2>; rel=\"next\""},
         "body_file": "github/repo.json"}  # or "body": <json> or "body_text": "..."
      ]}]

Bodies and headers are templates: {{ago:3d2h}} becomes the UTC timestamp that
long before the server started ("2026-01-01T10:00:00Z"), {{jira_ago:3d}} the
same in Jira's form ("2026-01-01T10:00:00.000+0000"), {{epoch_ago:2h}} and
{{epoch_in:1h}} Unix times before and after it, {{date_ago:3d}} a date
("2026-01-01"), {{base_url}} the server's own
http://host:port. POSTs to other paths than /_control are answered like GETs
(the body is recorded). With "etag" set, a request
whose If-None-Match matches gets a 304. A route with "auth" answers 401 unless
the Authorization header equals it.

A route may also check what it is sent, the way the real API would apply it:
"expect": {"since": "{{ago:30d}}", "per_page": "100"} answers 400 (and records
the problem) unless every listed query parameter is present with that value;
a time (ISO 8601 or Unix seconds) may be off by "tolerance" seconds (default
600, since the exporter polls a little after the server started), so a window
that is one day off is caught; "tolerance_earlier" allows a time further back
(a `since` rounded down to midnight asks for a superset, never for less).

GitHub GraphQL: POST /graphql (and GHES' /api/graphql) answers the
exporter's queries (collectors/github/graphql.h) from the same routes. Per
repository alias: its numbers from the route /repos/{owner}/{name} (its next
200 answer: a failure served before it is REST's, not the data's):
stargazerCount = stargazers_count, forkCount = forks_count,
watchers.totalCount = subscribers_count (REST's watchers_count is the star
count), defaultBranchRef.name = default_branch, defaultBranchRef.target.oid
= the SHA-1 of pushed_at (a push moves the head), primaryLanguage.name =
language (null when REST has none), isArchived = archived (false when
missing); issues(states: OPEN) and pullRequests(states: OPEN) { totalCount }
count the open items of /repos/{owner}/{name}/issues?state=open (all pages)
without and with "pull_request"; and issue(number:) aliases, whose comments
are those the REST route /repos/{owner}/{name}/issues/{number}/comments
serves (all pages), a bot (user.type "Bot") as author {__typename: "Bot",
login without "[bot]"}, a deleted account as author null. A repository
without a /repos/{owner}/{name} route, or one named in POST /_control/graphql
{"not_found": ["owner/name"]}, is NOT_FOUND (its alias null plus an error, as
GitHub answers); a field the fake cannot answer nulls its alias with an error.
Every query is first validated against GitHub's published schema
(tests/graphql/validate.mjs, one long-running node process); one that does not
validate gets GitHub's answer, HTTP 200 with "errors" and no "data", and is
recorded as a problem. rateLimit.cost is GitHub's formula for these shapes
(one request per connection, a totalCount-only one too, per repository and
issue asked, / 100, rounded, at least 1).

Control endpoints (for tests): POST /_control/routes with {"name": ..., "responses": [...]}
replaces a route's answers (and its "auth", when given); GET /_control/requests lists the requests seen;
GET /_control/problems lists every request an "expect" refused.

GitHub App mode (--github-app-id and --github-app-public-key) plays GitHub's
App auth in front of the routes: GET /orgs/{org}/installation and
/repos/{owner}/{repo}/installation answer installation 4242, and POST
/app/installations/4242/access_tokens issues a token that expires after
--github-app-token-lifetime seconds; both require an app JWT whose RS256
signature verifies with the public key and whose iat, exp and iss are what
GitHub accepts (a refused JWT is a problem too). Every other request (but
/_control) must then carry "Bearer <a live installation token>", else it gets
GitHub's 401. GET /_control/app tells what happened (tokens issued, refused
calls); POST /_control/app with {"token_lifetime": seconds} changes the
lifetime of tokens issued from then on; POST /_control/app/revoke revokes
every token issued so far.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text):
    parts = re.findall(r"(\d+)([smhdw])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"bad duration {text!r}")
    return sum(int(n) * UNITS[u] for n, u in parts)


class Routes:
    def __init__(self, fixtures_dir, routes_file):
        self.fixtures_dir = fixtures_dir
        self.lock = threading.Lock()
        with open(routes_file) as f:
            self.routes = json.load(f)
        for route in self.routes:
            route["served"] = 0
        self.requests = []
        self.problems = []

    def match(self, path, query):
        best = None
        for route in self.routes:
            if route["path"] != path:
                continue
            wanted = route.get("query", {})
            if all(query.get(k) == v for k, v in wanted.items()):
                if best is None or len(wanted) > len(best.get("query", {})):
                    best = route
        return best

    def next_response(self, route):
        with self.lock:
            responses = route["responses"]
            index = min(route["served"], len(responses) - 1)
            route["served"] += 1
            return responses[index]

    def replace(self, name, responses, auth=None):
        with self.lock:
            for route in self.routes:
                if route.get("name") == name:
                    route["responses"] = responses
                    route["served"] = 0
                    if auth is not None:
                        route["auth"] = auth
                    return True
        return False


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class GithubApp:
    """GitHub's App auth: verifies app JWTs, issues and checks installation tokens."""

    INSTALLATION_ID = 4242

    def __init__(self, app_id, public_key_file, token_lifetime):
        # Imported here so the fake needs python3-cryptography only in this mode.
        from cryptography.hazmat.primitives import serialization
        with open(public_key_file, "rb") as f:
            self.public_key = serialization.load_pem_public_key(f.read())
        self.app_id = app_id
        self.token_lifetime = token_lifetime
        self.lock = threading.Lock()
        self.tokens = {}  # token -> {"expires": epoch, "revoked": bool}
        self.jwts_verified = 0
        self.api_calls = 0
        self.refused = []  # {"path", "why"} for API calls with no live token

    def jwt_problem(self, authorization):
        """None when `authorization` is "Bearer <a JWT GitHub would accept>", else what is wrong."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        if not (authorization or "").startswith("Bearer "):
            return "no bearer JWT"
        parts = authorization[len("Bearer "):].split(".")
        if len(parts) != 3:
            return "not a compact JWT"
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except ValueError:
            return "JWT parts are not base64url JSON"
        if header.get("alg") != "RS256":
            return f"alg {header.get('alg')!r}, expected RS256"
        try:
            self.public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return "signature does not verify with the app's public key"
        now = time.time()
        iat, exp, iss = claims.get("iat"), claims.get("exp"), claims.get("iss")
        if not isinstance(iat, int) or not isinstance(exp, int):
            return f"iat and exp must be integers: {claims}"
        if str(iss) != str(self.app_id):
            return f"iss {iss!r}, expected the app id {self.app_id}"
        if iat > now + 1 or iat < now - 120:
            return f"iat {iat} is not around now ({int(now)})"
        if exp <= now or exp > now + 600:
            return f"exp {exp} is not within 10 minutes from now ({int(now)})"
        with self.lock:
            self.jwts_verified += 1
        return None

    def issue_token(self):
        token = "ghs_" + secrets.token_hex(18)
        expires = int(time.time()) + self.token_lifetime
        with self.lock:
            self.tokens[token] = {"expires": expires, "revoked": False}
        expires_at = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"token": token, "expires_at": expires_at, "permissions": {"metadata": "read", "issues": "read"},
                "repository_selection": "all"}

    def token_problem(self, authorization, path):
        """None when `authorization` carries a live installation token, else why not (also recorded)."""
        token = (authorization or "").removeprefix("Bearer ")
        with self.lock:
            known = self.tokens.get(token)
            why = ("not an issued token" if known is None else "revoked" if known["revoked"]
                   else "expired" if known["expires"] <= time.time() else None)
            if why:
                self.refused.append({"path": path, "why": why})
            else:
                self.api_calls += 1
        return why

    def revoke_all(self):
        with self.lock:
            for token in self.tokens.values():
                token["revoked"] = True

    def status(self):
        with self.lock:
            newest = list(self.tokens.values())[-1]["expires"] if self.tokens else 0
            return {"tokens": list(self.tokens), "jwts_verified": self.jwts_verified, "api_calls": self.api_calls,
                    "refused": list(self.refused), "newest_token_expires_in": newest - time.time()}


class GraphqlValidator:
    """One long-running node process that validates queries against GitHub's schema (tests/graphql)."""

    SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "graphql", "validate.mjs")

    def __init__(self):
        self.lock = threading.Lock()
        self.process = None

    def check(self, query):
        """{"errors": [...], "fields": [...]} for `query`."""
        import subprocess
        with self.lock:
            if self.process is None:
                modules = os.path.join(os.path.dirname(self.SCRIPT), "node_modules", "graphql")
                if not os.path.isdir(modules):
                    return {"errors": ["fake upstream: the GraphQL schema validator is not installed "
                                       "(run bash scripts/install-npm.sh tests/graphql)"], "fields": []}
                self.process = subprocess.Popen(["node", self.SCRIPT], stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE, text=True)
                ready = self.process.stdout.readline()
                if not ready.strip():
                    self.process = None
                    return {"errors": ["fake upstream: the GraphQL schema validator did not start"], "fields": []}
            self.process.stdin.write(json.dumps({"query": query}) + "\n")
            self.process.stdin.flush()
            return json.loads(self.process.stdout.readline())


def graphql_author(user):
    """A REST comment's user as GraphQL gives a comment's author: bots by type, login without "[bot]"."""
    if user is None:
        return None
    if user.get("type") == "Bot":
        return {"login": user["login"].removesuffix("[bot]"), "__typename": "Bot"}
    return {"login": user["login"], "__typename": "User"}


# A repository's numbers in GraphQL from its REST answer (/repos/{owner}/{name}). GraphQL's watchers
# are REST's subscribers: REST's watchers_count is the star count.
REPOSITORY_FIELDS = {
    "stargazerCount": lambda rest: rest["stargazers_count"],
    "forkCount": lambda rest: rest["forks_count"],
    "watchers": lambda rest: {"totalCount": rest["subscribers_count"]},
    "defaultBranchRef": lambda rest: {
        "name": rest["default_branch"],
        "target": {"oid": hashlib.sha1(str(rest.get("pushed_at")).encode()).hexdigest()},
    } if rest.get("default_branch") else None,
    "primaryLanguage": lambda rest: {"name": rest["language"]} if rest.get("language") else None,
    "isArchived": lambda rest: rest.get("archived", False),
}


def selected(value, fields):
    """An answer as the query selects it: the asked fields under their aliases (KeyError: one it lacks)."""
    if not fields or value is None:
        return value
    return {field["alias"]: selected(value[field["name"]], field["fields"]) for field in fields}


CONNECTIONS = ("comments", "watchers", "issues", "pullRequests")


def graphql_requests(fields):
    """GitHub's requests for a query's fields: one per connection, a totalCount-only one too (our connections'
    parents are single objects, never a page of them, so none is multiplied)."""
    return sum((field["name"] in CONNECTIONS) + graphql_requests(field["fields"]) for field in fields)


INSTALLATION_PATH = re.compile(r"^/(orgs/[^/]+|repos/[^/]+/[^/]+)/installation$")
ACCESS_TOKENS_PATH = re.compile(r"^/app/installations/(\d+)/access_tokens$")


def as_epoch(text):
    """Unix seconds of an ISO 8601 UTC time or an integer, else None."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-upstream/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_upstream: " + (fmt % args) + "\n")

    def render(self, text):
        started = self.server.started

        def ago(m):
            return (started - datetime.timedelta(seconds=parse_duration(m.group(1)))).strftime("%Y-%m-%dT%H:%M:%SZ")

        def jira_ago(m):
            moment = started - datetime.timedelta(seconds=parse_duration(m.group(1)))
            return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")

        text = re.sub(r"\{\{ago:([0-9smhdw]+)\}\}", ago, text)
        text = re.sub(r"\{\{jira_ago:([0-9smhdw]+)\}\}", jira_ago, text)
        text = re.sub(r"\{\{date_ago:([0-9smhdw]+)\}\}",
                      lambda m: (started - datetime.timedelta(seconds=parse_duration(m.group(1)))).strftime("%Y-%m-%d"),
                      text)
        text = re.sub(r"\{\{epoch_ago:([0-9smhdw]+)\}\}",
                      lambda m: str(int(started.timestamp()) - parse_duration(m.group(1))), text)
        text = re.sub(r"\{\{epoch_in:([0-9smhdw]+)\}\}",
                      lambda m: str(int(started.timestamp()) + parse_duration(m.group(1))), text)
        return text.replace("{{base_url}}", self.server.base_url)

    def send(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self, body=None):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        routes = self.server.routes
        if url.path == "/_control/app" and self.server.github_app:
            return self.send_json(200, self.server.github_app.status())
        if url.path in ("/_control/requests", "/_control/problems"):
            with routes.lock:
                body = json.dumps(routes.requests if url.path.endswith("requests") else routes.problems).encode()
            return self.send(200, body, {"Content-Type": "application/json"})
        with routes.lock:
            routes.requests.append({"method": self.command, "path": url.path, "query": query, "body": body,
                                    "authorization": self.headers.get("Authorization"),
                                    "if_none_match": self.headers.get("If-None-Match")})
        if self.server.github_app and self.answer_as_github_app(url.path):
            return
        if self.command == "POST" and url.path in ("/graphql", "/api/graphql"):
            return self.answer_graphql(body)
        route = routes.match(url.path, query)
        if route is None:
            return self.send(404, b'{"message": "Not Found"}', {"Content-Type": "application/json"})
        if "auth" in route and self.headers.get("Authorization") != route["auth"]:
            return self.send(401, b'{"message": "Bad credentials"}', {"Content-Type": "application/json"})
        problems = self.check_expectations(route, query)
        if problems:
            with routes.lock:
                routes.problems.append({"path": url.path, "query": query, "problems": problems})
            message = "fake upstream refused the request: " + "; ".join(problems)
            return self.send(400, json.dumps({"message": message}).encode(), {"Content-Type": "application/json"})
        response = routes.next_response(route)
        if response.get("delay"):  # seconds: a slow upstream
            time.sleep(float(response["delay"]))
        headers = {"Content-Type": "application/json; charset=utf-8"}
        headers.update({k: self.render(v) for k, v in response.get("headers", {}).items()})
        etag = response.get("etag")
        if etag:
            headers["ETag"] = etag
            if self.headers.get("If-None-Match") == etag:
                return self.send(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
        self.send(response.get("status", 200), self.body_of(response).encode(), headers)

    do_HEAD = do_GET

    def send_json(self, status, payload):
        self.send(status, json.dumps(payload).encode(), {"Content-Type": "application/json; charset=utf-8"})

    def answer_as_github_app(self, path):
        """GitHub App mode: answers App endpoints and refused credentials; False lets the routes answer."""
        app = self.server.github_app
        authorization = self.headers.get("Authorization")
        lookup, exchange = INSTALLATION_PATH.match(path), ACCESS_TOKENS_PATH.match(path)
        if lookup or exchange:
            problem = app.jwt_problem(authorization)
            if exchange and (self.command != "POST" or int(exchange.group(1)) != app.INSTALLATION_ID):
                problem = problem or f"{self.command} for installation {exchange.group(1)}"
            if problem:
                with self.server.routes.lock:
                    self.server.routes.problems.append({"path": path, "query": {}, "problems": [problem]})
                self.send_json(401, {"message": "A JSON web token could not be decoded"})
            elif lookup:
                self.send_json(200, {"id": app.INSTALLATION_ID, "account": {"login": lookup.group(1).split("/")[1]},
                                     "app_id": app.app_id})
            else:
                self.send_json(201, app.issue_token())
            return True
        if app.token_problem(authorization, path):
            self.send_json(401, {"message": "Bad credentials"})
            return True
        return False

    def body_of(self, response):
        """A response's body as served: its body_file, body or body_text, rendered."""
        if "body_file" in response:
            with open(os.path.join(self.server.routes.fixtures_dir, response["body_file"])) as f:
                return self.render(f.read())
        if "body" in response:
            return self.render(json.dumps(response["body"]))
        return self.render(response.get("body_text", ""))

    def rest_answer(self, route):
        """(body as JSON, Link header) of the route's next 200 answer, (None, "") when it has none.

        A failure served before it (the 500 that tests REST's retries) is REST's, not the data's."""
        responses = route["responses"]
        for response in responses[min(route["served"], len(responses) - 1):]:
            if response.get("status", 200) == 200:
                try:
                    return json.loads(self.body_of(response)), response.get("headers", {}).get("Link", "")
                except ValueError:
                    return None, ""
        return None, ""

    def rest_listing(self, path, query):
        """Every item the REST listing at path?query serves (all pages), None when it has no route."""
        items, page = [], 1
        while True:
            route = self.server.routes.match(path, query if page == 1 else {**query, "page": str(page)})
            if route is None or (page > 1 and route.get("query", {}).get("page") != str(page)):
                return items if page > 1 else None
            body, link = self.rest_answer(route)
            items += body if isinstance(body, list) else []
            if 'rel="next"' not in link:
                return items
            page += 1

    def graphql_repository(self, owner, name, fields):
        """(answer, None) for a repository's fields, from its REST routes; (None, message) for what it cannot answer."""
        rest, _ = self.rest_answer(self.server.routes.match(f"/repos/{owner}/{name}", {}))
        if not isinstance(rest, dict):
            return None, f"fake upstream: /repos/{owner}/{name} serves no 200 JSON answer"
        answer = {}
        for field in fields:
            kind, alias = field["name"], field["alias"]
            try:
                if kind == "issue":
                    answer[alias] = self.graphql_issue(owner, name, field)
                elif kind in REPOSITORY_FIELDS:
                    answer[alias] = selected(REPOSITORY_FIELDS[kind](rest), field["fields"])
                elif kind in ("issues", "pullRequests") and field["args"].get("states") == "OPEN":
                    # Open issues and open pull requests: REST's open issue listing, told apart by "pull_request".
                    listing = self.rest_listing(f"/repos/{owner}/{name}/issues", {"state": "open"}) or []
                    count = sum(("pull_request" in item) == (kind == "pullRequests") for item in listing)
                    answer[alias] = selected({"totalCount": count}, field["fields"])
                else:
                    return None, f"fake upstream answers no repository {kind}{field['args'] or ''}"
            except KeyError as missing:  # a field the REST answer or the fake lacks
                return None, f"fake upstream cannot answer {kind}: no {missing}"
        return answer, None

    def graphql_issue(self, owner, name, issue):
        """An issue alias: its comments connections, the comments its REST route serves."""
        comments = self.rest_listing(f"/repos/{owner}/{name}/issues/{issue['args']['number']}/comments", {}) or []
        answer = {}
        for connection in issue["fields"]:  # comments(first:, after:)
            first = int(connection["args"]["first"])
            start = int(base64.b64decode(connection["args"]["after"]).decode().split(":")[1]) + 1 \
                if connection["args"].get("after") else 0
            page = comments[start:start + first]
            end = start + len(page) - 1
            answer[connection["alias"]] = {
                "totalCount": len(comments),
                "pageInfo": {"hasNextPage": start + first < len(comments),
                             "endCursor": base64.b64encode(f"cursor:{end}".encode()).decode() if page else None},
                "nodes": [{"createdAt": c["created_at"], "author": graphql_author(c.get("user"))} for c in page],
            }
        return answer

    def answer_graphql(self, body):
        try:
            query = json.loads(body or "{}").get("query", "")
        except ValueError:
            return self.send_json(400, {"message": "Problems parsing JSON"})
        checked = self.server.graphql_validator.check(query)
        if checked["errors"]:
            with self.server.routes.lock:
                self.server.routes.problems.append({"path": "/graphql", "query": {}, "problems": checked["errors"]})
            return self.send_json(200, {"errors": [{"message": m} for m in checked["errors"]]})
        data, errors = {}, []
        for field in checked["fields"]:
            if field["name"] == "rateLimit":
                continue
            if field["name"] != "repository":
                data[field["alias"]] = None
                errors.append({"message": f"fake upstream answers no {field['name']}", "path": [field["alias"]]})
                continue
            owner, name = field["args"]["owner"], field["args"]["name"]
            if (self.server.routes.match(f"/repos/{owner}/{name}", {}) is None
                    or f"{owner}/{name}" in self.server.graphql_not_found):
                data[field["alias"]] = None
                errors.append({"type": "NOT_FOUND", "path": [field["alias"]], "locations": [],
                               "message": f"Could not resolve to a Repository with the name '{owner}/{name}'."})
                continue
            repository, problem = self.graphql_repository(owner, name, field["fields"])
            if problem:
                errors.append({"message": problem, "path": [field["alias"]]})
            data[field["alias"]] = repository
        cost = max(1, int(graphql_requests(checked["fields"]) / 100 + 0.5))
        data["rateLimit"] = {"cost": cost, "remaining": 5000 - cost, "resetAt": "2030-01-01T00:00:00Z",
                             "limit": 5000, "used": cost}
        answer = {"data": data}
        if errors:
            answer["errors"] = errors
        self.send_json(200, answer)

    def check_expectations(self, route, query):
        problems = []
        tolerance = route.get("tolerance", 600)
        # A `since` may lie further back (a superset the exporter filters) than ahead.
        earlier = route.get("tolerance_earlier", tolerance)
        for name, wanted in route.get("expect", {}).items():
            want = self.render(wanted)
            got = query.get(name)
            if got == want:
                continue
            if got is not None:
                g, w = as_epoch(got), as_epoch(want)
                if g is not None and w is not None and -earlier <= g - w <= tolerance:
                    continue
            problems.append(f"{name}={got!r}, expected {want!r}")
        return problems

    def do_POST(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if url.path == "/_control/routes":
            payload = json.loads(raw or b"{}")
            ok = self.server.routes.replace(payload["name"], payload["responses"], payload.get("auth"))
            return self.send(200 if ok else 404, b"ok\n" if ok else b"no such route\n")
        if url.path == "/_control/graphql":
            self.server.graphql_not_found = set(json.loads(raw).get("not_found", []))
            return self.send(200, b"ok\n")
        if url.path == "/_control/app/revoke" and self.server.github_app:
            self.server.github_app.revoke_all()
            return self.send(200, b"ok\n")
        if url.path == "/_control/app" and self.server.github_app:
            self.server.github_app.token_lifetime = int(json.loads(raw)["token_lifetime"])
            return self.send(200, b"ok\n")
        self.do_GET(body=raw.decode(errors="replace"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", required=True, help="directory the routes' body_file paths are relative to")
    parser.add_argument("--routes", help="routes file (default: <fixtures>/routes.json)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--github-app-id", type=int, help="GitHub App mode: the app id JWTs must be issued by")
    parser.add_argument("--github-app-public-key", help="GitHub App mode: PEM public key that verifies app JWTs")
    parser.add_argument("--github-app-token-lifetime", type=int, default=3600,
                        help="seconds an installation token lives (GitHub: 3600)")
    args = parser.parse_args()

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.routes = Routes(args.fixtures, args.routes or os.path.join(args.fixtures, "routes.json"))
    server.started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    port = server.server_address[1]
    server.base_url = f"http://{args.host}:{port}"
    server.verbose = args.verbose
    server.github_app = None
    server.graphql_validator = GraphqlValidator()
    server.graphql_not_found = set()
    if args.github_app_id is not None:
        server.github_app = GithubApp(args.github_app_id, args.github_app_public_key, args.github_app_token_lifetime)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"fake upstream listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
