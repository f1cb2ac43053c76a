import { useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { post } from '../api';
import { SchemaForm } from '../forms';
import { t, tv } from '../i18n';
import { type JsonSchema, requestSchema } from '../openapi';
import { useSession } from '../session';
import { Loading, usePageTitle } from '../util';

/** Register an application: the form is the submitApplication body of the OpenAPI document. */
export function ApplyPage() {
  usePageTitle(t('apply.title'));
  const { options } = useSession();
  const { route } = useLocation();
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  const [participantSchema, setParticipantSchema] = useState<JsonSchema | null>(null);
  const [participantRef, setParticipantRef] = useState<string | null>(null);
  useEffect(() => {
    void requestSchema('submitApplication').then(setSchema);
    // The participant registry (if the server has one): personal data goes there, the application carries its ref.
    void requestSchema('registerParticipant').then(setParticipantSchema);
  }, []);
  // Ids the server listed for this user, offered as suggestions (the server still decides).
  const suggestions = {
    projectId: options.projects.map((p) => ({ value: p.projectId, label: p.funderLines.map((l) => l.funder).join(', ') })),
    institutionId: options.institutions.map((i) => ({ value: i.id, label: i.name })),
    consortiumId: options.consortia.map((c) => ({ value: c.id, label: c.name })),
    siteId: options.sites.map((s) => ({ value: s.id, label: s.name })),
    funderLineId: [...new Map(options.projects.flatMap((p) => p.funderLines).map((l) => [l.lineId, { value: l.lineId, label: l.funder }])).values()],
    activity: options.activities.map((a) => ({ value: a, label: tv('activity', a) })),
    // Co-funding lines: the projects' lines of other funders (the server checks each has a flat rule).
    coFundingLineIds: [...new Map(options.projects.flatMap((p) => p.funderLines).filter((l) => l.funder !== 'ERASMUS+').map((l) => [l.lineId, { value: l.lineId, label: l.funder }])).values()],
  };
  return (
    <section aria-labelledby="apply-title">
      <h1 id="apply-title">{t('apply.title')}</h1>
      <p>{t('apply.intro')}</p>
      {participantSchema && (
        <section class="card" aria-labelledby="participant-title">
          <h2 id="participant-title">{t('apply.participant')}</h2>
          <p class="muted">{t('apply.participantIntro')}</p>
          {participantRef ? (
            <p class="msg info" role="status" data-testid="participant-done">{t('apply.participantDone', { ref: participantRef })}</p>
          ) : (
            <SchemaForm id="participant" schema={participantSchema} suggestions={{ institutionId: suggestions.institutionId, siteId: suggestions.siteId }}
              submitLabel={t('apply.registerParticipant')}
              onSubmit={async (body) => {
                const r = await post<{ participantRef: string }>('/api/participants', body);
                setParticipantRef(r.participantRef);
              }} />
          )}
        </section>
      )}
      {!schema ? <Loading /> : (
        <section class="card" aria-labelledby="application-title">
          <h2 id="application-title">{t('apply.application')}</h2>
          <SchemaForm key={participantRef ?? ''} id="apply" schema={schema} suggestions={suggestions} submitLabel={t('apply.submit')}
            initial={participantRef ? { participantRef } : {}}
            onSubmit={async (body) => {
              const r = await post<{ mobilityId: string }>('/api/mobilities', body);
              route(`/mobilities/${r.mobilityId}`);
            }} />
        </section>
      )}
    </section>
  );
}
