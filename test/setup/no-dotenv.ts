// Every test process ignores a developer's ./.env (kept after the README's `cp .env.example .env`): tests see only the
// settings they give, in-process (mtctl) and in the processes they spawn with this environment.
import { NO_DOTENV } from '../../src/config/dotenv';

process.env[NO_DOTENV] = '1';
