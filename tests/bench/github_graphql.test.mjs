// Self-checks of the fake GitHub's GraphQL (github_graphql.mjs) against the
// worked examples of GitHub's "Rate limits and query limits for the GraphQL
// API". Run: node --test tests/bench/ (after scripts/install-npm.sh tests/graphql).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import test from 'node:test';
import { checkQuery, headOf, runQuery } from './github_graphql.mjs';

const limitsOf = (query) => {
  const checked = checkQuery({ query });
  assert.equal(checked.errors, undefined, checked.errors?.map((e) => e.message).join('; '));
  return checked.limits;
};
const errorTypes = (query) => (checkQuery({ query }).errors ?? []).map((e) => e.extensions?.type ?? 'INVALID');

test('the documented point example: 5101 requests, 51 points', () => {
  const limits = limitsOf(`query { viewer { login repositories(first: 100) { edges { node { id
    issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } } } } } } }`);
  assert.equal(limits.requests, 5101);
  assert.equal(limits.cost, 51);
});

test('the documented node examples: 550 and 22 060 nodes', () => {
  assert.equal(limitsOf(`query { viewer { repositories(first: 50) { edges { repository: node { name
    issues(first: 10) { totalCount edges { node { title bodyHTML } } } } } } } }`).nodes, 550);
  assert.equal(limitsOf(`query { viewer {
    repositories(first: 50) { edges { repository: node { name
      pullRequests(first: 20) { edges { pullRequest: node { title comments(first: 10) { edges { comment: node { bodyHTML } } } } } }
      issues(first: 20) { totalCount edges { issue: node { title bodyHTML comments(first: 10) { edges { comment: node { bodyHTML } } } } } } } } }
    followers(first: 10) { edges { follower: node { login } } } } }`).nodes, 22060);
});

test('a query without connections costs the minimum of 1 point', () => {
  const limits = limitsOf('query { viewer { login } rateLimit { cost remaining resetAt limit used } }');
  assert.equal(limits.requests, 0);
  assert.equal(limits.cost, 1);
});

test('the exporter\'s first-comment query: one request per aliased connection, /100 rounded', () => {
  const issues = Array.from({ length: 20 }, (_, k) => `i${k + 1}: issue(number: ${k + 1}) { comments(first: 10) {
    totalCount pageInfo { hasNextPage endCursor } nodes { createdAt author { login __typename } } } }`).join('\n');
  const repos = Array.from({ length: 8 }, (_, r) => `r${r}: repository(owner: "bench", name: "r000${r}") { ${issues} }`).join('\n');
  const limits = limitsOf(`query { rateLimit { cost remaining resetAt limit used } ${repos} }`);
  assert.equal(limits.requests, 160);
  assert.equal(limits.cost, 2);  // 1.6 rounds to 2
  assert.equal(limits.nodes, 1600);
});

test('more than 100 per page, a page size missing where nodes are asked, and over 500 000 nodes are refused', () => {
  assert.deepEqual(errorTypes('query { viewer { repositories(first: 101) { nodes { name } } } }'), ['EXCESSIVE_PAGINATION']);
  assert.deepEqual(errorTypes('query { viewer { repositories(last: 101) { nodes { name } } } }'), ['EXCESSIVE_PAGINATION']);
  assert.deepEqual(errorTypes('query { viewer { repositories { nodes { name } } } }'), ['MISSING_PAGINATION_BOUNDARIES']);
  assert.deepEqual(errorTypes('query { viewer { repositories { totalCount } } }'), []);
  assert.deepEqual(errorTypes(`query { viewer { repositories(first: 100) { nodes { issues(first: 100) { nodes {
    comments(first: 51) { nodes { body } } } } } } } }`), ['MAX_NODE_LIMIT_EXCEEDED']);  // 100 + 10 000 + 510 000 > 500 000
  assert.deepEqual(errorTypes(`query { viewer { repositories(first: 100) { nodes { issues(first: 100) { nodes {
    comments(first: 48) { nodes { body } } } } } } } }`), []);  // 100 + 10 000 + 480 000
});

test('GitHub\'s schema refuses what GitHub refuses', () => {
  assert.deepEqual(errorTypes('query { repository(owner: "a", name: "b") { stars } }'), ['INVALID']);
  assert.deepEqual(errorTypes('query { repository(owner: "a") { name } }'), ['INVALID']);
  assert.deepEqual(errorTypes('query { repository(owner: "a", name: "b") { issue(number: 1) { comments(first: 1) { nodes { author { login type } } } } } }'), ['INVALID']);
  assert.deepEqual(errorTypes('query {'), ['INVALID']);
});

test('answers: bots by type without [bot], cursor pages, NOT_FOUND per alias', async () => {
  const comments = [
    { created_at: '2026-01-01T01:00:00Z', user: { login: 'helper-bot[bot]', type: 'Bot' }, body: 'thanks' },
    { created_at: '2026-01-01T02:00:00Z', user: { login: 'maintainer', type: 'User' }, body: 'looking' },
  ];
  const data = { repository: (owner, name) => (owner === 'octo' && name === 'hello'
    ? { issue: (n) => (n === 12 ? { number: 12, state: 'open', created: 0, updated: 0, user: { login: 'x', type: 'User' }, comments } : null) }
    : null) };
  const query = `query { rateLimit { cost remaining }
    r0: repository(owner: "octo", name: "hello") {
      i12: issue(number: 12) { comments(first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { createdAt author { login __typename } } } }
      n12: issue(number: 12) { comments(first: 10, after: "Y3Vyc29yOjE=") { pageInfo { hasNextPage } nodes { author { login __typename } } } }
      i13: issue(number: 13) { number } }
    r1: repository(owner: "octo", name: "gone") { name } }`;
  const checked = checkQuery({ query });
  const answer = JSON.parse(JSON.stringify(await runQuery(checked.document, {}, data, { cost: checked.limits.cost, remaining: 4990 })));
  assert.deepEqual(answer.data.rateLimit, { cost: 1, remaining: 4990 });
  assert.deepEqual(answer.data.r0.i12.comments, { totalCount: 2, pageInfo: { hasNextPage: true, endCursor: 'Y3Vyc29yOjE=' },
    nodes: [{ createdAt: '2026-01-01T01:00:00Z', author: { login: 'helper-bot', __typename: 'Bot' } }] });
  assert.deepEqual(answer.data.r0.n12.comments, { pageInfo: { hasNextPage: false }, nodes: [{ author: { login: 'maintainer', __typename: 'User' } }] });
  assert.equal(answer.data.r0.i13, null);
  assert.equal(answer.data.r1, null);
  assert.deepEqual(answer.errors.map((e) => [e.type, e.path.join('.'), e.message]), [
    ['NOT_FOUND', 'r0.i13', 'Could not resolve to an Issue with the number of 13.'],
    ['NOT_FOUND', 'r1', 'Could not resolve to a Repository with the name \'octo/gone\'.'],
  ]);
});

// Starts fake_github.mjs with `args`; gives its base URL.
async function startFake(t, ...args) {
  const fake = spawn(process.execPath, [new URL('./fake_github.mjs', import.meta.url).pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => fake.kill());
  return new Promise((resolve) => fake.stdout.on('data', (d) => {
    const m = String(d).match(/on (http:\S+)/);
    if (m) resolve(m[1]);
  }));
}

test('the fake GitHub serves the same comments over REST and GraphQL', async (t) => {
  const base = await startFake(t, '--repos=2');
  const numbers = Array.from({ length: 80 }, (_, k) => k + 1);
  const query = `query { r0: repository(owner: "bench", name: "r0001") { ${numbers.map((n) =>
    `i${n}: issue(number: ${n}) { comments(first: 100) { totalCount nodes { createdAt author { login __typename } } } }`).join(' ')} } }`;
  const answer = await (await fetch(`${base}/graphql`, { method: 'POST', body: JSON.stringify({ query }) })).json();
  assert.equal(answer.errors, undefined);
  let commented = 0;
  for (const n of numbers) {
    const rest = await (await fetch(`${base}/repos/bench/r0001/issues/${n}/comments?per_page=100`)).json();
    const asGraphql = rest.map((c) => ({ createdAt: c.created_at,
      author: { login: c.user.login.replace(/\[bot\]$/, ''), __typename: c.user.type === 'Bot' ? 'Bot' : 'User' } }));
    assert.deepEqual(answer.data.r0[`i${n}`].comments.nodes, asGraphql, `issue ${n}`);
    commented += rest.length > 0;
  }
  assert.equal(commented, 40);
  const stats = await (await fetch(`${base}/_control/stats`)).json();
  assert.equal(stats.points.graphql, 1);  // 80 connections: 0.8 rounds to 1
  assert.equal(stats.points.core, 80);
});

test('the fake GitHub charges GraphQL in its own bucket and answers RATE_LIMITED in a 200 when it is spent', async (t) => {
  const base = await startFake(t, '--repos=1', '--graphql-limit=2');
  const post = async (query) => {
    const response = await fetch(`${base}/graphql`, { method: 'POST', body: JSON.stringify({ query }) });
    return { status: response.status, remaining: response.headers.get('x-ratelimit-remaining'),
      resource: response.headers.get('x-ratelimit-resource'), body: await response.json() };
  };
  const first = await post('query { rateLimit { cost remaining used limit } }');
  assert.deepEqual(first, { status: 200, remaining: '1', resource: 'graphql',
    body: { data: { rateLimit: { cost: 1, remaining: 1, used: 1, limit: 2 } } } });
  assert.equal((await post('query { viewer { repositories(first: 101) { totalCount } } }')).body.errors[0].type, 'EXCESSIVE_PAGINATION');
  assert.equal((await post('query { rateLimit { cost } }')).remaining, '0');  // refused queries cost nothing
  assert.deepEqual(await post('query { rateLimit { cost } }'), { status: 200, remaining: '0', resource: 'graphql',
    body: { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 1.' }] } });
  const limits = await (await fetch(`${base}/rate_limit`)).json();
  assert.deepEqual([limits.resources.graphql.used, limits.resources.core.used], [2, 0]);
  const stats = await (await fetch(`${base}/_control/stats`)).json();
  assert.deepEqual(stats.graphql, { queries: 4, invalid: 1, rate_limited: 1 });
});

// The exporter's repository stats query (collectors/github/graphql.h): one alias per repository.
const statsQuery = (names) => `query { rateLimit { cost remaining resetAt limit used } ${names.map((n, k) =>
  `r${k}: repository(owner: "bench", name: "${n}") { stargazerCount forkCount watchers { totalCount }
    defaultBranchRef { name target { oid } } primaryLanguage { name } isArchived
    openIssues: issues(states: OPEN) { totalCount } openPullRequests: pullRequests(states: OPEN) { totalCount } }`).join('\n')} }`;

test('the stats query: 3 connections per repository, 3 points per 100 repositories', () => {
  const names = Array.from({ length: 100 }, (_, k) => `r${String(k).padStart(4, '0')}`);
  assert.deepEqual(limitsOf(statsQuery(names)), { requests: 300, nodes: 0, cost: 3, errors: [] });
  assert.equal(limitsOf(statsQuery(names.slice(0, 10))).cost, 1);  // 30 requests: the minimum
});

test('the fake GitHub answers the stats query as its REST routes do', async (t) => {
  const base = await startFake(t, '--repos=100');
  await fetch(`${base}/_control/change`, { method: 'POST', body: JSON.stringify({ count: 1 }) });  // r0000: a star and an issue more
  const post = async (names) => (await fetch(`${base}/graphql`, { method: 'POST', body: JSON.stringify({ query: statsQuery(names) }) })).json();
  const answer = await post(['r0000', 'r0001', 'r9999']);
  for (const [alias, repo] of [['r0', 'r0000'], ['r1', 'r0001']]) {
    const rest = await (await fetch(`${base}/repos/bench/${repo}`)).json();
    const open = [];
    for (let url = `${base}/repos/bench/${repo}/issues?state=open&per_page=100`; url;) {
      const response = await fetch(url);
      open.push(...await response.json());
      url = response.headers.get('link')?.match(/<([^>]+)>; rel="next"/)?.[1];
    }
    const pulls = open.filter((item) => 'pull_request' in item).length;
    assert.deepEqual(answer.data[alias], { stargazerCount: rest.stargazers_count, forkCount: rest.forks_count,
      watchers: { totalCount: rest.subscribers_count },
      defaultBranchRef: { name: rest.default_branch, target: { oid: headOf(rest) } },
      primaryLanguage: { name: rest.language }, isArchived: rest.archived,
      openIssues: { totalCount: open.length - pulls }, openPullRequests: { totalCount: pulls } }, repo);
  }
  assert.deepEqual([answer.data.r0.stargazerCount, answer.data.r0.openIssues.totalCount, answer.data.r0.openPullRequests.totalCount],
    [101, 61, 15]);  // 100 stars, 60 open issues and 15 open pull requests, then the change
  assert.deepEqual([answer.data.r1.stargazerCount, answer.data.r1.watchers.totalCount], [101, 9]);  // subscribers, not stars
  assert.equal(answer.data.r2, null);
  assert.deepEqual(answer.errors.map((e) => [e.type, e.path.join('.'), e.message]),
    [['NOT_FOUND', 'r2', 'Could not resolve to a Repository with the name \'bench/r9999\'.']]);
  assert.equal(answer.data.rateLimit.cost, 1);  // 9 requests
  const all = await post(Array.from({ length: 100 }, (_, k) => `r${String(k).padStart(4, '0')}`));
  assert.equal(all.errors, undefined);
  assert.equal(all.data.rateLimit.cost, 3);
  assert.equal((await (await fetch(`${base}/_control/stats`)).json()).points.graphql, 4);
});
