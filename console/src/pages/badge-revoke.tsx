import { useEffect, useState } from 'preact/hooks';
import { post, type RecognitionRecord } from '../api';
import { SchemaForm } from '../forms';
import { dateTime, t } from '../i18n';
import { type JsonSchema, requestSchema } from '../openapi';

/** The open badge's entry of GET /api/mobilities/:id/records, with its revocation (workers/api/recognition.ts). */
export type BadgeRecord = RecognitionRecord & { revokedAt?: string | null; canRevoke?: boolean };

/**
 * Revoking the mobility's open badge (the staff who record its recognition, as the server says: `canRevoke`): a
 * reason code and a note, sent to POST /api/mobilities/:id/badge/revoke; the server sets the badge's bit in its
 * status list. A revoked badge says when. Nothing here decides who may: the button is there when the server offers it.
 */
export function BadgeRevocation({ mobilityId, record, onRevoked }: { mobilityId: string; record: BadgeRecord; onRevoked: () => Promise<void> | void }) {
  const [open, setOpen] = useState(false);
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  useEffect(() => {
    if (open && !schema) void requestSchema('revokeOpenBadge').then(setSchema);
  }, [open, schema]);
  if (record.revokedAt) {
    return <p class="msg warn" role="status" data-testid="badge-revoked">{t('records.revoked', { at: dateTime(record.revokedAt) })}</p>;
  }
  if (!record.canRevoke) return null;
  return (
    <div class="badge-revoke" data-testid="badge-revoke">
      <button type="button" class="danger" aria-expanded={open} aria-controls="badge-revoke-form" data-testid="badge-revoke-toggle" onClick={() => setOpen(!open)}>
        {t('records.revoke')}
      </button>
      {open && schema && (
        <div id="badge-revoke-form">
          <p class="muted">{t('records.revokeHint')}</p>
          <SchemaForm id="revoke-badge" schema={schema} submitLabel={t('records.revokeConfirm')}
            onSubmit={async (body) => {
              await post(`/api/mobilities/${encodeURIComponent(mobilityId)}/badge/revoke`, body);
              setOpen(false);
              await onRevoked();
            }} />
        </div>
      )}
    </div>
  );
}
