// The fault-free run, made once per test process and shared: every other run is compared with it.
import { exportHistories, mtctlOutputs, type Artifacts } from './artifacts';
import { runScenario, type RunResult } from './run';
import { A } from './scenario';

export interface BaselineRun extends RunResult {
  /** Read before teardown, for the secrets test. */
  artifacts: Artifacts;
}

/** What an operator would run after an incident; every command's output is searched for secrets. */
export const MTCTL_COMMANDS: string[][] = [
  ['status'],
  ['status', '--json'],
  ['status', A.cidr],
  ['check'],
  ['test'],
  ['history'],
  ['events'],
];

let baseline: Promise<BaselineRun> | null = null;

export function baselineRun(): Promise<BaselineRun> {
  baseline ??= (async () => {
    let artifacts: Artifacts | null = null;
    const run = await runScenario({
      name: 'baseline',
      inspect: async ({ client, server, env }) => {
        artifacts = {
          histories: await exportHistories(client, server.address),
          mtctl: await mtctlOutputs(env, MTCTL_COMMANDS),
        };
      },
    });
    return { ...run, artifacts: artifacts! };
  })();
  return baseline;
}
