// The benchmark's peer: the hub's graph served by the Neo4j GraphQL Library (v7) behind
// graphql-yoga. JWTs are HS256 with a shared secret (PEER_JWT_SECRET); the platform
// scope lives in typeDefs.graphql as @authorization filter rules.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { Neo4jGraphQL } from "@neo4j/graphql";
import { createYoga } from "graphql-yoga";
import neo4j from "neo4j-driver";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} must be set`);
  return value;
};

const driver = neo4j.driver(
  env("NEO4J_URI"),
  neo4j.auth.basic(env("NEO4J_USER", "neo4j"), env("NEO4J_PASSWORD")),
  { maxConnectionPoolSize: 100 },
);
const typeDefs = readFileSync(new URL("./typeDefs.graphql", import.meta.url), "utf8");
const neoSchema = new Neo4jGraphQL({
  typeDefs,
  driver,
  features: { authorization: { key: env("PEER_JWT_SECRET") } },
});
const schema = await neoSchema.getSchema();
if (process.argv.includes("--print-schema")) {
  const { printSchema } = await import("graphql");
  console.log(printSchema(schema));
  process.exit(0);
}
const yoga = createYoga({
  schema,
  graphqlEndpoint: "/graphql",
  graphiql: false,
  logging: false,
  maskedErrors: false,
  context: async ({ request }) => ({ token: request.headers.get("authorization") ?? undefined }),
});
const port = Number(env("PORT", "4000"));
const server = createServer(yoga);
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => console.log(`peer listening on ${port}`));
const stop = async () => {
  server.close();
  await driver.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
