import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';

/**
 * A Temporal client for the configured address. `lazy` does not wait for the server: the first
 * call connects (the API starts, and answers 503, while Temporal is down).
 */
export async function connectTemporal(cfg: Config, opts: { lazy?: boolean } = {}): Promise<Client> {
  const connection = opts.lazy ? Connection.lazy({ address: cfg.temporal.address }) : await Connection.connect({ address: cfg.temporal.address });
  return new Client({ connection, namespace: cfg.temporal.namespace });
}
