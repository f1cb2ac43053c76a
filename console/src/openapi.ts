import { get } from './api';

/** A JSON Schema (2020-12) node as the OpenAPI document carries it (generated on the server from zod). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  additionalProperties?: unknown;
  maxLength?: number;
}

interface Operation { operationId?: string; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }
interface Document { paths: Record<string, Record<string, Operation>> }

let doc: Promise<Document> | null = null;
/** The API's OpenAPI document, read once per page load. */
export const openApi = (): Promise<Document> => (doc ??= get<Document>('/api/openapi.json'));

/** The request body schema of an operation, found by its operationId. */
export async function requestSchema(operationId: string): Promise<JsonSchema | null> {
  const d = await openApi();
  for (const ops of Object.values(d.paths)) {
    for (const op of Object.values(ops)) {
      if (op.operationId === operationId) return op.requestBody?.content?.['application/json']?.schema ?? { type: 'object', properties: {} };
    }
  }
  return null;
}
