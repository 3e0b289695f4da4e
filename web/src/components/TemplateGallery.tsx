import { useEffect, useState } from 'react';
import type { TemplateView } from '@pikflow/pipeline';
import { api } from '../lib/api-client.ts';
import { createFromTemplate } from '../lib/pipeline-actions.ts';
import { categoryColor } from '../lib/catalog-display.ts';
import { useEditorStore } from '../store/editor-store.ts';

let cached: Promise<TemplateView[]> | undefined;

/** The empty canvas offers ready-made pipelines: one click creates and opens one. */
export function TemplateGallery() {
  const [templates, setTemplates] = useState<TemplateView[]>([]);
  const catalogById = useEditorStore((s) => s.catalogById);
  useEffect(() => {
    let alive = true;
    cached ??= api.templates().catch(() => {
      cached = undefined;
      return [];
    });
    void cached.then((t) => alive && setTemplates(t));
    return () => {
      alive = false;
    };
  }, []);
  if (!templates.length) return null;
  return (
    <section className="pik-template-gallery" aria-labelledby="template-gallery-title" data-testid="template-gallery">
      <h3 id="template-gallery-title">…or start from a template</h3>
      <ul>
        {templates.map((t) => {
          // The colours of the steps it chains, in order: a glance at what it does.
          const steps = t.document.nodes.map((n) => catalogById.get(n.type)).filter((d) => d && d.mode !== 'input' && d.mode !== 'output');
          return (
            <li key={t.id}>
              <button type="button" onClick={() => void createFromTemplate(t.id)} data-testid={`gallery-template-${t.id}`}>
                <b>{t.name}</b>
                <span className="pik-template-steps" aria-hidden>
                  {steps.map((d, i) => (
                    <i key={i} style={{ background: categoryColor(d!.category) }} />
                  ))}
                </span>
                <span className="pik-template-description">{t.description.replace(/ Trigger it with .*$/, '')}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
