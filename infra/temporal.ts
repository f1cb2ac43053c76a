import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';

export async function connectTemporal(cfg: Config): Promise<Client> {
  const connection = await Connection.connect({ address: cfg.temporal.address });
  return new Client({ connection, namespace: cfg.temporal.namespace });
}
