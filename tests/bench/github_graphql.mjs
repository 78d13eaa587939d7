// GitHub's GraphQL API for the fake GitHub (fake_github.mjs): GitHub's own
// published schema (npm @octokit/graphql-schema), parsed, validated and
// executed by the reference implementation (npm graphql), and priced by the
// formulas GitHub documents in "Rate limits and query limits for the GraphQL
// API" (docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api).
// Both packages are pinned in tests/graphql/package.json.
import crypto from 'node:crypto';
import fs from 'node:fs';
import {
  buildSchema, execute, getNamedType, GraphQLError, isObjectType, Kind, parse, validate, valueFromASTUntyped,
} from '../graphql/node_modules/graphql/index.mjs';

// The default branch's head commit: the fake's repositories never push (their contributors never change),
// so it is named after the repository and never moves.
export const headOf = (rest) => crypto.createHash('sha1').update(String(rest.full_name)).digest('hex');

const SDL = new URL('../graphql/node_modules/@octokit/graphql-schema/schema.graphql', import.meta.url);
// assumeValid as well as assumeValidSDL: GitHub's schema deprecates some
// implementations of interface fields that are not deprecated, which the
// reference implementation's schema check refuses; GitHub serves it anyway.
export const schema = buildSchema(fs.readFileSync(SDL, 'utf8'), { assumeValidSDL: true, assumeValid: true });

export const MAX_PAGE = 100;
export const MAX_NODES = 500000;

// An error the way GitHub writes it inside a 200 answer: `type` beside the message.
function githubError(type, message, node, path) {
  return new GraphQLError(message, { nodes: node ? [node] : undefined, path, extensions: { type } });
}

export function errorJson(error) {
  const type = error.extensions?.type;
  return { ...(type ? { type } : {}), ...(error.path ? { path: error.path } : {}),
    ...(error.locations ? { locations: error.locations } : {}), message: error.message };
}

const isConnection = (type) => isObjectType(type) && type.name.endsWith('Connection');

function fieldArgument(field, name, variables) {
  const arg = field.arguments?.find((a) => a.name.value === name);
  return arg ? valueFromASTUntyped(arg.value, variables) : undefined;
}

// A connection asked without first/last may only count (GitHub: "You must
// provide a `first` or `last` value to properly paginate").
function onlyCounts(selectionSet) {
  return (selectionSet?.selections ?? []).every((s) => s.kind === Kind.FIELD && ['totalCount', '__typename'].includes(s.name.value));
}

// The primary limit's price and the node limit of one operation:
//   requests: per connection, how many times it must be fetched when every
//     connection above it is filled to its first/last; cost = requests / 100,
//     rounded, at least 1;
//   nodes: per connection, its first/last times those above it; at most 500 000.
// Connections with a first/last over 100, or none where nodes are asked, are errors.
export function queryLimits(document, variables = {}, operationName = undefined) {
  const fragments = Object.fromEntries(document.definitions
    .filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION &&
    (!operationName || d.name?.value === operationName));
  let requests = 0, nodes = 0;
  const errors = [];

  function walk(selectionSet, parentType, above, path) {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType, above, path);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), above, path);
        continue;
      }
      const name = selection.name.value;
      const definition = parentType.getFields?.()[name];
      if (!definition) continue;  // __typename; validation already refused unknown fields
      const type = getNamedType(definition.type);
      const here = [...path, selection.alias?.value ?? name];
      if (!isConnection(type)) {
        walk(selection.selectionSet, type, above, here);
        continue;
      }
      const first = fieldArgument(selection, 'first', variables);
      const last = fieldArgument(selection, 'last', variables);
      const size = first ?? last;
      requests += above;
      if (size === undefined || size === null) {
        if (!onlyCounts(selection.selectionSet)) {
          errors.push(githubError('MISSING_PAGINATION_BOUNDARIES',
            `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`, selection, here));
        }
        continue;
      }
      if (size > MAX_PAGE || size < 0) {
        errors.push(githubError('EXCESSIVE_PAGINATION', `Requesting ${size} records on the \`${name}\` connection exceeds the ` +
          `\`${first !== undefined ? 'first' : 'last'}\` limit of ${MAX_PAGE} records.`, selection, here));
        continue;
      }
      nodes += above * size;
      if (nodes > MAX_NODES && !errors.some((e) => e.extensions.type === 'MAX_NODE_LIMIT_EXCEEDED')) {
        errors.push(githubError('MAX_NODE_LIMIT_EXCEEDED', `By the time this query traverses to the ${name} connection, it is ` +
          `requesting up to ${nodes.toLocaleString('en-US')} possible nodes which exceeds the maximum limit of ` +
          `${MAX_NODES.toLocaleString('en-US')}.`, selection, here));
      }
      walk(selection.selectionSet, type, above * size, here);
    }
  }
  if (operation) walk(operation.selectionSet, schema.getRootType(operation.operation), 1, []);
  return { requests, nodes, cost: Math.max(1, Math.round(requests / 100)), errors };
}

// --- answers over the fake's data ------------------------------------------
const cursorOf = (position) => Buffer.from(`cursor:${position}`).toString('base64');
function positionOf(cursor) {
  const m = Buffer.from(String(cursor), 'base64').toString().match(/^cursor:(\d+)$/);
  if (!m) throw githubError('INVALID_CURSOR_ARGUMENTS', `\`${cursor}\` does not appear to be a valid cursor.`);
  return Number(m[1]);
}

// A connection over a list, paged by first/after and last/before as GitHub pages them.
function connection(items, { first, after, last, before }) {
  let start = after ? positionOf(after) : 0;
  let end = before ? Math.max(start, positionOf(before) - 1) : items.length;
  if (first !== undefined && first !== null) end = Math.min(end, start + first);
  if (last !== undefined && last !== null) start = Math.max(start, end - last);
  const page = items.slice(start, end).map((node, k) => ({ cursor: cursorOf(start + k + 1), node }));
  return {
    totalCount: items.length,
    nodes: page.map((e) => e.node),
    edges: page,
    pageInfo: { hasNextPage: end < items.length, hasPreviousPage: start > 0,
      startCursor: page[0]?.cursor ?? null, endCursor: page.at(-1)?.cursor ?? null },
  };
}

// GraphQL names the author's kind by type and gives a bot's login without REST's "[bot]".
function actor(user) {
  if (!user) return null;
  const bot = user.type === 'Bot';
  return { __typename: bot ? 'Bot' : 'User', login: bot ? user.login.replace(/\[bot\]$/, '') : user.login };
}

const iso = (t) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

// `data.repository(owner, name)` gives null or {rest, openListing(), issue(number)}:
// rest is its REST answer (/repos/{owner}/{name}), openListing() the items of
// its REST open issue listing (pull requests carry `pull_request`); an issue is
// {number, state, created, updated, user, comments: [REST comment objects]}.
function rootValue(data, rateLimit) {
  const issueNode = (issue) => ({
    number: issue.number, title: `Issue ${issue.number}`, state: issue.state.toUpperCase(), closed: issue.state === 'closed',
    createdAt: iso(issue.created), updatedAt: iso(issue.updated), author: actor(issue.user),
    comments: (args) => connection(issue.comments.map((c) => ({ createdAt: c.created_at, author: actor(c.user), body: c.body })), args),
  });
  return {
    rateLimit: () => rateLimit,
    repository: ({ owner, name }, _context, info) => {
      const repo = data.repository(owner, name);
      if (!repo) throw githubError('NOT_FOUND', `Could not resolve to a Repository with the name '${owner}/${name}'.`);
      // Open issues and pull requests: REST's open issue listing, told apart by `pull_request`.
      const openCount = (pulls) => ({ states }) => {
        if (String(states) !== 'OPEN') throw githubError('UNSUPPORTED', 'The fake GitHub counts open ones only.');
        return { totalCount: repo.openListing().filter((item) => ('pull_request' in item) === pulls).length };
      };
      const rest = repo.rest;
      return {
        name, nameWithOwner: `${owner}/${name}`,
        // GraphQL's watchers are REST's subscribers: REST's watchers_count is the star count.
        stargazerCount: () => rest.stargazers_count, forkCount: () => rest.forks_count,
        watchers: () => ({ totalCount: rest.subscribers_count }),
        defaultBranchRef: () => (rest.default_branch
          ? { name: rest.default_branch, target: { __typename: 'Commit', oid: headOf(rest) } } : null),
        primaryLanguage: () => (rest.language ? { name: rest.language } : null),
        isArchived: () => rest.archived ?? false,
        issues: openCount(false), pullRequests: openCount(true),
        issue: ({ number }) => {
          const issue = repo.issue(number);
          if (!issue) throw githubError('NOT_FOUND', `Could not resolve to an Issue with the number of ${number}.`);
          return issueNode(issue);
        },
      };
    },
  };
}

// Parses and validates a request against GitHub's schema and its query limits.
// Returns {document, limits} or {errors} (GitHub answers those with 200).
export function checkQuery({ query, variables, operationName }) {
  let document;
  try {
    document = parse(String(query ?? ''));
  } catch (error) {
    return { errors: [error] };
  }
  const invalid = validate(schema, document);
  if (invalid.length) return { errors: invalid };
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operation?.operation !== 'query') {
    return { errors: [githubError('UNSUPPORTED', 'The fake GitHub answers queries only.', operation)] };
  }
  const limits = queryLimits(document, variables ?? {}, operationName);
  if (limits.errors.length) return { errors: limits.errors };
  return { document, limits };
}

// Executes a checked query. rateLimit: the RateLimit object after charging it.
export async function runQuery(document, { variables, operationName }, data, rateLimit) {
  const result = await execute({ schema, document, rootValue: rootValue(data, rateLimit),
    variableValues: variables ?? {}, operationName });
  return { data: result.data ?? null, ...(result.errors?.length ? { errors: result.errors.map(errorJson) } : {}) };
}
