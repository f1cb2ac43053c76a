import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { ensurePrincipals, principalsFile, readPrincipals, SCRAM_MECHANISM } from '../kafka/principals';
import { portOpen, run, runningPid, spawnServer, StackError, stopPid, tail, waitFor, which } from './proc';
import type { Service } from './service';

/**
 * Apache Kafka in KRaft mode (one combined broker + controller) from Maven Central jars.
 * Pinned to a version kafkajs 2.2.4 is proven to speak to (test/integration/kafka-compat.test.ts).
 * kafka-tools brings Kafka's own console clients (org.apache.kafka.tools.consumer.ConsoleConsumer),
 * so analytics consumers can read the topics with a client that is not this project's.
 */
export const KAFKA_VERSION = '3.9.2';
const SLF4J_SIMPLE = '1.7.36';

export function kafkaLibs(cfg: Config): string {
  return join(cfg.cacheDir, 'kafka', KAFKA_VERSION, 'libs');
}

/** Maven's local repository, kept with the project's other caches. */
export const mavenRepo = (cfg: Config) => join(cfg.cacheDir, 'm2');

export async function installKafka(cfg: Config, log: (l: string) => void): Promise<string> {
  const libs = kafkaLibs(cfg);
  if (existsSync(libs) && readdirSync(libs).includes(`kafka-tools-${KAFKA_VERSION}.jar`)) return libs;
  if (!which('java')) throw new StackError('kafka', 'java is not installed', 'install a JDK 17 (Debian: apt-get install -y openjdk-17-jre-headless)');
  const mvn = which('mvn');
  if (!mvn) throw new StackError('kafka', 'Maven (mvn) is not installed; it fetches the Kafka jars from Maven Central', 'install Maven (Debian: apt-get install -y maven)');
  log(`kafka: fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central (first run only, ~10 s)…`);
  const work = join(cfg.cacheDir, 'kafka', KAFKA_VERSION);
  mkdirSync(work, { recursive: true });
  writeFileSync(
    join(work, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>kafka-runtime</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>
<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>${KAFKA_VERSION}</version>
<exclusions><exclusion><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId></exclusion><exclusion><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId></exclusion></exclusions></dependency>
<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>${SLF4J_SIMPLE}</version></dependency>
</dependencies></project>\n`,
  );
  const tmp = `${libs}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  const r = run(mvn, ['-q', '-B', `-Dmaven.repo.local=${mavenRepo(cfg)}`, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`], { cwd: work, timeout: 10 * 60_000 });
  if (!r.ok) throw new StackError('kafka', `mvn could not fetch the Kafka jars:\n${r.out.slice(-2000)}`, 'check access to Maven Central (~/.m2/settings.xml mirrors) and rerun');
  rmSync(libs, { recursive: true, force: true });
  renameSync(tmp, libs);
  return libs;
}

export function kafkaService(cfg: Config): Service {
  const dir = join(cfg.dataDir, 'kafka');
  const pidFile = join(dir, 'kafka.pid');
  const logFile = join(dir, 'kafka.log');
  const props = join(dir, 'server.properties');
  const libs = kafkaLibs(cfg);
  const cp = `${libs}/*`;
  const serve = () => spawnServer('java', ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', `-Dkafka.logs.dir=${dir}`, '-cp', cp, 'kafka.Kafka', props], { logFile, pidFile });
  async function addCredentialsToOldStorage(users: Record<string, { username: string; password: string }>): Promise<void> {
    writeFileSync(
      props,
      [
        'process.roles=broker,controller', 'node.id=1', `controller.quorum.voters=1@${cfg.host}:${cfg.ports.kafkaController}`,
        `listeners=PLAINTEXT://${cfg.host}:${cfg.ports.kafka},CONTROLLER://${cfg.host}:${cfg.ports.kafkaController}`,
        `advertised.listeners=PLAINTEXT://${cfg.host}:${cfg.ports.kafka}`, 'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'controller.listener.names=CONTROLLER', 'inter.broker.listener.name=PLAINTEXT', `log.dirs=${join(dir, 'data')}`, 'auto.create.topics.enable=false', '',
      ].join('\n'),
    );
    serve();
    const up = await waitFor('kafka', async () => runningPid(pidFile) === null || (await portOpen(cfg.host, cfg.ports.kafka)), 60_000, 250);
    try {
      if (!up || runningPid(pidFile) === null) throw new StackError('kafka', `exited during start-up (adding credentials to storage formatted without them); last lines of ${logFile}:\n${tail(logFile)}`, `read ${logFile}`);
      for (const u of Object.values(users)) {
        const r = run('java', ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', cp, 'kafka.admin.ConfigCommand', '--bootstrap-server', `${cfg.host}:${cfg.ports.kafka}`,
          '--alter', '--add-config', `${SCRAM_MECHANISM}=[iterations=8192,password=${u.password}]`, '--entity-type', 'users', '--entity-name', u.username], { timeout: 60_000 });
        if (!r.ok) throw new StackError('kafka', `could not add the SCRAM credentials of ${u.username}:\n${r.out.slice(-1000)}`, `remove ${principalsFile(cfg)} and retry, or remove ${dir} to start from empty storage`);
      }
    } catch (err) {
      rmSync(principalsFile(cfg), { force: true });
      throw err;
    } finally {
      await stopPid(pidFile, 20_000);
    }
  }
  return {
    name: 'kafka',
    ports: [cfg.ports.kafka, cfg.ports.kafkaController],
    logFile,
    dataDir: dir,
    startTimeoutMs: 60_000,
    async install(log) {
      await installKafka(cfg, log);
    },
    running: () => runningPid(pidFile) !== null,
    async start() {
      mkdirSync(dir, { recursive: true });
      const logDirs = join(dir, 'data');
      const formatted = existsSync(join(logDirs, 'meta.properties'));
      // Storage formatted before Kafka had authentication holds no SCRAM credentials: add them once,
      // through the broker started the old way (no authentication, loopback only), then go on.
      if (formatted && !readPrincipals(cfg)) await addCredentialsToOldStorage(ensurePrincipals(cfg));
      const users = ensurePrincipals(cfg);
      writeFileSync(
        props,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.voters=1@${cfg.host}:${cfg.ports.kafkaController}`,
          // Clients authenticate with SASL/SCRAM; the controller listener (loopback, controller RPCs only) is the broker's own.
          `listeners=SASL_PLAINTEXT://${cfg.host}:${cfg.ports.kafka},CONTROLLER://${cfg.host}:${cfg.ports.kafkaController}`,
          `advertised.listeners=SASL_PLAINTEXT://${cfg.host}:${cfg.ports.kafka}`,
          'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=SASL_PLAINTEXT',
          `sasl.enabled.mechanisms=${SCRAM_MECHANISM}`,
          `sasl.mechanism.inter.broker.protocol=${SCRAM_MECHANISM}`,
          `listener.name.sasl_plaintext.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${users.admin.username}" password="${users.admin.password}";`,
          // ACLs (infra/kafka/principals.ts): what no ACL allows is denied. The controller listener's
          // principal (the broker itself, ANONYMOUS on loopback) must be a super user for KRaft.
          'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
          `super.users=User:${users.admin.username};User:ANONYMOUS`,
          'allow.everyone.if.no.acl.found=false',
          `log.dirs=${logDirs}`,
          'num.partitions=3',
          'offsets.topic.replication.factor=1',
          'offsets.topic.num.partitions=3',
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
          'share.coordinator.state.topic.replication.factor=1',
          'share.coordinator.state.topic.min.isr=1',
          'group.initial.rebalance.delay.ms=0',
          'auto.create.topics.enable=false',
          // Event topics are kept for replay from the beginning (topic-level retention is set too).
          'log.retention.hours=-1',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      if (!formatted) {
        const id = run('java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid']).out.trim().split('\n').pop()!.trim();
        // SCRAM credentials of every principal go into the metadata log at format time (KRaft).
        const scram = Object.values(users).flatMap((u) => ['--add-scram', `${SCRAM_MECHANISM}=[name=${u.username},password=${u.password}]`]);
        const f = run('java', ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props, '--ignore-formatted', ...scram]);
        if (!f.ok) throw new StackError('kafka', `storage format failed:\n${f.out}`, `remove ${logDirs} and rerun`);
      }
      serve();
    },
    async healthy() {
      if (!(await portOpen(cfg.host, cfg.ports.kafka))) return false;
      const { kafkaFor } = await import('../kafka/client');
      const admin = kafkaFor(cfg, 'stack-health', 'admin', { retries: 0 }).admin();
      try {
        await admin.connect();
        const c = await admin.describeCluster();
        return c.brokers.length > 0 && c.controller !== null;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    async stop() {
      await stopPid(pidFile, 20_000);
    },
    endpoints: () => [`bootstrap ${cfg.kafka.brokers.join(',')} (Kafka ${KAFKA_VERSION}, KRaft, SASL/SCRAM)`, `credentials ${join(dir, 'principals.json')}`, `jars ${libs}`],
  };
}
