export interface Service {
  readonly name: string;
  /** Ports this service listens on; a taken port is refused before start. */
  readonly ports: readonly number[];
  /** Install or fetch what it needs into the cache (idempotent; fast when cached). */
  install(log: (line: string) => void): Promise<void>;
  /** True when a process started by this project for this data directory is alive. */
  running(): boolean;
  start(): Promise<void>;
  /** Ready to serve requests. */
  healthy(): Promise<boolean>;
  stop(): Promise<void>;
  /** Human lines saying where it listens. */
  endpoints(): string[];
  logFile: string;
  /** Where it keeps its state (removed by a reset of the stack's data). */
  readonly dataDir: string;
  startTimeoutMs: number;
}
