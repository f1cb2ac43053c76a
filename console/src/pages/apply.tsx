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
  useEffect(() => {
    void requestSchema('submitApplication').then(setSchema);
  }, []);
  // Ids the server listed for this user, offered as suggestions (the server still decides).
  const suggestions = {
    projectId: options.projects.map((p) => ({ value: p.projectId, label: p.funderLines.map((l) => l.funder).join(', ') })),
    institutionId: options.institutions.map((i) => ({ value: i.id, label: i.name })),
    consortiumId: options.consortia.map((c) => ({ value: c.id, label: c.name })),
    siteId: options.sites.map((s) => ({ value: s.id, label: s.name })),
    funderLineId: [...new Map(options.projects.flatMap((p) => p.funderLines).map((l) => [l.lineId, { value: l.lineId, label: l.funder }])).values()],
    activity: options.activities.map((a) => ({ value: a, label: tv('activity', a) })),
  };
  return (
    <section aria-labelledby="apply-title">
      <h1 id="apply-title">{t('apply.title')}</h1>
      <p>{t('apply.intro')}</p>
      {!schema ? <Loading /> : (
        <div class="card">
          <SchemaForm id="apply" schema={schema} suggestions={suggestions} submitLabel={t('apply.submit')}
            onSubmit={async (body) => {
              const r = await post<{ mobilityId: string }>('/api/mobilities', body);
              route(`/mobilities/${r.mobilityId}`);
            }} />
        </div>
      )}
    </section>
  );
}
