// Evidence: after the full scenario (worker, webhook receiver with WEBHOOK_SECRET, mtctl, Temporal with an API key),
// no configured secret appears in the logs, mtctl's output, the exported workflow histories, the records or the
// Telegram messages.
import assert from 'node:assert/strict';
import { CF_TOKEN, TG_TOKEN } from '../helpers/fixture';
import { baselineRun, MTCTL_COMMANDS, type BaselineRun } from './harness/baseline';
import { summary } from './harness/checks';
import { A, PREFIXES, TEMPORAL_API_KEY, WEBHOOK_SECRET } from './harness/scenario';

const SECRETS: Record<string, string> = {
  'Cloudflare API token': CF_TOKEN,
  'Telegram bot token': TG_TOKEN,
  'Telegram bot token (secret part)': TG_TOKEN.split(':')[1]!,
  'webhook secret': WEBHOOK_SECRET,
  'Temporal API key': TEMPORAL_API_KEY,
};

describe('evidence: no secret leaks from a full scenario run', function () {
  this.timeout(600_000);
  let run: BaselineRun;
  let sources: Record<string, string>;

  before(async () => {
    run = await baselineRun();
    console.log(`      ${summary(run)}`);
    console.log(
      `      ${run.artifacts.histories.length} executions exported; mtctl exit codes: ${run.artifacts.mtctl
        .map((m) => `${m.args.join(' ')} → ${m.code}`)
        .join(', ')}`,
    );
    sources = {
      'worker logs': run.workerOutput,
      'webhook receiver logs': run.receiverOutput,
      ...Object.fromEntries(run.artifacts.mtctl.map((m) => [`mtctl ${m.args.join(' ')}`, `${m.out}\n${m.err}`])),
      ...Object.fromEntries(
        run.artifacts.histories.map((h) => [`history ${h.workflowId} ${h.runId}`, `${h.cli}\n${h.decoded}`]),
      ),
      'database rows': JSON.stringify([run.rawAttackEvents, run.rawWithdrawals, run.rawNotificationLog]),
      'Telegram messages': run.telegramTexts.join('\n'),
    };
  });

  it('the secrets were really in use (the run authenticated everywhere) and every source was read', () => {
    assert.equal(run.env.CLOUDFLARE_API_TOKEN, CF_TOKEN);
    assert.equal(run.env.TELEGRAM_BOT_TOKEN, TG_TOKEN);
    assert.equal(run.env.WEBHOOK_SECRET, WEBHOOK_SECRET);
    assert.equal(run.env.TEMPORAL_API_KEY, TEMPORAL_API_KEY);
    assert.equal(run.patches.length, 2, 'Cloudflare accepted the token');
    assert.ok(run.telegram.length >= 3, 'Telegram accepted the token');
    assert.equal(run.webhooks.length, 2, 'the receiver accepted the secret');
    assert.match(run.workerOutput, /worker starting/);
    assert.match(run.receiverOutput, /webhook receiver listening/);
    assert.equal(run.artifacts.mtctl.length, MTCTL_COMMANDS.length);
    for (const m of run.artifacts.mtctl) assert.ok(m.out.length > 0, `mtctl ${m.args.join(' ')} printed nothing`);
    // Supervisor and four prefix workflows at least, every run of each (continue-as-new included).
    const ids = new Set(run.artifacts.histories.map((h) => h.workflowId));
    assert.ok(ids.size >= 1 + PREFIXES.length, [...ids].join(', '));
    // Payloads were decoded: text that travels only inside them (activity results, notifications) is found.
    const decoded = run.artifacts.histories.map((h) => h.decoded).join('\n');
    assert.ok(decoded.includes(A.description), 'a prefix description from inside a payload');
    const cli = run.artifacts.histories.map((h) => h.cli).join('\n');
    assert.ok(cli.includes(A.description), 'the CLI export, decoded, holds the same payloads');
  });

  for (const [what, secret] of Object.entries(SECRETS)) {
    it(`the ${what} appears nowhere`, () => {
      const found = Object.entries(sources)
        .filter(([, text]) => text.includes(secret))
        .map(([where]) => where);
      assert.deepEqual(found, [], `the ${what} was found in: ${found.join(', ')}`);
    });
  }
});
