/**
 * Creates an API token stored hashed in the database and prints it once:
 *   npx tsx server/src/create-token.ts <name>
 * Uses the same DATA_DIR / DATABASE_URL as the server. With embedded PGlite the server
 * must be stopped first (one process owns the data folder); with Postgres it may run.
 */
import { createDb } from '@pikflow/db';
import { loadConfig } from './config.ts';
import { ApiTokens } from './services/api-tokens.ts';

const name = process.argv[2]?.trim();
if (!name) {
  console.error('usage: npx tsx server/src/create-token.ts <name>   (a label such as "ci" or "crm-integration")');
  process.exit(2);
}
const config = loadConfig(process.env);
try {
  const database = await createDb({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    const { token } = await new ApiTokens(database.db).create(name);
    console.log(`Token "${name}" created. It is shown only now; only its SHA-256 is stored:\n\n  ${token}\n`);
    console.log('Use it as: Authorization: Bearer <token>');
  } finally {
    await database.close();
  }
} catch (err) {
  console.error(`Could not create the token: ${(err as Error).message}`);
  process.exit(1);
}
