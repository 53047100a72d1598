/**
 * The CLI without a running stack, and called wrongly: one clear sentence and exit code 2,
 * never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, freePort, runCli } from './helpers';

describe('ddo without a running stack', () => {
  it.each([
    ['run', ['run', 'What is 2 + 2?']],
    ['runs', ['runs']],
    ['runs show', ['runs', 'show', 'run_x']],
  ])('says DDO cannot be reached and exits 2 (%s)', async (_name, args) => {
    const url = `http://127.0.0.1:${await freePort()}`;

    const res = await runCli(args, { DDO_URL: url, DDO_API_KEY: 'key-0123456789' });

    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`error: cannot reach DDO at ${url} — is \`npm start\` running? (ECONNREFUSED)\n`);
    expect(res.stdout).toBe('');
  });

  it('says the broker cannot be reached for events and dead letters, and exits 2', async () => {
    const broker = `http://127.0.0.1:${await freePort()}/ddo/default`;

    const sent = await runCli(['events', 'send', '-t', 'x.example.ping', '-d', '{}'], { DDO_BROKER_URL: broker });
    const listed = await runCli(['dead-letters'], { DDO_BROKER_URL: broker });

    expect(sent.code).toBe(2);
    expect(sent.stderr).toMatch(/cannot reach the broker at http:\/\/127\.0\.0\.1:\d+ — is `npm start` running\?/);
    expect(listed.code).toBe(2);
  });
});

describe('ddo called wrongly', () => {
  it.each([
    ['no API key anywhere', ['runs'], /No API key: pass --key, set DDO_API_KEY/],
    ['an unknown command', ['launch'], /unknown command 'launch'/],
    ['a missing prompt', ['run'], /missing required argument 'prompt'/],
    ['a bad --limit', ['runs', '--limit', '0'], /Use a whole number from 1 to 200/],
    ['a URL that is not http', ['runs', '--url', 'ftp://example.test'], /--url must be an http or https URL/],
    ['data that is not JSON', ['events', 'send', '-t', 'x.example', '-d', '{nope'], /--data is not valid JSON/],
  ])('exits 2 for %s', async (_what, args, message) => {
    const res = await runCli(args as string[]);

    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message as RegExp);
  });

  it('prints help and exits 0 with --help', async () => {
    const res = await runCli(['--help']);

    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: ddo \[options\] \[command\]/);
    for (const command of ['run', 'runs', 'events', 'dead-letters', 'check']) {
      expect(res.stdout).toContain(`  ${command} `);
    }
  });
});

describe('ddo check', () => {
  const analyzer = path.join(__dirname, '../../dist/scripts/check-deploy/main.js');

  it('runs the deployment analyzer when it is built, or says how to build it', async () => {
    const res = await runCli(['check']);

    if (fs.existsSync(analyzer)) {
      // The analyzer reads the manifests from the working directory, so both run from the repo.
      const inRepo = { cwd: path.join(__dirname, '../..'), encoding: 'utf8' } as const;
      const direct = spawnSync(process.execPath, [analyzer], inRepo);
      const viaCli = spawnSync(process.execPath, [CLI, 'check'], inRepo);
      expect(viaCli.status).toBe(direct.status);
      expect(viaCli.stdout).toBe(direct.stdout);
    } else {
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/The deployment analyzer is not built .*run `npm run build`/);
    }
  });
});
