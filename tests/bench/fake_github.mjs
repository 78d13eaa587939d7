#!/usr/bin/env node
// A fake GitHub for the benchmark (tests/bench/bench.py): one organisation of
// N synthetic repositories with the shape of a mid-size project, answered the
// way GitHub answers and charged the way GitHub charges.
//
// Each repository (owner "bench", names r0000, r0001, ...):
//   60 open issues: 20 opened in the last 30 days with comments, 40 older
//     ones without; 15 open pull requests; 20 closed issues opened in the
//     last 30 days with comments (40 recent issues with comments in all);
//   comments: for recent issue k, k % 4 == 0 only the author commented (still
//     awaiting a response), k % 4 == 1 a bot answered after 1h and a person
//     after 2h + k h, otherwise a person after 1h + k h;
//   25 contributors; 2 active workflows with 30 completed push runs each;
//   20 closed pull requests merged in the last 30 days.
// POST /_control/change {"count": K} changes the next K repositories in turn:
// each gets one more star and a new issue opened now, without comments.
//
// Charging (GitHub's documented primary limits): every REST answer but a 304
// and /rate_limit costs 1 point of the "core" bucket; an empty bucket answers
// 403 with x-ratelimit-remaining: 0 until it resets. Every answer carries the
// x-ratelimit-* headers. The secondary limits hold too: more than 900 REST
// requests in 60 s (304s included) or more than 100 at once answer 403
// "You have exceeded a secondary rate limit" with retry-after: 60 (counted in
// stats.secondary_limited); --rest-per-minute=N sets the REST one (0: none, as
// on a GitHub Enterprise Server with its rate limits off, its default).
// --latency-ms delays every answer.
//
// POST /graphql: GitHub's GraphQL API over the same data (repository(owner,
// name) { stargazerCount forkCount watchers defaultBranchRef primaryLanguage
// isArchived issues/pullRequests(states: OPEN) { totalCount } issue(number) {
// comments(first/after) { ... author { login __typename } } } } and
// rateLimit: what the REST routes answer), validated against GitHub's published
// schema (github_graphql.mjs; tests/graphql holds the npm packages). Its own
// "graphql" bucket (--graphql-limit, 5000 points an hour): a query costs what
// GitHub's documented formula gives (requests its connections need when
// filled to first/last, / 100, rounded, at least 1); an invalid query, more
// than 100 a page or 500 000 nodes answer 200 with {"errors": [...]} and cost
// nothing (counted in stats.graphql.invalid); a query the bucket can no longer
// pay answers 200 {"errors": [{"type": "RATE_LIMITED", ...}]}. Secondary: more
// than 2000 GraphQL points a minute (1 per query without mutations) answer 403
// "secondary rate limit" like REST; the 100 at once are shared with REST.
//
// GET /_control/stats: points spent per bucket, requests, 304s, per route,
// GraphQL queries (invalid, rate-limited) and the errors of the last refused one.
// POST /_control/reset-stats zeroes them. GET /_control/expected?repo=bench/r0001
// (or without repo: every repository) gives the values the exporter must
// report, computed here from the same data by the README's definitions.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { checkQuery, errorJson, runQuery } from './github_graphql.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? 'true'];
}));
const REPOS = Number(args.repos ?? 1000);
const LATENCY_MS = Number(args['latency-ms'] ?? 0);
const CORE_LIMIT = Number(args['core-limit'] ?? 5000);
const GRAPHQL_LIMIT = Number(args['graphql-limit'] ?? 5000);
const OWNER = 'bench';
const HOUR = 3600, DAY = 86400;
const START = Math.floor(Date.now() / 1000);

const iso = (t) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const name = (i) => `r${String(i).padStart(4, '0')}`;

// --- the data -------------------------------------------------------------
const repos = [];
for (let i = 0; i < REPOS; ++i) repos.push({ index: i, id: 100000 + i, stars: 100 + (i % 500), added: [] });
let changeCursor = 0;

function issuesOf(repo) {
  const out = [];
  const user = (login, type = 'User') => ({ login, id: login.length * 7919, type });
  for (let k = 1; k <= 40; ++k) {  // opened in the window, with comments
    const created = START - (k * 17 * HOUR + 3600);  // 18h .. 29 days ago
    out.push({ number: k, state: k <= 20 ? 'open' : 'closed', created, updated: created + 3 * HOUR,
      user: user('reporter'), labels: k % 3 === 0 ? [{ name: 'bug' }] : [], comments: k % 4 === 1 ? 2 : 1 });
  }
  for (let k = 41; k <= 80; ++k) {  // older, open, never commented
    const created = START - (31 + k * 3) * DAY;
    out.push({ number: k, state: 'open', created, updated: created, user: user('reporter'), labels: [], comments: 0 });
  }
  for (let k = 81; k <= 95; ++k) {  // open pull requests
    const created = START - k * HOUR;
    out.push({ number: k, state: 'open', created, updated: created, user: user('dev'), labels: [], comments: 0, pr: true });
  }
  for (const added of repo.added) {
    out.push({ number: added.number, state: 'open', created: added.created, updated: added.created,
      user: user('newcomer'), labels: [{ name: 'bug' }], comments: 0 });
  }
  return out;
}

// Comment timeline of a recent issue, oldest first.
function commentsOf(issue) {
  const k = issue.number;
  const at = (h) => iso(issue.created + h * HOUR);
  const author = { login: 'reporter', id: 1, type: 'User' };
  if (k % 4 === 0) return [{ id: k * 10, user: author, created_at: at(1), body: 'any news?' }];
  if (k % 4 === 1) {
    return [{ id: k * 10, user: { login: 'helper-bot[bot]', id: 2, type: 'Bot' }, created_at: at(1), body: 'thanks' },
      { id: k * 10 + 1, user: { login: 'maintainer', id: 3, type: 'User' }, created_at: at(2 + k), body: 'looking' }];
  }
  return [{ id: k * 10, user: { login: 'maintainer', id: 3, type: 'User' }, created_at: at(1 + k), body: 'looking' }];
}

// What both APIs serve as an issue's comments.
const commentListOf = (issue) => (issue.comments ? commentsOf(issue) : []);

function firstResponseSeconds(issue) {
  const c = commentListOf(issue).find((c) => c.user.type !== 'Bot' && c.user.login !== issue.user.login);
  return c ? Date.parse(c.created_at) / 1000 - issue.created : null;
}

function runsOf(repo, workflow) {
  const out = [];
  for (let n = 0; n < 30; ++n) {
    const started = START - (n + 1) * 3 * HOUR;
    const failing = (n % 7 === 3) || (workflow === 2 && repo.index % 10 === 0 && n === 0);
    out.push({ id: repo.id * 1000 + workflow * 100 + n, name: workflow === 1 ? 'CI' : 'Release', event: 'push',
      status: 'completed', conclusion: failing ? 'failure' : 'success', head_branch: 'main',
      created_at: iso(started), run_started_at: iso(started), updated_at: iso(started + 600),
      head_repository: { id: repo.id, full_name: `${OWNER}/${name(repo.index)}` },
      repository: { id: repo.id, full_name: `${OWNER}/${name(repo.index)}` } });
  }
  return out;
}

function pullsOf(repo) {
  const out = [];
  for (let n = 0; n < 20; ++n) {
    const merged = START - (n + 1) * DAY;
    out.push({ number: 200 + n, state: 'closed', created_at: iso(merged - ((n % 5) + 1) * 6 * HOUR),
      updated_at: iso(merged + 60), merged_at: iso(merged), closed_at: iso(merged), user: { login: 'dev', type: 'User' } });
  }
  return out;
}

function expected(repo) {
  const now = Math.floor(Date.now() / 1000);
  const issues = issuesOf(repo).filter((i) => !i.pr);
  const open = issues.filter((i) => i.state === 'open');
  const recent = issues.filter((i) => i.created >= now - 30 * DAY);
  const responses = recent.map(firstResponseSeconds).filter((s) => s !== null);
  // awaiting_response_window, 30 days by default: only issues opened in it are counted.
  const awaiting = open.filter((i) => i.created >= now - 30 * DAY && firstResponseSeconds(i) === null);
  return {
    github_repo_stars: repo.stars,
    github_repo_open_issues: open.length,
    github_repo_open_pull_requests: 15,
    github_repo_contributors: 25,
    github_issues_awaiting_response: awaiting.length,
    github_issues_opened_30d: recent.length,
    github_issue_first_response_seconds_count: responses.length,
    github_issue_first_response_seconds_sum: responses.reduce((a, b) => a + b, 0),
    github_pull_request_merge_lead_time_seconds_count: 20,
  };
}

// --- charging -------------------------------------------------------------
const newStats = () => ({ points: { core: 0, graphql: 0 }, requests: 0, not_modified: 0, secondary_limited: 0, routes: {},
  graphql: { queries: 0, invalid: 0, rate_limited: 0 }, graphql_last_refused: null });
let stats = newStats();
// Secondary limits: points per endpoint kind in the last minute (REST: 1 a
// request; GraphQL: 1 a query), and requests in flight (shared).
const SECONDARY_PER_MINUTE = { rest: Number(args['rest-per-minute'] ?? 900), graphql: 2000 };
const recent = { rest: [], graphql: [] };  // times (ms) of the last minute's requests
let inFlight = 0;
function secondaryLimited(kind) {
  const now = Date.now();
  const times = recent[kind];
  while (times.length && times[0] <= now - 60000) times.shift();
  const limit = SECONDARY_PER_MINUTE[kind];
  if ((limit > 0 && times.length >= limit) || inFlight > 100) return true;
  times.push(now);
  return false;
}
const buckets = { core: { limit: CORE_LIMIT, used: 0, reset: START + HOUR },
  graphql: { limit: GRAPHQL_LIMIT, used: 0, reset: START + HOUR } };
function bucketNow(resource) {
  const bucket = buckets[resource];
  const now = Math.floor(Date.now() / 1000);
  if (now >= bucket.reset) { bucket.used = 0; bucket.reset = now + HOUR; }
  return { limit: bucket.limit, remaining: Math.max(0, bucket.limit - bucket.used), used: bucket.used, reset: bucket.reset };
}
function rateHeaders(resource = 'core') {
  const b = bucketNow(resource);
  return { 'x-ratelimit-limit': String(b.limit), 'x-ratelimit-remaining': String(b.remaining),
    'x-ratelimit-used': String(b.used), 'x-ratelimit-reset': String(b.reset), 'x-ratelimit-resource': resource };
}

// --- routing --------------------------------------------------------------
function link(base, url, page, last) {
  if (page >= last) return {};
  const next = new URL(url, base); next.searchParams.set('page', String(page + 1));
  const lastUrl = new URL(url, base); lastUrl.searchParams.set('page', String(last));
  return { link: `<${next}>; rel="next", <${lastUrl}>; rel="last"` };
}

function pageOf(items, url, base) {
  const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  return { body: items.slice((page - 1) * perPage, page * perPage), headers: link(base, url.pathname + url.search, page, last) };
}

function issueJson(repo, i) {
  const j = { url: `/repos/${OWNER}/${name(repo.index)}/issues/${i.number}`, number: i.number, title: `Issue ${i.number}`,
    state: i.state, user: i.user, labels: i.labels, comments: i.comments, created_at: iso(i.created), updated_at: iso(i.updated) };
  if (i.pr) j.pull_request = { url: `/repos/${OWNER}/${name(repo.index)}/pulls/${i.number}` };
  return j;
}

// /repos/{owner}/{name}, the numbers GraphQL answers too (github_graphql.mjs).
function repoJson(repo) {
  const open = issuesOf(repo).filter((i) => i.state === 'open').length;
  return { id: repo.id, name: name(repo.index), full_name: `${OWNER}/${name(repo.index)}`,
    stargazers_count: repo.stars, forks_count: 12, subscribers_count: 9, open_issues_count: open,
    default_branch: 'main', language: 'C++', archived: false };
}

// /issues?state=...&since=... (all pages), newest created first as GitHub's default.
function issueListing(repo, state, since) {
  let items = issuesOf(repo).filter((i) => state === 'all' || i.state === state);
  if (since) items = items.filter((i) => i.updated >= since);
  return items.sort((a, b) => b.created - a.created).map((i) => issueJson(repo, i));
}

// Returns {route, body, headers} or {status} for one GET.
function answer(url, base) {
  const p = url.pathname;
  if (p === '/rate_limit') {
    const core = bucketNow('core');
    return { route: 'rate_limit', free: true, body: { resources: { core, graphql: bucketNow('graphql') }, rate: core } };
  }
  if (p === `/orgs/${OWNER}/repos`) {
    const all = repos.map((r) => ({ id: r.id, name: name(r.index), full_name: `${OWNER}/${name(r.index)}`, archived: false }));
    return { route: 'org_repos', ...pageOf(all, url, base), version: 'org' };
  }
  const m = p.match(/^\/repos\/bench\/r(\d{4})(\/.*)?$/);
  if (!m || Number(m[1]) >= REPOS) return { status: 404 };
  const repo = repos[Number(m[1])];
  const rest = m[2] ?? '';
  const version = `${repo.stars}`;
  if (rest === '') return { route: 'repo', version, body: repoJson(repo) };
  if (rest === '/issues') {
    const since = url.searchParams.get('since');
    const items = issueListing(repo, url.searchParams.get('state') ?? 'open', since && Date.parse(since) / 1000);
    return { route: since ? 'issues_since' : 'issues', version, ...pageOf(items, url, base) };
  }
  let c = rest.match(/^\/issues\/(\d+)\/comments$/);
  if (c) {
    const issue = issuesOf(repo).find((i) => i.number === Number(c[1]));
    if (!issue) return { status: 404 };
    return { route: 'comments', version, ...pageOf(commentListOf(issue), url, base) };
  }
  if (rest === '/contributors') {
    const all = Array.from({ length: 25 }, (_, k) => ({ login: `dev${k}`, id: k, type: 'User', contributions: 100 - k }));
    return { route: 'contributors', version: 'c', ...pageOf(all, url, base) };
  }
  if (rest === '/actions/workflows') {
    return { route: 'workflows', version: 'w', body: { total_count: 2, workflows: [1, 2].map((w) => ({
      id: repo.id * 10 + w, name: w === 1 ? 'CI' : 'Release', path: `.github/workflows/${w === 1 ? 'ci' : 'release'}.yml`,
      state: 'active' })) } };
  }
  c = rest.match(/^\/actions\/workflows\/(\d+)\/runs$/);
  if (c) {
    const w = Number(c[1]) - repo.id * 10;
    if (w !== 1 && w !== 2) return { status: 404 };
    const runs = runsOf(repo, w);
    const page = pageOf(runs, url, base);
    return { route: 'runs', version: 'r', body: { total_count: runs.length, workflow_runs: page.body }, headers: page.headers };
  }
  if (rest === '/pulls') {
    // state=open: the open pull requests the issue listing holds (the exporter counts them for a large repository).
    if ((url.searchParams.get('state') ?? 'open') === 'open') {
      const open = issuesOf(repo).filter((i) => i.pr && i.state === 'open').sort((a, b) => b.created - a.created)
        .map((i) => ({ number: i.number, state: 'open', created_at: iso(i.created), updated_at: iso(i.updated), user: i.user }));
      return { route: 'pulls', version, ...pageOf(open, url, base) };
    }
    return { route: 'pulls', version: 'p', ...pageOf(pullsOf(repo), url, base) };
  }
  return { status: 404 };
}

function send(res, status, headers, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function control(req, res, url, body) {
  if (url.pathname === '/_control/stats') return send(res, 200, {}, stats);
  if (url.pathname === '/_control/reset-stats') {
    stats = newStats();
    for (const bucket of Object.values(buckets)) bucket.used = 0;
    return send(res, 200, {}, stats);
  }
  if (url.pathname === '/_control/change') {
    const count = Number(JSON.parse(body || '{}').count ?? 0);
    const changed = [];
    for (let n = 0; n < count && REPOS > 0; ++n) {
      const repo = repos[changeCursor++ % REPOS];
      repo.stars += 1;
      repo.added.push({ number: 1000 + repo.added.length, created: Math.floor(Date.now() / 1000) });
      changed.push(`${OWNER}/${name(repo.index)}`);
    }
    return send(res, 200, {}, { changed });
  }
  if (url.pathname === '/_control/expected') {
    const one = url.searchParams.get('repo');
    const out = {};
    for (const r of repos) {
      const full = `${OWNER}/${name(r.index)}`;
      if (!one || one === full) out[full] = expected(r);
    }
    return send(res, 200, {}, out);
  }
  return send(res, 404, {}, { message: 'Not Found' });
}

function sendSecondaryLimited(res, resource, documentation) {
  ++stats.secondary_limited;
  return send(res, 403, { ...rateHeaders(resource), 'retry-after': '60' },
    { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      documentation_url: documentation });
}

function answerRest(req, res, url, base) {
  if (url.pathname !== '/rate_limit' && secondaryLimited('rest')) {
    return sendSecondaryLimited(res, 'core', 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits');
  }
  const a = answer(url, base);
  const headers = { ...rateHeaders(), ...(a.headers ?? {}) };
  if (a.status) {
    // GitHub charges every answer but a 304 (and /rate_limit), a 404 included.
    ++buckets.core.used; ++stats.points.core;
    return send(res, a.status, { ...headers, ...rateHeaders() }, { message: 'Not Found' });
  }
  const text = JSON.stringify(a.body);
  const etag = `"${crypto.createHash('sha1').update(url.pathname + url.search + '\n' + a.version + '\n' + text).digest('hex').slice(0, 16)}"`;
  stats.routes[a.route] = (stats.routes[a.route] ?? 0) + 1;
  if (req.headers['if-none-match'] === etag) {
    ++stats.not_modified;
    return send(res, 304, { ...headers, etag });
  }
  if (!a.free) {
    if (bucketNow('core').remaining === 0) {
      return send(res, 403, rateHeaders(),
        { message: 'API rate limit exceeded', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' });
    }
    ++buckets.core.used; ++stats.points.core;
  }
  return send(res, 200, { ...headers, ...rateHeaders(), etag }, a.body);
}

// The same repositories and issues as the REST routes, for github_graphql.mjs.
const graphqlData = {
  repository(owner, repoName) {
    const m = owner === OWNER && repoName.match(/^r(\d{4})$/);
    if (!m || Number(m[1]) >= REPOS) return null;
    const repo = repos[Number(m[1])];
    return {
      rest: repoJson(repo),
      openListing: () => issueListing(repo, 'open'),
      issue: (number) => {  // pull requests are not issues in GraphQL
        const issue = issuesOf(repo).find((i) => i.number === number && !i.pr);
        return issue ? { ...issue, comments: commentListOf(issue) } : null;
      },
    };
  },
};

async function answerGraphql(res, body) {
  if (secondaryLimited('graphql')) {
    return sendSecondaryLimited(res, 'graphql', 'https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#secondary-rate-limits');
  }
  stats.routes.graphql = (stats.routes.graphql ?? 0) + 1;
  let request;
  try {
    request = JSON.parse(body);
  } catch {
    return send(res, 400, rateHeaders('graphql'), { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/graphql' });
  }
  ++stats.graphql.queries;
  const checked = checkQuery(request);
  if (checked.errors) {
    ++stats.graphql.invalid;
    stats.graphql_last_refused = checked.errors.map(errorJson);
    return send(res, 200, rateHeaders('graphql'), { errors: stats.graphql_last_refused });
  }
  const cost = checked.limits.cost;
  if (bucketNow('graphql').remaining < cost) {
    ++stats.graphql.rate_limited;
    stats.graphql_last_refused = [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 1.' }];
    return send(res, 200, rateHeaders('graphql'), { errors: stats.graphql_last_refused });
  }
  buckets.graphql.used += cost;
  stats.points.graphql += cost;
  const b = bucketNow('graphql');
  const rateLimit = { cost, limit: b.limit, remaining: b.remaining, used: b.used, resetAt: iso(b.reset), nodeCount: checked.limits.nodes };
  return send(res, 200, rateHeaders('graphql'), await runQuery(checked.document, request, graphqlData, rateLimit));
}

const server = http.createServer({ keepAliveTimeout: 30000 }, (req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const base = `http://${req.headers.host}`;
    const url = new URL(req.url, base);
    if (url.pathname.startsWith('/_control/')) return control(req, res, url, body);
    ++inFlight;
    res.on('finish', () => { --inFlight; });
    setTimeout(() => {
      ++stats.requests;
      if (req.method === 'POST' && url.pathname === '/graphql') {
        answerGraphql(res, body).catch((error) => send(res, 500, {}, { message: String(error) }));
        return;
      }
      answerRest(req, res, url, base);
    }, LATENCY_MS);
  });
});
server.listen(Number(args.port ?? 0), '127.0.0.1', () => {
  const port = server.address().port;
  if (args['port-file']) fs.writeFileSync(args['port-file'], String(port));
  console.log(`fake GitHub: ${REPOS} repositories on http://127.0.0.1:${port}`);
});
