// drizzle-kit configuration: `npm run db:generate` writes migrations for src/db/schema.ts into ./drizzle.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
