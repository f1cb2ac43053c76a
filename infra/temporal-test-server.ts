import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config';

/**
 * Temporal's Java test server (time skipping) from Maven Central, cached under
 * ~/.cache/mobility-engine like the Kafka jars. The TypeScript SDK would download its own build,
 * which this machine cannot; we hand it a wrapper script instead:
 *   TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })
 * `exec` in the wrapper matters: the SDK's teardown signal must reach the JVM itself.
 *
 * What this server 1.38.0 supports (checked by the time-skipping suites in test/integration/workflow):
 * workflow Updates with validators (a rejection never reaches the history), Signals, Queries,
 * timers skipped instantly. Search attributes must be registered first (operator
 * addSearchAttributes, done by createTimeSkippingEnv) and are not queryable with a visibility
 * query there: `workflow list --query` is asserted on the dev server instead.
 */
export const TEST_SERVER_VERSION = '1.38.0';

export function testServerDir(cfg: Pick<Config, 'cacheDir'>): string {
  return join(cfg.cacheDir, 'temporal-test-server', TEST_SERVER_VERSION);
}

/** Fetch the jars once (Maven, ~20 s cold) and return the path of the executable wrapper. */
export function installTemporalTestServer(cfg: Pick<Config, 'cacheDir'>, log: (l: string) => void = () => undefined): string {
  const dir = testServerDir(cfg);
  const libs = join(dir, 'libs');
  const wrapper = join(dir, 'temporal-test-server');
  const script = `#!/bin/sh\n# Temporal Java test server ${TEST_SERVER_VERSION} (time skipping); args: <port>\nexec java -Xms64m -Xmx1g -XX:+UseSerialGC -cp '${libs}/*' io.temporal.testserver.TestServer "$@"\n`;
  if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith('temporal-test-server-'))) {
    if (!existsSync(wrapper) || readFileSync(wrapper, 'utf8') !== script) {
      writeFileSync(wrapper, script);
      chmodSync(wrapper, 0o755);
    }
    return wrapper;
  }
  const which = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim() || null;
  if (!which('java')) throw new Error('temporal test server: java is not installed (Debian: apt-get install -y openjdk-17-jre-headless)');
  const mvn = which('mvn');
  if (!mvn) throw new Error('temporal test server: Maven (mvn) is not installed; it fetches the jars from Maven Central (Debian: apt-get install -y maven)');
  log(`temporal test server: fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} from Maven Central (first run only, ~20 s)…`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>temporal-test-server-runtime</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>
<dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version></dependency>
<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
</dependencies></project>\n`,
  );
  const tmp = `${libs}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(mvn, ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`], { cwd: dir, encoding: 'utf8', timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`temporal test server: mvn could not fetch the jars:\n${`${r.stdout}${r.stderr}`.slice(-2000)}`);
  rmSync(libs, { recursive: true, force: true });
  renameSync(tmp, libs);
  writeFileSync(wrapper, script);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/** The custom search attributes the workflows set (same list as the dev server's, infra/stack/temporal.ts). */
const SEARCH_ATTRIBUTES = { MobilityStage: 2, ProjectId: 2, InstitutionId: 2, ConsortiumId: 2, NextDeadline: 6 } as const; // IndexedValueType: 2 = KEYWORD, 6 = DATETIME

/**
 * A time-skipping test environment on the Java test server, with the search attributes
 * registered (the test server refuses an upsert of an unknown attribute, like a real server).
 */
export async function createTimeSkippingEnv(cfg: Pick<Config, 'cacheDir'>) {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const path = installTemporalTestServer(cfg);
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes: SEARCH_ATTRIBUTES });
  return env;
}
