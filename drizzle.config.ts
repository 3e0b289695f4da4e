import { defineConfig } from 'drizzle-kit';

// One schema, one committed migration set, applied at start-up on PGlite and Postgres alike.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema.ts',
  out: './packages/db/migrations',
});
