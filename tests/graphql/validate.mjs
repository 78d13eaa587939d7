// Validates GraphQL queries against GitHub's published schema
// (@octokit/graphql-schema's schema.graphql) with the reference
// implementation (graphql): a query GitHub would reject fails our tests.
// A long-running helper of tests/fake_upstream/fake_upstream.py: one JSON
// line in ({"query": "..."}), one JSON line out: {"errors": ["message", ...]}
// (empty when the query is valid) and, for a valid query, "fields": its
// operation's fields as a tree ({name, alias, args, fields}) for the fake to
// answer. With a file argument, validates that file once.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { buildSchema, parse, validate } from "graphql";

// The package exports no path to its SDL file: it is read from beside this script.
const sdl = readFileSync(new URL("node_modules/@octokit/graphql-schema/schema.graphql", import.meta.url), "utf8");
// assumeValid too: GitHub's schema breaks a rule graphql 17 checks on schemas (a deprecated field
// implementing an interface field that is not), which says nothing about the queries.
const schema = buildSchema(sdl, { assumeValidSDL: true, assumeValid: true });

// A field's arguments as plain values (our queries use literals only).
function argumentsOf(field) {
  const args = {};
  for (const arg of field.arguments ?? []) args[arg.name.value] = arg.value.value ?? null;
  return args;
}

function fieldsOf(selectionSet) {
  return (selectionSet?.selections ?? []).filter((s) => s.kind === "Field").map((field) => ({
    name: field.name.value,
    alias: field.alias?.value ?? field.name.value,
    args: argumentsOf(field),
    fields: fieldsOf(field.selectionSet),
  }));
}

function check(query) {
  try {
    const document = parse(query);
    const errors = validate(schema, document).map((error) => error.message);
    const operation = document.definitions.find((d) => d.kind === "OperationDefinition");
    return { errors, fields: errors.length ? [] : fieldsOf(operation.selectionSet) };
  } catch (error) {
    return { errors: [String(error.message ?? error)], fields: [] };  // a syntax error
  }
}

if (process.argv[2]) {
  const { errors } = check(readFileSync(process.argv[2], "utf8"));
  for (const error of errors) console.error(error);
  process.exit(errors.length ? 1 : 0);
}
console.log(JSON.stringify({ ready: true }));
for await (const line of createInterface({ input: process.stdin })) {
  let answer;
  try {
    answer = check(JSON.parse(line).query);
  } catch (error) {
    answer = { errors: [String(error.message ?? error)], fields: [] };
  }
  console.log(JSON.stringify(answer));
}
